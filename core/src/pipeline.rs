//! The one async pipeline that composes admission, breaker, attempt, classification, backoff
//! and stats. It touches the world only through the host traits.

mod admission;
mod cancel;
mod endpoints;
mod idle;
mod observe;
mod pace;
mod race;
mod records;
mod run;
mod shared;
mod streaming;

pub use cancel::CancelToken;
pub use idle::SharedStream;
pub use records::{Admission, Begun, Queued, Start};
pub use streaming::ActiveStream;

use admission::{Progress, TicketGuard, Waiter};
use run::{Admitted, Got, Mode, Spec};

use crate::breaker::{CircuitState, Outcome, Ticket};
use crate::classify::request_id_header;
use crate::codec::{ErrorReader, Parsed, Parser, Resigner, StreamCodec};
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::{Clock, Entropy, HttpRequest, Transport};
use crate::json::{json, Value};
use crate::queue::Priority;
use crate::queue::Queue;
use crate::secret::Secret;
use crate::stats::{Final, Stats, Usage};
use crate::time::{Instant, Secs};
use endpoints::Endpoints;
use futures_util::FutureExt;
use race::{Limited, Stop};
use shared::Shared;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

/// The host's three capabilities.
#[derive(Clone)]
pub struct Host {
    pub transport: Rc<dyn Transport>,
    pub clock: Rc<dyn Clock>,
    pub entropy: Rc<dyn Entropy>,
}

/// How a call's reply is read.
pub enum Read {
    /// The whole body, parsed once.
    Unary(Parser),
    /// Items as they arrive (see [`Engine::open_stream`]).
    Stream(Box<dyn StreamCodec>),
}

/// One logical call: its request, how its reply reads, and the caller's options.
pub struct Call {
    pub request: HttpRequest,
    pub model: Option<String>,
    pub read: Read,
    /// How the provider's error bodies read.
    pub errors: ErrorReader,
    pub priority: Priority,
    /// Time per attempt (for a stream: to its first items, between chunks after that, and
    /// the longest its consumer may leave it unread); the client's `timeout` when `None`.
    pub timeout: Option<Secs>,
    /// Time for the whole call from the moment it is made: queue wait, every attempt and
    /// every backoff wait (`deadline_exceeded` when it passes).
    pub deadline: Option<Secs>,
    /// Retries after the first attempt for this call; the client's `maxRetries` when `None`.
    pub max_retries: Option<u32>,
    pub cancel: Option<CancelToken>,
    /// Where it may go: any endpoint, or the one named (`endpointId`).
    pub route: Route,
}

impl Call {
    /// A provider's unary call as a call of normal priority, without timeout, deadline or
    /// cancel, signed afresh for each attempt when the provider signs (for tests and tools;
    /// the wasm layer sets every field from the caller's options).
    pub fn unary(u: crate::providers::Unary) -> Call {
        Call {
            request: u.request,
            model: u.model,
            priority: Priority::Normal,
            timeout: None,
            deadline: None,
            max_retries: None,
            cancel: None,
            read: Read::Unary(u.parse),
            errors: u.errors,
            route: Route {
                resigners: u.resign.into_iter().collect(),
                ..Route::default()
            },
        }
    }
}

/// Endpoint choice for a call. With several endpoints the request differs per endpoint (its
/// key, its base URL): `requests[i]` is the request for endpoint `i` (without `endpoints`,
/// the one default endpoint uses the call's own request). `resigners[i]`, when there, signs
/// endpoint `i`'s request afresh for each attempt (see [`Resigner`]).
#[derive(Clone, Default)]
pub struct Route {
    pub pinned: Option<String>,
    pub requests: Vec<HttpRequest>,
    pub resigners: Vec<Resigner>,
}

/// How a call's reply reads, owned by its state machine ([`Mode`] borrows it).
enum Reading {
    Unary(Parser),
    Stream(RefCell<Box<dyn StreamCodec>>),
}

/// What a call that ended keeps for settling.
struct Ended {
    model: Option<String>,
    id: String,
    start: Instant,
    timeout: Option<Secs>,
    deadline: Option<Secs>,
    cancel: Option<CancelToken>,
}

/// What a call ends with: a unary call's reply, or a stream open with its first items. Made
/// once per call and moved straight out (boxing the stream would only add an allocation).
#[allow(clippy::large_enum_variant)]
enum Done {
    Unary(Parsed),
    Stream(ActiveStream),
}

impl Done {
    /// `call_with` answers a unary call with a reply (anything else cannot happen).
    fn unary(r: Result<Done, ApiError>) -> Result<Parsed, ApiError> {
        match r? {
            Done::Unary(p) => Ok(p),
            Done::Stream(_) => Err(not_unary()),
        }
    }

    /// ... and a stream call with a stream.
    fn stream(r: Result<Done, ApiError>) -> Result<ActiveStream, ApiError> {
        match r? {
            Done::Stream(s) => Ok(s),
            Done::Unary(_) => Err(not_unary()),
        }
    }
}

/// Receives `(event name, event object)`; see docs/api.md `on(event, listener)`.
pub type Listener = Rc<dyn Fn(&'static str, Value)>;

struct State {
    queue: Queue<Waiter>,
    /// Calls waiting as records whose permit has arrived (key, queue id), until the host
    /// starts them.
    admitted: Vec<(u32, u64)>,
    /// Records by their host key (records.rs).
    records: records::Slots,
    endpoints: Endpoints,
    stats: Stats,
    shared: Shared,
    pacing: pace::Pacing,
}

struct Inner {
    provider: &'static str,
    config: Config,
    host: Host,
    secrets: Vec<Secret>,
    state: RefCell<State>,
    listener: RefCell<Option<Listener>>,
    /// Told (synchronously, from a permit's release) that a waiting record was admitted.
    on_admitted: RefCell<Option<Rc<dyn Fn()>>>,
    /// The model name waiting records share (records.rs).
    last_model: RefCell<Option<Rc<String>>>,
    next_id: Cell<u64>,
    id_salt: String,
    created: Instant,
}

/// An [`Engine`] that may have gone.
pub struct WeakEngine(std::rc::Weak<Inner>);

impl WeakEngine {
    pub fn upgrade(&self) -> Option<Engine> {
        self.0.upgrade().map(|inner| Engine { inner })
    }
}

/// The engine for one client. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Engine {
    inner: Rc<Inner>,
}

impl Engine {
    pub fn new(provider: &'static str, config: Config, host: Host) -> Engine {
        let endpoints = Endpoints::new(&config);
        let shared = Shared::new(provider, &config);
        let queue = Queue::new(
            config.max_concurrent_requests as usize,
            config.queue_size as usize,
        );
        // Plain loops: collected iterator chains each instantiate their own code.
        let mut secrets: Vec<Secret> = Vec::new();
        for s in [
            &config.api_key,
            &config.secret_access_key,
            &config.session_token,
        ] {
            secrets.extend(s.clone());
        }
        for e in &config.endpoints {
            secrets.extend(e.api_key.clone());
        }
        // Ids must not collide across clients or page loads: a random salt plus a counter.
        let id_salt = hex8((host.entropy.unit() * f64::from(u32::MAX)) as u32);
        let created = host.clock.now();
        Engine {
            inner: Rc::new(Inner {
                provider,
                config,
                host,
                secrets,
                state: RefCell::new(State {
                    queue,
                    admitted: Vec::new(),
                    records: records::Slots::default(),
                    endpoints,
                    stats: Stats::new(),
                    shared,
                    pacing: pace::Pacing::default(),
                }),
                listener: RefCell::new(None),
                on_admitted: RefCell::new(None),
                last_model: RefCell::new(None),
                next_id: Cell::new(0),
                id_salt,
                created,
            }),
        }
    }

    /// A handle that does not keep the engine alive.
    pub fn downgrade(&self) -> WeakEngine {
        WeakEngine(Rc::downgrade(&self.inner))
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
    pub fn execute(&self, call: Call) -> impl Future<Output = Result<Parsed, ApiError>> + '_ {
        self.execute_with(call, Start::Fresh)
    }

    /// [`Self::execute`] for a call that may be numbered already ([`Start::Begun`]) or hold its
    /// first permit ([`Start::Admitted`], then only the rest runs). One function for all, so a
    /// host awaits one kind of future.
    pub fn execute_with(
        &self,
        call: Call,
        from: Start,
    ) -> impl Future<Output = Result<Parsed, ApiError>> + '_ {
        self.call_with(call, from, false).map(Done::unary)
    }

    /// Opens a stream: admission, breaker and retries run until its first items arrive (retry
    /// is transparent until then). The stream then holds its permit until it ends or is dropped.
    pub fn open_stream(
        &self,
        call: Call,
    ) -> impl Future<Output = Result<ActiveStream, ApiError>> + '_ {
        self.open_stream_with(call, Start::Fresh)
    }

    /// [`Self::open_stream`] for a stream numbered already ([`Start::Begun`]).
    pub fn open_stream_with(
        &self,
        call: Call,
        from: Start,
    ) -> impl Future<Output = Result<ActiveStream, ApiError>> + '_ {
        self.call_with(call, from, true).map(Done::stream)
    }

    /// A unary call (`stream` false) or a stream: numbered (unless it was), its first permit,
    /// then the attempts, all raced against the caller's token and the deadline (the call's,
    /// from its start). One state machine for both kinds of call; the public ways in only
    /// map its answer.
    async fn call_with(&self, call: Call, from: Start, stream: bool) -> Result<Done, ApiError> {
        let Call {
            request,
            model,
            read,
            errors,
            priority,
            timeout,
            deadline,
            max_retries,
            cancel,
            route,
        } = call;
        let reading = match (read, stream) {
            (Read::Unary(parse), false) => Reading::Unary(parse),
            (Read::Stream(codec), true) => Reading::Stream(RefCell::new(codec)),
            (_, stream) => {
                let e = ApiError::new(
                    ErrorType::InvalidRequest,
                    if stream {
                        "a unary call is run, not opened"
                    } else {
                        "a stream call is opened, not run"
                    },
                );
                return Err(self.fail_early(e, model.as_deref()));
            }
        };
        let progress = Progress::default();
        let mut spec = Spec {
            request: &request,
            model: model.as_deref(),
            priority,
            timeout,
            deadline: None,
            max_retries,
            errors,
            route: &route,
            cancel: cancel.as_ref(),
            mode: match &reading {
                Reading::Unary(parse) => Mode::Unary(parse),
                Reading::Stream(codec) => Mode::Stream(codec),
            },
        };
        let (id, start, first) = match from {
            Start::Admitted(a) => a.into_parts(self),
            other => {
                let begun = other.begun(self, spec.model, spec.priority);
                let (id, start) = self.begun_id(&begun);
                let first = self
                    .limited(
                        spec.cancel,
                        Deadline::of(deadline, start),
                        self.acquire(spec.priority, Some((spec.route, start)), &id),
                    )
                    .await;
                (id, start, first)
            }
        };
        spec.deadline = Deadline::of(deadline, start);
        let result = match first {
            Ok(permit) => {
                self.limited(
                    spec.cancel,
                    spec.deadline,
                    self.run(&spec, &id, permit, &progress),
                )
                .await
            }
            Err(e) => Err(e),
        };
        let ended = Ended {
            model,
            id,
            start,
            timeout,
            deadline,
            cancel,
        };
        self.settled(result, reading, ended, &progress)
    }

    /// A call's attempts are over: a unary call settles with its reply or its error, a stream
    /// opens or fails. Plain code, out of `call_with`'s state machine.
    #[inline(never)]
    fn settled(
        &self,
        result: Result<Admitted, ApiError>,
        reading: Reading,
        ended: Ended,
        progress: &Progress,
    ) -> Result<Done, ApiError> {
        let Ended {
            model,
            id,
            start,
            timeout,
            deadline,
            cancel,
        } = ended;
        let admitted = match result {
            Ok(a) => a,
            Err(e) => return Err(self.run_failed(e, model.as_deref(), start, &id, progress)),
        };
        let Admitted {
            got,
            permit,
            ticket,
        } = admitted;
        let opened = match got {
            Got::Unary(parsed) => {
                // One reading for the latency and the breaker: both are of this moment.
                let now = self.inner.host.clock.now();
                let latency = now - start;
                drop(permit);
                self.settle(ticket, Outcome::Success, now);
                let endpoint = progress.endpoint.get();
                self.correct_usage(endpoint, progress.mark.get(), parsed.usage);
                let attempts = progress.attempts.get();
                let model = model.as_deref();
                self.succeeded(model, latency, parsed.usage, endpoint, attempts, &id, false);
                return Ok(Done::Unary(parsed));
            }
            Got::Stream(opened) => opened,
        };
        let Reading::Stream(codec) = reading else {
            return Err(self.fail_early(not_unary(), model.as_deref()));
        };
        Ok(Done::Stream(ActiveStream {
            engine: self.clone(),
            permit: Some(permit),
            ticket: Some(ticket),
            body: opened.body,
            codec: codec.into_inner(),
            pending: opened.items.into(),
            failure: opened.failure,
            request_id: request_id_header(&opened.headers),
            id,
            model,
            start,
            attempts: progress.attempts.get(),
            timeout: timeout.unwrap_or(self.inner.config.timeout),
            deadline: Deadline::of(deadline, start),
            cancel,
            settled: false,
            endpoint: progress.endpoint.get(),
        }))
    }

    /// A new call: its id (a random salt plus a counter, so ids never collide across clients)
    /// and its start time.
    /// A new call: its number (a waiting record keeps the number; the id is written out only
    /// when something reads it) and its start time; its `request` event.
    fn begin_numbered(&self, model: Option<&str>, priority: Priority) -> (u64, Instant) {
        let inner = &self.inner;
        let n = inner.next_id.get() + 1;
        inner.next_id.set(n);
        if self.listening() {
            self.emit_now(
                "request",
                json!({"model": model, "priority": priority as u8}),
                &self.call_id(n),
            );
        }
        (n, inner.host.clock.now())
    }

    /// The id of call number `n`: a random salt plus a counter, so ids never collide across
    /// clients.
    fn call_id(&self, n: u64) -> String {
        // Written piece by piece into one allocation: `format!` was ~1.3k instructions a call.
        let (provider, salt) = (self.inner.provider, &self.inner.id_salt);
        let mut id = String::with_capacity(provider.len() + salt.len() + 22);
        id.push_str(provider);
        id.push('-');
        id.push_str(salt);
        id.push('-');
        crate::json::write_unsigned(n, &mut id);
        id
    }

    /// Races `fut` against the caller's cancel token (polled first, so an already-aborted
    /// call is never sent) and the call's deadline. Dropping `fut` removes a queued call, ends
    /// a backoff wait and aborts an attempt in flight. Awaited where it is made: the deadline's
    /// wait is measured now.
    fn limited<'a, T, F: Future<Output = Result<T, ApiError>> + Unpin>(
        &'a self,
        cancel: Option<&'a CancelToken>,
        deadline: Option<Deadline>,
        fut: F,
    ) -> Limited<'a, F> {
        let clock = &*self.inner.host.clock;
        let wait = deadline.map(|d| d.at - clock.now());
        Limited {
            race: Stop::new(cancel, clock, wait).race(fut),
            deadline,
        }
    }

    /// Settles a failed call: fills in what the caller sees, counts it once, tells listeners.
    pub(super) fn finish_failure(
        &self,
        mut e: ApiError,
        model: Option<&str>,
        latency: Secs,
        id: &str,
        endpoint: Option<usize>,
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
        self.record_final(fin, model, latency, None, endpoint);
        self.emit(
            "failure",
            || {
                json!({
                    "type": e.kind.as_str(), "status": e.status, "attempts": e.attempts,
                    "latency": latency.as_f64(), "message": e.message,
                })
            },
            id,
        );
        e
    }

    /// A call whose attempts (or wait for its first permit) failed: settled with how far it got.
    fn run_failed(
        &self,
        mut e: ApiError,
        model: Option<&str>,
        start: Instant,
        id: &str,
        progress: &Progress,
    ) -> ApiError {
        e.attempts = progress.attempts.get();
        let latency = self.inner.host.clock.now() - start;
        self.finish_failure(e, model, latency, id, progress.endpoint.get())
    }

    /// Settles a call that succeeded (a unary reply, or a stream's end): counted, and told.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn succeeded(
        &self,
        model: Option<&str>,
        latency: Secs,
        usage: Option<Usage>,
        endpoint: Option<usize>,
        attempts: u32,
        id: &str,
        stream: bool,
    ) {
        self.record_final(Final::Success, model, latency, usage, endpoint);
        if self.listening() {
            let mut v = json!({"attempts": attempts, "latency": latency.as_f64()});
            if let (true, Value::Object(m)) = (stream, &mut v) {
                crate::json::object_entry(m, "stream", json!(true));
            }
            self.emit_now("success", v, id);
        }
    }

    /// Counts a settled call, in the client's stats and in its endpoint's.
    pub(super) fn record_final(
        &self,
        fin: Final,
        model: Option<&str>,
        latency: Secs,
        usage: Option<Usage>,
        endpoint: Option<usize>,
    ) {
        let mut st = self.inner.state.borrow_mut();
        st.stats.record_final(fin, model, latency, usage);
        if let Some(e) = endpoint.and_then(|i| st.endpoints.list.get_mut(i)) {
            e.stats.record_final(fin, model, latency, usage);
        }
    }

    /// A call that fails before it can be sent (bad arguments, a missing key) still counts.
    pub fn fail_early(&self, mut err: ApiError, model: Option<&str>) -> ApiError {
        err.provider = self.inner.provider;
        err.message = self.scrub(&err.message);
        self.inner.state.borrow_mut().stats.record_final(
            Final::Failed(err.kind),
            model,
            Secs::ZERO,
            None,
        );
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

    /// The endpoint a call is pinned to, or an error naming the unknown id.
    pub(super) fn pinned(&self, route: &Route) -> Result<Option<usize>, ApiError> {
        let Some(id) = &route.pinned else {
            return Ok(None);
        };
        let st = self.inner.state.borrow();
        st.endpoints.index_of(id).map(Some).ok_or_else(|| {
            let mut known = String::new();
            for e in &st.endpoints.list {
                if !known.is_empty() {
                    known.push_str(", ");
                }
                known.push_str(&e.id);
            }
            ApiError::new(
                ErrorType::InvalidRequest,
                format!("argument `endpointId` '{id}' names no endpoint; endpoints are {known}"),
            )
        })
    }

    fn breaker_gate(&self, pinned: Option<usize>, now: Instant) -> Result<(), ApiError> {
        let st = self.inner.state.borrow();
        if st.endpoints.any_usable(pinned, now) {
            return Ok(());
        }
        Err(circuit_open(st.endpoints.wait(pinned, now)))
    }

    /// Chooses the endpoint for an attempt and takes a breaker ticket there, at `now`.
    fn admit_attempt(
        &self,
        pinned: Option<usize>,
        tokens: u64,
        now: Instant,
    ) -> Result<TicketGuard, ApiError> {
        let before = self.circuit_state();
        let r = {
            let mut st = self.inner.state.borrow_mut();
            match st.endpoints.pick(pinned, now, tokens) {
                Err(wait) => Err(wait),
                Ok(i) => match st.endpoints.list.get_mut(i) {
                    Some(e) => e.breaker.admit(now).map_err(Some).map(|t| {
                        e.in_flight += 1;
                        (i, t)
                    }),
                    None => Err(None),
                },
            }
        };
        self.note_transition(before);
        r.map(|(endpoint, t)| TicketGuard {
            engine: self.clone(),
            endpoint,
            ticket: Some(t),
        })
        .map_err(circuit_open)
    }

    fn settle(&self, mut guard: TicketGuard, outcome: Outcome, now: Instant) {
        if let Some(t) = guard.ticket.take() {
            self.record(guard.endpoint, t, outcome, now);
        }
    }

    /// Hands a ticket back with its attempt's outcome at `now` (exactly once per ticket).
    fn record(&self, endpoint: usize, ticket: Ticket, outcome: Outcome, now: Instant) {
        let before = self.circuit_state();
        {
            let mut st = self.inner.state.borrow_mut();
            let st = &mut *st;
            if let Some(e) = st.endpoints.list.get_mut(endpoint) {
                e.in_flight = e.in_flight.saturating_sub(1);
                let trips = e.breaker.trips();
                e.breaker.record(ticket, outcome, now);
                if e.breaker.trips() > trips {
                    st.stats.record_trip();
                    let unix_now = self.inner.host.clock.unix_now();
                    st.shared.opened(endpoint, &e.breaker, now, unix_now);
                }
            }
        }
        self.note_transition(before);
    }

    /// With several endpoints, a refused key leaves the rotation and a quota or rate-limit
    /// answer cools its endpoint down, so the next attempt goes elsewhere. Returns whether the
    /// endpoint was taken out (the call may then fail over at once).
    fn penalize(&self, endpoint: usize, err: &ApiError, now: Instant) -> bool {
        let mut st = self.inner.state.borrow_mut();
        if !st.endpoints.multiplexed() {
            return false;
        }
        let reset = self.inner.config.reset_timeout;
        let Some(e) = st.endpoints.list.get_mut(endpoint) else {
            return false;
        };
        match err.kind {
            ErrorType::AuthenticationError | ErrorType::PermissionDenied => e.disabled = true,
            ErrorType::QuotaExceeded => {
                e.cooldown_until = now + err.retry_delay.map_or(reset, Secs::new)
            }
            ErrorType::RateLimitExceeded => match err.retry_delay {
                Some(hint) => e.cooldown_until = now + Secs::new(hint),
                None => return false,
            },
            _ => return false,
        }
        true
    }

    /// Tells a change of the circuit's state since `before` (both read at `now`).
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
        if self.inner.listener.borrow().is_some() {
            self.emit_now(event, fields(), id);
        }
    }

    /// The body of `emit`, kept out of its instances (one per call site): compiled once.
    #[inline(never)]
    fn emit_now(&self, event: &'static str, mut v: Value, id: &str) {
        let listener = self.inner.listener.borrow().clone();
        if let Some(l) = listener {
            if let Value::Object(m) = &mut v {
                m.insert("event".into(), json!(event));
                m.insert("provider".into(), json!(self.inner.provider));
                m.insert(
                    "time".into(),
                    json!((self.inner.host.clock.now() - self.inner.created).as_f64()),
                );
                if !id.is_empty() {
                    m.insert("request_id".into(), json!(id));
                }
            }
            l(event, v);
        }
    }

    fn scrub(&self, text: &str) -> String {
        let mut t = text.to_string();
        for s in &self.inner.secrets {
            t = s.scrub(&t);
        }
        t
    }
}

/// Eight lowercase hex digits, as `{:08x}` writes them (its formatter was this one caller's
/// code in the wasm).
fn hex8(x: u32) -> String {
    let mut s = String::with_capacity(8);
    for shift in (0..8).rev() {
        s.push(char::from_digit((x >> (shift * 4)) & 0xf, 16).unwrap_or('0'));
    }
    s
}

/// A call's deadline: its length, and the engine-clock instant it passes.
#[derive(Clone, Copy)]
pub(super) struct Deadline {
    pub secs: Secs,
    pub at: Instant,
}

impl Deadline {
    fn of(secs: Option<Secs>, start: Instant) -> Option<Deadline> {
        secs.map(|secs| Deadline {
            secs,
            at: start + secs,
        })
    }

    /// The error of a call whose deadline passed; `last` is the failure that would have been
    /// retried, had the next attempt not come too late.
    pub fn exceeded(self, last: Option<&ApiError>) -> ApiError {
        let secs = self.secs;
        let mut e = ApiError::new(
            ErrorType::DeadlineExceeded,
            match last {
                None => format!("the call's deadline of {secs} s passed"),
                Some(l) => format!(
                    "the call's deadline of {secs} s would pass before the next attempt (last error {}: {})",
                    l.kind, l.message
                ),
            },
        );
        if let Some(l) = last {
            e.status = l.status;
            e.request_id = l.request_id.clone();
        }
        e
    }
}

/// `run` answers a mode with the same kind of result; anything else is a caller's mistake.
fn not_unary() -> ApiError {
    ApiError::new(
        ErrorType::InvalidRequest,
        "a unary call got a stream (or a stream a unary reply)",
    )
}

pub(super) fn too_large(cap: usize) -> ApiError {
    crate::classify::classify_transport(&crate::host::TransportError::too_large(cap))
}

/// `wait`: until an endpoint may take the call, `None` when none ever will (every key was
/// refused), which the caller sees as an infinite delay, as before the types.
fn circuit_open(wait: Option<Secs>) -> ApiError {
    // printed through `Secs` (no float printing of `core::fmt` in the wasm); none is "inf"
    let probe = wait.map_or_else(|| "inf".to_string(), |w| format!("{w:.3}"));
    let wait = wait.map_or(f64::INFINITY, Secs::as_f64);
    ApiError {
        retry_delay: Some(wait),
        ..ApiError::new(
            ErrorType::CircuitOpen,
            format!("the circuit is open; the next probe is allowed in {probe} s"),
        )
    }
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn hex8_writes_as_format(x: u32) {
            proptest::prop_assert_eq!(super::hex8(x), format!("{x:08x}"));
        }
    }
}
