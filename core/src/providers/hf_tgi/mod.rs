//! Hugging Face Text Generation Inference (providers.md section 6): native `/generate` and
//! `/generate_stream`, OpenAI-compatible `/v1/chat/completions` through the shared OpenAI codec,
//! `/info` and `/health`. Also the `{error, error_type}` reader that TEI shares.
//!
//! `generate` arguments: API.md's `prompt`, `maxTokens`, `temperature`, `topP`, `stop` (and
//! `topK`), TGI's documented parameter names, and a `parameters` object; they all go into
//! `parameters`. Anything else is refused by name: TGI would silently ignore it.

use super::openai::{
    auth_headers, chat_request, chat_stream_request, parse_chat, ChatStreamCodec, OpenAiCompat,
};
use super::{
    bad_argument, base_url, join_url, json_request, unsupported, usage_json, Ctx, Provider,
    ProviderInfo, ResultJson, Streamed, Unary,
};
use crate::classify::request_id_header;
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::{header, Headers, HttpRequest};
use crate::pipeline::{Parsed, Parser, Reply, StreamCodec};
use crate::stats::Usage;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

mod errors;
mod stream;

pub use errors::{hf_errors, hf_stream_error};
pub use stream::GenerateStreamCodec;

pub struct HfTgi;

pub static HF_TGI: HfTgi = HfTgi;

static INFO: ProviderInfo = ProviderInfo {
    name: "hf_tgi",
    default_base_url: "http://localhost:8080",
    default_model: "tgi",
    key_env: &["HF_API_KEY", "HF_API_TOKEN"],
    requires_key: false,
};

/// The chat route speaks OpenAI with `max_tokens`; TGI honours `stream_options.include_usage`.
static CHAT: OpenAiCompat = OpenAiCompat {
    info: &INFO,
    max_tokens_key: "max_tokens",
    stream_usage: true,
    embed_model: None,
};

/// TGI's `parameters` (providers.md section 6), accepted as top-level arguments too.
const PARAMETERS: &[&str] = &[
    "adapter_id",
    "best_of",
    "decoder_input_details",
    "details",
    "do_sample",
    "frequency_penalty",
    "grammar",
    "max_new_tokens",
    "repetition_penalty",
    "return_full_text",
    "seed",
    "stop",
    "temperature",
    "top_k",
    "top_n_tokens",
    "top_p",
    "truncate",
    "typical_p",
    "watermark",
];

impl Provider for HfTgi {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    /// A bearer only when a key is configured (servers started with `--api-key`).
    fn auth_headers(&self, ctx: &Ctx) -> Headers {
        auth_headers(ctx.config)
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        let config = ctx.config;
        let (request, model, parse): (HttpRequest, Option<String>, Parser) = match op {
            "chat" => {
                let (r, m) = chat_request(&CHAT, &v1(config), args)?;
                (r, Some(m), Box::new(parse_tgi_chat))
            }
            "generate" => {
                let (r, m) = generate_request(config, args, false)?;
                let name = m.clone();
                (
                    r,
                    Some(m),
                    Box::new(move |reply, id| parse_generate(&name, reply, id)),
                )
            }
            "listModels" => (get(config, "info"), None, Box::new(parse_info)),
            "health" => (get(config, "health"), None, Box::new(parse_health)),
            _ => return Err(unsupported(INFO.name, op)),
        };
        Ok(Unary {
            request,
            model,
            parse,
            errors: hf_errors,
        })
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        let (request, model, codec): (HttpRequest, String, Box<dyn StreamCodec>) = match op {
            "chatStream" => {
                let (r, m) = chat_stream_request(&CHAT, &v1(ctx.config), args)?;
                (r, m, Box::new(ChatStreamCodec::new()))
            }
            "generateStream" => {
                let (r, m) = generate_request(ctx.config, args, true)?;
                (r, m, Box::new(GenerateStreamCodec::default()))
            }
            _ => return Err(unsupported(INFO.name, op)),
        };
        Ok(Streamed {
            request,
            model: Some(model),
            codec,
            errors: hf_errors,
        })
    }
}

/// The server origin. A base URL ending in `/v1` (the OpenAI-style habit) is taken as its origin.
pub fn origin<'a>(config: &'a Config, info: &'static ProviderInfo) -> &'a str {
    let base = base_url(config, info).trim_end_matches('/');
    base.strip_suffix("/v1").unwrap_or(base)
}

/// The config the shared OpenAI codec sees: its base URL is `<origin>/v1`.
fn v1(config: &Config) -> Config {
    let mut c = config.clone();
    c.base_url = Some(join_url(origin(config, &INFO), "v1"));
    c
}

fn get(config: &Config, path: &str) -> HttpRequest {
    let url = join_url(origin(config, &INFO), path);
    json_request(config, auth_headers(config), "GET", url, None, &[])
}

/// The model named by the call or the client; TGI serves one model, so it is not sent.
pub fn model_name(
    args: &Map<String, Value>,
    config: &Config,
    info: &ProviderInfo,
) -> Result<String, ApiError> {
    match args.get("model") {
        Some(Value::String(m)) if !m.is_empty() => Ok(m.clone()),
        Some(_) => Err(bad_argument("model", "must be a non-empty string")),
        None => Ok(config
            .model
            .clone()
            .unwrap_or_else(|| info.default_model.to_string())),
    }
}

fn positive_integer(field: &str, v: &Value) -> Result<Value, ApiError> {
    match v.as_u64() {
        Some(n) if n > 0 => Ok(json!(n)),
        _ => Err(bad_argument(field, "must be a positive integer")),
    }
}

fn number(field: &str, v: &Value) -> Result<Value, ApiError> {
    if v.is_number() {
        Ok(v.clone())
    } else {
        Err(bad_argument(field, "must be a number"))
    }
}

/// `POST /generate` or `/generate_stream`: `{inputs, parameters}`, always with `details: true`
/// (it carries the finish reason and the token counts).
pub fn generate_request(
    config: &Config,
    args: &Value,
    stream: bool,
) -> Result<(HttpRequest, String), ApiError> {
    let args = args
        .as_object()
        .ok_or_else(|| bad_argument("generate(request)", "must be an object with `prompt`"))?;
    let prompt = match args.get("prompt") {
        Some(Value::String(p)) => p,
        _ => return Err(bad_argument("prompt", "is required: a string")),
    };
    let model = model_name(args, config, &INFO)?;
    let mut params = match args.get("parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(bad_argument("parameters", "must be an object")),
    };
    for (k, v) in args {
        let (key, value) = match k.as_str() {
            "prompt" | "model" | "parameters" | "stream" => continue,
            "maxTokens" | "max_tokens" | "max_new_tokens" => {
                ("max_new_tokens", positive_integer(k, v)?)
            }
            "temperature" => ("temperature", number(k, v)?),
            "topP" | "top_p" => ("top_p", number(k, v)?),
            "topK" => ("top_k", positive_integer(k, v)?),
            "stop" => ("stop", super::ollama::stop_list(v)?),
            p if PARAMETERS.contains(&p) => (p, v.clone()),
            other => {
                return Err(bad_argument(
                    other,
                    "is not a TGI generate parameter (use `parameters` for server options)",
                ))
            }
        };
        params.insert(key.to_string(), value);
    }
    params.insert("details".into(), json!(true));
    let body = json!({"inputs": prompt, "parameters": params});
    let path = if stream {
        "generate_stream"
    } else {
        "generate"
    };
    let url = join_url(origin(config, &INFO), path);
    let mut request = json_request(config, auth_headers(config), "POST", url, Some(&body), &[]);
    request.stream = stream;
    Ok((request, model))
}

/// TGI's chat ids are empty strings: an empty id is no id, so the client's id is used.
fn parse_tgi_chat(reply: &Reply, client_id: &str) -> Result<Parsed, ApiError> {
    #[derive(Deserialize)]
    struct Id<'a> {
        #[serde(borrow)]
        id: Option<Cow<'a, str>>,
    }
    let has_id = serde_json::from_slice::<Id>(&reply.body)
        .ok()
        .and_then(|b| b.id)
        .is_some_and(|id| !id.is_empty());
    if has_id || request_id_header(&reply.headers).is_some() {
        return parse_chat(INFO.name, reply, client_id);
    }
    let mut headers = reply.headers.clone();
    headers.push(("x-request-id".into(), client_id.to_string()));
    let with_id = Reply {
        status: reply.status,
        headers,
        body: reply.body.clone(),
    };
    parse_chat(INFO.name, &with_id, client_id)
}

#[derive(Deserialize)]
struct Generated<'a> {
    #[serde(borrow)]
    generated_text: Cow<'a, str>,
    #[serde(borrow)]
    details: Option<Details<'a>>,
}

#[derive(Deserialize)]
pub(super) struct Details<'a> {
    #[serde(borrow)]
    pub(super) finish_reason: Option<Cow<'a, str>>,
    pub(super) generated_tokens: Option<u64>,
    pub(super) input_length: Option<u64>,
}

fn header_count(headers: &[(String, String)], name: &str) -> Option<u64> {
    header(headers, name).and_then(|v| v.trim().parse().ok())
}

/// `{generated_text, details}` (or the compat route's one-element array) to API.md's result.
/// Prompt tokens come from `x-prompt-tokens`; TGI's replies carry no model name, so `model`
/// is the one the call named.
pub fn parse_generate(model: &str, reply: &Reply, client_id: &str) -> Result<Parsed, ApiError> {
    let decoded = if reply.body.trim_ascii_start().starts_with(b"[") {
        serde_json::from_slice::<Vec<Generated>>(&reply.body).map(|v| v.into_iter().next())
    } else {
        serde_json::from_slice::<Generated>(&reply.body).map(Some)
    };
    let g = decoded
        .map_err(|e| {
            ApiError::new(
                ErrorType::DecodeError,
                format!("the response is not a TGI generation: {e}"),
            )
        })?
        .ok_or_else(|| ApiError::new(ErrorType::DecodeError, "the response has no generation"))?;
    let details = g.details.as_ref();
    let prompt = header_count(&reply.headers, "x-prompt-tokens")
        .or_else(|| details.and_then(|d| d.input_length))
        .unwrap_or(0);
    let completion = details
        .and_then(|d| d.generated_tokens)
        .or_else(|| header_count(&reply.headers, "x-generated-tokens"))
        .unwrap_or(0);
    let usage = Usage {
        prompt,
        completion,
        total: prompt.saturating_add(completion),
    };
    let request_id = request_id_header(&reply.headers);
    let mut out = ResultJson::new(reply.body.len() + 256);
    out.str("text", &g.generated_text)
        .str("model", model)
        .opt_str(
            "finish_reason",
            details.and_then(|d| d.finish_reason.as_deref()),
        )
        .raw("usage", &usage_json(&usage))
        .str("request_id", request_id.as_deref().unwrap_or(client_id))
        .str("provider", INFO.name)
        .raw_bytes("raw", &reply.body);
    Ok(Parsed {
        json: out.finish(),
        usage: Some(usage),
        bytes: None,
    })
}

/// `GET /info` (TGI and TEI) to `[{ id: model_id, ...info }]`.
pub fn parse_info(reply: &Reply, _client_id: &str) -> Result<Parsed, ApiError> {
    let mut info: Map<String, Value> = serde_json::from_slice(&reply.body).map_err(|e| {
        ApiError::new(
            ErrorType::DecodeError,
            format!("the response is not server info: {e}"),
        )
    })?;
    let id = info
        .get("model_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::new(ErrorType::DecodeError, "the server info has no `model_id`")
        })?;
    info.insert("id".into(), json!(id));
    Ok(Parsed {
        json: Value::Array(vec![Value::Object(info)]).to_string(),
        ..Parsed::default()
    })
}

/// `GET /health` (TGI and TEI): the server's JSON when it sent some, else `{ status }`
/// (a healthy server answers 200 with an empty body; an unhealthy one is an error).
pub fn parse_health(reply: &Reply, _client_id: &str) -> Result<Parsed, ApiError> {
    let json = match serde_json::from_slice::<Value>(&reply.body) {
        Ok(v) if v.is_object() => v.to_string(),
        _ => json!({"status": reply.status}).to_string(),
    };
    Ok(Parsed {
        json,
        ..Parsed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_a_v1_suffix() {
        let config = Config {
            base_url: Some("https://x.endpoints.huggingface.cloud/v1/".into()),
            ..Config::default()
        };
        assert_eq!(
            origin(&config, &INFO),
            "https://x.endpoints.huggingface.cloud"
        );
        assert_eq!(
            v1(&config).base_url.as_deref(),
            Some("https://x.endpoints.huggingface.cloud/v1")
        );
    }
}
