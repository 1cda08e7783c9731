//! The host traits over JavaScript: the global `fetch` (or the user's) and its `AbortController`,
//! `setTimeout`, `performance.now` and `Math.random`. Nothing here assumes `window`, so it
//! runs the same in a page, a worker and Node. The JavaScript half (js/support.js) keeps
//! boundary crossings to one per step.

use js_sys::{Function, Promise, Uint8Array};
// The head ("status\0name\0value...", js/support.js `responseHead`) is read in the engine's
// crate, whose `str::split` the wasm has already (this crate's own copy was 400 bytes more).
use resilient_core::host::{
    parse_head, Body, Clock, Entropy, HttpRequest, HttpResponse, LocalFuture, Transport,
    TransportError, TransportErrorKind,
};
use resilient_core::idmap::IdMap;
use resilient_core::pipeline::CancelToken;
use resilient_core::time::{Instant, Secs};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn perf_now() -> f64;
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
    #[wasm_bindgen(js_namespace = Math, js_name = random)]
    fn math_random() -> f64;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

#[wasm_bindgen(module = "/js/support.js")]
extern "C" {
    /// The one handler JS reports to (`hear`).
    #[wasm_bindgen(js_name = setHandler)]
    fn set_handler(handler: &JsValue);
    #[wasm_bindgen(js_name = startTimer)]
    fn start_timer(ms: f64, id: u32) -> JsValue;
    /// A fetch whose body the engine reads itself; its AbortController is kept in JS under
    /// `id` until `abortExchange`.
    #[wasm_bindgen(js_name = startStream, catch)]
    fn start_stream(
        fetch: &JsValue,
        id: u32,
        url: &str,
        text: &str,
        body: JsValue,
    ) -> Result<Promise, JsValue>;
    /// Starts a buffered exchange; true when it failed at once, its message then kept for
    /// `takeHead` (a bool comes back as it is; an `Option<String>` went through wasm memory).
    #[wasm_bindgen(js_name = sendBuffered)]
    fn send_buffered(
        fetch: &JsValue,
        id: u32,
        url: &str,
        text: &str,
        body: JsValue,
        cap: f64,
    ) -> bool;
    /// The head of the exchange being reported (js/support.js keeps it for this one call);
    /// none when it failed.
    #[wasm_bindgen(js_name = takeHead)]
    fn take_head() -> Option<String>;
    /// Forgets an exchange, aborting it unless `done` (its body was read to the end).
    #[wasm_bindgen(js_name = abortExchange)]
    fn abort_exchange(id: u32, done: bool);
    #[wasm_bindgen(js_name = openCall)]
    fn open_call(id: u32) -> Promise;
    #[wasm_bindgen(js_name = settleCall)]
    fn settle_call(id: u32, ok: bool, value: &JsValue);
    #[wasm_bindgen(js_name = responseHead)]
    fn response_head(response: &JsValue) -> String;
    #[wasm_bindgen(js_name = readAll)]
    fn read_all(response: &JsValue, cap: f64) -> Promise;
    /// A JS failure's message, as js/support.js words it for a buffered exchange too (one
    /// wording for both paths, written once).
    fn failure(e: &JsValue) -> String;
    #[wasm_bindgen(js_name = readChunk)]
    fn read_chunk(response: &JsValue) -> Promise;
    /// Reports `promise`'s outcome by `id` through the one handler (`hear`): its value with an
    /// empty head, or its failure's message (as `failure` words it).
    #[wasm_bindgen(js_name = awaitPromise)]
    fn await_promise(promise: &Promise, id: u32);
    /// Runs the task runner in a microtask.
    #[wasm_bindgen(js_name = scheduleTasks)]
    fn schedule_tasks();
}

pub struct JsClock;

impl Clock for JsClock {
    fn now(&self) -> Instant {
        Instant::from_secs(perf_now() / 1000.0)
    }
    fn unix_now(&self) -> f64 {
        date_now() / 1000.0
    }
    fn sleep(&self, secs: Secs) -> LocalFuture<'static, ()> {
        Box::pin(Sleep::new(secs))
    }
}

pub struct JsEntropy;

impl Entropy for JsEntropy {
    fn unit(&self) -> f64 {
        math_random()
    }
}

// ------------------------------------------------------------------ waiting on JS

/// What js/support.js reports of a buffered exchange: the head and the body (a Uint8Array, null
/// past the cap; kept in JS until the engine asks for its bytes), or the failure's message. A timer's end is reported as an empty head.
type Outcome = Result<(String, JsValue), String>;

/// One thing the engine waits on in JS (a timer, an exchange, a promise), by id: JS reports its
/// end through one shared handler, so waiting allocates no JS closure or promise.
#[derive(Default)]
pub(crate) struct Waiting {
    outcome: Option<Outcome>,
    waker: Option<Waker>,
}

type Slot = Rc<RefCell<Waiting>>;

/// What an id stands for: a slot waited on here, or the token of a call whose signal
/// signals.rs watches. One map (and one counter) for both: a second map type was a second
/// copy of its code.
pub(crate) enum Held {
    Slot(Slot),
    Token(CancelToken),
    Task(Task),
}

thread_local! {
    static WAITING: RefCell<IdMap<u32, Held>> = RefCell::new(IdMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    static HANDLER: Cell<bool> = const { Cell::new(false) };
    /// Tasks woken since the runner last ran, in the order they woke.
    static DUE: RefCell<VecDeque<u32>> = const { RefCell::new(VecDeque::new()) };
    static SCHEDULED: Cell<bool> = const { Cell::new(false) };
}

/// A new id, never 0 (which `hear` reads as "run the tasks").
pub(crate) fn next_id() -> u32 {
    NEXT_ID.with(|n| {
        let id = n.get().wrapping_add(1).max(1);
        n.set(id);
        id
    })
}

/// Installs `hear` in js/support.js, once.
pub(crate) fn install_handler() {
    if !HANDLER.with(|h| h.replace(true)) {
        let handler = Closure::<dyn Fn(u32, JsValue)>::new(hear);
        set_handler(&handler.into_js_value());
    }
}

/// What JS reports, by id, of the hooks' one closure type (`Fn(u32, JsValue)`): one handler,
/// one closure and one setter for timers, exchanges, awaited promises and aborted signals,
/// and (id 0) the task runner. A slot's outcome is the value with its head to take
/// (js/support.js sets it first: empty for a timer or a promise's value), or, with no head,
/// the failure's message; a call's token is cancelled (its signal aborted).
fn hear(id: u32, value: JsValue) {
    if id == 0 {
        run_tasks();
        return;
    }
    match take(id) {
        Some(Held::Slot(slot)) => {
            let outcome = match take_head() {
                Some(head) => Ok((head, value)),
                None => Err(value.as_string().unwrap_or_default()),
            };
            complete(&slot, outcome);
        }
        Some(Held::Token(token)) => token.cancel(),
        Some(task @ Held::Task(_)) => hold(id, task),
        None => {}
    }
}

/// A new slot under a new id.
fn register() -> (u32, Slot) {
    let id = next_id();
    let slot = Slot::default();
    hold(id, Held::Slot(slot.clone()));
    (id, slot)
}

pub(crate) fn hold(id: u32, held: Held) {
    WAITING.with(|t| t.borrow_mut().insert(id, held));
}

/// What `id` held, now forgotten.
pub(crate) fn take(id: u32) -> Option<Held> {
    WAITING.with(|t| t.borrow_mut().remove(&id))
}

/// Forgets an id; true when it was still held.
pub(crate) fn forget(id: u32) -> bool {
    take(id).is_some()
}

fn complete(slot: &Slot, outcome: Outcome) {
    let waker = {
        let mut s = slot.borrow_mut();
        s.outcome = Some(outcome);
        s.waker.take()
    };
    if let Some(w) = waker {
        w.wake();
    }
}

/// Ready with the outcome once reported; else keeps the waker.
fn poll_slot(slot: &Slot, cx: &Context<'_>) -> Poll<Outcome> {
    let mut s = slot.borrow_mut();
    match s.outcome.take() {
        Some(o) => Poll::Ready(o),
        None => {
            s.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// A `setTimeout` as a future; dropping it clears the timer. Every timer shares one JS
/// callback (it receives the timer's id), so a sleep allocates no closure.
struct Sleep {
    timer: Option<(u32, Slot, JsValue)>,
    ms: f64,
}

impl Sleep {
    fn new(secs: Secs) -> Sleep {
        // setTimeout takes a 32-bit delay; longer waits would fire at once.
        let ms = (secs.as_f64() * 1000.0).min(2_147_483_647.0);
        Sleep { timer: None, ms }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((_, slot, _)) = &self.timer {
            return poll_slot(slot, cx).map(|_| ());
        }
        install_handler();
        let (id, slot) = register();
        slot.borrow_mut().waker = Some(cx.waker().clone());
        let handle = start_timer(self.ms, id);
        self.timer = Some((id, slot, handle));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((id, _, handle)) = &self.timer {
            if forget(*id) {
                clear_timeout(handle);
            }
        }
    }
}

// ------------------------------------------------------------------ tasks

/// A spawned future, held by id in the one map. Polled in microtasks, in the order its wakes
/// came, as `wasm_bindgen_futures::spawn_local` does (its executor, its `JsFuture` and their
/// closures and JS glue are not in the wasm: this is the part of them the engine uses).
pub(crate) struct Task {
    /// Out of the map while it is polled (a poll may touch the map), and once it is done.
    future: Option<Pin<Box<dyn Future<Output = ()>>>>,
    waker: Waker,
    /// In `DUE` (woken, not polled since): a second wake adds nothing.
    queued: bool,
}

/// A task's waker: its id, so waking needs no reference to the task itself.
struct TaskWaker(u32);

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        wake_task(self.0);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        wake_task(self.0);
    }
}

fn wake_task(id: u32) {
    let fresh = WAITING.with(|t| match t.borrow_mut().get_mut(&id) {
        Some(Held::Task(task)) => !std::mem::replace(&mut task.queued, true),
        _ => false,
    });
    if fresh {
        DUE.with(|d| d.borrow_mut().push_back(id));
        if !SCHEDULED.with(|s| s.replace(true)) {
            schedule_tasks();
        }
    }
}

/// Runs `future` to its end, first polled in a microtask (as `spawn_local`).
pub(crate) fn spawn(future: impl Future<Output = ()> + 'static) {
    install_handler();
    let id = next_id();
    let task = Task {
        future: Some(Box::pin(future)),
        waker: Waker::from(Arc::new(TaskWaker(id))),
        queued: false,
    };
    hold(id, Held::Task(task));
    wake_task(id);
}

/// Polls the tasks woken before it ran; those woken while it runs wait for the next microtask.
fn run_tasks() {
    SCHEDULED.with(|s| s.set(false));
    let mut left = DUE.with(|d| d.borrow().len());
    while left > 0 {
        left -= 1;
        let Some(id) = DUE.with(|d| d.borrow_mut().pop_front()) else {
            break;
        };
        let taken = WAITING.with(|t| match t.borrow_mut().get_mut(&id) {
            Some(Held::Task(task)) => {
                task.queued = false;
                task.future.take().map(|f| (f, task.waker.clone()))
            }
            _ => None,
        });
        let Some((mut future, waker)) = taken else {
            continue;
        };
        if future
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            drop(future);
            forget(id);
            continue;
        }
        // Back in its entry; dropped here, outside the map's borrow, were it gone.
        let orphan = WAITING.with(|t| match t.borrow_mut().get_mut(&id) {
            Some(Held::Task(task)) => {
                task.future = Some(future);
                None
            }
            _ => Some(future),
        });
        drop(orphan);
    }
}

// ------------------------------------------------------------------ promises

/// A JS promise as a future: its value, or its failure's message (js/support.js reports it by
/// id through the one handler (`hear`); no closure or `JsFuture` per promise).
struct Settled {
    id: u32,
    slot: Slot,
}

fn settled(promise: &Promise) -> Settled {
    install_handler();
    let (id, slot) = register();
    await_promise(promise, id);
    Settled { id, slot }
}

impl Future for Settled {
    type Output = Result<JsValue, String>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_slot(&self.slot, cx).map(|o| o.map(|(_, v)| v))
    }
}

impl Drop for Settled {
    fn drop(&mut self) {
        forget(self.id);
    }
}

// ------------------------------------------------------------------ call promises

/// `wasm_bindgen_futures::future_to_promise`, with the promise made and settled in
/// js/support.js by the call's id: no closure per call for the Promise's executor, and no
/// resolve / reject functions held by the engine while the call runs.
pub fn future_to_promise<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let id = next_id();
    let promise = open_call(id);
    spawn(async move {
        match future.await {
            Ok(v) => settle_call(id, true, &v),
            Err(e) => settle_call(id, false, &e),
        }
    });
    promise
}

// ------------------------------------------------------------------ buffered exchanges

/// A buffered exchange as a future: one call starts it, one shared handler (js/support.js)
/// reports its end, so an attempt allocates no JS promise, closure or AbortController here.
/// Dropping it before the end aborts the fetch.
struct Exchange {
    id: u32,
    slot: Slot,
}

impl Exchange {
    fn start(
        fetch: &JsValue,
        url: &str,
        text: &str,
        body: JsValue,
        cap: usize,
    ) -> Result<Exchange, String> {
        install_handler();
        // Registered first: a fetch function that fails at once reports before this returns.
        let (id, slot) = register();
        if send_buffered(fetch, id, url, text, body, cap as f64) {
            forget(id);
            return Err(take_head().unwrap_or_default());
        }
        Ok(Exchange { id, slot })
    }
}

impl Future for Exchange {
    type Output = Outcome;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        poll_slot(&self.slot, cx)
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        if forget(self.id) {
            abort_exchange(self.id, false);
        }
    }
}

// ------------------------------------------------------------------ fetch

/// Sends with `fetch`: the user's function if given, else the global one at call time.
pub struct FetchTransport {
    pub fetch: Option<Function>,
    /// `maxResponseBytes`: the buffered read stops past it (js/support.js counts).
    pub max_body: usize,
}

/// Bodies that stay in JS for one call: wasm memory never shrinks, so an object's bytes never
/// enter it. `send`: a request body signed `UNSIGNED-PAYLOAD` (S3 parts and large objects),
/// sent in place of the engine's empty one. `keep`: where a 2xx reply's body stays (getObject);
/// the engine reads it as empty. Lent to the transport while the call's future is polled
/// ([`WithBodies`]), so two calls to one URL never take each other's bytes.
#[derive(Default)]
pub struct CallBodies {
    pub send: Option<JsValue>,
    pub keep: Option<RefCell<Option<JsValue>>>,
}

thread_local! {
    static POLLED: RefCell<Option<Rc<CallBodies>>> = const { RefCell::new(None) };
}

/// A call's future with the bodies it lends its transport.
pub struct WithBodies<F> {
    pub bodies: Option<Rc<CallBodies>>,
    pub inner: Pin<Box<F>>,
}

impl<F: Future> Future for WithBodies<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(bodies) = self.bodies.clone() else {
            return self.inner.as_mut().poll(cx);
        };
        let outer = POLLED.with(|p| p.replace(Some(bodies)));
        let r = self.inner.as_mut().poll(cx);
        POLLED.with(|p| p.replace(outer));
        r
    }
}

/// Aborts the fetch (`id`'s controller in js/support.js) when the exchange is dropped before
/// its body was read to the end; lets the controller go either way.
struct AbortOnDrop {
    id: u32,
    finished: bool,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        abort_exchange(self.id, self.finished);
    }
}

/// A body's bytes read whole (empty when JS gave no Uint8Array): one copy of this code.
#[inline(never)]
fn bytes_of(body: JsValue) -> Vec<u8> {
    body.dyn_into::<Uint8Array>()
        .map(|b| b.to_vec())
        .unwrap_or_default()
}

fn connection(message: String) -> TransportError {
    TransportError::connection(message)
}

fn body_error(message: String) -> TransportError {
    TransportError {
        kind: TransportErrorKind::Body,
        message,
    }
}

/// "method\0name\0value\0name\0value..." (header values never hold NUL: config rejects
/// controls): the method and headers in one string, one decode in JS. The URL goes apart (a
/// base URL may hold anything).
fn request_text(req: &HttpRequest) -> String {
    // Sized first: grown from the method's length it was reallocated about six times.
    let mut len = req.method.len();
    for (k, v) in &req.headers {
        len += k.len() + v.len() + 2;
    }
    let mut text = String::with_capacity(len);
    text.push_str(&req.method);
    for (k, v) in &req.headers {
        text.push('\0');
        text.push_str(k);
        text.push('\0');
        text.push_str(v);
    }
    text
}

impl Transport for FetchTransport {
    /// The future keeps what the exchange needs of the lent request: its URL, and its method
    /// and headers as one text.
    fn send(
        &self,
        req: &HttpRequest,
    ) -> LocalFuture<'static, Result<HttpResponse, TransportError>> {
        let fetch = self
            .fetch
            .clone()
            .map(JsValue::from)
            .unwrap_or(JsValue::UNDEFINED);
        let cap = self.max_body;
        let bodies = POLLED.with(|p| p.borrow().clone());
        let held = match (&req.body, &bodies) {
            (Some(b), Some(c)) if b.is_empty() => c.send.clone(),
            _ => None,
        };
        let body = match (&req.body, held) {
            (_, Some(h)) => h,
            (Some(b), None) => Uint8Array::from(b.as_slice()).into(),
            (None, None) => JsValue::UNDEFINED,
        };
        let (url, text, stream) = (req.url.clone(), request_text(req), req.stream);
        Box::pin(async move {
            if !stream {
                // One call starts head and body, one callback brings both: the cheap path for
                // ordinary calls.
                let (head, body) = Exchange::start(&fetch, &url, &text, body, cap)
                    .map_err(connection)?
                    .await
                    .map_err(connection)?;
                if body.is_null_or_undefined() {
                    // Over the cap: js/support.js stopped reading and cancelled the body.
                    return Err(TransportError::too_large(cap));
                }
                let (status, headers) = parse_head(&head);
                let keep = bodies.as_ref().and_then(|c| c.keep.as_ref());
                let bytes = match keep {
                    Some(slot) if (200..300).contains(&status) => {
                        slot.replace(Some(body));
                        Vec::new()
                    }
                    _ => bytes_of(body),
                };
                return Ok(HttpResponse {
                    status,
                    headers,
                    body: Box::new(Buffered(Some(bytes))),
                });
            }
            let guard = AbortOnDrop {
                id: next_id(),
                finished: false,
            };
            let promise = start_stream(&fetch, guard.id, &url, &text, body)
                .map_err(|e| connection(failure(&e)))?;
            let resp = settled(&promise).await.map_err(connection)?;
            let (status, headers) = parse_head(&response_head(&resp));
            Ok(HttpResponse {
                status,
                headers,
                body: Box::new(JsBody {
                    response: Some(resp),
                    streaming: None,
                    guard,
                }),
            })
        })
    }
}

/// A body already read to the end.
struct Buffered(Option<Vec<u8>>);

impl Body for Buffered {
    fn next_chunk(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        let chunk = self.0.take();
        Box::pin(async move { Ok(chunk) })
    }
    fn read_all(&mut self, limit: usize) -> LocalFuture<'_, Result<Vec<u8>, TransportError>> {
        let all = self.0.take().unwrap_or_default();
        Box::pin(async move {
            if all.len() > limit {
                return Err(TransportError::too_large(limit));
            }
            Ok(all)
        })
    }
}

/// A body read as it arrives.
struct JsBody {
    /// The response until its body is read whole or chunk by chunk.
    response: Option<JsValue>,
    /// The response once chunks are asked for one at a time (js/support.js keeps its reader).
    streaming: Option<JsValue>,
    guard: AbortOnDrop,
}

impl Body for JsBody {
    fn next_chunk(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            if self.streaming.is_none() {
                self.streaming = self.response.take();
            }
            let Some(res) = &self.streaming else {
                self.guard.finished = true;
                return Ok(None);
            };
            // One crossing a chunk: js/support.js reads it and checks what it got.
            let chunk = settled(&read_chunk(res)).await.map_err(body_error)?;
            if chunk.is_null() {
                self.guard.finished = true;
                return Ok(None);
            }
            if let Some(message) = chunk.as_string() {
                return Err(connection(message));
            }
            Ok(Some(chunk.unchecked_into::<Uint8Array>().to_vec()))
        })
    }

    fn read_all(&mut self, limit: usize) -> LocalFuture<'_, Result<Vec<u8>, TransportError>> {
        Box::pin(async move {
            let Some(resp) = self.response.take() else {
                // Already streaming (or consumed): gather the remaining chunks, as the trait's
                // default does (kept apart: one shared generic reader costs ~100 B of gzip here).
                let mut all = Vec::new();
                while let Some(c) = self.next_chunk().await? {
                    if all.len() + c.len() > limit {
                        return Err(TransportError::too_large(limit));
                    }
                    all.extend_from_slice(&c);
                }
                return Ok(all);
            };
            let bytes = settled(&read_all(&resp, limit as f64))
                .await
                .map_err(body_error)?;
            if bytes.is_null() {
                return Err(TransportError::too_large(limit));
            }
            self.guard.finished = true;
            Ok(bytes_of(bytes))
        })
    }
}
