//! A stream after its first items: it holds its concurrency permit and breaker ticket until it
//! ends, fails or is dropped, and settles its stats exactly once.

use super::admission::{Permit, TicketGuard};
use super::race::{Raced, Stop};
use super::{CancelToken, Deadline, Engine};
use crate::breaker::Outcome;
use crate::classify::classify_transport;
use crate::codec::{Fed, StreamCodec};
use crate::error::{ApiError, ErrorType};
use crate::host::{Body, LocalFuture, TransportError};
use crate::time::{Instant, Secs};
use std::collections::VecDeque;

/// A stream's read of its next chunk, raced against its cancel token and its timer.
pub(super) type Chunk<'a> =
    super::race::Race<'a, LocalFuture<'a, Result<Option<Vec<u8>>, TransportError>>>;

pub struct ActiveStream {
    pub(super) engine: Engine,
    pub(super) permit: Option<Permit>,
    pub(super) ticket: Option<TicketGuard>,
    pub(super) body: Box<dyn Body>,
    pub(super) codec: Box<dyn StreamCodec>,
    pub(super) pending: VecDeque<String>,
    /// An error decoded after the pending items: returned once they are delivered.
    pub(super) failure: Option<ApiError>,
    pub(super) id: String,
    pub(super) model: Option<String>,
    pub(super) start: Instant,
    pub(super) attempts: u32,
    pub(super) timeout: Secs,
    pub(super) deadline: Option<Deadline>,
    pub(super) cancel: Option<CancelToken>,
    pub(super) request_id: Option<String>,
    pub(super) settled: bool,
    pub(super) endpoint: Option<usize>,
}

impl ActiveStream {
    /// The next item, `None` after the last one (or after an error was returned). One await
    /// (the read of a chunk); what comes before and after it is plain code. (The wasm reads
    /// through [`super::SharedStream::next`], which has this loop in its own state machine.)
    pub async fn next(&mut self) -> Option<Result<String, ApiError>> {
        loop {
            if let Some(out) = self.ready() {
                return out;
            }
            let (chunk, deadline) = self.chunk();
            let raced = chunk.await;
            self.read(raced, deadline);
        }
    }

    /// The read of the next chunk: it must come within the timeout, and before the call's
    /// deadline (returned when that is the nearer). The body's own future is raced (no
    /// wrapping future of its own per read).
    pub(super) fn chunk(&mut self) -> (Chunk<'_>, Option<Deadline>) {
        let clock = &*self.engine.inner.host.clock;
        let (wait, deadline) = match self.deadline {
            Some(d) if d.at - clock.now() < self.timeout => (d.at - clock.now(), Some(d)),
            _ => (self.timeout, None),
        };
        let race = Stop::new(self.cancel.as_ref(), clock, Some(wait)).race(self.body.next_chunk());
        (race, deadline)
    }

    /// What [`Self::next`] answers without reading (`None`: it must read).
    pub(super) fn ready(&mut self) -> Option<Option<Result<String, ApiError>>> {
        // An aborted call ends at its next read, even with items still buffered: a stream
        // cut short must never look complete.
        if !self.settled && self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Some(Some(Err(self.finish_err(stopped()))));
        }
        if let Some(item) = self.pending.pop_front() {
            if self.pending.is_empty() && self.codec.done() && self.failure.is_none() {
                self.finish_ok();
            }
            return Some(Some(Ok(item)));
        }
        if let Some(e) = self.failure.take() {
            return Some(Some(Err(self.finish_err(e))));
        }
        if self.settled {
            return Some(None);
        }
        None
    }

    /// A read ended: its items (and the error after them) are pending.
    pub(super) fn read(
        &mut self,
        raced: Raced<Result<Option<Vec<u8>>, TransportError>>,
        deadline: Option<Deadline>,
    ) {
        let fed = match raced {
            Raced::Done(Ok(Some(bytes))) => self.codec.feed(&bytes),
            Raced::Done(Ok(None)) => {
                let mut fed = self.codec.finish();
                if fed.items.is_empty() && fed.error.is_none() && !self.codec.done() {
                    fed.error = Some(ApiError::new(
                        ErrorType::StreamInterrupted,
                        "the stream ended before its final event",
                    ));
                }
                fed
            }
            Raced::Done(Err(e)) => {
                let mut err = classify_transport(&e);
                err.kind = ErrorType::StreamInterrupted;
                Fed::failed(Vec::new(), err)
            }
            Raced::Late => Fed::failed(
                Vec::new(),
                match deadline {
                    Some(d) => d.exceeded(None),
                    None => ApiError::new(
                        ErrorType::StreamInterrupted,
                        format!("no stream data within the timeout of {} s", self.timeout),
                    ),
                },
            ),
            // [`Self::ready`] settles it.
            Raced::Cancelled => return,
        };
        self.pending.extend(fed.items);
        // Items decoded before the error go out first; the error follows them.
        self.failure = fed.error;
    }

    fn finish_ok(&mut self) {
        if self.settled {
            return;
        }
        self.settled = true;
        self.permit = None;
        let now = self.engine.inner.host.clock.now();
        if let Some(t) = self.ticket.take() {
            self.engine.settle(t, Outcome::Success, now);
        }
        let latency = now - self.start;
        let usage = self.codec.usage();
        let model = self.model.as_deref();
        let (endpoint, attempts) = (self.endpoint, self.attempts);
        self.engine
            .succeeded(model, latency, usage, endpoint, attempts, &self.id, true);
    }

    /// The bytes of the item just returned by [`Self::next`] (raw-bytes streams only).
    pub fn take_bytes(&mut self) -> Option<Vec<u8>> {
        self.codec.take_bytes()
    }

    /// Whether the stream has settled (ended, failed or been stopped).
    pub fn is_settled(&self) -> bool {
        self.settled
    }

    /// The consumer left the stream unread for `timeout`: the request is aborted and the
    /// slot given back. The consumer's slowness says nothing of the server, so the breaker
    /// does not count it. Returns the error for the consumer's next read.
    pub fn expire(&mut self) -> ApiError {
        let e = ApiError::new(
            ErrorType::Timeout,
            format!(
                "the stream was not read for {} s: aborted, its slot given back",
                self.timeout
            ),
        );
        self.finish_with(e, false)
    }

    /// Settles the stream as failed (or cancelled) and returns the error to give the caller.
    fn finish_err(&mut self, e: ApiError) -> ApiError {
        let counts = e.kind.counts_for_breaker();
        self.finish_with(e, counts)
    }

    fn finish_with(&mut self, mut e: ApiError, counts: bool) -> ApiError {
        // Data already reached the caller: never retried, and a frame that did not decode
        // interrupted a stream rather than spoiling a reply.
        e.should_retry = false;
        if e.kind == ErrorType::DecodeError {
            e.kind = ErrorType::StreamInterrupted;
        }
        e.partial_text = Some(self.codec.text().to_string());
        e.attempts = self.attempts;
        e.request_id = e.request_id.take().or_else(|| self.request_id.clone());
        if self.settled {
            return e;
        }
        self.settled = true;
        self.permit = None;
        self.body = Box::new(Ended);
        // Nothing is delivered after the error.
        self.pending.clear();
        let now = self.engine.inner.host.clock.now();
        if let Some(t) = self.ticket.take() {
            let outcome = if counts {
                Outcome::Failure(e.kind)
            } else {
                Outcome::Neutral
            };
            self.engine.settle(t, outcome, now);
        }
        let latency = now - self.start;
        self.engine
            .finish_failure(e, self.model.as_deref(), latency, &self.id, self.endpoint)
    }
}

impl Drop for ActiveStream {
    /// A stream dropped before its end (the caller broke out of the loop) is a cancel: the
    /// body is dropped, which aborts the request, and the permit goes back.
    fn drop(&mut self) {
        if !self.settled {
            let _ = self.finish_err(stopped());
        }
    }
}

/// The caller stopped the stream: aborted its signal, returned from it or dropped it.
fn stopped() -> ApiError {
    ApiError::new(ErrorType::Cancelled, "the caller stopped the stream")
}

/// A body with nothing left, standing in for one that was dropped.
struct Ended;

impl Body for Ended {
    fn next_chunk(
        &mut self,
    ) -> crate::host::LocalFuture<'_, Result<Option<Vec<u8>>, crate::host::TransportError>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    /// Nothing to read (the default would compile a read loop for this body alone).
    fn read_all(
        &mut self,
        _limit: usize,
    ) -> crate::host::LocalFuture<'_, Result<Vec<u8>, crate::host::TransportError>> {
        Box::pin(std::future::ready(Ok(Vec::new())))
    }
}
