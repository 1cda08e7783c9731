//! Google Generative Language API (providers.md section 4): `chat` (`:generateContent`),
//! `chatStream` (`:streamGenerateContent?alt=sse`), `embed` (`:embedContent`, or
//! `:batchEmbedContents` for an array) and `listModels` (`GET /{version}/models`).
//! The key goes only in the `x-goog-api-key` header, never in the URL.

mod reply;

pub use reply::{errors, GeminiStreamCodec};

use super::{
    bad_argument, base_url, join_url, json_request, unsupported, Ctx, Provider, ProviderInfo,
    Streamed, Unary,
};
use crate::config::Config;
use crate::error::ApiError;
use crate::host::{Headers, HttpRequest};
use serde_json::{json, Map, Value};

pub struct Gemini;

pub static GEMINI: Gemini = Gemini;

static INFO: ProviderInfo = ProviderInfo {
    name: "gemini",
    default_base_url: "https://generativelanguage.googleapis.com",
    default_model: "gemini-2.0-flash",
    key_env: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    requires_key: true,
};

/// The path version when `apiVersion` is not set (the SDKs' default).
pub const DEFAULT_VERSION: &str = "v1beta";

/// The embedding model when `embed` names none (the current general-availability model).
pub const DEFAULT_EMBED_MODEL: &str = "gemini-embedding-001";

/// `models.list` pages at 50 by default; 1000 is the most it returns per page.
const MODELS_QUERY: &str = "models?pageSize=1000";

/// Chat arguments that belong in `generationConfig` (camelCase as the API spells them).
const GENERATION_FIELDS: &[&str] = &[
    "candidateCount",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseModalities",
    "thinkingConfig",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "speechConfig",
    "mediaResolution",
];

impl Provider for Gemini {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn auth_headers(&self, ctx: &Ctx) -> Headers {
        match &ctx.config.api_key {
            Some(k) => vec![("x-goog-api-key".into(), k.expose().to_string())],
            None => Vec::new(),
        }
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        match op {
            "chat" => {
                let (request, model) = chat_request(self, ctx, args, false)?;
                let fallback = model.clone();
                Ok(Unary {
                    request,
                    model: Some(model),
                    parse: Box::new(move |r, id| reply::parse_chat(r, id, &fallback)),
                    errors,
                })
            }
            "embed" => {
                let (request, model, count) = embed_request(self, ctx, args)?;
                let name = model.clone();
                Ok(Unary {
                    request,
                    model: Some(model),
                    parse: Box::new(move |r, id| reply::parse_embed(r, id, &name, count)),
                    errors,
                })
            }
            "listModels" => {
                let url = versioned_url(ctx.config, MODELS_QUERY);
                Ok(Unary {
                    request: json_request(
                        ctx.config,
                        self.auth_headers(ctx),
                        "GET",
                        url,
                        None,
                        &[],
                    ),
                    model: None,
                    parse: Box::new(reply::parse_models),
                    errors,
                })
            }
            _ => Err(unsupported(INFO.name, op)),
        }
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        if op != "chatStream" {
            return Err(unsupported(INFO.name, op));
        }
        let (request, model) = chat_request(self, ctx, args, true)?;
        Ok(Streamed {
            request,
            model: Some(model),
            codec: Box::new(GeminiStreamCodec::new()),
            errors,
        })
    }
}

/// `{base}/{apiVersion}/{path}`.
fn versioned_url(config: &Config, path: &str) -> String {
    let version = config
        .api_version
        .as_deref()
        .unwrap_or(DEFAULT_VERSION)
        .trim_matches('/');
    join_url(base_url(config, &INFO), &format!("{version}/{path}"))
}

/// A model argument as the API names it (`models/<id>`, or `tunedModels/<id>`), and the same
/// name made safe for a URL path.
struct ModelName {
    name: String,
    path: String,
}

fn model_name(model: &str) -> Result<ModelName, ApiError> {
    let (collection, id) = ["models/", "tunedModels/"]
        .iter()
        .find_map(|p| model.strip_prefix(p).map(|id| (&p[..p.len() - 1], id)))
        .unwrap_or(("models", model));
    if id.is_empty() {
        return Err(bad_argument(
            "model",
            "must name a model, e.g. 'gemini-2.0-flash'",
        ));
    }
    let mut path = format!("{collection}/");
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            path.push(char::from(b));
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(ModelName {
        name: format!("{collection}/{id}"),
        path,
    })
}

fn model_arg(
    args: &Map<String, Value>,
    default: impl FnOnce() -> String,
) -> Result<String, ApiError> {
    match args.get("model") {
        Some(Value::String(m)) if !m.is_empty() => Ok(m.clone()),
        Some(_) => Err(bad_argument("model", "must be a non-empty string")),
        None => Ok(default()),
    }
}

/// API.md chat arguments to a `GenerateContentRequest`: `contents` with roles `user`/`model`,
/// system texts in `systemInstruction`, sampling options in `generationConfig`.
fn chat_request(
    p: &Gemini,
    ctx: &Ctx,
    args: &Value,
    stream: bool,
) -> Result<(HttpRequest, String), ApiError> {
    let args = args
        .as_object()
        .ok_or_else(|| bad_argument("chat(request)", "must be an object with `messages`"))?;
    let given = args
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_argument("messages", "is required: an array of { role, content }"))?;
    let mut system = Vec::new();
    if let Some(s) = args.get("system") {
        system.extend(parts(s, "system")?);
    }
    let mut contents = Vec::with_capacity(given.len());
    for (i, m) in given.iter().enumerate() {
        let field = format!("messages[{i}].content");
        let content = m
            .get("content")
            .ok_or_else(|| bad_argument(&field, "is required"))?;
        let role = match m.get("role").and_then(Value::as_str) {
            Some("system") => {
                system.extend(parts(content, &field)?);
                continue;
            }
            Some("user") => "user",
            Some("assistant") => "model",
            _ => {
                return Err(bad_argument(
                    &format!("messages[{i}].role"),
                    "must be 'system', 'user' or 'assistant'",
                ))
            }
        };
        contents.push(json!({"role": role, "parts": parts(content, &field)?}));
    }
    if contents.is_empty() {
        return Err(bad_argument(
            "messages",
            "must contain at least one 'user' or 'assistant' message",
        ));
    }
    let model = model_arg(args, || {
        ctx.config
            .model
            .clone()
            .unwrap_or_else(|| INFO.default_model.to_string())
    })?;
    let name = model_name(&model)?;
    let mut body = Map::new();
    let mut generation = match args.get("generationConfig") {
        None => Map::new(),
        Some(Value::Object(g)) => g.clone(),
        Some(_) => return Err(bad_argument("generationConfig", "must be an object")),
    };
    for (k, v) in args {
        let key = match k.as_str() {
            "messages" | "model" | "system" | "generationConfig" | "stream" => continue,
            "maxTokens" | "max_tokens" | "maxOutputTokens" => {
                if v.as_u64().filter(|n| *n > 0).is_none() {
                    return Err(bad_argument(k, "must be a positive integer"));
                }
                "maxOutputTokens"
            }
            "temperature" | "topP" | "top_p" | "topK" | "top_k" if !v.is_number() => {
                return Err(bad_argument(k, "must be a number"));
            }
            "temperature" => "temperature",
            "topP" | "top_p" => "topP",
            "topK" | "top_k" => "topK",
            "stop" | "stopSequences" | "stop_sequences" => {
                generation.insert("stopSequences".into(), stop_list(k, v)?);
                continue;
            }
            g if GENERATION_FIELDS.contains(&g) => g,
            // Request fields (safetySettings, tools, toolConfig, cachedContent, ...).
            other => {
                body.insert(other.to_string(), v.clone());
                continue;
            }
        };
        generation.insert(key.to_string(), v.clone());
    }
    body.insert("contents".into(), Value::Array(contents));
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({ "parts": system }));
    }
    if !generation.is_empty() {
        body.insert("generationConfig".into(), Value::Object(generation));
    }
    let path = if stream {
        format!("{}:streamGenerateContent?alt=sse", name.path)
    } else {
        format!("{}:generateContent", name.path)
    };
    let url = versioned_url(ctx.config, &path);
    let mut req = json_request(
        ctx.config,
        p.auth_headers(ctx),
        "POST",
        url,
        Some(&Value::Object(body)),
        &[],
    );
    req.stream = stream;
    Ok((req, model))
}

/// Message content to Gemini `parts`: a string is one text part; in an array, strings and
/// `{type:"text", text}` become text parts and other objects are taken as Gemini parts.
fn parts(content: &Value, field: &str) -> Result<Vec<Value>, ApiError> {
    let accepts = "must be a string or an array of parts";
    match content {
        Value::String(s) => Ok(vec![json!({ "text": s })]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(json!({ "text": s })),
                Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("text") => {
                    match o.get("text") {
                        Some(Value::String(s)) => Ok(json!({ "text": s })),
                        _ => Err(bad_argument(field, accepts)),
                    }
                }
                Value::Object(_) => Ok(item.clone()),
                _ => Err(bad_argument(field, accepts)),
            })
            .collect(),
        _ => Err(bad_argument(field, accepts)),
    }
}

fn stop_list(field: &str, v: &Value) -> Result<Value, ApiError> {
    match v {
        Value::String(s) => Ok(json!([s])),
        Value::Array(a) if a.iter().all(Value::is_string) => Ok(v.clone()),
        _ => Err(bad_argument(
            field,
            "must be a string or an array of strings",
        )),
    }
}

/// `embed({ input, model? })`: a string goes to `:embedContent`, an array to
/// `:batchEmbedContents` (each request repeats the model, as the API requires). Other
/// arguments (`taskType`, `title`, `outputDimensionality`) go in each request.
fn embed_request(
    p: &Gemini,
    ctx: &Ctx,
    args: &Value,
) -> Result<(HttpRequest, String, Option<usize>), ApiError> {
    let args = args
        .as_object()
        .ok_or_else(|| bad_argument("embed(request)", "must be an object with `input`"))?;
    let accepts = "is required: a string or a non-empty array of strings";
    let input = args
        .get("input")
        .ok_or_else(|| bad_argument("input", accepts))?;
    let model = model_arg(args, || DEFAULT_EMBED_MODEL.to_string())?;
    let name = model_name(&model)?;
    let extra: Map<String, Value> = args
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "input" | "model"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let one = |text: &str, with_model: bool| {
        let mut r = extra.clone();
        if with_model {
            r.insert("model".into(), json!(name.name));
        }
        r.insert("content".into(), json!({"parts": [{ "text": text }]}));
        Value::Object(r)
    };
    let (path, body, count) = match input {
        Value::String(s) => (format!("{}:embedContent", name.path), one(s, false), None),
        Value::Array(items) if !items.is_empty() => {
            let requests = items
                .iter()
                .map(|i| i.as_str().map(|s| one(s, true)))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad_argument("input", accepts))?;
            (
                format!("{}:batchEmbedContents", name.path),
                json!({ "requests": requests }),
                Some(items.len()),
            )
        }
        _ => return Err(bad_argument("input", accepts)),
    };
    let url = versioned_url(ctx.config, &path);
    let req = json_request(
        ctx.config,
        p.auth_headers(ctx),
        "POST",
        url,
        Some(&body),
        &[],
    );
    Ok((req, model, count))
}
