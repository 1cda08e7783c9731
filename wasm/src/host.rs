//! The host traits over JavaScript: the global `fetch` (or the user's), `AbortController`,
//! `setTimeout`, `performance.now` and `Math.random`. Nothing here assumes `window`, so it
//! runs the same in a page, a worker and Node.

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use resilient_core::host::{
    Body, Clock, Entropy, HttpRequest, HttpResponse, LocalFuture, Transport, TransportError,
    TransportErrorKind,
};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn perf_now() -> f64;
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
    #[wasm_bindgen(js_namespace = Math, js_name = random)]
    fn math_random() -> f64;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_name = AbortController)]
    type AbortController;
    #[wasm_bindgen(constructor, js_class = "AbortController")]
    fn new() -> AbortController;
    #[wasm_bindgen(method, getter)]
    fn signal(this: &AbortController) -> JsValue;
    #[wasm_bindgen(method)]
    fn abort(this: &AbortController);
}

pub struct JsClock;

impl Clock for JsClock {
    fn now(&self) -> f64 {
        perf_now() / 1000.0
    }
    fn unix_now(&self) -> f64 {
        date_now() / 1000.0
    }
    fn sleep(&self, secs: f64) -> LocalFuture<'static, ()> {
        Box::pin(Sleep::new(secs))
    }
}

pub struct JsEntropy;

impl Entropy for JsEntropy {
    fn unit(&self) -> f64 {
        math_random()
    }
}

#[derive(Default)]
struct TimerState {
    fired: bool,
    waker: Option<Waker>,
}

/// A `setTimeout` as a future; dropping it clears the timer.
struct Sleep {
    state: Rc<RefCell<TimerState>>,
    handle: Option<JsValue>,
    _closure: Option<Closure<dyn FnMut()>>,
    ms: f64,
}

impl Sleep {
    fn new(secs: f64) -> Sleep {
        // setTimeout takes a 32-bit delay; longer waits would fire at once.
        let ms = (secs * 1000.0).clamp(0.0, 2_147_483_647.0);
        Sleep {
            state: Rc::default(),
            handle: None,
            _closure: None,
            ms: if ms.is_nan() { 0.0 } else { ms },
        }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.state.borrow().fired {
            return Poll::Ready(());
        }
        self.state.borrow_mut().waker = Some(cx.waker().clone());
        if self.handle.is_none() {
            let state = self.state.clone();
            let closure = Closure::<dyn FnMut()>::new(move || {
                let waker = {
                    let mut s = state.borrow_mut();
                    s.fired = true;
                    s.waker.take()
                };
                if let Some(w) = waker {
                    w.wake();
                }
            });
            self.handle = Some(set_timeout(closure.as_ref().unchecked_ref(), self.ms));
            self._closure = Some(closure);
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(h) = &self.handle {
            if !self.state.borrow().fired {
                clear_timeout(h);
            }
        }
    }
}

/// Sends with `fetch`: the user's function if given, else the global one at call time.
pub struct FetchTransport {
    pub fetch: Option<Function>,
}

fn js_message(e: &JsValue) -> String {
    let msg = Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "fetch failed".into());
    // Node's fetch hides the reason (ECONNREFUSED, ECONNRESET) in `cause`.
    let cause = Reflect::get(e, &"cause".into())
        .ok()
        .filter(|c| c.is_object());
    let code = cause
        .as_ref()
        .and_then(|c| Reflect::get(c, &"code".into()).ok())
        .and_then(|c| c.as_string());
    match code {
        Some(code) => format!("{msg} ({code})"),
        None => msg,
    }
}

/// Aborts the fetch when the exchange is dropped before its body was read to the end.
struct AbortOnDrop {
    controller: AbortController,
    finished: bool,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if !self.finished {
            self.controller.abort();
        }
    }
}

fn connection(message: String) -> TransportError {
    TransportError::connection(message)
}

impl Transport for FetchTransport {
    fn send(&self, req: HttpRequest) -> LocalFuture<'static, Result<HttpResponse, TransportError>> {
        let fetch = self.fetch.clone();
        Box::pin(async move {
            let controller = AbortController::new();
            let mut guard = AbortOnDrop {
                controller,
                finished: false,
            };
            let init = Object::new();
            let headers = Object::new();
            for (k, v) in &req.headers {
                set(&headers, k, &JsValue::from_str(v));
            }
            set(&init, "method", &JsValue::from_str(&req.method));
            set(&init, "headers", &headers);
            if let Some(body) = &req.body {
                set(&init, "body", &Uint8Array::from(body.as_slice()));
            }
            set(&init, "signal", &guard.controller.signal());
            let fetch = match fetch {
                Some(f) => f,
                None => Reflect::get(&js_sys::global(), &"fetch".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<Function>().ok())
                    .ok_or_else(|| connection("no global fetch in this environment".into()))?,
            };
            let promise = fetch
                .call2(&JsValue::UNDEFINED, &JsValue::from_str(&req.url), &init)
                .map_err(|e| connection(js_message(&e)))?;
            let promise: Promise = promise
                .dyn_into()
                .map_err(|_| connection("fetch did not return a promise".into()))?;
            let resp = JsFuture::from(promise)
                .await
                .map_err(|e| connection(js_message(&e)))?;
            let status = Reflect::get(&resp, &"status".into())
                .ok()
                .and_then(|s| s.as_f64())
                .unwrap_or(0.0) as u16;
            let mut headers = Vec::new();
            if let Ok(h) = Reflect::get(&resp, &"headers".into()) {
                if let Ok(Some(iter)) = js_sys::try_iter(&h) {
                    for entry in iter.flatten() {
                        let k = Reflect::get_u32(&entry, 0).ok().and_then(|v| v.as_string());
                        let v = Reflect::get_u32(&entry, 1).ok().and_then(|v| v.as_string());
                        if let (Some(k), Some(v)) = (k, v) {
                            headers.push((k, v));
                        }
                    }
                }
            }
            let body = Reflect::get(&resp, &"body".into()).unwrap_or(JsValue::NULL);
            let reader = if body.is_object() {
                let get_reader = Reflect::get(&body, &"getReader".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<Function>().ok());
                match get_reader {
                    Some(f) => Some(f.call0(&body).map_err(|e| connection(js_message(&e)))?),
                    None => None,
                }
            } else {
                None
            };
            if reader.is_none() {
                guard.finished = true;
            }
            Ok(HttpResponse {
                status,
                headers,
                body: Box::new(JsBody { reader, guard }),
            })
        })
    }
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

struct JsBody {
    reader: Option<JsValue>,
    guard: AbortOnDrop,
}

impl Body for JsBody {
    fn next_chunk(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            let Some(reader) = &self.reader else {
                return Ok(None);
            };
            let body_err = |e: &JsValue| TransportError {
                kind: TransportErrorKind::Body,
                message: js_message(e),
            };
            let read = Reflect::get(reader, &"read".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| connection("the body reader has no read()".into()))?;
            let promise: Promise = read
                .call0(reader)
                .map_err(|e| body_err(&e))?
                .dyn_into()
                .map_err(|_| connection("read() did not return a promise".into()))?;
            let result = JsFuture::from(promise).await.map_err(|e| body_err(&e))?;
            let done = Reflect::get(&result, &"done".into())
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                self.guard.finished = true;
                self.reader = None;
                return Ok(None);
            }
            let value = Reflect::get(&result, &"value".into()).unwrap_or(JsValue::UNDEFINED);
            let bytes = value
                .dyn_into::<Uint8Array>()
                .map_err(|_| connection("a body chunk is not a Uint8Array".into()))?;
            Ok(Some(bytes.to_vec()))
        })
    }
}
