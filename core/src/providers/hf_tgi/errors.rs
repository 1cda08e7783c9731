//! The `{"error", "error_type"}` bodies of TGI and TEI, as API.md error types.

use crate::classify::{parse_error_body, ErrorBody};
use crate::error::{ApiError, ErrorType};

/// The prompt does not fit: TGI/TEI validation messages "`inputs` must have less than N
/// tokens" and "`inputs` tokens + `max_new_tokens` must be <= N".
fn too_long(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    (m.contains("must have less than") && m.contains("tokens"))
        || m.contains("tokens + `max_new_tokens` must be")
        || m.contains("tokens + max_new_tokens must be")
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
            "backend" if message.contains("model is not a") => ErrorType::InvalidRequest,
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
pub fn hf_stream_error(data: &[u8]) -> ApiError {
    let body = parse_error_body(data);
    let kind = hf_kind(&body).unwrap_or(ErrorType::StreamInterrupted);
    let message = body
        .message
        .unwrap_or_else(|| "the server reported an error in the stream".into());
    ApiError::new(kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

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
