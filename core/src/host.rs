//! What a host lends the engine: a way to send HTTP, a clock, and randomness.
//! Futures are `?Send`: wasm has one thread and so does the engine.

use crate::time::{Instant, Secs};
use std::future::Future;
use std::pin::Pin;

pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

pub type Headers = Vec<(String, String)>;

/// A response head as "status\0name\0value\0name\0value..." (header values hold no NUL): its
/// status (0 when not a number) and headers.
pub fn parse_head(head: &str) -> (u16, Headers) {
    let mut parts = head.split('\0');
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(0);
    let mut headers = Vec::new();
    while let (Some(k), Some(v)) = (parts.next(), parts.next()) {
        headers.push((k.to_string(), v.to_string()));
    }
    (status, headers)
}

/// Case-insensitive header lookup (HTTP field names are case-insensitive).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Headers from literal pairs, for the unit tests that read hints and rate limits.
#[cfg(test)]
pub(crate) fn headers_of(pairs: &[(&str, &str)]) -> Headers {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Headers,
    pub body: Option<Vec<u8>>,
    /// The caller reads the body chunk by chunk (a stream). When false the host may read the
    /// whole body before it returns the response, which is cheaper.
    pub stream: bool,
}

/// A response whose body arrives as a stream of chunks.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: Box<dyn Body>,
}

pub trait Body {
    /// The next chunk, `Ok(None)` at the end. Dropping the body cancels the rest.
    fn next_chunk(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, TransportError>>;

    /// The rest of the body at once, refused with [`TransportErrorKind::TooLarge`] as soon as
    /// it passes `limit` bytes (the rest is never read). Hosts override this when one read is
    /// cheaper than many.
    fn read_all(&mut self, limit: usize) -> LocalFuture<'_, Result<Vec<u8>, TransportError>> {
        Box::pin(async move {
            let mut all = Vec::new();
            while let Some(chunk) = self.next_chunk().await? {
                if all.len() + chunk.len() > limit {
                    return Err(TransportError::too_large(limit));
                }
                all.extend_from_slice(&chunk);
            }
            Ok(all)
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// Refused, reset, DNS, CORS, TLS: the request may not have reached the server.
    Connection,
    /// The body could not be read to the end.
    Body,
    /// The body is larger than the reader's limit; the rest was not read.
    TooLarge,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub message: String,
}

impl TransportError {
    pub fn too_large(limit: usize) -> TransportError {
        TransportError {
            kind: TransportErrorKind::TooLarge,
            message: format!(
                "the response body exceeds maxResponseBytes ({limit} bytes): refused unread"
            ),
        }
    }

    pub fn connection(message: impl Into<String>) -> TransportError {
        TransportError {
            kind: TransportErrorKind::Connection,
            message: message.into(),
        }
    }
}

pub trait Transport {
    /// Sends one request. Dropping the returned future (or the body) aborts it. The request is
    /// lent, not given: a retry sends it again, and a copy per attempt was ~8 allocations.
    fn send(
        &self,
        request: &HttpRequest,
    ) -> LocalFuture<'static, Result<HttpResponse, TransportError>>;
}

pub trait Clock {
    /// The monotonic clock, for every duration the engine measures.
    fn now(&self) -> Instant;
    /// Seconds since the Unix epoch (wall time, not comparable with `now`), only for
    /// HTTP-date retry hints and request signing.
    fn unix_now(&self) -> f64;
    /// Resolves after `secs`; dropping it cancels the timer.
    fn sleep(&self, secs: Secs) -> LocalFuture<'static, ()>;
}

pub trait Entropy {
    /// A uniform number in [0, 1).
    fn unit(&self) -> f64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_read_as_status_and_pairs() {
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            parse_head("200\0content-type\0text/plain\0x-a\0"),
            (
                200,
                vec![pair("content-type", "text/plain"), pair("x-a", "")]
            )
        );
        assert_eq!(parse_head("oops\0k"), (0, vec![]));
        assert_eq!(parse_head(""), (0, vec![]));
    }
}
