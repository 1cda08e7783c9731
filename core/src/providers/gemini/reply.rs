//! Gemini replies: `GenerateContentResponse` (whole or as SSE chunks), embeddings, the model
//! list, and `google.rpc.Status` error bodies.

use super::INFO;
use crate::classify::{self, parse_error_body, ErrorBody};
use crate::codec::{Parsed, Reply};
use crate::error::ErrorType;
use crate::json::{self, Value};
use crate::providers::shared::read::{self, Fields};
use crate::providers::shared::replies::model_list;
use crate::providers::shared::replies::{chat_result, embeddings_result, ChatReply};
use crate::providers::shared::streaming::{drop_front, FrameHandler, FramedCodec, StreamProgress};
use crate::providers::{decode_fail, fail, Fail};
use crate::stats::Usage;
use crate::stream::{SseDecoder, SseEvent};
use crate::text::{contains, contains_ignore_ascii_case};

/// A `GenerateContentResponse`, read and checked field by field (every candidate and part,
/// as a derived reader of the whole shape did).
struct ResponseIn<'v> {
    candidates: usize,
    /// The first candidate's answer texts (thought parts left out) and finish reason.
    text: Vec<&'v str>,
    finish_reason: Option<&'v str>,
    /// `promptFeedback.blockReason` and `blockReasonMessage`.
    block: Option<(&'v str, Option<&'v str>)>,
    usage: Option<Usage>,
    model_version: Option<&'v str>,
    response_id: Option<&'v str>,
    error: bool,
}

impl<'v> ResponseIn<'v> {
    fn read(v: &'v Value, f: Fields) -> Result<ResponseIn<'v>, Fail> {
        let candidates = f.list_or_empty(v, "candidates")?;
        let mut text = Vec::new();
        let mut finish_reason = None;
        for (i, c) in candidates.iter().enumerate() {
            let parts = match f.optional(c, "content")? {
                Some(content) => f.list_or_empty(content, "parts")?,
                None => &[],
            };
            for p in parts {
                let t = f.opt_string(p, "text")?;
                // A thinking summary, not part of the answer.
                let thought = f.opt_bool(p, "thought")?;
                if let (0, Some(t), false) = (i, t, thought == Some(true)) {
                    text.push(t);
                }
            }
            let reason = f.opt_string(c, "finishReason")?;
            if i == 0 {
                finish_reason = reason;
            }
        }
        let block = match f.optional(v, "promptFeedback")? {
            Some(fb) => {
                let reason = f.opt_string(fb, "blockReason")?;
                let message = f.opt_string(fb, "blockReasonMessage")?;
                reason.map(|r| (r, message))
            }
            None => None,
        };
        let usage = match f.optional(v, "usageMetadata")? {
            Some(u) => Some(usage_in(u, f)?),
            None => None,
        };
        Ok(ResponseIn {
            candidates: candidates.len(),
            text,
            finish_reason,
            block,
            usage,
            model_version: f.opt_string(v, "modelVersion")?,
            response_id: f.opt_string(v, "responseId")?,
            error: f.has(v, "error")?,
        })
    }

    /// A blocked prompt comes back as a 200 with `promptFeedback.blockReason`.
    fn blocked(&self) -> Option<Fail> {
        let (reason, m) = self.block?;
        let mut message = format!("the prompt was blocked (blockReason {reason})");
        if let Some(m) = m {
            message = format!("{message}: {m}");
        }
        Some(fail(ErrorType::ContentFilter, message))
    }
}

/// `usageMetadata`; thinking tokens are billed as output, so counted as completion (as
/// OpenAI's reasoning tokens are).
fn usage_in(u: &Value, f: Fields) -> Result<Usage, Fail> {
    let prompt = f.opt_count(u, "promptTokenCount")?.unwrap_or(0);
    let completion = f
        .opt_count(u, "candidatesTokenCount")?
        .unwrap_or(0)
        .saturating_add(f.opt_count(u, "thoughtsTokenCount")?.unwrap_or(0));
    let total = f.opt_count(u, "totalTokenCount")?;
    Ok(Usage {
        prompt,
        completion,
        total: total.unwrap_or(prompt.saturating_add(completion)),
    })
}

/// Finish reasons that mean a safety or policy block.
fn is_safety_stop(reason: &str) -> bool {
    matches!(
        reason,
        "SAFETY"
            | "BLOCKLIST"
            | "PROHIBITED_CONTENT"
            | "SPII"
            | "IMAGE_SAFETY"
            | "IMAGE_PROHIBITED_CONTENT"
    )
}

fn safety_stop(reason: &str) -> Fail {
    fail(
        ErrorType::ContentFilter,
        format!("the reply was withheld by the safety filter (finishReason {reason})"),
    )
}

/// A `GenerateContentResponse` to docs/api.md's chat result. `requested` is the model asked for,
/// reported when the body names none.
pub(super) fn parse_chat(
    reply: &Reply,
    client_request_id: &str,
    requested: &str,
) -> Result<Parsed, Fail> {
    const F: Fields = Fields {
        what: "the response is not a GenerateContentResponse",
    };
    let v = read::body(&reply.body, F.what)?;
    let r = ResponseIn::read(&v, F)?;
    if let Some(e) = r.blocked() {
        return Err(e);
    }
    if r.candidates == 0 {
        return Err(fail(
            ErrorType::DecodeError,
            "the response has no candidates",
        ));
    }
    let text = crate::text::join(&r.text, "");
    let finish = r.finish_reason;
    if let Some(reason) = finish.filter(|f| is_safety_stop(f) && text.is_empty()) {
        return Err(safety_stop(reason));
    }
    let reply_says = ChatReply {
        text: &text,
        model: Some(r.model_version.unwrap_or(requested)),
        finish_reason: finish,
        usage: r.usage.unwrap_or_default(),
        id: r.response_id,
    };
    Ok(chat_result(INFO.name, reply, client_request_id, reply_says))
}

/// `{values}` verbatim, or `None` for a null.
fn embedding_values<'b>(raw: &'b str, f: Fields) -> Result<Option<&'b str>, Fail> {
    if raw.starts_with("n") {
        return Ok(None);
    }
    let inner = f.event(raw.as_bytes())?;
    json::raw_field(&inner, "values")
        .map(Some)
        .ok_or_else(|| f.missing("values"))
}

/// `{embedding:{values}}` (one input) or `{embeddings:[{values}]}` (`count` inputs, in order)
/// to `{ embeddings, model, usage, request_id, provider }`; vectors spliced in verbatim.
pub(super) fn parse_embed(
    reply: &Reply,
    client_request_id: &str,
    model: &str,
    count: Option<usize>,
) -> Result<Parsed, Fail> {
    let what = "the response is not an embedding reply";
    let f = Fields { what };
    let bad = |e: json::Error| decode_fail(what, e);
    let fields = f.event(&reply.body)?;
    let values = |raw| embedding_values(raw, f);
    let one = json::raw_field(&fields, "embedding")
        .map(values)
        .transpose()?
        .flatten();
    let list = match json::raw_field(&fields, "embeddings").filter(|r| !r.starts_with("n")) {
        Some(raw) => {
            let mut list = Vec::new();
            for item in json::raw_items(raw.as_bytes()).map_err(bad)? {
                list.push(values(item)?.ok_or_else(|| f.wrong("embeddings", "holds a null"))?);
            }
            Some(list)
        }
        None => None,
    };
    let vectors: Vec<&str> = match (count, one, list) {
        (None, Some(one), _) => vec![one],
        (Some(n), _, Some(list)) if list.len() == n => list,
        (Some(n), _, Some(list)) => {
            return Err(fail(
                ErrorType::DecodeError,
                format!("asked for {n} embeddings, got {}", list.len()),
            ))
        }
        _ => {
            return Err(fail(
                ErrorType::DecodeError,
                "the response has no embeddings",
            ))
        }
    };
    let usage = match json::raw_field(&fields, "usageMetadata") {
        Some(raw) => {
            let u: Value = json::from_str(raw).map_err(bad)?;
            if u.is_null() {
                Usage::default()
            } else {
                usage_in(&u, f)?
            }
        }
        None => Usage::default(),
    };
    embeddings_result(
        INFO.name,
        reply,
        client_request_id,
        &vectors,
        Some(model),
        usage,
    )
}

/// `{models:[{name:"models/x", ...}]}` to `[{ id: "x", name, ... }]` (an empty list may omit
/// `models`).
pub(super) fn parse_models(reply: &Reply, _client_request_id: &str) -> Result<Parsed, Fail> {
    let v: Value = crate::json::from_slice(&reply.body)
        .map_err(|e| decode_fail("the response is not a model list", e))?;
    match v.get("models") {
        None if v.is_object() => model_list(&[], model_name),
        Some(Value::Array(a)) => model_list(a, model_name),
        _ => Err(not_models()),
    }
}

/// A model's id: its `name` without `models/`.
fn model_name(m: &Value) -> Result<Option<&str>, Fail> {
    let name = m
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(not_models)?;
    Ok(Some(name.strip_prefix("models/").unwrap_or(name)))
}

fn not_models() -> Fail {
    fail(
        ErrorType::DecodeError,
        "the model list is not `{models: [...]}`",
    )
}

/// The type a Gemini error settles beyond what the status says: a per-day quota or a 402 is
/// `quota_exceeded`, an invalid key `authentication_error`, an input over the model's limit
/// `context_length_exceeded`. Otherwise the status decides (`None`).
fn error_kind(status: u16, err: &Value) -> Option<ErrorType> {
    let details = err.get("details").and_then(Value::as_array);
    let details = details.map(Vec::as_slice).unwrap_or(&[]);
    let per_day = details.iter().any(|d| {
        d.get("violations")
            .and_then(Value::as_array)
            .is_some_and(|vs| {
                vs.iter().any(|v| {
                    v.get("quotaId")
                        .and_then(Value::as_str)
                        .is_some_and(|q| contains_ignore_ascii_case(q, "perday"))
                })
            })
    });
    let canonical = err.get("status").and_then(Value::as_str).unwrap_or("");
    let message = err.get("message").and_then(Value::as_str).unwrap_or("");
    let bad_key = details
        .iter()
        .any(|d| d.get("reason").and_then(Value::as_str) == Some("API_KEY_INVALID"))
        || message.starts_with("API key not valid");
    if per_day || (status == 402 && canonical == "RESOURCE_EXHAUSTED") {
        Some(ErrorType::QuotaExceeded)
    } else if bad_key {
        Some(ErrorType::AuthenticationError)
    } else if canonical == "INVALID_ARGUMENT"
        && contains(message, "exceeds the maximum number of tokens")
    {
        Some(ErrorType::ContextLengthExceeded)
    } else {
        None
    }
}

/// The [`ErrorReader`](crate::providers::ErrorReader) for `{"error":{code,message,status,details}}`.
/// The shared parse already reads `RetryInfo.retryDelay` into the hint.
pub fn errors(status: u16, body: &[u8]) -> ErrorBody {
    let mut out = parse_error_body(body);
    if let Ok(v) = crate::json::from_slice::<Value>(body) {
        if let Some(err) = v.get("error") {
            out.kind = error_kind(status, err);
        }
    }
    out
}

/// An `{"error":{...}}` inside a 200 stream: its type from `status`/`code`, else
/// `stream_interrupted`.
fn stream_error(text: &[u8]) -> Fail {
    // What `errors(0, text)` gives, with the body read as JSON once for both.
    let mut parsed = parse_error_body(text);
    let v = crate::json::from_slice::<Value>(text).ok();
    let err = v.as_ref().and_then(|v| v.get("error"));
    if let Some(e) = err {
        parsed.kind = error_kind(0, e);
    }
    let code = err
        .and_then(|e| e.get("code"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let canonical = err
        .and_then(|e| e.get("status"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = parsed.kind.unwrap_or(match (canonical, code) {
        ("INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE", _) => {
            ErrorType::InvalidRequest
        }
        ("UNAUTHENTICATED", _) | (_, 401) => ErrorType::AuthenticationError,
        ("PERMISSION_DENIED", _) | (_, 403) => ErrorType::PermissionDenied,
        ("NOT_FOUND", _) | (_, 404) => ErrorType::NotFound,
        ("RESOURCE_EXHAUSTED", _) | (_, 429) => ErrorType::RateLimitExceeded,
        ("UNAVAILABLE", _) | (_, 503) => ErrorType::Overloaded,
        ("INTERNAL" | "UNKNOWN" | "DATA_LOSS" | "DEADLINE_EXCEEDED", _) | (_, 500..=599) => {
            ErrorType::ServerError
        }
        (_, 400..=499) => ErrorType::InvalidRequest,
        _ => ErrorType::StreamInterrupted,
    });
    // The HTTP status was 200; `code` only informs the type.
    Box::new(classify::stream_error(kind, parsed))
}

/// Bytes kept to recognise an error body sent without SSE framing (pretty-printed JSON has no
/// blank lines, so it is what follows the last event separator).
const MAX_TAIL: usize = 1024 * 1024;

/// `alt=sse` chunks, each a `GenerateContentResponse` with incremental text. There is no end
/// sentinel: the server closes after the chunk carrying `finishReason`, so the end of the body
/// yields the final item once a finish reason was seen.
#[derive(Clone, Default)]
pub struct GeminiEvents {
    tail: Vec<u8>,
    tail_overflow: bool,
}

pub type GeminiStreamCodec = FramedCodec<SseDecoder, GeminiEvents>;

impl FrameHandler for GeminiEvents {
    /// Keeps what follows the last blank line (an event separator) of the bytes seen so far.
    fn bytes(&mut self, bytes: &[u8]) {
        if self.tail_overflow {
            return;
        }
        let from = self.tail.len().saturating_sub(3);
        self.tail.extend_from_slice(bytes);
        let cut = (from..self.tail.len()).rev().find(|&i| {
            let rest = self.tail.get(i..).unwrap_or(&[]);
            rest.starts_with(b"\n\n") || rest.starts_with(b"\r\r") || rest.starts_with(b"\n\r\n")
        });
        if let Some(i) = cut {
            drop_front(&mut self.tail, i);
        }
        if self.tail.len() > MAX_TAIL {
            self.tail = Vec::new();
            self.tail_overflow = true;
        }
    }

    fn frame(&mut self, ev: SseEvent, stream: &mut StreamProgress) -> Result<(), Fail> {
        if ev.event.as_deref() == Some("error") {
            return Err(stream_error(ev.data.as_bytes()));
        }
        const F: Fields = Fields {
            what: "a stream event is not a GenerateContentResponse",
        };
        let v = read::body(ev.data.as_bytes(), F.what)?;
        let chunk = ResponseIn::read(&v, F)?;
        if chunk.error {
            return Err(stream_error(ev.data.as_bytes()));
        }
        if let Some(e) = chunk.blocked() {
            return Err(e);
        }
        if let Some(u) = chunk.usage {
            stream.usage = Some(u);
        }
        for delta in &chunk.text {
            stream.delta(delta);
        }
        if let Some(reason) = chunk.finish_reason {
            if is_safety_stop(reason) && stream.text.is_empty() {
                return Err(safety_stop(reason));
            }
            stream.finish_reason = Some(reason.to_string());
        }
        Ok(())
    }

    fn end(&mut self, stream: &mut StreamProgress) -> Result<(), Fail> {
        stream.finish_if_reason();
        if stream.done {
            return Ok(());
        }
        // An error body written without `data:` framing, then the connection closed.
        let tail = crate::text::lossy(&self.tail);
        let tail = tail.trim();
        if tail.starts_with("{") {
            if let Ok(v) = crate::json::from_slice::<Value>(tail.as_bytes()) {
                if v.get("error").is_some() {
                    return Err(stream_error(tail.as_bytes()));
                }
            }
        }
        Ok(())
    }
}
