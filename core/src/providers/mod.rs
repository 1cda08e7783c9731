//! Provider codecs: URLs, headers, bodies, error shapes. They know nothing of retries or queues.

pub mod openai;

use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::HttpRequest;
use serde_json::Value;

/// The eleven backends, in the seed's spelling.
pub const PROVIDERS: [&str; 11] = [
    "openai", "groq", "claude", "gemini", "ollama", "hf_tgi", "hf_tei", "llvm", "opea", "ovms",
    "s3_kit",
];

/// Static facts about a provider.
pub struct ProviderInfo {
    pub name: &'static str,
    pub default_base_url: &'static str,
    pub default_model: &'static str,
    /// Environment variables read for the key in Node, first found wins.
    pub key_env: &'static [&'static str],
    pub requires_key: bool,
}

pub fn info(name: &str) -> Option<&'static ProviderInfo> {
    INFO.iter().find(|p| p.name == name)
}

const INFO: &[ProviderInfo] = &[ProviderInfo {
    name: "openai",
    default_base_url: "https://api.openai.com/v1",
    default_model: "gpt-4o-mini",
    key_env: &["OPENAI_API_KEY"],
    requires_key: true,
}];

/// The error for a call argument that is missing or of the wrong shape.
pub fn bad_argument(field: &str, accepts: &str) -> ApiError {
    ApiError::new(
        ErrorType::InvalidRequest,
        format!("argument `{field}` {accepts}"),
    )
}

/// Joins a base URL and a path (or returns `path` when it is already absolute).
pub fn join_url(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_string();
    }
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

pub fn base_url<'a>(config: &'a Config, info: &'static ProviderInfo) -> &'a str {
    config.base_url.as_deref().unwrap_or(info.default_base_url)
}

/// Builds a JSON request with the provider's auth and the client's extra headers.
pub fn json_request(
    config: &Config,
    auth: Vec<(String, String)>,
    method: &str,
    url: String,
    body: Option<&Value>,
    extra: &[(String, String)],
) -> HttpRequest {
    let mut headers = auth;
    if body.is_some() {
        headers.push(("content-type".into(), "application/json".into()));
    }
    headers.extend(config.headers.iter().cloned());
    headers.extend(extra.iter().cloned());
    HttpRequest {
        method: method.to_string(),
        url,
        headers,
        body: body.map(|b| b.to_string().into_bytes()),
        stream: false,
    }
}

/// Writes a normalized result object field by field. Raw bodies are spliced in verbatim
/// (they were parsed already, so they are valid JSON), never decoded and re-encoded.
pub struct ResultJson(String);

impl ResultJson {
    pub fn new(capacity: usize) -> ResultJson {
        let mut s = String::with_capacity(capacity);
        s.push('{');
        ResultJson(s)
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        // Serialising a str into a String cannot fail.
        self.0.push_str(&Value::from(value).to_string());
        self
    }

    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.str(key, v),
            None => self.raw(key, "null"),
        }
    }

    /// `value` must be JSON text.
    pub fn raw(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        self.0.push_str(value);
        self
    }

    /// `value` must be a JSON document that parsed; otherwise it goes in as a JSON string.
    pub fn raw_bytes(&mut self, key: &str, value: &[u8]) -> &mut Self {
        match std::str::from_utf8(value) {
            Ok(text) if !text.trim().is_empty() => self.raw(key, text),
            _ => self.str(key, &String::from_utf8_lossy(value)),
        }
    }

    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// API.md's `usage` object.
pub fn usage_json(u: &crate::stats::Usage) -> String {
    format!(
        r#"{{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{}}}"#,
        u.prompt, u.completion, u.total
    )
}
