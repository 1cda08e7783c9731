//! What the Hugging Face servers, TGI and TEI, share: the origin they serve from, the
//! `{"error", "error_type"}` bodies as docs/api.md error types, and `/info` and `/health`.

use crate::classify::{parse_error_body, ErrorBody};
use crate::codec::{Parsed, Reply};
use crate::config::Config;
use crate::error::ErrorType;
use crate::host::{header, HttpRequest};
use crate::json::{json, Value};
use crate::providers::shared::replies::model_list;
use crate::providers::{base_url, bearer_request, join_url, trim_end_slashes, ProviderInfo};
use crate::providers::{decode_fail, fail, Fail};
use crate::text::contains;

/// The server origin. A base URL ending in `/v1` (the OpenAI-style habit) is taken as its origin.
pub fn origin<'a>(config: &'a Config, info: &'static ProviderInfo) -> &'a str {
    let base = trim_end_slashes(base_url(config, info));
    base.strip_suffix("/v1").unwrap_or(base)
}

/// A request to `path` on the server origin, with a bearer only when a key is configured
/// (servers started with `--api-key`; TEI compares it byte for byte).
pub fn hf_request(
    config: &Config,
    info: &'static ProviderInfo,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> HttpRequest {
    bearer_request(config, method, join_url(origin(config, info), path), body)
}

/// A token count the server reports in a header (`x-prompt-tokens`, `x-compute-tokens`, ...).
pub fn header_count(headers: &[(String, String)], name: &str) -> Option<u64> {
    header(headers, name).and_then(|v| v.trim().parse().ok())
}

/// The prompt does not fit: TGI/TEI validation messages "`inputs` must have less than N
/// tokens" and "`inputs` tokens + `max_new_tokens` must be <= N".
fn too_long(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    (contains(&m, "must have less than") && contains(&m, "tokens"))
        || contains(&m, "tokens + `max_new_tokens` must be")
        || contains(&m, "tokens + max_new_tokens must be")
}

/// The type an HF `error_type` settles (compared case-insensitively: TEI writes `Overloaded`,
/// its OpenAPI examples `overloaded`).
fn hf_kind(body: &ErrorBody) -> Option<ErrorType> {
    let message = body.message.as_deref().unwrap_or("").to_ascii_lowercase();
    body.codes.iter().find_map(|code| {
        let kind = match code.to_ascii_lowercase().as_str() {
            "overloaded" | "unhealthy" | "healthcheck" => ErrorType::Overloaded,
            "validation"
            | "tokenizer"
            | "empty"
            | "template_error"
            | "missing_template_variable"
            | "tool_error" => {
                if too_long(&message) {
                    ErrorType::ContextLengthExceeded
                } else {
                    ErrorType::InvalidRequest
                }
            }
            // A wrong route for the served model (`/rerank` on an embedder) never clears.
            "backend" if contains(&message, "model is not a") => ErrorType::InvalidRequest,
            "backend"
            | "generation"
            | "incomplete_generation"
            | "incomplete_generation_stream"
            | "stream_serialization_error" => ErrorType::ServerError,
            _ => return None,
        };
        Some(kind)
    })
}

/// The [`ErrorReader`](crate::providers::ErrorReader) of TGI and TEI: `{"error", "error_type"}`
/// (and TEI's OpenAI-route `{"message", "type"}`). A 424 is a backend failure, retried as a
/// server error.
pub fn hf_errors(status: u16, body: &[u8]) -> ErrorBody {
    let mut out = parse_error_body(body);
    out.kind = hf_kind(&out).or((status == 424).then_some(ErrorType::ServerError));
    out
}

/// An error event inside a 200 stream: its own type when recognisable, else `stream_interrupted`.
pub fn hf_stream_error(data: &[u8]) -> Fail {
    let body = parse_error_body(data);
    let kind = hf_kind(&body).unwrap_or(ErrorType::StreamInterrupted);
    let message = body
        .message
        .unwrap_or_else(|| "the server reported an error in the stream".into());
    fail(kind, message)
}

/// `GET /info` (TGI and TEI) to `[{ id: model_id, ...info }]`.
pub fn parse_info(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    let what = "the response is not server info";
    // Read as a value (the one reader instance every reply uses), then as an object, with the
    // reader's own wording for another value: the whole text was read.
    let info = match crate::json::from_slice::<Value>(&reply.body) {
        Ok(Value::Object(info)) => info,
        Ok(_) => {
            let at = reply.body.len();
            return Err(decode_fail(what, format!("not an object at byte {at}")));
        }
        Err(e) => return Err(decode_fail(what, e)),
    };
    model_list(&[Value::Object(info)], |info| {
        info.get("model_id")
            .and_then(Value::as_str)
            .map(Some)
            .ok_or_else(|| fail(ErrorType::DecodeError, "the server info has no `model_id`"))
    })
}

/// `GET /health` (TGI and TEI): the server's JSON when it sent some, else `{ status }`
/// (a healthy server answers 200 with an empty body; an unhealthy one is an error).
pub fn parse_health(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    let json = match crate::json::from_slice::<Value>(&reply.body) {
        Ok(v) if v.is_object() => v.to_json(),
        _ => json!({"status": reply.status}).to_json(),
    };
    Ok(Parsed {
        json,
        ..Parsed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body that is JSON but not an object reads as the object reader words it.
    #[test]
    fn info_that_is_not_an_object() {
        for body in ["[1, 2]", " \"x\" \n", "null"] {
            let reply = Reply {
                status: 200,
                headers: vec![],
                body: body.as_bytes().to_vec(),
            };
            let e = parse_info(&reply, "c").err().map(|e| e.message);
            let want = crate::json::from_slice::<crate::json::Map>(body.as_bytes())
                .err()
                .map(|e| decode_fail("the response is not server info", e).message);
            assert_eq!(e, want);
            assert!(
                e.is_some_and(|m| m.ends_with(&format!("not an object at byte {}", body.len())))
            );
        }
    }

    #[test]
    fn too_long_messages() {
        assert!(too_long("Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`"));
        assert!(too_long(
            "Input validation error: `inputs` must have less than 512 tokens. Given: 600"
        ));
        assert!(!too_long(
            "Input validation error: `temperature` must be strictly positive"
        ));
    }
}
