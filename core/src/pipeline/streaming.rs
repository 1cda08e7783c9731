//! A stream after its first items: it holds its concurrency permit and breaker ticket until it
//! ends, fails or is dropped, and settles its stats exactly once.

use super::admission::{Permit, TicketGuard};
use super::{CancelToken, Engine};
use crate::breaker::Outcome;
use crate::classify::classify_transport;
use crate::error::{ApiError, ErrorType};
use crate::host::Body;
use crate::stats::{Final, Usage};
use futures_util::future::{select, Either};
use serde_json::json;
use std::collections::VecDeque;
use std::pin::pin;

/// A provider's stream framing and event mapping. Items are the JSON text of API.md's stream
/// items (`{ delta, text, done, finish_reason?, usage? }`).
pub trait StreamCodec {
    /// Forget everything: a new attempt starts.
    fn reset(&mut self);
    /// Items decoded from these bytes, or the error the server sent inside the stream.
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, ApiError>;
    /// The body ended: the items still buffered, or an error if the stream was cut short.
    fn finish(&mut self) -> Result<Vec<String>, ApiError>;
    /// The text delivered so far (an interrupted stream's `partialText`).
    fn text(&self) -> &str;
    fn usage(&self) -> Option<Usage>;
    /// The final item (`done: true`) has been produced.
    fn done(&self) -> bool;
}

pub struct ActiveStream {
    pub(super) engine: Engine,
    pub(super) permit: Option<Permit>,
    pub(super) ticket: Option<TicketGuard>,
    pub(super) body: Box<dyn Body>,
    pub(super) codec: Box<dyn StreamCodec>,
    pub(super) pending: VecDeque<String>,
    pub(super) id: String,
    pub(super) model: Option<String>,
    pub(super) start: f64,
    pub(super) attempts: u32,
    pub(super) timeout: f64,
    pub(super) cancel: Option<CancelToken>,
    pub(super) request_id: Option<String>,
    pub(super) settled: bool,
    pub(super) endpoint: Option<usize>,
}

enum Read {
    Chunk(Option<Vec<u8>>),
    Failed(ApiError),
    TimedOut,
    Cancelled,
}

impl ActiveStream {
    /// The next item, `None` after the last one (or after an error was returned).
    pub async fn next(&mut self) -> Option<Result<String, ApiError>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                if self.pending.is_empty() && self.codec.done() {
                    self.finish_ok();
                }
                return Some(Ok(item));
            }
            if self.settled {
                return None;
            }
            let items = match self.read().await {
                Read::Chunk(Some(bytes)) => self.codec.feed(&bytes),
                Read::Chunk(None) => match self.codec.finish() {
                    Ok(items) if items.is_empty() && !self.codec.done() => Err(ApiError::new(
                        ErrorType::StreamInterrupted,
                        "the stream ended before its final event",
                    )),
                    other => other,
                },
                Read::Failed(e) => Err(e),
                Read::TimedOut => Err(ApiError::new(
                    ErrorType::StreamInterrupted,
                    format!("no stream data within the timeout of {} s", self.timeout),
                )),
                Read::Cancelled => {
                    return Some(Err(self.finish_err(ApiError::new(
                        ErrorType::Cancelled,
                        "the caller stopped the stream",
                    ))))
                }
            };
            match items {
                Ok(items) => self.pending.extend(items),
                Err(e) => return Some(Err(self.finish_err(e))),
            }
        }
    }

    async fn read(&mut self) -> Read {
        let clock = self.engine.inner.host.clock.clone();
        let cancel = self.cancel.clone();
        let chunk = pin!(async {
            match self.body.next_chunk().await {
                Ok(c) => Read::Chunk(c),
                Err(e) => {
                    let mut err = classify_transport(&e);
                    err.kind = ErrorType::StreamInterrupted;
                    Read::Failed(err)
                }
            }
        });
        let timed = pin!(async {
            match select(chunk, clock.sleep(self.timeout)).await {
                Either::Left((r, _)) => r,
                Either::Right(_) => Read::TimedOut,
            }
        });
        match cancel {
            Some(token) => match select(pin!(token.wait()), timed).await {
                Either::Left(_) => Read::Cancelled,
                Either::Right((r, _)) => r,
            },
            None => timed.await,
        }
    }

    fn finish_ok(&mut self) {
        if self.settled {
            return;
        }
        self.settled = true;
        self.permit = None;
        if let Some(mut t) = self.ticket.take() {
            if let Some(ticket) = t.ticket.take() {
                self.engine.record(t.endpoint, ticket, Outcome::Success);
            }
        }
        let latency = self.engine.inner.host.clock.now() - self.start;
        self.engine.record_final(
            Final::Success,
            self.model.as_deref(),
            latency,
            self.codec.usage(),
            self.endpoint,
        );
        let attempts = self.attempts;
        self.engine.emit(
            "success",
            || json!({"attempts": attempts, "latency": latency, "stream": true}),
            &self.id,
        );
    }

    /// Settles the stream as failed (or cancelled) and returns the error to give the caller.
    fn finish_err(&mut self, mut e: ApiError) -> ApiError {
        // Data already reached the caller: never retried.
        e.should_retry = false;
        e.partial_text = Some(self.codec.text().to_string());
        e.attempts = self.attempts;
        e.request_id = e.request_id.take().or_else(|| self.request_id.clone());
        if self.settled {
            return e;
        }
        self.settled = true;
        self.permit = None;
        self.body = Box::new(Ended);
        if let Some(mut t) = self.ticket.take() {
            if let Some(ticket) = t.ticket.take() {
                let outcome = if e.kind.counts_for_breaker() {
                    Outcome::Failure(e.kind)
                } else {
                    Outcome::Neutral
                };
                self.engine.record(t.endpoint, ticket, outcome);
            }
        }
        let latency = self.engine.inner.host.clock.now() - self.start;
        self.engine
            .finish_failure(e, self.model.as_deref(), latency, &self.id, self.endpoint)
    }
}

impl Drop for ActiveStream {
    /// A stream dropped before its end (the caller broke out of the loop) is a cancel: the
    /// body is dropped, which aborts the request, and the permit goes back.
    fn drop(&mut self) {
        if !self.settled {
            let e = ApiError::new(ErrorType::Cancelled, "the caller stopped the stream");
            let _ = self.finish_err(e);
        }
    }
}

/// A body with nothing left, standing in for one that was dropped.
struct Ended;

impl Body for Ended {
    fn next_chunk(
        &mut self,
    ) -> crate::host::LocalFuture<'_, Result<Option<Vec<u8>>, crate::host::TransportError>> {
        Box::pin(async { Ok(None) })
    }
}
