//! The attempt loop: admission, breaker, one attempt under a timeout, classification, backoff.
//! Unary calls and streams share it; they differ only in what an attempt reads.

use super::admission::{Acquire, Permit, Progress, TicketGuard};
use super::race::Within;
use super::{too_large, CancelToken, Deadline, Engine, Host, Route};
use crate::breaker::Outcome;
use crate::classify::{classify_http, request_id_header};
use crate::codec::{ErrorReader, Fed, Parsed, Parser, Reply, StreamCodec};
use crate::error::{ApiError, ErrorType};
use crate::host::{header, Body, Headers, HttpRequest, HttpResponse, LocalFuture, TransportError};
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
    /// Sends an attempt's request on an endpoint: its own when the route has one per
    /// endpoint, signed afresh when the route says so (only then is the wall clock read). The
    /// transport is lent the request, so a signed one goes as soon as it is sent.
    fn send(&self, endpoint: usize, host: &Host) -> Sending {
        let transport = &*host.transport;
        match self.route.resigners.get(endpoint) {
            Some(resign) => transport.send(&resign(host.clock.unix_now())),
            None => transport.send(self.route.requests.get(endpoint).unwrap_or(self.request)),
        }
    }
}

type Sending = LocalFuture<'static, Result<HttpResponse, TransportError>>;

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
    /// Waits for a permit: a call's `first` (its route and start: see [`Acquire`]; a queued
    /// call is only this small future, everything else is allocated once it is admitted), or
    /// a retry's; `queue_full` when the queue refuses it.
    pub(super) fn acquire<'a>(
        &'a self,
        priority: Priority,
        first: Option<(&'a Route, Instant)>,
        id: &'a str,
    ) -> Acquire<'a> {
        Acquire::new(self, priority, first, id)
    }

    /// The attempt loop, from the first permit on. Boxed: its state (an attempt's, its reply's
    /// reads) is allocated once the call holds its first permit, so a call waiting in the
    /// queue is only `call_with`'s small state.
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
        let mut permit = Some(first);
        // The wait before a retry's permit is asked for.
        let mut backoff: Option<Secs> = None;
        let mut last_error: Option<ApiError> = None;
        // The body's token estimate is read only once some budget counts tokens (a token
        // `rateLimit`, or a token budget a server reported): parsing every body for it cost
        // each call a second JSON parse for nothing.
        let mut estimate: Option<u64> = None;
        loop {
            // Everything before the attempt, with its waits at one await: a retry's backoff
            // and its permit, then a shared cooldown's hold, then (its tokens known) the
            // budgets' (see `pace_hold`).
            let mut tokens: Option<u64> = None;
            let mut counted = false;
            // The budgets, the breaker and the pacing windows look at one moment: the clock
            // is read once for the step that starts the attempt (again after a hold).
            let (tokens, now) = loop {
                let (wait, since) = match (backoff.take(), &permit, tokens) {
                    (Some(delay), _, _) => (delay, None),
                    (None, None, _) => {
                        permit = Some(self.acquire(spec.priority, None, id).await?);
                        continue;
                    }
                    (None, Some(_), None) => match self.held() {
                        Some(wait) => (wait, None),
                        None => {
                            tokens = Some(self.tokens(spec, &mut estimate));
                            continue;
                        }
                    },
                    (None, Some(_), Some(t)) => {
                        let now = clock.now();
                        match self.pace_hold(pinned, t, spec.deadline, id, now, &mut counted)? {
                            Some(hold) => (hold, Some(now)),
                            None => break (t, now),
                        }
                    }
                };
                clock.sleep(wait).await;
                if let Some(since) = since {
                    self.paced(since);
                }
            };
            // Always there: the loop above ends holding one.
            let Some(permit) = permit.take() else {
                continue;
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
            // The attempt, in this state machine (not one of its own): sending it and reading
            // its reply race one timer, set before it is sent. What it holds goes at the
            // block's end (a reply that came too late is aborted there).
            let outcome: Result<Got, ApiError> = 'attempt: {
                let mut timer = clock.sleep(timeout);
                let sent = Within::new(&mut timer, timeout, spec.send(endpoint, &inner.host));
                let mut resp = match sent.await {
                    Ok(r) => r,
                    Err(e) => break 'attempt Err(e),
                };
                let cap = inner.config.max_response_bytes as usize;
                match self.replied(spec, &resp, (endpoint, mark), cap) {
                    Ok(None) => {}
                    // Read until the codec yields items: until then, a failure is retried like
                    // any other attempt's.
                    Ok(Some(codec)) => loop {
                        let read = Within::new(&mut timer, timeout, resp.body.next_chunk());
                        let chunk = match read.await {
                            Ok(c) => c,
                            Err(e) => break 'attempt Err(e),
                        };
                        match first_items(codec, chunk) {
                            Ok(None) => {}
                            Ok(Some(fed)) => {
                                break 'attempt Ok(Got::Stream(Opened {
                                    body: resp.body,
                                    items: fed.items,
                                    failure: fed.error,
                                    headers: resp.headers,
                                }))
                            }
                            Err(e) => break 'attempt Err(e),
                        }
                    },
                    Err(e) => break 'attempt Err(e),
                }
                match Within::new(&mut timer, timeout, resp.body.read_all(cap)).await {
                    Ok(body) => self.read_reply(spec, resp.status, resp.headers, body, id, cap),
                    Err(e) => Err(e),
                }
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
            backoff = Some(delay);
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

    /// An attempt's token estimate: 0 unless some budget counts tokens, the body's estimate
    /// (read once per call) when one does.
    fn tokens(&self, spec: &Spec<'_>, estimate: &mut Option<u64>) -> u64 {
        if !self.counts_tokens() {
            return 0;
        }
        *estimate.get_or_insert_with(|| {
            spec.request
                .body
                .as_deref()
                .map_or(0, crate::pacing::estimate_tokens)
        })
    }

    /// A reply arrived: its rate-limit headers are read; a stream's codec sees its head (and
    /// is returned, to read the first items with); any other reply's declared length is
    /// checked against the cap (a length over it is refused unread).
    fn replied<'s>(
        &self,
        spec: &Spec<'s>,
        resp: &HttpResponse,
        (endpoint, mark): (usize, crate::pacing::Mark),
        cap: usize,
    ) -> Result<Option<&'s RefCell<Box<dyn StreamCodec>>>, ApiError> {
        self.observe_limits(endpoint, mark, &resp.headers);
        if let (true, Mode::Stream(codec)) = ((200..300).contains(&resp.status), &spec.mode) {
            codec.borrow_mut().reset();
            codec.borrow_mut().head(resp.status, &resp.headers)?;
            return Ok(Some(codec));
        }
        // Read as u64 (the rate-limit counts' parser): a usize parse was code of its own.
        let declared =
            header(&resp.headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > cap as u64) {
            return Err(too_large(cap));
        }
        Ok(None)
    }

    /// A whole reply was read (the cap held while reading, a body without a declared length
    /// counted as it arrived): a 2xx parses into the call's result, anything else is
    /// classified.
    fn read_reply(
        &self,
        spec: &Spec<'_>,
        status: u16,
        headers: Headers,
        body: Vec<u8>,
        id: &str,
        cap: usize,
    ) -> Result<Got, ApiError> {
        if body.len() > cap {
            return Err(too_large(cap));
        }
        let reply = Reply {
            status,
            headers,
            body,
        };
        if let (true, Mode::Unary(parse)) = ((200..300).contains(&status), &spec.mode) {
            return parse(&reply, id).map(Got::Unary).map_err(|mut e| {
                e.status = Some(reply.status);
                e.request_id = e.request_id.or_else(|| request_id_header(&reply.headers));
                e
            });
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

/// A stream's chunk (`None`: its end) before its first items: `Ok(None)` to read on, the first
/// items (and an error decoded after them in the same read, which reaches the caller after
/// them and, data having reached the caller, is not retried), or the attempt's error.
fn first_items(
    codec: &RefCell<Box<dyn StreamCodec>>,
    chunk: Option<Vec<u8>>,
) -> Result<Option<Fed>, ApiError> {
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
        (true, Some(e)) => Err(e),
        (true, None) => Ok(None),
        (false, error) => Ok(Some(Fed {
            items: fed.items,
            error,
        })),
    }
}
