//! A deterministic world for tests: a virtual clock, a scripted transport and a local
//! executor that jumps the clock to the next timer whenever every task is waiting.
//! A "30 s" backoff runs in microseconds and always gives the same answer.

// Test support only (feature "sim", never in the shipped wasm): a stuck test must fail loudly.
#![allow(clippy::expect_used)]

use crate::host::{
    Body, Clock, Entropy, HttpRequest, HttpResponse, LocalFuture, Transport, TransportError,
};
use crate::pipeline::Host;
use crate::time::{Instant, Secs};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

// ---------------------------------------------------------------- clock

/// A pending timer: whether it fired, and the task to wake.
type Timer = (Rc<Cell<bool>>, Option<Waker>);

#[derive(Default)]
struct ClockInner {
    now: Cell<f64>,
    seq: Cell<u64>,
    /// (deadline in ns, sequence) -> (fired flag, waker)
    timers: RefCell<BTreeMap<(u64, u64), Timer>>,
}

#[derive(Clone, Default)]
pub struct SimClock(Rc<ClockInner>);

/// Rounded, not truncated: a deadline read back as seconds (`next_deadline`) and turned into
/// nanoseconds again must land on the same timer, or the clock stalls a nanosecond short of it.
fn ns(secs: f64) -> u64 {
    (secs.max(0.0) * 1e9).round().min(u64::MAX as f64) as u64
}

impl SimClock {
    pub fn new() -> SimClock {
        SimClock::default()
    }
    /// The earliest pending timer deadline, in seconds.
    pub fn next_deadline(&self) -> Option<f64> {
        self.0
            .timers
            .borrow()
            .keys()
            .next()
            .map(|(d, _)| *d as f64 / 1e9)
    }
    /// Moves time to `t` and fires every timer due by then.
    pub fn advance_to(&self, t: f64) {
        if t > self.0.now.get() {
            self.0.now.set(t);
        }
        let due = ns(self.0.now.get());
        let mut timers = self.0.timers.borrow_mut();
        let later = timers.split_off(&(due + 1, 0));
        let fired = std::mem::replace(&mut *timers, later);
        drop(timers);
        for (_, (flag, waker)) in fired {
            flag.set(true);
            if let Some(w) = waker {
                w.wake();
            }
        }
    }
    pub fn pending_timers(&self) -> usize {
        self.0.timers.borrow().len()
    }
}

struct Sleep {
    clock: SimClock,
    key: (u64, u64),
    fired: Rc<Cell<bool>>,
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.get() {
            return Poll::Ready(());
        }
        if let Some(entry) = self.clock.0.timers.borrow_mut().get_mut(&self.key) {
            entry.1 = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.clock.0.timers.borrow_mut().remove(&self.key);
    }
}

impl Clock for SimClock {
    fn now(&self) -> Instant {
        Instant::from_secs(self.0.now.get())
    }
    fn unix_now(&self) -> f64 {
        // A fixed epoch (2025-01-01T00:00:00Z) plus virtual time, for HTTP-date hints.
        1_735_689_600.0 + self.0.now.get()
    }
    fn sleep(&self, secs: Secs) -> LocalFuture<'static, ()> {
        let seq = self.0.seq.get() + 1;
        self.0.seq.set(seq);
        // A positive wait moves time by at least 1 ns: a wait shorter than the grid would
        // otherwise fire at the same instant again and again.
        let now = self.0.now.get();
        let at = ns(now + secs.as_f64()).max(ns(now) + u64::from(secs > Secs::ZERO));
        let key = (at, seq);
        let fired = Rc::new(Cell::new(secs == Secs::ZERO));
        if secs > Secs::ZERO {
            self.0
                .timers
                .borrow_mut()
                .insert(key, (fired.clone(), None));
        }
        Box::pin(Sleep {
            clock: self.clone(),
            key,
            fired,
        })
    }
}

// ---------------------------------------------------------------- entropy

/// Returns the given values in a cycle (default 0.0: no jitter).
#[derive(Clone, Default)]
pub struct SimEntropy(Rc<RefCell<(Vec<f64>, usize)>>);

impl SimEntropy {
    pub fn new(values: Vec<f64>) -> SimEntropy {
        SimEntropy(Rc::new(RefCell::new((values, 0))))
    }
}

impl Entropy for SimEntropy {
    fn unit(&self) -> f64 {
        let mut s = self.0.borrow_mut();
        if s.0.is_empty() {
            return 0.0;
        }
        let v = s.0.get(s.1 % s.0.len()).copied().unwrap_or(0.0);
        s.1 += 1;
        v
    }
}

// ---------------------------------------------------------------- transport

/// One scripted reply.
#[derive(Clone, Debug)]
pub enum Step {
    /// Answer after `delay` seconds with this status, headers and body (sent in `chunks` pieces).
    Reply {
        delay: f64,
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Answer 200 at once, then send each chunk after its delay (seconds after the previous),
    /// then end the body (`stall_after`: never end it; `fail_after`: break the connection).
    Stream {
        chunks: Vec<(f64, Vec<u8>)>,
        stall_after: bool,
        fail_after: bool,
    },
    /// Never answer.
    Stall,
    /// Fail as a refused connection after `delay`.
    Refuse { delay: f64 },
}

impl Step {
    pub fn ok(body: &str) -> Step {
        Step::status(200, body)
    }
    pub fn status(status: u16, body: &str) -> Step {
        Step::Reply {
            delay: 0.0,
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Step {
        if let Step::Reply { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
    pub fn after(mut self, secs: f64) -> Step {
        match &mut self {
            Step::Reply { delay, .. } | Step::Refuse { delay } => *delay = secs,
            Step::Stall | Step::Stream { .. } => {}
        }
        self
    }
}

/// A request as the transport saw it, with the virtual time it was sent.
#[derive(Clone, Debug)]
pub struct Sent {
    pub at: f64,
    pub request: HttpRequest,
}

/// A reply chosen when the request is sent, from the virtual time (seconds).
pub type Responder = Rc<dyn Fn(f64) -> Step>;

#[derive(Default)]
struct TransportInner {
    script: RefCell<VecDeque<Step>>,
    /// Answers by the virtual time of sending, once the script is used up (a server's state).
    responder: RefCell<Option<Responder>>,
    default: RefCell<Option<Step>>,
    sent: RefCell<Vec<Sent>>,
    in_flight: Cell<usize>,
    peak: Cell<usize>,
    aborted: Cell<usize>,
}

/// Answers requests from a script, in arrival order; counts requests in flight (from send
/// until the body is read to the end or dropped) and their high-water mark.
#[derive(Clone)]
pub struct ScriptedTransport {
    inner: Rc<TransportInner>,
    clock: SimClock,
}

impl ScriptedTransport {
    pub fn new(clock: &SimClock) -> ScriptedTransport {
        ScriptedTransport {
            inner: Rc::default(),
            clock: clock.clone(),
        }
    }
    pub fn push(&self, step: Step) -> &Self {
        self.inner.script.borrow_mut().push_back(step);
        self
    }
    /// A server with state: `f(now)` answers each request once the script is used up.
    pub fn respond_with(&self, f: Responder) {
        *self.inner.responder.borrow_mut() = Some(f);
    }
    /// The reply once the script is used up (default: 200 `{}`).
    pub fn set_default(&self, step: Step) {
        *self.inner.default.borrow_mut() = Some(step);
    }
    pub fn sent(&self) -> Vec<Sent> {
        self.inner.sent.borrow().clone()
    }
    pub fn count(&self) -> usize {
        self.inner.sent.borrow().len()
    }
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.get()
    }
    pub fn peak_in_flight(&self) -> usize {
        self.inner.peak.get()
    }
    /// Requests dropped before their body was read to the end (aborted by the client).
    pub fn aborted(&self) -> usize {
        self.inner.aborted.get()
    }
}

/// Decrements the in-flight count exactly once, noting whether the exchange was cut short.
struct FlightGuard {
    inner: Rc<TransportInner>,
    finished: bool,
}

impl FlightGuard {
    fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        self.inner.in_flight.set(self.inner.in_flight.get() - 1);
        if !self.finished {
            self.inner.aborted.set(self.inner.aborted.get() + 1);
        }
    }
}

struct SimBody {
    clock: SimClock,
    chunks: VecDeque<(f64, Vec<u8>)>,
    stall_after: bool,
    fail_after: bool,
    guard: Option<FlightGuard>,
}

impl Body for SimBody {
    fn next_chunk(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            if let Some((delay, bytes)) = self.chunks.pop_front() {
                self.clock.sleep(Secs::new(delay)).await;
                return Ok(Some(bytes));
            }
            if self.stall_after {
                std::future::pending::<()>().await;
            }
            if let Some(mut g) = self.guard.take() {
                g.finished = true;
            }
            if self.fail_after {
                return Err(TransportError {
                    kind: crate::host::TransportErrorKind::Body,
                    message: "connection reset".into(),
                });
            }
            Ok(None)
        })
    }
}

impl Transport for ScriptedTransport {
    fn send(
        &self,
        request: &HttpRequest,
    ) -> LocalFuture<'static, Result<HttpResponse, TransportError>> {
        let inner = self.inner.clone();
        let clock = self.clock.clone();
        inner.sent.borrow_mut().push(Sent {
            at: clock.now().as_secs(),
            request: request.clone(),
        });
        inner.in_flight.set(inner.in_flight.get() + 1);
        inner.peak.set(inner.peak.get().max(inner.in_flight.get()));
        let guard = FlightGuard {
            inner: inner.clone(),
            finished: false,
        };
        let step = inner
            .script
            .borrow_mut()
            .pop_front()
            .or_else(|| {
                let f = inner.responder.borrow().clone();
                f.map(|f| f(clock.now().as_secs()))
            })
            .or_else(|| inner.default.borrow().clone())
            .unwrap_or_else(|| Step::ok("{}"));
        Box::pin(async move {
            match step {
                Step::Stall => std::future::pending().await,
                Step::Stream {
                    chunks,
                    stall_after,
                    fail_after,
                } => Ok(HttpResponse {
                    status: 200,
                    headers: vec![("content-type".into(), "text/event-stream".into())],
                    body: Box::new(SimBody {
                        clock,
                        chunks: chunks.into(),
                        stall_after,
                        fail_after,
                        guard: Some(guard),
                    }),
                }),
                Step::Refuse { delay } => {
                    clock.sleep(Secs::new(delay)).await;
                    guard.finish();
                    Err(TransportError::connection("connection refused"))
                }
                Step::Reply {
                    delay,
                    status,
                    headers,
                    body,
                } => {
                    clock.sleep(Secs::new(delay)).await;
                    // Split the body in two to exercise chunked reading.
                    let (first, second) = body.split_at(body.len() / 2);
                    let chunks = VecDeque::from([(0.0, first.to_vec()), (0.0, second.to_vec())]);
                    Ok(HttpResponse {
                        status,
                        headers,
                        body: Box::new(SimBody {
                            clock,
                            chunks,
                            stall_after: false,
                            fail_after: false,
                            guard: Some(guard),
                        }),
                    })
                }
            }
        })
    }
}

// ---------------------------------------------------------------- executor

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

type Task = (Pin<Box<dyn Future<Output = ()>>>, Arc<Flag>);

/// A single-threaded executor over a [`SimClock`].
pub struct Sim {
    pub clock: SimClock,
    pub transport: ScriptedTransport,
    pub entropy: SimEntropy,
    tasks: RefCell<Vec<Option<Task>>>,
}

/// The eventual output of a spawned task.
pub struct Handle<T>(Rc<RefCell<Option<T>>>);

impl<T> Handle<T> {
    pub fn take(&self) -> Option<T> {
        self.0.borrow_mut().take()
    }
    pub fn is_done(&self) -> bool {
        self.0.borrow().is_some()
    }
}

impl Default for Sim {
    fn default() -> Sim {
        Sim::new()
    }
}

impl Sim {
    pub fn new() -> Sim {
        let clock = SimClock::new();
        Sim {
            transport: ScriptedTransport::new(&clock),
            clock,
            entropy: SimEntropy::default(),
            tasks: RefCell::new(Vec::new()),
        }
    }

    pub fn host(&self) -> Host {
        Host {
            transport: Rc::new(self.transport.clone()),
            clock: Rc::new(self.clock.clone()),
            entropy: Rc::new(self.entropy.clone()),
        }
    }

    /// Sets the values entropy cycles through (the engine draws one for its id salt first).
    pub fn entropy_values(&self, values: Vec<f64>) {
        *self.entropy.0.borrow_mut() = (values, 0);
    }

    /// Virtual seconds since the start, as a number for test assertions.
    pub fn clock_now(&self) -> f64 {
        self.clock.now().as_secs()
    }

    pub fn spawn<T: 'static>(&self, fut: impl Future<Output = T> + 'static) -> Handle<T> {
        let out = Rc::new(RefCell::new(None));
        let slot = out.clone();
        let task = Box::pin(async move {
            let v = fut.await;
            *slot.borrow_mut() = Some(v);
        });
        self.tasks
            .borrow_mut()
            .push(Some((task, Arc::new(Flag(AtomicBool::new(true))))));
        Handle(out)
    }

    /// Polls woken tasks until none is runnable. Returns whether any task is unfinished.
    pub fn run_until_stalled(&self) -> bool {
        loop {
            let mut progressed = false;
            let n = self.tasks.borrow().len();
            for i in 0..n {
                let taken = {
                    let mut tasks = self.tasks.borrow_mut();
                    match tasks.get_mut(i) {
                        Some(task)
                            if task
                                .as_ref()
                                .is_some_and(|(_, flag)| flag.0.swap(false, Ordering::SeqCst)) =>
                        {
                            task.take()
                        }
                        _ => None,
                    }
                };
                let Some((mut fut, flag)) = taken else {
                    continue;
                };
                progressed = true;
                let waker = Waker::from(flag.clone());
                let mut cx = Context::from_waker(&waker);
                if fut.as_mut().poll(&mut cx).is_pending() {
                    // Tasks are only ever appended, so slot `i` is still there.
                    if let Some(task) = self.tasks.borrow_mut().get_mut(i) {
                        *task = Some((fut, flag));
                    }
                }
            }
            if !progressed {
                return self.tasks.borrow().iter().any(Option::is_some);
            }
        }
    }

    /// Runs until every task is done or nothing can move, jumping the clock over idle time.
    /// Stops at `limit` seconds of virtual time so a stuck test fails instead of hanging.
    pub fn run(&self, limit: f64) {
        while self.run_until_stalled() {
            match self.clock.next_deadline() {
                Some(t) if t <= limit => self.clock.advance_to(t),
                _ => return,
            }
        }
    }

    /// Runs until virtual time `t` (tasks may remain).
    pub fn run_until(&self, t: f64) {
        loop {
            self.run_until_stalled();
            match self.clock.next_deadline() {
                Some(d) if d <= t => self.clock.advance_to(d),
                _ => {
                    self.clock.advance_to(t);
                    self.run_until_stalled();
                    return;
                }
            }
        }
    }

    /// Runs `fut` to completion and returns its output.
    pub fn block_on<T: 'static>(&self, fut: impl Future<Output = T> + 'static) -> T {
        let h = self.spawn(fut);
        self.run(1e9);
        h.take().expect("the future did not complete: it is stuck")
    }
}
