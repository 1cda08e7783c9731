//! The attempt loop: admission, breaker, one attempt under a timeout, classification, backoff.
//! Unary calls and streams share it; they differ only in what an attempt reads.

use super::admission::{Acquire, Permit, Progress, TicketGuard};
use super::race::{Raced, Stop};
use super::{too_large, Call, CancelToken, Deadline, Engine, Route};
use crate::breaker::Outcome;
use crate::classify::{classify_http, classify_transport, request_id_header};
use crate::codec::{ErrorReader, Parsed, Parser, Reply, StreamCodec};
use crate::error::{ApiError, ErrorType};
use crate::host::{header, Body, Clock, Headers, HttpRequest};
use crate::json::json;
use crate::queue::Priority;
use crate::time::{Instant, Secs};
use futures_util::future::LocalBoxFuture;
use std::cell::RefCell;

/// What an attempt does with a 2xx response.
pub(super) enum Mode<'a> {
    /// Read the whole body and parse it.
    Unary(&'a Parser),
    /// Read until the codec yields its first items; the rest is read by the caller.
    Stream(&'a RefCell<Box<dyn StreamCodec>>),
}

pub(super) struct Spec<'a> {
    pub request: &'a HttpRequest,
    pub model: Option<&'a str>,
    pub priority: Priority,
    pub timeout: Option<Secs>,
    pub deadline: Option<Deadline>,
    pub max_retries: Option<u32>,
    pub errors: ErrorReader,
    pub route: &'a Route,
    pub cancel: Option<&'a CancelToken>,
    pub mode: Mode<'a>,
}

impl<'a> Spec<'a> {
    /// `call`'s spec, its deadline not set yet (it counts from the call's start).
    pub fn of(call: &'a Call, mode: Mode<'a>) -> Spec<'a> {
        Spec {
            request: &call.request,
            model: call.model.as_deref(),
            priority: call.priority,
            timeout: call.timeout,
            deadline: None,
            max_retries: call.max_retries,
            errors: call.errors,
            route: &call.route,
            cancel: call.cancel.as_ref(),
            mode,
        }
    }

    /// The request for an attempt on an endpoint: its own when the route has one per endpoint,
    /// signed afresh when the route says so (only then is the wall clock read).
    fn request_for(&self, endpoint: usize, clock: &dyn Clock) -> HttpRequest {
        if let Some(resign) = self.route.resigners.get(endpoint) {
            return resign(clock.unix_now());
        }
        match self.route.requests.get(endpoint) {
            Some(r) => r.clone(),
            None => self.request.clone(),
        }
    }
}

/// A stream whose first items arrived: the rest of its body is still to be read.
pub(super) struct Opened {
    pub body: Box<dyn Body>,
    pub items: Vec<String>,
    /// The error that followed the first items in the same read.
    pub failure: Option<ApiError>,
    pub headers: Headers,
}

pub(super) enum Got {
    Unary(Parsed),
    Stream(Opened),
}

/// A successful attempt, still holding its permit and its breaker ticket.
pub(super) struct Admitted {
    pub got: Got,
    pub permit: Permit,
    pub ticket: TicketGuard,
}

impl Engine {
    /// The first permit: endpoint and breaker checks, then the queue. Kept apart from `run`
    /// (and small) because a queued call is only this future: everything else is allocated
    /// once the call is admitted.
    pub(super) async fn first_permit(
        &self,
        route: &Route,
        priority: Priority,
        id: &str,
        start: Instant,
    ) -> Result<Permit, ApiError> {
        let pinned = self.pinned(route)?;
        self.breaker_gate(pinned, self.inner.host.clock.now())?;
        let permit = self.acquire(priority, false, id).await?;
        self.record_wait(start, self.inner.host.clock.now());
        Ok(permit)
    }

    /// Waits for a permit (`retry`: a call that waited its turn already); `queue_full` when
    /// the queue refuses it.
    fn acquire<'a>(&'a self, priority: Priority, retry: bool, id: &'a str) -> Acquire<'a> {
        Acquire::new(self, priority, retry, id)
    }

    /// The attempt loop, from the first permit on. Boxed once here: unary calls and streams
    /// both await it, and each caller inlined its own copy of the loop's state machine.
    pub(super) fn run<'a>(
        &'a self,
        spec: &'a Spec<'a>,
        id: &'a str,
        first: Permit,
        progress: &'a Progress,
    ) -> LocalBoxFuture<'a, Result<Admitted, ApiError>> {
        Box::pin(self.attempts(spec, id, first, progress))
    }

    async fn attempts(
        &self,
        spec: &Spec<'_>,
        id: &str,
        first: Permit,
        progress: &Progress,
    ) -> Result<Admitted, ApiError> {
        let inner = &self.inner;
        let clock = &inner.host.clock;
        let pinned = self.pinned(spec.route)?;
        let mut first = Some(first);
        let mut last_error: Option<ApiError> = None;
        // The body's token estimate is read only once some budget counts tokens (a token
        // `rateLimit`, or a token budget a server reported): parsing every body for it cost
        // each call a second JSON parse for nothing.
        let mut estimate: Option<u64> = None;
        loop {
            let permit = match first.take() {
                Some(p) => p,
                None => self.acquire(spec.priority, true, id).await?,
            };
            while let Some(wait) = self.held() {
                clock.sleep(wait).await;
            }
            let tokens = if self.counts_tokens() {
                *estimate.get_or_insert_with(|| {
                    spec.request
                        .body
                        .as_deref()
                        .map_or(0, crate::pacing::estimate_tokens)
                })
            } else {
                0
            };
            let mut counted = false;
            // The budgets, the breaker and the pacing windows look at one moment: the clock
            // is read once for the step that starts the attempt (again after a hold).
            let now = loop {
                let now = clock.now();
                let hold = self.pace_hold(pinned, tokens, spec.deadline, id, now, &mut counted)?;
                let Some(hold) = hold else { break now };
                clock.sleep(hold).await;
                self.paced(now);
            };
            let ticket = match self.admit_attempt(pinned, tokens, now) {
                Ok(t) => t,
                Err(e) => return Err(last_error.unwrap_or(e)),
            };
            let endpoint = ticket.endpoint;
            let mark = self.start_paced(endpoint, tokens, progress.attempts.get() == 0, now);
            progress.mark.set(mark);
            progress.endpoint.set(Some(endpoint));
            progress.attempts.set(progress.attempts.get() + 1);
            let timeout = spec.timeout.unwrap_or(inner.config.timeout);
            let request = spec.request_for(endpoint, &**clock);
            // Boxed: the large attempt state exists only while an attempt runs, not while the
            // call waits in the queue.
            let attempt: LocalBoxFuture<'_, _> =
                Box::pin(self.attempt(spec, request, id, (endpoint, mark)));
            let outcome = match Stop::new(None, &**clock, Some(timeout)).race(attempt).await {
                Raced::Done(r) => r,
                _ => Err(timed_out(timeout)),
            };
            let err = match outcome {
                Ok(got) => {
                    return Ok(Admitted {
                        got,
                        permit,
                        ticket,
                    })
                }
                Err(e) => e,
            };
            drop(permit);
            let (delay, err) = self.after_failure(spec, pinned, ticket, err, progress, id)?;
            last_error = Some(err);
            clock.sleep(delay).await;
        }
    }

    /// An attempt failed with `err`: its ticket settled, then either the wait before the next
    /// attempt (with `err`, the call's last error so far) or the error the call fails with.
    /// Plain code, out of the attempt loop's state machine.
    fn after_failure(
        &self,
        spec: &Spec<'_>,
        pinned: Option<usize>,
        ticket: TicketGuard,
        err: ApiError,
        progress: &Progress,
        id: &str,
    ) -> Result<(Secs, ApiError), ApiError> {
        let inner = &self.inner;
        // One step: the breaker, the cooldowns and the retry's timing all read this moment.
        let now = inner.host.clock.now();
        let endpoint = ticket.endpoint;
        let counted = if err.kind.counts_for_breaker() {
            Outcome::Failure(err.kind)
        } else {
            Outcome::Neutral
        };
        self.settle(ticket, counted, now);
        self.share_cooldown(endpoint, &err, now);
        let retries_done = progress.attempts.get() - 1;
        // A refused or exhausted key on one endpoint: try another one at once.
        let failover = self.penalize(endpoint, &err, now)
            && pinned.is_none()
            && inner.state.borrow().endpoints.any_usable(None, now);
        if (!err.should_retry && !failover)
            || retries_done >= spec.max_retries.unwrap_or(inner.config.max_retries)
        {
            return Err(err);
        }
        let delay = match (failover, err.retry_delay) {
            (true, _) => Secs::ZERO,
            (false, Some(hint)) => Secs::new(hint),
            (false, None) => self
                .backoff()
                .delay(retries_done + 1, inner.host.entropy.unit()),
        };
        // No backoff may end past the call's deadline.
        if let Some(d) = spec.deadline {
            if now + delay > d.at {
                return Err(d.exceeded(Some(&err)));
            }
        }
        // Waiting is pointless when the circuit will still refuse us afterwards.
        if !inner
            .state
            .borrow()
            .endpoints
            .any_usable(pinned, now + delay)
        {
            return Err(err);
        }
        // The retry budget keeps an outage from multiplying the load.
        if !self.retry_allowed(&err, progress.attempts.get(), id, now) {
            return Err(err);
        }
        inner.state.borrow_mut().stats.record_retry(delay);
        self.emit(
            "retry",
            || {
                json!({
                    "attempt": progress.attempts.get(), "delay": delay.as_f64(),
                    "type": err.kind.as_str(), "status": err.status,
                })
            },
            id,
        );
        Ok((delay, err))
    }

    async fn attempt(
        &self,
        spec: &Spec<'_>,
        request: HttpRequest,
        id: &str,
        (endpoint, mark): (usize, crate::pacing::Mark),
    ) -> Result<Got, ApiError> {
        let mut resp = self
            .inner
            .host
            .transport
            .send(request)
            .await
            .map_err(|e| classify_transport(&e))?;
        self.observe_limits(endpoint, mark, &resp.headers);
        let ok = (200..300).contains(&resp.status);
        if let (true, Mode::Stream(codec)) = (ok, &spec.mode) {
            // Read until the codec yields items: until then, a failure is retried like any
            // other attempt's. Items decoded in the same read as an error reach the caller
            // first; the error follows them (and, data having reached the caller, is not
            // retried). In this state machine, not one of its own.
            codec.borrow_mut().reset();
            codec.borrow_mut().head(resp.status, &resp.headers)?;
            loop {
                let chunk = resp
                    .body
                    .next_chunk()
                    .await
                    .map_err(|e| classify_transport(&e))?;
                let fed = match chunk {
                    Some(bytes) => codec.borrow_mut().feed(&bytes),
                    None => {
                        let fed = codec.borrow_mut().finish();
                        if fed.items.is_empty() && fed.error.is_none() {
                            return Err(ApiError::new(
                                ErrorType::DecodeError,
                                "the stream ended before any data",
                            ));
                        }
                        fed
                    }
                };
                match (fed.items.is_empty(), fed.error) {
                    (true, Some(e)) => return Err(e),
                    (true, None) => {}
                    (false, failure) => {
                        return Ok(Got::Stream(Opened {
                            body: resp.body,
                            items: fed.items,
                            failure,
                            headers: resp.headers,
                        }))
                    }
                }
            }
        }
        // The cap holds while reading: a declared length over it is refused unread, and a
        // body without one is counted as it arrives.
        let cap = self.inner.config.max_response_bytes as usize;
        // Read as u64 (the rate-limit counts' parser): a usize parse was code of its own.
        let declared =
            header(&resp.headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > cap as u64) {
            return Err(too_large(cap));
        }
        let body = resp
            .body
            .read_all(cap)
            .await
            .map_err(|e| classify_transport(&e))?;
        if body.len() > cap {
            return Err(too_large(cap));
        }
        let reply = Reply {
            status: resp.status,
            headers: resp.headers,
            body,
        };
        if ok {
            if let Mode::Unary(parse) = spec.mode {
                return parse(&reply, id).map(Got::Unary).map_err(|mut e| {
                    e.status = Some(reply.status);
                    e.request_id = e.request_id.or_else(|| request_id_header(&reply.headers));
                    e
                });
            }
        }
        let now = self.inner.host.clock.unix_now();
        Err(classify_http(
            reply.status,
            &reply.headers,
            &(spec.errors)(reply.status, &reply.body),
            now,
            self.inner.config.max_retry_after,
        ))
    }
}

/// An attempt that outlived its timeout.
#[inline(never)]
fn timed_out(timeout: Secs) -> ApiError {
    ApiError::new(
        ErrorType::Timeout,
        format!("no response within the timeout of {timeout} s"),
    )
}
