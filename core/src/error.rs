//! The error vocabulary of docs/api.md: every failure is one of these types, carried as a value.

use std::fmt;

/// docs/api.md's error table, row for row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorType {
    RateLimitExceeded,
    QuotaExceeded,
    AuthenticationError,
    PermissionDenied,
    InvalidRequest,
    ContextLengthExceeded,
    ContentFilter,
    NotFound,
    Overloaded,
    ServerError,
    Timeout,
    ConnectionError,
    DecodeError,
    StreamInterrupted,
    CircuitOpen,
    QueueFull,
    Cancelled,
    /// The call's `deadline` passed (queue wait, attempts and backoffs together).
    DeadlineExceeded,
}

impl ErrorType {
    pub const ALL: [ErrorType; 18] = [
        ErrorType::RateLimitExceeded,
        ErrorType::QuotaExceeded,
        ErrorType::AuthenticationError,
        ErrorType::PermissionDenied,
        ErrorType::InvalidRequest,
        ErrorType::ContextLengthExceeded,
        ErrorType::ContentFilter,
        ErrorType::NotFound,
        ErrorType::Overloaded,
        ErrorType::ServerError,
        ErrorType::Timeout,
        ErrorType::ConnectionError,
        ErrorType::DecodeError,
        ErrorType::StreamInterrupted,
        ErrorType::CircuitOpen,
        ErrorType::QueueFull,
        ErrorType::Cancelled,
        ErrorType::DeadlineExceeded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::RateLimitExceeded => "rate_limit_exceeded",
            ErrorType::QuotaExceeded => "quota_exceeded",
            ErrorType::AuthenticationError => "authentication_error",
            ErrorType::PermissionDenied => "permission_denied",
            ErrorType::InvalidRequest => "invalid_request",
            ErrorType::ContextLengthExceeded => "context_length_exceeded",
            ErrorType::ContentFilter => "content_filter",
            ErrorType::NotFound => "not_found",
            ErrorType::Overloaded => "overloaded",
            ErrorType::ServerError => "server_error",
            ErrorType::Timeout => "timeout",
            ErrorType::ConnectionError => "connection_error",
            ErrorType::DecodeError => "decode_error",
            ErrorType::StreamInterrupted => "stream_interrupted",
            ErrorType::CircuitOpen => "circuit_open",
            ErrorType::QueueFull => "queue_full",
            ErrorType::Cancelled => "cancelled",
            ErrorType::DeadlineExceeded => "deadline_exceeded",
        }
    }

    // A plain loop: `find` over the copied types compiled a fold of its own.
    #[allow(clippy::manual_find)]
    pub fn parse(s: &str) -> Option<ErrorType> {
        for t in ErrorType::ALL {
            if t.as_str() == s {
                return Some(t);
            }
        }
        None
    }

    /// The "retried" column of docs/api.md.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorType::RateLimitExceeded
                | ErrorType::Overloaded
                | ErrorType::ServerError
                | ErrorType::Timeout
                | ErrorType::ConnectionError
        )
    }

    /// The "counts toward the breaker" column of docs/api.md.
    pub fn counts_for_breaker(self) -> bool {
        matches!(
            self,
            ErrorType::Overloaded
                | ErrorType::ServerError
                | ErrorType::Timeout
                | ErrorType::ConnectionError
                | ErrorType::DecodeError
                | ErrorType::StreamInterrupted
        )
    }

    /// Rejections never reached the transport: stats count them apart from failures.
    pub fn is_rejection(self) -> bool {
        matches!(self, ErrorType::CircuitOpen | ErrorType::QueueFull)
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classified failure, as the caller sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub kind: ErrorType,
    pub message: String,
    /// Whether this kind of failure is worth retrying (true also after retries ran out).
    pub should_retry: bool,
    /// Seconds the server asked us to wait, or the wait until the next breaker probe.
    pub retry_delay: Option<f64>,
    pub status: Option<u16>,
    pub provider: &'static str,
    pub request_id: Option<String>,
    pub attempts: u32,
    pub partial_text: Option<String>,
}

impl ApiError {
    pub fn new(kind: ErrorType, message: impl Into<String>) -> ApiError {
        Self::with(kind, message.into())
    }

    // One body for every message type: `new` is then only the conversion.
    #[inline(never)]
    fn with(kind: ErrorType, message: String) -> ApiError {
        ApiError {
            kind,
            message,
            should_retry: kind.retryable(),
            retry_delay: None,
            status: None,
            provider: "",
            request_id: None,
            attempts: 0,
            partial_text: None,
        }
    }

    /// The seed's documented `e.args[0]` payload.
    pub fn info(&self) -> crate::json::Value {
        crate::json::json!({
            "type": self.kind.as_str(),
            "should_retry": self.should_retry,
            "retry_delay": self.retry_delay,
            "status": self.status,
            "provider": self.provider,
            "request_id": self.request_id,
            "attempts": self.attempts,
            "message": self.message,
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ApiError {}
