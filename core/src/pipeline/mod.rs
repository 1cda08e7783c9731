//! The one async pipeline that composes admission, breaker, attempt, classification, backoff
//! and stats. It touches the world only through the host traits.

mod admission;
mod cancel;
mod run;
mod streaming;

pub use cancel::CancelToken;
pub use streaming::{ActiveStream, StreamCodec};

use admission::{Progress, TicketGuard};
use run::{Admitted, Got, Mode, Spec};

use crate::breaker::{Breaker, BreakerConfig, CircuitState, Outcome, Ticket};
use crate::classify::request_id_header;
use crate::config::{Config, Priority};
use crate::error::{ApiError, ErrorType};
use crate::host::{Clock, Entropy, Headers, HttpRequest, Transport};
use crate::providers::ErrorReader;
use crate::queue::Queue;
use crate::secret::Secret;
use crate::stats::{BreakerSnapshot, Final, QueueSnapshot, Stats, Usage};
use futures_util::future::{select, Either};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::Waker;

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
#[derive(Debug, Default)]
pub struct Parsed {
    pub json: String,
    pub usage: Option<Usage>,
    /// Binary content that does not belong in JSON (an object's bytes); hosts attach it to
    /// the result as `body`.
    pub bytes: Option<Vec<u8>>,
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
    /// How the provider's error bodies read.
    pub errors: ErrorReader,
}

/// One streamed call.
pub struct StreamCall {
    pub request: HttpRequest,
    pub model: Option<String>,
    pub priority: Priority,
    /// Seconds to the first items, and between chunks after that.
    pub timeout: Option<f64>,
    pub cancel: Option<CancelToken>,
    pub codec: Box<dyn StreamCodec>,
    pub errors: ErrorReader,
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

    /// Runs one call through the whole pipeline; settles exactly once with the parsed result.
    pub async fn execute(&self, call: Call) -> Result<Parsed, ApiError> {
        let (id, start) = self.begin(call.model.as_deref(), call.priority);
        let progress = Progress::default();
        let spec = Spec {
            request: &call.request,
            priority: call.priority,
            timeout: call.timeout,
            errors: call.errors,
            mode: Mode::Unary(&call),
        };
        let result = self
            .cancellable(call.cancel.as_ref(), self.run(&spec, &id, start, &progress))
            .await;
        let latency = self.inner.host.clock.now() - start;
        let admitted = match result {
            Ok(a) => a,
            Err(mut e) => {
                e.attempts = progress.attempts.get();
                return Err(self.finish_failure(e, call.model.as_deref(), latency, &id));
            }
        };
        let Admitted {
            got,
            permit,
            ticket,
        } = admitted;
        drop(permit);
        self.settle(ticket, Outcome::Success);
        let parsed = match got {
            Got::Unary(p) => p,
            Got::Stream(_) => unreachable_stream(),
        };
        self.inner.state.borrow_mut().stats.record_final(
            Final::Success,
            call.model.as_deref(),
            latency,
            parsed.usage,
        );
        self.emit(
            "success",
            || json!({"attempts": progress.attempts.get(), "latency": latency}),
            &id,
        );
        Ok(parsed)
    }

    /// Opens a stream: admission, breaker and retries run until its first items arrive (retry
    /// is transparent until then). The stream then holds its permit until it ends or is dropped.
    pub async fn open_stream(&self, call: StreamCall) -> Result<ActiveStream, ApiError> {
        let (id, start) = self.begin(call.model.as_deref(), call.priority);
        let progress = Progress::default();
        let codec = RefCell::new(call.codec);
        let spec = Spec {
            request: &call.request,
            priority: call.priority,
            timeout: call.timeout,
            errors: call.errors,
            mode: Mode::Stream(&codec),
        };
        let result = self
            .cancellable(call.cancel.as_ref(), self.run(&spec, &id, start, &progress))
            .await;
        let attempts = progress.attempts.get();
        match result {
            Ok(Admitted {
                got: Got::Stream(opened),
                permit,
                ticket,
            }) => Ok(ActiveStream {
                engine: self.clone(),
                permit: Some(permit),
                ticket: Some(ticket),
                body: opened.body,
                codec: codec.into_inner(),
                pending: opened.items.into(),
                request_id: request_id_header(&opened.headers),
                id,
                model: call.model,
                start,
                attempts,
                timeout: call.timeout.unwrap_or(self.inner.config.timeout),
                cancel: call.cancel,
                settled: false,
            }),
            Ok(_) => unreachable_stream(),
            Err(mut e) => {
                e.attempts = attempts;
                let latency = self.inner.host.clock.now() - start;
                Err(self.finish_failure(e, call.model.as_deref(), latency, &id))
            }
        }
    }

    /// A new call: its id (a random salt plus a counter, so ids never collide across clients)
    /// and its start time.
    fn begin(&self, model: Option<&str>, priority: Priority) -> (String, f64) {
        let inner = &self.inner;
        let n = inner.next_id.get() + 1;
        inner.next_id.set(n);
        let id = format!("{}-{}-{n}", inner.provider, inner.id_salt);
        self.emit(
            "request",
            || json!({"model": model, "priority": priority as u8}),
            &id,
        );
        (id, inner.host.clock.now())
    }

    /// Races `fut` against the caller's cancel token (polled first, so an already-aborted
    /// call is never sent). Dropping `fut` removes a queued call, ends a backoff wait and
    /// aborts an attempt in flight.
    async fn cancellable<T>(
        &self,
        cancel: Option<&CancelToken>,
        fut: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let fut = pin!(fut);
        match cancel {
            None => fut.await,
            Some(token) => match select(pin!(token.wait()), fut).await {
                Either::Right((r, _)) => r,
                Either::Left(_) => Err(ApiError::new(
                    ErrorType::Cancelled,
                    "the caller aborted the request",
                )),
            },
        }
    }

    /// Settles a failed call: fills in what the caller sees, counts it once, tells listeners.
    pub(super) fn finish_failure(
        &self,
        mut e: ApiError,
        model: Option<&str>,
        latency: f64,
        id: &str,
    ) -> ApiError {
        e.provider = self.inner.provider;
        if e.request_id.is_none() {
            e.request_id = Some(id.to_string());
        }
        e.message = self.scrub(&e.message);
        let fin = match e.kind {
            ErrorType::Cancelled => Final::Cancelled,
            k if k.is_rejection() => Final::Rejected(k),
            k => Final::Failed(k),
        };
        self.inner
            .state
            .borrow_mut()
            .stats
            .record_final(fin, model, latency, None);
        self.emit(
            "failure",
            || {
                json!({
                    "type": e.kind.as_str(), "status": e.status, "attempts": e.attempts,
                    "latency": latency, "message": e.message,
                })
            },
            id,
        );
        e
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

/// `run` answers a mode with the same kind of result; the other arm cannot happen.
fn unreachable_stream() -> ! {
    unreachable!("run returns what its mode asks for")
}

pub(super) fn too_large() -> ApiError {
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
