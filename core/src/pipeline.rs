//! The one async function that composes admission, breaker, attempt, classification, backoff
//! and stats. It touches the world only through the host traits.

use crate::breaker::{Breaker, BreakerConfig, CircuitState, Outcome, Ticket};
use crate::classify::{classify_http, classify_transport, parse_error_body, request_id_header};
use crate::config::{Config, Priority};
use crate::error::{ApiError, ErrorType};
use crate::host::{header, Clock, Entropy, Headers, HttpRequest, Transport};
use crate::queue::{Admit, Queue};
use crate::secret::Secret;
use crate::stats::{BreakerSnapshot, Final, QueueSnapshot, Stats, Usage};
use futures_util::future::{select, Either};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A response body larger than this is refused as `decode_error` rather than buffered.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The host's three capabilities.
#[derive(Clone)]
pub struct Host {
    pub transport: Rc<dyn Transport>,
    pub clock: Rc<dyn Clock>,
    pub entropy: Rc<dyn Entropy>,
}

/// A complete response, handed to the codec's parser.
pub struct Reply {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// What a codec makes of a successful reply: the normalized result as JSON text (the raw
/// body is spliced in verbatim, never re-encoded), and the tokens it used.
#[derive(Debug)]
pub struct Parsed {
    pub json: String,
    pub usage: Option<Usage>,
}

/// Parses a 2xx reply; the second argument is the client's own request id, for results whose
/// server gave none.
pub type Parser = Box<dyn Fn(&Reply, &str) -> Result<Parsed, ApiError>>;

/// One logical call.
pub struct Call {
    pub request: HttpRequest,
    pub model: Option<String>,
    pub priority: Priority,
    /// Seconds per attempt; the client's `timeout` when `None`.
    pub timeout: Option<f64>,
    pub cancel: Option<CancelToken>,
    pub parse: Parser,
}

/// Cancels a call: a queued call leaves the queue unsent, a backoff wait ends, an attempt in
/// flight is aborted (its transport future is dropped).
#[derive(Clone, Default)]
pub struct CancelToken(Rc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    cancelled: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }
    pub fn cancel(&self) {
        self.0.cancelled.set(true);
        if let Some(w) = self.0.waker.borrow_mut().take() {
            w.wake();
        }
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.get()
    }
    fn wait(&self) -> CancelWait<'_> {
        CancelWait(self)
    }
}

struct CancelWait<'a>(&'a CancelToken);

impl Future for CancelWait<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.is_cancelled() {
            return Poll::Ready(());
        }
        *self.0 .0.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Receives `(event name, event object)`; see API.md `on(event, listener)`.
pub type Listener = Rc<dyn Fn(&'static str, Value)>;

struct State {
    queue: Queue<Waker>,
    breaker: Breaker,
    stats: Stats,
}

struct Inner {
    provider: &'static str,
    config: Config,
    host: Host,
    secrets: Vec<Secret>,
    state: RefCell<State>,
    listener: RefCell<Option<Listener>>,
    next_id: Cell<u64>,
    id_salt: String,
    created: f64,
}

/// The engine for one client. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Engine {
    inner: Rc<Inner>,
}

impl Engine {
    pub fn new(provider: &'static str, config: Config, host: Host) -> Engine {
        let breaker = Breaker::new(BreakerConfig {
            failure_threshold: config.failure_threshold,
            reset_timeout: config.reset_timeout,
            half_open_max_probes: config.half_open_max_probes,
        });
        let queue = Queue::new(
            config.max_concurrent_requests as usize,
            config.queue_size as usize,
        );
        let mut secrets: Vec<Secret> = [
            &config.api_key,
            &config.secret_access_key,
            &config.session_token,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        secrets.extend(config.endpoints.iter().filter_map(|e| e.api_key.clone()));
        // Ids must not collide across clients or page loads: a random salt plus a counter.
        let id_salt = format!("{:08x}", (host.entropy.unit() * f64::from(u32::MAX)) as u32);
        let created = host.clock.now();
        Engine {
            inner: Rc::new(Inner {
                provider,
                config,
                host,
                secrets,
                state: RefCell::new(State {
                    queue,
                    breaker,
                    stats: Stats::new(),
                }),
                listener: RefCell::new(None),
                next_id: Cell::new(0),
                id_salt,
                created,
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    pub fn provider(&self) -> &'static str {
        self.inner.provider
    }
    pub fn set_listener(&self, listener: Option<Listener>) {
        *self.inner.listener.borrow_mut() = listener;
    }

    /// Runs one call through the whole pipeline; settles exactly once with the result JSON.
    pub async fn execute(&self, call: Call) -> Result<String, ApiError> {
        let inner = &self.inner;
        let n = inner.next_id.get() + 1;
        inner.next_id.set(n);
        let client_id = format!("{}-{}-{n}", inner.provider, inner.id_salt);
        let start = inner.host.clock.now();
        self.emit(
            "request",
            || json!({"model": call.model, "priority": call.priority as u8}),
            &client_id,
        );
        let progress = Progress::default();
        let result = {
            let run = pin!(self.run(&call, &client_id, start, &progress));
            match &call.cancel {
                None => run.await,
                // The token is polled first, so an already-aborted call is never sent.
                Some(token) => match select(pin!(token.wait()), run).await {
                    Either::Right((r, _)) => r,
                    Either::Left(_) => Err(ApiError::new(
                        ErrorType::Cancelled,
                        "the caller aborted the request",
                    )),
                },
            }
        };
        let latency = inner.host.clock.now() - start;
        match result {
            Ok(parsed) => {
                inner.state.borrow_mut().stats.record_final(
                    Final::Success,
                    call.model.as_deref(),
                    latency,
                    parsed.usage,
                );
                self.emit(
                    "success",
                    || json!({"attempts": progress.attempts.get(), "latency": latency}),
                    &client_id,
                );
                Ok(parsed.json)
            }
            Err(mut e) => {
                e.provider = inner.provider;
                e.attempts = progress.attempts.get();
                if e.request_id.is_none() {
                    e.request_id = Some(client_id.clone());
                }
                e.message = self.scrub(&e.message);
                let fin = match e.kind {
                    ErrorType::Cancelled => Final::Cancelled,
                    k if k.is_rejection() => Final::Rejected(k),
                    k => Final::Failed(k),
                };
                inner.state.borrow_mut().stats.record_final(
                    fin,
                    call.model.as_deref(),
                    latency,
                    None,
                );
                self.emit(
                    "failure",
                    || {
                        json!({
                            "type": e.kind.as_str(), "status": e.status, "attempts": e.attempts,
                            "latency": latency, "message": e.message,
                        })
                    },
                    &client_id,
                );
                Err(e)
            }
        }
    }

    /// A call that fails before it can be sent (bad arguments, a missing key) still counts.
    pub fn fail_early(&self, mut err: ApiError, model: Option<&str>) -> ApiError {
        err.provider = self.inner.provider;
        err.message = self.scrub(&err.message);
        self.inner
            .state
            .borrow_mut()
            .stats
            .record_final(Final::Failed(err.kind), model, 0.0, None);
        err
    }

    async fn run(
        &self,
        call: &Call,
        id: &str,
        start: f64,
        progress: &Progress,
    ) -> Result<Parsed, ApiError> {
        let inner = &self.inner;
        let clock = &inner.host.clock;
        self.breaker_gate(clock.now())?;
        let mut last_error: Option<ApiError> = None;
        loop {
            let retrying = last_error.is_some();
            let permit = Acquire::new(self, call.priority, retrying, id)
                .await
                .map_err(|_| {
                    ApiError::new(
                        ErrorType::QueueFull,
                        format!(
                            "the request queue is full ({} waiting)",
                            inner.config.queue_size
                        ),
                    )
                })?;
            if !retrying {
                inner
                    .state
                    .borrow_mut()
                    .stats
                    .record_queue_wait(clock.now() - start);
            }
            let ticket = match self.admit_attempt() {
                Ok(t) => t,
                Err(e) => return Err(last_error.unwrap_or(e)),
            };
            progress.attempts.set(progress.attempts.get() + 1);
            let timeout = call.timeout.unwrap_or(inner.config.timeout);
            let attempt = pin!(self.attempt(call, id));
            let outcome = match select(attempt, clock.sleep(timeout)).await {
                Either::Left((r, _)) => r,
                Either::Right(_) => Err(ApiError::new(
                    ErrorType::Timeout,
                    format!("no complete response within the timeout of {timeout} s"),
                )),
            };
            drop(permit);
            let err = match outcome {
                Ok(parsed) => {
                    self.settle(ticket, Outcome::Success);
                    return Ok(parsed);
                }
                Err(e) => e,
            };
            let counted = if err.kind.counts_for_breaker() {
                Outcome::Failure(err.kind)
            } else {
                Outcome::Neutral
            };
            self.settle(ticket, counted);
            let retries_done = progress.attempts.get() - 1;
            if !err.should_retry || retries_done >= inner.config.max_retries {
                return Err(err);
            }
            let delay = match err.retry_delay {
                Some(hint) => hint,
                None => self
                    .backoff()
                    .delay(retries_done + 1, inner.host.entropy.unit()),
            };
            // Waiting is pointless when the circuit will still refuse us afterwards.
            if !inner
                .state
                .borrow()
                .breaker
                .would_admit(clock.now() + delay)
            {
                return Err(err);
            }
            inner.state.borrow_mut().stats.record_retry(delay);
            self.emit("retry", || json!({
                "attempt": progress.attempts.get(), "delay": delay, "type": err.kind.as_str(), "status": err.status,
            }), id);
            last_error = Some(err);
            clock.sleep(delay).await;
        }
    }

    fn backoff(&self) -> crate::backoff::BackoffConfig {
        let c = &self.inner.config;
        crate::backoff::BackoffConfig {
            initial: c.initial_retry_delay,
            factor: c.backoff_factor,
            max: c.max_retry_delay,
            jitter: c.jitter,
        }
    }

    fn breaker_gate(&self, now: f64) -> Result<(), ApiError> {
        let st = self.inner.state.borrow();
        if st.breaker.would_admit(now) {
            return Ok(());
        }
        // A dry run on a copy tells the wait without moving the real breaker to HALF_OPEN.
        let wait = st.breaker.clone().admit(now).err().unwrap_or(0.0);
        Err(circuit_open(wait))
    }

    fn admit_attempt(&self) -> Result<TicketGuard, ApiError> {
        let now = self.inner.host.clock.now();
        let before = self.circuit_state();
        let r = self.inner.state.borrow_mut().breaker.admit(now);
        self.note_transition(before);
        r.map(|t| TicketGuard {
            engine: self.clone(),
            ticket: Some(t),
        })
        .map_err(circuit_open)
    }

    fn settle(&self, mut guard: TicketGuard, outcome: Outcome) {
        if let Some(t) = guard.ticket.take() {
            self.record(t, outcome);
        }
    }

    fn record(&self, ticket: Ticket, outcome: Outcome) {
        let now = self.inner.host.clock.now();
        let before = self.circuit_state();
        {
            let mut st = self.inner.state.borrow_mut();
            let trips = st.breaker.trips();
            st.breaker.record(ticket, outcome, now);
            if st.breaker.trips() > trips {
                st.stats.record_trip();
            }
        }
        self.note_transition(before);
    }

    fn note_transition(&self, before: CircuitState) {
        let after = self.circuit_state();
        if after != before {
            self.emit(
                "circuit",
                || json!({"from": before.as_str(), "state": after.as_str()}),
                "",
            );
        }
    }

    fn emit(&self, event: &'static str, fields: impl FnOnce() -> Value, id: &str) {
        let listener = self.inner.listener.borrow().clone();
        if let Some(l) = listener {
            let mut v = fields();
            if let Value::Object(m) = &mut v {
                m.insert("event".into(), json!(event));
                m.insert("provider".into(), json!(self.inner.provider));
                m.insert(
                    "time".into(),
                    json!(self.inner.host.clock.now() - self.inner.created),
                );
                if !id.is_empty() {
                    m.insert("request_id".into(), json!(id));
                }
            }
            l(event, v);
        }
    }

    fn scrub(&self, text: &str) -> String {
        self.inner
            .secrets
            .iter()
            .fold(text.to_string(), |t, s| s.scrub(&t))
    }

    async fn attempt(&self, call: &Call, id: &str) -> Result<Parsed, ApiError> {
        let mut resp = self
            .inner
            .host
            .transport
            .send(call.request.clone())
            .await
            .map_err(|e| classify_transport(&e))?;
        let declared =
            header(&resp.headers, "content-length").and_then(|v| v.trim().parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        let body = resp
            .body
            .read_all()
            .await
            .map_err(|e| classify_transport(&e))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        let reply = Reply {
            status: resp.status,
            headers: resp.headers,
            body,
        };
        if (200..300).contains(&reply.status) {
            return (call.parse)(&reply, id).map_err(|mut e| {
                e.status = Some(reply.status);
                e.request_id = e.request_id.or_else(|| request_id_header(&reply.headers));
                e
            });
        }
        let now = self.inner.host.clock.unix_now();
        Err(classify_http(
            reply.status,
            &reply.headers,
            &parse_error_body(&reply.body),
            now,
            self.inner.config.max_retry_after,
        ))
    }

    // ---- observing ----

    pub fn circuit_state(&self) -> CircuitState {
        let now = self.inner.host.clock.now();
        self.inner.state.borrow().breaker.state(now)
    }

    pub fn check_circuit_breaker(&self) -> bool {
        let now = self.inner.host.clock.now();
        self.inner.state.borrow().breaker.would_admit(now)
    }

    pub fn track_request_result(&self, success: bool, error: Option<ErrorType>) {
        let now = self.inner.host.clock.now();
        let before = self.circuit_state();
        {
            let mut st = self.inner.state.borrow_mut();
            let trips = st.breaker.trips();
            st.breaker.record_manual(success, error, now);
            if st.breaker.trips() > trips {
                st.stats.record_trip();
            }
            st.stats.manual(success, error);
        }
        self.note_transition(before);
    }

    pub fn queue_length(&self) -> usize {
        self.inner.state.borrow().queue.waiting()
    }
    pub fn active_requests(&self) -> usize {
        self.inner.state.borrow().queue.active()
    }

    pub fn stats(&self) -> Value {
        let st = self.inner.state.borrow();
        st.stats.snapshot(QueueSnapshot {
            length: st.queue.waiting() as u64,
            active: st.queue.active() as u64,
            peak_length: st.queue.peak_waiting() as u64,
            peak_active: st.queue.peak_active() as u64,
        })
    }

    pub fn reset_stats(&self) {
        let mut st = self.inner.state.borrow_mut();
        st.stats.reset();
        st.queue.reset_peaks();
    }

    pub fn report(&self, include_details: bool) -> Value {
        let now = self.inner.host.clock.now();
        let st = self.inner.state.borrow();
        let c = &self.inner.config;
        st.stats.report(
            BreakerSnapshot {
                state: st.breaker.state(now).as_str(),
                failure_count: st.breaker.failure_count(),
                failure_threshold: c.failure_threshold,
                reset_timeout: c.reset_timeout,
                trips: st.breaker.trips(),
            },
            include_details,
        )
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorType::DecodeError,
        format!("response body exceeds {MAX_BODY_BYTES} bytes"),
    )
}

fn circuit_open(wait: f64) -> ApiError {
    ApiError {
        retry_delay: Some(wait.max(0.0)),
        ..ApiError::new(
            ErrorType::CircuitOpen,
            format!(
                "the circuit is open; the next probe is allowed in {:.3} s",
                wait.max(0.0)
            ),
        )
    }
}

#[derive(Default)]
struct Progress {
    attempts: Cell<u32>,
}

/// Hands a breaker ticket back as neutral when an attempt is dropped (cancelled) unsettled,
/// so a half-open probe slot is never leaked.
struct TicketGuard {
    engine: Engine,
    ticket: Option<Ticket>,
}

impl Drop for TicketGuard {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.engine.record(t, Outcome::Neutral);
        }
    }
}

/// A concurrency permit: given back (to the next waiter) when dropped.
struct Permit {
    engine: Engine,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let next = self.engine.inner.state.borrow_mut().queue.release();
        if let Some(w) = next {
            w.wake();
        }
    }
}

/// Waits for a permit; dropping it while queued removes the waiter, unsent.
struct Acquire<'a> {
    engine: &'a Engine,
    priority: Priority,
    retry: bool,
    id: &'a str,
    waiting: Option<u64>,
    done: bool,
}

impl<'a> Acquire<'a> {
    fn new(engine: &'a Engine, priority: Priority, retry: bool, id: &'a str) -> Acquire<'a> {
        Acquire {
            engine,
            priority,
            retry,
            id,
            waiting: None,
            done: false,
        }
    }
}

impl Future for Acquire<'_> {
    type Output = Result<Permit, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let engine = self.engine.clone();
        let mut st = engine.inner.state.borrow_mut();
        let granted = match self.waiting {
            None => match if self.retry {
                st.queue.readmit(self.priority, cx.waker().clone())
            } else {
                st.queue.admit(self.priority, cx.waker().clone())
            } {
                Admit::Now => true,
                Admit::Full => {
                    self.done = true;
                    return Poll::Ready(Err(()));
                }
                Admit::Wait(qid) => {
                    self.waiting = Some(qid);
                    let length = st.queue.waiting();
                    drop(st);
                    self.engine.emit(
                        "queue",
                        || json!({"action": "enqueued", "length": length}),
                        self.id,
                    );
                    return Poll::Pending;
                }
            },
            Some(qid) => st.queue.take_grant(qid, cx.waker().clone()) == Some(true),
        };
        drop(st);
        if !granted {
            return Poll::Pending;
        }
        if self.waiting.take().is_some() {
            let length = self.engine.queue_length();
            self.engine.emit(
                "queue",
                || json!({"action": "dequeued", "length": length}),
                self.id,
            );
        }
        self.done = true;
        Poll::Ready(Ok(Permit { engine }))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let (Some(qid), false) = (self.waiting, self.done) {
            let next = self.engine.inner.state.borrow_mut().queue.cancel(qid);
            if let Some(w) = next {
                w.wake();
            }
        }
    }
}
