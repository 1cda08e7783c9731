//! docs/api.md's error table, in one place: status, headers and body in, a typed error out.

use crate::backoff::{header_hint, parse_proto_duration, should_retry_header};
use crate::error::{ApiError, ErrorType};
use crate::host::{header, TransportError, TransportErrorKind};
use crate::json::Value;
use crate::time::Secs;

/// What a provider's error body says, extracted by the provider codec or [`parse_error_body`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorBody {
    pub message: Option<String>,
    /// Machine-readable codes found in the body (`error.type`, `error.code`, `status`, ...).
    pub codes: Vec<String>,
    /// A retry hint carried in the body (Gemini `RetryInfo.retryDelay`).
    pub hint: Option<Secs>,
    /// The type, when the provider's own codes settle it (S3 `SlowDown`, Gemini per-day
    /// quota); otherwise the codes and the status decide.
    pub kind: Option<ErrorType>,
}

/// Reads the common error body shapes: `{"error":{message,type,code,status,details}}`,
/// `{"error":"..."}`, `{"message":..., "error_type":...}`, `{"type":"error","error":{...}}`.
pub fn parse_error_body(body: &[u8]) -> ErrorBody {
    let Ok(v) = crate::json::from_slice::<Value>(body) else {
        let text = crate::text::lossy(body);
        let text = text.trim();
        return ErrorBody {
            message: (!text.is_empty()).then(|| truncate(text, 300)),
            ..ErrorBody::default()
        };
    };
    let mut out = ErrorBody::default();
    let err = v.get("error").unwrap_or(&v);
    if let Some(s) = err.as_str() {
        out.message = Some(truncate(s, 1000));
    }
    if let Some(m) = err.get("message").and_then(Value::as_str) {
        out.message = Some(truncate(m, 1000));
    }
    for source in [err, &v] {
        for key in ["type", "code", "status", "error_type"] {
            match source.get(key) {
                Some(Value::String(s)) if s != "error" => out.codes.push(s.clone()),
                _ => {}
            }
        }
    }
    if let Some(details) = err.get("details").and_then(Value::as_array) {
        for d in details {
            if let Some(delay) = d.get("retryDelay").and_then(Value::as_str) {
                out.hint = parse_proto_duration(delay);
            }
            if let Some(reason) = d.get("reason").and_then(Value::as_str) {
                out.codes.push(reason.to_string());
            }
        }
    }
    out
}

/// `s` cut to its first `max` characters, `...` marking a cut.
pub fn truncate(s: &str, max: usize) -> String {
    let head = first_chars(s, max);
    match head.len() < s.len() {
        true => format!("{head}..."),
        false => s.to_string(),
    }
}

/// The first `max` characters of `s` (all of it when shorter).
pub fn first_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// Codes in error bodies that name a type more specific than the status gives.
const CODES: [(&str, ErrorType); 24] = [
    ("insufficient_quota", ErrorType::QuotaExceeded),
    ("quota_exceeded", ErrorType::QuotaExceeded),
    ("billing_hard_limit_reached", ErrorType::QuotaExceeded),
    ("context_length_exceeded", ErrorType::ContextLengthExceeded),
    ("string_above_max_length", ErrorType::ContextLengthExceeded),
    ("content_filter", ErrorType::ContentFilter),
    ("content_policy_violation", ErrorType::ContentFilter),
    ("safety", ErrorType::ContentFilter),
    ("rate_limit_exceeded", ErrorType::RateLimitExceeded),
    ("rate_limit_error", ErrorType::RateLimitExceeded),
    ("tokens", ErrorType::RateLimitExceeded),
    ("requests", ErrorType::RateLimitExceeded),
    ("overloaded_error", ErrorType::Overloaded),
    ("overloaded", ErrorType::Overloaded),
    ("server_is_overloaded", ErrorType::Overloaded),
    ("slow_down", ErrorType::Overloaded),
    ("model_not_found", ErrorType::NotFound),
    ("not_found_error", ErrorType::NotFound),
    ("invalid_api_key", ErrorType::AuthenticationError),
    ("authentication_error", ErrorType::AuthenticationError),
    ("unauthenticated", ErrorType::AuthenticationError),
    ("permission_error", ErrorType::PermissionDenied),
    ("permission_denied", ErrorType::PermissionDenied),
    ("timeout_error", ErrorType::Timeout),
];

/// A code in the body decides the type when it is more specific than the status (the first
/// code that names one, any case). A table and a loop: a `match` on strings compiles to code
/// per string.
fn type_from_codes(codes: &[String]) -> Option<ErrorType> {
    for c in codes {
        for (name, t) in CODES {
            if c.eq_ignore_ascii_case(name) {
                return Some(t);
            }
        }
    }
    None
}

fn type_from_status(status: u16, has_hint: bool) -> ErrorType {
    match status {
        401 => ErrorType::AuthenticationError,
        403 => ErrorType::PermissionDenied,
        404 => ErrorType::NotFound,
        408 => ErrorType::Timeout,
        // A conflict with a hint is a "try again shortly" from the server.
        409 if has_hint => ErrorType::RateLimitExceeded,
        429 => ErrorType::RateLimitExceeded,
        503 | 529 => ErrorType::Overloaded,
        500..=599 => ErrorType::ServerError,
        400..=499 => ErrorType::InvalidRequest,
        _ => ErrorType::ServerError,
    }
}

/// How OpenAI-compatible servers and proxies word a prompt longer than the model allows,
/// when their codes say only "invalid request": LiteLLM (`litellm.ContextWindowExceededError`),
/// vLLM and OpenAI ("maximum context length"), Anthropic ("prompt is too long"), llama.cpp
/// ("exceeds the available context size").
const CONTEXT_LENGTH_WORDING: [&str; 7] = [
    "contextwindowexceeded",
    "context_length_exceeded",
    "maximum context length",
    "context window",
    "prompt is too long",
    "exceeds the available context size",
    "input is too long",
];

/// Whether an invalid request's message says the prompt was longer than the model allows.
fn too_long(message: Option<&str>) -> bool {
    message.is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        CONTEXT_LENGTH_WORDING
            .iter()
            .any(|w| crate::text::contains(&m, w))
    })
}

/// Request-id headers, in the order providers use them.
pub fn request_id_header(headers: &[(String, String)]) -> Option<String> {
    request_id_of(headers).map(str::to_string)
}

/// [`request_id_header`], borrowed (a result that copies it into its text needs no copy of
/// its own).
pub fn request_id_of(headers: &[(String, String)]) -> Option<&str> {
    [
        "x-request-id",
        "request-id",
        "x-amz-request-id",
        "x-goog-request-id",
    ]
    .iter()
    .find_map(|n| header(headers, n))
}

/// Classifies a non-2xx HTTP response. `max_retry_after`: a hint longer than this fails fast
/// as `quota_exceeded`.
pub fn classify_http(
    status: u16,
    headers: &[(String, String)],
    body: &ErrorBody,
    unix_now: f64,
    max_retry_after: Secs,
) -> ApiError {
    let hint = header_hint(headers, unix_now).or(body.hint);
    let mut kind = body
        .kind
        .or_else(|| type_from_codes(&body.codes))
        .unwrap_or_else(|| type_from_status(status, hint.is_some()));
    // A generic rate-limit code on a 5xx is an overload; a provider's own reading (S3's
    // `SlowDown` on a 503) stands as it is.
    if body.kind.is_none() && kind == ErrorType::RateLimitExceeded && status >= 500 {
        kind = type_from_status(status, true);
    }
    if kind == ErrorType::InvalidRequest && body.kind.is_none() && too_long(body.message.as_deref())
    {
        kind = ErrorType::ContextLengthExceeded;
    }
    let mut should_retry = should_retry_header(headers).unwrap_or(kind.retryable());
    if let Some(h) = hint {
        if should_retry && h > max_retry_after {
            kind = ErrorType::QuotaExceeded;
            should_retry = false;
        }
    }
    let message = body
        .message
        .clone()
        .unwrap_or_else(|| format!("HTTP {status}"));
    ApiError {
        should_retry,
        retry_delay: hint.map(Secs::as_f64),
        status: Some(status),
        request_id: request_id_header(headers),
        ..ApiError::new(kind, message)
    }
}

/// An error the server sent inside a 200 stream (an `error` event, an `{"error"}` line): its
/// own type when its codes name one, else `stream_interrupted`.
pub fn classify_stream_error(body: &[u8]) -> ApiError {
    let parsed = parse_error_body(body);
    // TGI's chat-route error events carry the HTTP status they stand for.
    let status = crate::json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error")?.get("http_status_code")?.as_u64())
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (400..600).contains(s));
    let mut kind = type_from_codes(&parsed.codes)
        .or_else(|| status.map(|s| type_from_status(s, parsed.hint.is_some())))
        .unwrap_or(ErrorType::StreamInterrupted);
    if matches!(
        kind,
        ErrorType::InvalidRequest | ErrorType::StreamInterrupted
    ) && too_long(parsed.message.as_deref())
    {
        kind = ErrorType::ContextLengthExceeded;
    }
    stream_error(kind, parsed)
}

/// A stream error of type `kind` with the body's message and retry hint.
pub fn stream_error(kind: ErrorType, body: ErrorBody) -> ApiError {
    let message = body
        .message
        .unwrap_or_else(|| "the server reported an error in the stream".into());
    ApiError {
        retry_delay: body.hint.map(Secs::as_f64),
        ..ApiError::new(kind, message)
    }
}

pub fn classify_transport(err: &TransportError) -> ApiError {
    match err.kind {
        // A reply over the size cap does not parse as a reply: not retried.
        TransportErrorKind::TooLarge => ApiError::new(ErrorType::DecodeError, err.message.clone()),
        _ => ApiError::new(ErrorType::ConnectionError, err.message.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_chars_cuts_as_take_does() {
        for s in ["", "abc", "héllo wörld", "ééé", "a\u{1F600}b"] {
            for n in 0..6 {
                let taken: String = s.chars().take(n).collect();
                assert_eq!(first_chars(s, n), taken, "{s} {n}");
            }
        }
    }

    fn classify(status: u16, headers: &[(&str, &str)], body: &str) -> ApiError {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        classify_http(
            status,
            &headers,
            &parse_error_body(body.as_bytes()),
            0.0,
            Secs::new(60.0),
        )
    }

    #[test]
    fn context_length_from_proxies_messages() {
        let litellm = r#"{"error":{"message":"litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: OpenAIException - This model's maximum context length is 8192 tokens","type":"invalid_request_error","param":null,"code":"400"}}"#;
        assert_eq!(
            classify(400, &[], litellm).kind,
            ErrorType::ContextLengthExceeded
        );
        let vllm = r#"{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","code":400}"#;
        assert_eq!(
            classify(400, &[], vllm).kind,
            ErrorType::ContextLengthExceeded
        );
        let claude = r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#;
        assert_eq!(
            classify(400, &[], claude).kind,
            ErrorType::ContextLengthExceeded
        );
        // Other invalid requests stay what they are, and other types are never refined.
        let other = r#"{"error":{"message":"temperature must be <= 2","type":"invalid_request_error","code":"400"}}"#;
        assert_eq!(classify(400, &[], other).kind, ErrorType::InvalidRequest);
        let busy =
            r#"{"error":{"message":"maximum context length queue busy","type":"server_error"}}"#;
        assert_eq!(classify(503, &[], busy).kind, ErrorType::Overloaded);
        let streamed = br#"{"error":{"message":"litellm.ContextWindowExceededError: too long","type":"invalid_request_error","code":"400"}}"#;
        assert_eq!(
            classify_stream_error(streamed).kind,
            ErrorType::ContextLengthExceeded
        );
    }

    #[test]
    fn status_table() {
        let table = [
            (400, ErrorType::InvalidRequest, false),
            (401, ErrorType::AuthenticationError, false),
            (403, ErrorType::PermissionDenied, false),
            (404, ErrorType::NotFound, false),
            (408, ErrorType::Timeout, true),
            (409, ErrorType::InvalidRequest, false),
            (413, ErrorType::InvalidRequest, false),
            (422, ErrorType::InvalidRequest, false),
            (429, ErrorType::RateLimitExceeded, true),
            (500, ErrorType::ServerError, true),
            (502, ErrorType::ServerError, true),
            (503, ErrorType::Overloaded, true),
            (504, ErrorType::ServerError, true),
            (529, ErrorType::Overloaded, true),
        ];
        for (status, kind, retry) in table {
            let e = classify(status, &[], "");
            assert_eq!((e.kind, e.should_retry), (kind, retry), "status {status}");
            assert_eq!(e.status, Some(status));
        }
    }

    #[test]
    fn openai_codes() {
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let e = classify(429, &[], quota);
        assert_eq!(e.kind, ErrorType::QuotaExceeded);
        assert!(!e.should_retry);
        assert_eq!(e.message, "You exceeded your current quota");
        let ctx = r#"{"error":{"message":"too long","type":"invalid_request_error","code":"context_length_exceeded"}}"#;
        assert_eq!(
            classify(400, &[], ctx).kind,
            ErrorType::ContextLengthExceeded
        );
        let cf =
            r#"{"error":{"message":"no","type":"invalid_request_error","code":"content_filter"}}"#;
        assert_eq!(classify(400, &[], cf).kind, ErrorType::ContentFilter);
        let rl = r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
        let e = classify(429, &[("retry-after", "2"), ("x-request-id", "req_1")], rl);
        assert_eq!(
            (e.kind, e.retry_delay),
            (ErrorType::RateLimitExceeded, Some(2.0))
        );
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
    }

    #[test]
    fn long_hint_is_quota_and_409_with_hint_retries() {
        let e = classify(429, &[("retry-after", "3600")], "");
        assert_eq!((e.kind, e.should_retry), (ErrorType::QuotaExceeded, false));
        assert_eq!(e.retry_delay, Some(3600.0));
        let e = classify(409, &[("retry-after", "1")], "");
        assert_eq!(
            (e.kind, e.should_retry),
            (ErrorType::RateLimitExceeded, true)
        );
    }

    #[test]
    fn x_should_retry_overrides() {
        assert!(!classify(500, &[("x-should-retry", "false")], "").should_retry);
        assert!(classify(400, &[("x-should-retry", "true")], "").should_retry);
    }

    #[test]
    fn gemini_retry_info_in_body() {
        let body = r#"{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"26s"}]}}"#;
        let e = classify(429, &[], body);
        assert_eq!(
            (e.kind, e.retry_delay),
            (ErrorType::RateLimitExceeded, Some(26.0))
        );
    }

    #[test]
    fn stream_errors_use_their_codes_or_status() {
        let tgi = br#"{"error":{"message":"Input validation error","http_status_code":422}}"#;
        assert_eq!(classify_stream_error(tgi).kind, ErrorType::InvalidRequest);
        let coded = br#"{"error":{"message":"busy","code":"server_is_overloaded"}}"#;
        assert_eq!(classify_stream_error(coded).kind, ErrorType::Overloaded);
        let bare = br#"{"error":{"message":"?"}}"#;
        assert_eq!(
            classify_stream_error(bare).kind,
            ErrorType::StreamInterrupted
        );
    }

    #[test]
    fn garbage_bodies_never_panic() {
        for body in ["", "{", "null", "[1,2]", "\u{0}\u{ffff}", r#"{"error":5}"#] {
            let e = classify(500, &[], body);
            assert_eq!(e.kind, ErrorType::ServerError);
        }
    }
}
