//! Anthropic Messages API (docs/providers.md): `chat` and `chatStream` on `POST /v1/messages`,
//! `listModels` on `GET /v1/models`. The base URL is the origin; the paths add `/v1`.

mod stream;

pub use stream::{ClaudeEvents, ClaudeStreamCodec};

use super::shared::args::{
    bad_content, bad_message, chat_args, model_or_default, put_args, Arg, Args, Check, Dest,
};
use super::shared::read::{self, Fields, Obj};
use super::shared::replies::{chat_result, parse_models, ChatReply};
use super::{
    auth_request, base_url, chat_stream_only, join_url, named, push_pair, usage_from, Built, Ctx,
    ModelRequest, Provider, ProviderInfo, Streamed, Unary,
};
use crate::classify::{parse_error_body, ErrorBody};
use crate::codec::{Parsed, Reply};
use crate::error::{ApiError, ErrorType};
use crate::host::Headers;
use crate::json::put;
use crate::json::{json, Map, Value};
use crate::providers::ops::{CHAT, LIST_MODELS};
use crate::providers::unary_number;
use crate::providers::{bad_arg, fail, parser, unboxed, unsupported_op, Fail};

pub struct Claude;

pub static CLAUDE: Claude = Claude;

static INFO: ProviderInfo = ProviderInfo {
    name: "claude",
    default_base_url: "https://api.anthropic.com",
    default_model: "claude-3-5-haiku-latest",
    key_env: &["ANTHROPIC_API_KEY"],
    requires_key: true,
};

/// `anthropic-version` when `apiVersion` is not set (the value the official SDK sends).
pub const DEFAULT_VERSION: &str = "2023-06-01";

/// `max_tokens` is required by the API; this is sent when the caller gives no `maxTokens`.
pub const DEFAULT_MAX_TOKENS: u64 = 1024;

/// `GET /v1/models` pages at 20 by default; 1000 is the largest page the API allows.
const MODELS_PATH: &str = "v1/models?limit=1000";

impl Provider for Claude {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn auth_headers(&self, ctx: &Ctx) -> Headers {
        let mut h = Vec::with_capacity(3);
        if let Some(k) = &ctx.config.api_key {
            push_pair(&mut h, "x-api-key", k.expose());
        }
        let version = ctx.config.api_version.as_deref().unwrap_or(DEFAULT_VERSION);
        push_pair(&mut h, "anthropic-version", version);
        // The API refuses browser-origin calls without this opt-in header.
        if ctx.browser {
            push_pair(&mut h, "anthropic-dangerous-direct-browser-access", "true");
        }
        h
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed((|| -> Result<Unary, Fail> {
            let built: Built = match unary_number(op) {
                CHAT => named(chat_request(ctx, args, false)?, parser(parse_chat)),
                LIST_MODELS => {
                    let url = join_url(base_url(ctx.config, &INFO), MODELS_PATH);
                    let request = auth_request(self, ctx, "GET", url, None);
                    (request, None, parser(parse_models))
                }
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Unary::new(built, errors))
        })())
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        let request = || chat_request(ctx, args, true);
        unboxed(chat_stream_only(
            &INFO,
            op,
            request,
            ClaudeStreamCodec::new(),
            errors,
        ))
    }
}

/// docs/api.md chat arguments to a Messages body. System messages and `system` are lifted to the
/// top-level `system`; unknown arguments pass through as provider parameters.
fn chat_request(ctx: &Ctx, args: &Value, stream: bool) -> Result<ModelRequest, Fail> {
    let (args, given) = chat_args(args)?;
    let mut system: Vec<Value> = Vec::new();
    if let Some(s) = args.get("system") {
        system.push(system_part(s, None)?);
    }
    let mut messages = Vec::with_capacity(given.len());
    for (i, m) in given.iter().enumerate() {
        let content = m
            .get("content")
            .filter(|c| c.is_string() || c.is_array())
            .ok_or_else(|| {
                bad_message(
                    i,
                    "content",
                    "is required: a string or an array of content blocks",
                )
            })?;
        match m.get("role").and_then(Value::as_str) {
            Some("system") => system.push(system_part(content, Some(i))?),
            Some(role @ ("user" | "assistant")) => {
                messages.push(json!({"role": role, "content": content}))
            }
            _ => {
                return Err(bad_message(
                    i,
                    "role",
                    "must be 'system', 'user' or 'assistant'",
                ))
            }
        }
    }
    if messages.is_empty() {
        return Err(bad_arg(
            "messages",
            "must contain at least one 'user' or 'assistant' message",
        ));
    }
    let model = model_or_default(args, ctx.config, &INFO)?;
    let mut body = Map::new();
    put_args(args, &CHAT_ARGS, "", &mut body, &mut Map::new())?;
    if !body.contains_key("max_tokens") {
        put(&mut body, "max_tokens", json!(DEFAULT_MAX_TOKENS));
    }
    put(&mut body, "model", json!(model));
    put(&mut body, "messages", Value::Array(messages));
    match system.as_slice() {
        [] => {}
        // One plain string stays a string, as most callers write it.
        [one @ Value::String(_)] => {
            put(&mut body, "system", one.clone());
        }
        // Several parts become text blocks, each kept as it was: nothing is joined or added.
        parts => {
            let mut blocks = Vec::with_capacity(parts.len());
            for v in parts {
                match v {
                    Value::String(s) => blocks.push(json!({"type": "text", "text": s})),
                    Value::Array(a) => blocks.extend_from_slice(a),
                    other => blocks.push(other.clone()),
                }
            }
            put(&mut body, "system", Value::Array(blocks));
        }
    }
    if stream {
        put(&mut body, "stream", json!(true));
    }
    let url = join_url(base_url(ctx.config, &INFO), "v1/messages");
    let mut req = auth_request(&CLAUDE, ctx, "POST", url, Some(&Value::Object(body)));
    req.stream = stream;
    Ok((req, model))
}

/// Chat arguments besides the messages: provider parameters as given, but for these.
static CHAT_ARGS: Args = Args {
    known: &[
        Arg("messages", Dest::Skip, "", Check::Any),
        Arg("model", Dest::Skip, "", Check::Any),
        Arg("system", Dest::Skip, "", Check::Any),
        Arg("stream", Dest::Skip, "", Check::Any),
        Arg("maxTokens", Dest::Body, "max_tokens", Check::Positive),
        Arg("max_tokens", Dest::Body, "max_tokens", Check::Positive),
        Arg("temperature", Dest::Body, "temperature", Check::Number),
        Arg("topP", Dest::Body, "top_p", Check::Number),
        Arg("top_p", Dest::Body, "top_p", Check::Number),
        Arg("topK", Dest::Body, "top_k", Check::Number),
        Arg("top_k", Dest::Body, "top_k", Check::Number),
        Arg("stop", Dest::Body, "stop_sequences", Check::Stop),
        Arg("stop_sequences", Dest::Body, "stop_sequences", Check::Stop),
    ],
    listed: &[],
    listed_into: Dest::Body,
    other: None,
};

/// A system text: a string, or text blocks.
fn system_part(v: &Value, at: Option<usize>) -> Result<Value, Fail> {
    match v {
        Value::String(_) => Ok(v.clone()),
        Value::Array(a) if a.iter().all(Value::is_object) => Ok(v.clone()),
        _ => Err(bad_content(
            at,
            "must be a string or an array of text blocks",
        )),
    }
}

#[derive(Default, Clone, Copy)]
struct UsageIn {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

/// A `usage` object `{input_tokens?, output_tokens?}` of a lazily read event, if present.
fn usage_in(o: &Obj<'_>, f: Fields) -> Result<Option<UsageIn>, Fail> {
    let Some(u) = f.raw_object(o, "usage")? else {
        return Ok(None);
    };
    Ok(Some(UsageIn {
        input_tokens: f.raw_count(&u, "input_tokens")?,
        output_tokens: f.raw_count(&u, "output_tokens")?,
    }))
}

/// A `message` body to docs/api.md's chat result. The text joins every text block, in order.
fn parse_chat(reply: &Reply, client_request_id: &str) -> Result<Parsed, Fail> {
    // `{id, model, content: [{type, text}], stop_reason, usage: {input_tokens, output_tokens}}`
    const F: Fields = Fields {
        what: "the response is not a Messages reply",
    };
    let m = read::body(&reply.body, F.what)?;
    let mut text = String::new();
    for b in F.array(&m, "content")? {
        let kind = F.opt_string(b, "type")?;
        if let (Some("text"), Some(t)) = (kind, F.opt_string(b, "text")?) {
            text.push_str(t);
        }
    }
    let finish = F.opt_string(&m, "stop_reason")?;
    if finish == Some("refusal") && text.is_empty() {
        return Err(fail(
            ErrorType::ContentFilter,
            "the model declined to answer (stop_reason `refusal`)",
        ));
    }
    let usage = match F.optional(&m, "usage")? {
        Some(u) => usage_from(
            F.opt_count(u, "input_tokens")?,
            F.opt_count(u, "output_tokens")?,
        ),
        None => usage_from(None, None),
    };
    let reply_says = ChatReply {
        text: &text,
        model: F.opt_string(&m, "model")?,
        finish_reason: finish,
        usage,
        id: F.opt_string(&m, "id")?,
    };
    Ok(chat_result(INFO.name, reply, client_request_id, reply_says))
}

/// The type an Anthropic `error.type` settles; `None` leaves it to the status (the generic
/// `invalid_request_error` and `api_error` cover several statuses).
fn error_kind(kind: &str, message: &str) -> Option<ErrorType> {
    Some(match kind {
        "invalid_request_error" if prompt_too_long(message) => ErrorType::ContextLengthExceeded,
        "authentication_error" => ErrorType::AuthenticationError,
        "permission_error" => ErrorType::PermissionDenied,
        "not_found_error" => ErrorType::NotFound,
        "rate_limit_error" => ErrorType::RateLimitExceeded,
        "overloaded_error" => ErrorType::Overloaded,
        "timeout_error" => ErrorType::Timeout,
        "billing_error" => ErrorType::QuotaExceeded,
        "request_too_large" => ErrorType::InvalidRequest,
        _ => return None,
    })
}

/// The API's wording for an input over the context window ("prompt is too long: N tokens >
/// M maximum"); not in docs/providers.md, so matched narrowly. `trim`, not `trim_start`: the
/// same test for a prefix that ends in a letter, and the wasm then has one trimming function.
fn prompt_too_long(message: &str) -> bool {
    message
        .trim()
        .to_ascii_lowercase()
        .starts_with("prompt is too long")
}

/// `{"type":"error","error":{"type","message"}}`: the Anthropic type and message.
fn error_fields(body: &[u8]) -> Option<(String, String)> {
    let v: Value = crate::json::from_slice(body).ok()?;
    let e = v.get("error")?;
    let kind = e.get("type")?.as_str()?.to_string();
    let message = e
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Some((kind, message))
}

/// The [`ErrorReader`](super::ErrorReader) for Anthropic bodies.
pub fn errors(_status: u16, body: &[u8]) -> ErrorBody {
    let mut out = parse_error_body(body);
    if let Some((kind, message)) = error_fields(body) {
        out.kind = error_kind(&kind, &message);
    }
    out
}
