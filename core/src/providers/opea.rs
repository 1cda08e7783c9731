//! OPEA (docs/providers.md): the GenAIComps microservices, which speak the OpenAI wire
//! format for chat and embeddings (`/v1/chat/completions`, `/v1/embeddings`) and their own for
//! reranking (`/v1/reranking`), and the ChatQnA gateway (`/v1/chatqna`), whose stream sends each
//! token as a Python bytes literal (`data: b'Hello'`). OPEA documents no models route, so
//! `listModels` is not available.
//!
//! The base URL is the origin; a seed `opea_endpoint` that already ends in `/v1` is taken as it
//! is rather than doubled. OPEA itself has no auth; a key the caller configured still goes
//! along as a bearer (a gateway may check it).

mod chatqna;

pub use chatqna::{decode_bytes_repr, ChatQnaEvents, ChatQnaStreamCodec};

use super::openai::{
    chat_request, embed_request, models_request, parse_chat, parse_embed, ChatStreamCodec,
    OpenAiCompat,
};
use super::shared::read::{self, Fields};
use super::shared::replies::parse_models;
use super::shared::rerank::{ranked_json, rerank_args, RerankArgs};
use super::{
    base_url, bearer_request, join_url, named, trim_end_slashes, Built, Ctx, ModelRequest,
    Provider, ProviderInfo, Streamed, Unary,
};
use crate::classify::{first_chars, parse_error_body, ErrorBody};
use crate::codec::{Parsed, Reply, StreamCodec};
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::HttpRequest;
use crate::json::put;
use crate::json::{json, Map, Value};
use crate::providers::ops::{CHAT, CHATQNA, EMBED, LIST_MODELS, RERANK};
use crate::providers::unary_number;
use crate::providers::{
    bad_arg, fail, object_of, parser, parser_with, unboxed, unsupported_op, Call, Fail,
};

pub struct Opea;

pub static OPEA: Opea = Opea;

static INFO: ProviderInfo = ProviderInfo {
    name: "opea",
    default_base_url: "http://localhost:8888",
    default_model: "Intel/neural-chat-7b-v3-3",
    key_env: &[],
    requires_key: false,
};

static COMPAT: OpenAiCompat = OpenAiCompat {
    info: &INFO,
    max_tokens_key: "max_tokens",
    // The microservice re-serializes its backend's chunks; a usage chunk is not promised.
    stream_usage: false,
    // ChatQnA's default embedding model (EMBEDDING_MODEL_ID); a TEI backend ignores the name.
    embed_model: Some("BAAI/bge-base-en-v1.5"),
};

impl Provider for Opea {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed((|| -> Result<Unary, Fail> {
            let config = ctx.config;
            let v1 = &v1_base(config);
            let built: Built = match unary_number(op) {
                CHAT => named(
                    chat_request(&COMPAT, config, v1, args, false)?,
                    parser(parse_opea_chat),
                ),
                CHATQNA => named(
                    chatqna_request(config, v1, args, false)?,
                    parser(parse_opea_chat),
                ),
                EMBED => named(
                    embed_request(&COMPAT, config, v1, args)?,
                    parser(|r, id| parse_embed(INFO.name, r, id)),
                ),
                RERANK => {
                    let (r, texts, top_n) = rerank_request(config, v1, args)?;
                    let call = Call {
                        texts,
                        top: top_n,
                        ..Call::default()
                    };
                    let parse = |r: &_, _: &_, c: &Call| parse_rerank(r, &c.texts, c.top);
                    (r, None, parser_with(parse, call))
                }
                // The OpenAI-compatible LLM microservices (vLLM, TGI behind OPEA) list their
                // models at /v1/models; docs/providers.md names no other models route.
                LIST_MODELS => (models_request(config, v1), None, parser(parse_models)),
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Unary::new(built, opea_errors))
        })())
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        unboxed((|| -> Result<Streamed, Fail> {
            let config = ctx.config;
            let v1 = &v1_base(config);
            let (built, codec): (_, Box<dyn StreamCodec>) = match op {
                "chatStream" => (
                    chat_request(&COMPAT, config, v1, args, true)?,
                    Box::new(ChatStreamCodec::new()),
                ),
                "chatqnaStream" => (
                    chatqna_request(config, v1, args, true)?,
                    Box::new(ChatQnaStreamCodec::new()),
                ),
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Streamed::new(built, codec, opea_errors))
        })())
    }
}

fn parse_opea_chat(reply: &Reply, client_request_id: &str) -> Result<Parsed, Fail> {
    parse_chat(INFO.name, reply, client_request_id)
}

/// The base URL at `/v1`, for the shared OpenAI-style builders.
fn v1_base(config: &Config) -> String {
    let base = trim_end_slashes(base_url(config, &INFO));
    if base.ends_with("/v1") {
        base.to_string()
    } else {
        format!("{base}/v1")
    }
}

/// `chatqna({ messages, stream? })`: the chat body (messages checked and parameters mapped by
/// the shared builder) posted to `/v1/chatqna`. The gateway streams unless told otherwise, so
/// `stream` is always sent; `messages` may also be one string, as the gateway allows; `model`
/// goes only when the caller chose one (the gateway answers as `chatqna`).
fn chatqna_request(
    config: &Config,
    v1: &str,
    args: &Value,
    stream: bool,
) -> Result<ModelRequest, Fail> {
    let what = if stream { "chatqnaStream" } else { "chatqna" };
    let mut a = args.as_object().cloned().ok_or_else(|| {
        bad_arg(
            &format!("{what}(request)"),
            "must be an object with `messages`",
        )
    })?;
    match a.remove("stream") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(s)) if s == stream => {}
        Some(_) if stream => return Err(bad_arg("stream", "must be true or left out")),
        Some(_) => {
            return Err(bad_arg(
                "stream",
                "must be false or left out; chatqnaStream streams",
            ))
        }
    }
    let prompt = match a.get("messages") {
        Some(Value::String(s)) if s.is_empty() => {
            return Err(bad_arg("messages", "must not be empty"))
        }
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    if let Some(p) = &prompt {
        if a.contains_key("system") {
            return Err(bad_arg("system", "needs `messages` as an array"));
        }
        put(&mut a, "messages", json!([{"role": "user", "content": p}]));
    }
    let chosen_model = a.contains_key("model") || config.model.is_some();
    put(&mut a, "stream", json!(stream));
    let (mut req, model) = chat_request(&COMPAT, config, v1, &Value::Object(a), false)?;
    let mut body = match req.body.as_deref().map(crate::json::from_slice::<Value>) {
        Some(Ok(Value::Object(body))) => body,
        _ => Map::new(),
    };
    if let Some(p) = prompt {
        put(&mut body, "messages", json!(p));
    }
    let model = if chosen_model {
        model
    } else {
        body.remove("model");
        "chatqna".to_string()
    };
    req.body = Some(Value::Object(body).to_json().into_bytes());
    req.url = join_url(v1, "chatqna");
    req.stream = stream;
    Ok((req, model))
}

/// `rerank({ query, texts, topN? })` as a `/v1/reranking` body. The documents go as
/// `{ text }` objects: the TEI integration reads `doc.text`, which a bare string lacks. `top_n`
/// is always sent (the service keeps one document by default). The service picks its model, so
/// a `model` argument is accepted and not sent.
fn rerank_request(
    config: &Config,
    v1: &str,
    args: &Value,
) -> Result<(HttpRequest, Vec<String>, Option<usize>), Fail> {
    let RerankArgs {
        query,
        texts,
        top_n,
        ..
    } = rerank_args(args)?;
    let mut docs = Vec::with_capacity(texts.len());
    let mut strings = Vec::with_capacity(texts.len());
    for t in texts.iter().filter_map(Value::as_str) {
        docs.push(json!({ "text": t }));
        strings.push(t.to_string());
    }
    let texts = strings;
    // The documents are moved in (`json!` would copy the list).
    let mut body = object_of("retrieved_docs", Value::Array(docs));
    if let Value::Object(b) = &mut body {
        put(b, "input", json!(query));
        put(b, "top_n", json!(top_n.unwrap_or(texts.len())));
    }
    let url = join_url(v1, "reranking");
    let req = bearer_request(config, "POST", url, Some(&body));
    Ok((req, texts, top_n))
}

/// `{reranked_docs: [{text, score}]}` names documents by text, not index: each is matched to
/// the first text sent with that content that is not taken yet (duplicates stay distinct).
fn parse_rerank(reply: &Reply, texts: &[String], top_n: Option<usize>) -> Result<Parsed, Fail> {
    const F: Fields = Fields {
        what: "the response is not a reranking result",
    };
    let v = read::body(&reply.body, F.what)?;
    let docs = F.array(&v, "reranked_docs")?;
    let mut taken = vec![false; texts.len()];
    let mut ranked = Vec::with_capacity(docs.len());
    for doc in docs {
        let text = F.string(doc, "text")?;
        let score = F.opt_number(doc, "score")?;
        let index = texts
            .iter()
            .zip(&taken)
            .position(|(t, used)| !used && t == text)
            .ok_or_else(|| {
                fail(
                    ErrorType::DecodeError,
                    "a reranked document is not one of the texts sent",
                )
            })?;
        if let Some(used) = taken.get_mut(index) {
            *used = true;
        }
        ranked.push((index, score.unwrap_or(0.0), None));
    }
    Ok(ranked_json(ranked, top_n, true))
}

/// FastAPI errors: `{"detail": "..."}` or, for validation, `{"detail": [{loc, msg, type}]}`;
/// also the protocol's `ErrorResponse {object: "error", message, code}` with OPEA's numeric
/// codes, and plain-text 500s.
pub fn opea_errors(_status: u16, body: &[u8]) -> ErrorBody {
    let Ok(v) = crate::json::from_slice::<Value>(body) else {
        return parse_error_body(body);
    };
    let message = match v.get("detail") {
        Some(Value::String(s)) => Some(first_chars(s, 1000).to_string()),
        Some(Value::Array(items)) => {
            // `loc.a.b: msg` per item (the first five), joined with `; `.
            let mut text = String::new();
            for (i, d) in items.iter().take(5).enumerate() {
                if i > 0 {
                    text.push_str("; ");
                }
                let loc = d
                    .get("loc")
                    .and_then(Value::as_array)
                    .map_or(&[][..], |l| l);
                for (j, p) in loc.iter().enumerate() {
                    if j > 0 {
                        text.push('.');
                    }
                    match p.as_str() {
                        Some(s) => text.push_str(s),
                        None => text.push_str(&p.to_json()),
                    }
                }
                text.push_str(": ");
                text.push_str(d.get("msg").and_then(Value::as_str).unwrap_or("invalid"));
            }
            Some(text)
        }
        _ => None,
    };
    let mut out = parse_error_body(body);
    if message.is_some() {
        out.message = message;
    }
    if v.get("object").and_then(Value::as_str) == Some("error") {
        out.kind = v.get("code").and_then(Value::as_u64).and_then(code_kind);
    }
    out
}

/// OPEA's `ApiErrorCode` values (`api_protocol.py`).
fn code_kind(code: u64) -> Option<ErrorType> {
    Some(match code {
        40001 | 40302 => ErrorType::InvalidRequest,
        40101 | 40102 => ErrorType::AuthenticationError,
        40103 => ErrorType::PermissionDenied,
        40301 => ErrorType::NotFound,
        40303 => ErrorType::ContextLengthExceeded,
        42901 => ErrorType::RateLimitExceeded,
        42902 => ErrorType::QuotaExceeded,
        42903 => ErrorType::Overloaded,
        50001..=50099 => ErrorType::ServerError,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gets_v1_once() {
        for (base, want) in [
            (None, "http://localhost:8888/v1"),
            (Some("http://h:8000/v1"), "http://h:8000/v1"),
            (Some("http://h:8000/v1/"), "http://h:8000/v1"),
            (Some("http://h:9000/"), "http://h:9000/v1"),
        ] {
            let c = Config {
                base_url: base.map(str::to_string),
                ..Config::default()
            };
            assert_eq!(v1_base(&c), want);
        }
    }
}
