//! What the engine reads from a failed response: retry hints in headers and bodies
//! (`retry-after-ms`, `retry-after` as seconds or an HTTP date, `x-should-retry`, Gemini's
//! RetryInfo durations) and the classification of status + headers + body.

use super::input::{message, number};
use resilient_core::backoff::{header_hint, parse_proto_duration, should_retry_header};
use resilient_core::classify::{classify_http, classify_stream_error, parse_error_body};
use resilient_core::time::Secs;
use resilient_core::{ApiError, ErrorType};

/// Types that only the engine itself produces, never a server's answer.
const NOT_FROM_HTTP: [ErrorType; 6] = [
    ErrorType::ConnectionError,
    ErrorType::DecodeError,
    ErrorType::StreamInterrupted,
    ErrorType::CircuitOpen,
    ErrorType::QueueFull,
    ErrorType::Cancelled,
];

fn check_hint(h: Option<f64>, what: &str) {
    if let Some(h) = h {
        assert!(h.is_finite() && h >= 0.0, "{what} gave {h}");
    }
}

/// A classified HTTP error: a server's type, its status, a usable hint, and never a retry
/// promised after longer than `max_retry_after`.
pub fn check_http_error(e: &ApiError, status: u16, max_retry_after: f64) {
    assert!(
        !NOT_FROM_HTTP.contains(&e.kind),
        "HTTP {status} gave {:?}",
        e.kind
    );
    assert_eq!(e.status, Some(status));
    check_hint(e.retry_delay, "classification");
    if let Some(h) = e.retry_delay {
        assert!(
            !(e.should_retry && h > max_retry_after),
            "retries after {h}s"
        );
    }
}

/// Header lines and a body as the text form has them; the selector holds the status and the
/// caller's `maxRetryAfter`.
pub fn classify(data: &[u8]) {
    let m = message(data);
    let status = (number(&m.selector, 0) % 1000) as u16;
    let max = (number(&m.selector, 1) % 4000) as f64;
    let body = parse_error_body(m.body);
    check_hint(body.hint.map(Secs::as_f64), "the error body (typed)");
    let e = classify_http(status, &m.headers, &body, 1_735_689_600.0, Secs::new(max));
    check_http_error(&e, status, max);
    let forced = should_retry_header(&m.headers);
    let long_hint = e.retry_delay.is_some_and(|h| h > max);
    if forced.is_none() && !long_hint {
        assert_eq!(e.should_retry, e.kind.retryable(), "{:?}", e.kind);
    }
    let s = classify_stream_error(m.body);
    assert!(
        !matches!(s.kind, ErrorType::ConnectionError | ErrorType::CircuitOpen),
        "a stream error read as {:?}",
        s.kind
    );
    check_hint(s.retry_delay, "a stream error");
}

/// Header lines (the selector line holds the clock) and a protobuf duration as the body.
pub fn hints(data: &[u8]) {
    let m = message(data);
    let now = number(&m.selector, 0) as f64;
    check_hint(
        header_hint(&m.headers, now).map(Secs::as_f64),
        "the headers",
    );
    let _ = should_retry_header(&m.headers);
    let duration = String::from_utf8_lossy(m.body);
    check_hint(
        parse_proto_duration(&duration).map(Secs::as_f64),
        "a duration",
    );
}

/// Rate-limit headers (the selector line holds the clock) and a duration or RFC 3339 time as
/// the body: whatever they say, the budget they update gives finite waits, and nothing panics.
pub fn ratelimit(data: &[u8]) {
    use resilient_core::pacing::{
        estimate_tokens, parse_duration, parse_limits, parse_rfc3339, Budget,
    };
    use resilient_core::time::Instant;
    let m = message(data);
    let unix = number(&m.selector, 0) as f64;
    let limits = parse_limits(&m.headers, unix);
    for r in [limits.requests, limits.tokens].into_iter().flatten() {
        check_hint(r.reset.map(Secs::as_f64), "a rate-limit reset");
    }
    let text = String::from_utf8_lossy(m.body);
    check_hint(parse_duration(&text).map(Secs::as_f64), "a Go duration");
    if let Some(t) = parse_rfc3339(&text) {
        assert!(t.is_finite(), "an RFC 3339 time gave {t}");
    }
    let tokens = estimate_tokens(m.body);
    let mut b = Budget::default();
    let now = Instant::from_secs(number(&m.selector, 1) as f64);
    let mark = b.start(now, tokens);
    b.observe(now, &limits, mark, (number(&m.selector, 2) % 8) as u32);
    let wait = b.wait(now, tokens).as_f64();
    assert!(wait.is_finite() && wait >= 0.0, "a pacing wait of {wait}");
}
