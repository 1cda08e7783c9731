//! `chatStream`: an async iterator over a stream. Returned synchronously; the request starts
//! at the first `next()`. `return()` (a `break` out of `for await`) cancels the request and
//! gives its concurrency slot back.

use crate::client::Prepared;
use crate::convert::{api_error, api_error_with_text};
use crate::host::future_to_promise;
use futures_util::future::LocalBoxFuture;
use js_sys::{Promise, Uint8Array};
use resilient_core::pipeline::{Begun, CancelToken, Engine, Read, SharedStream, Start};
use resilient_core::{ApiError, ErrorType};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/support.js")]
extern "C" {
    /// `{ value, done }`: one crossing, where building it here took five.
    #[wasm_bindgen(js_name = iterResult)]
    fn iter_result(value: &JsValue, done: bool) -> JsValue;
    /// A text item's iterator result: the item parsed, its `delta` added to the holder's text
    /// and that text set as its `text`.
    #[wasm_bindgen(js_name = textItem)]
    fn text_item(holder: &JsValue, json: &str) -> JsValue;
}

/// A stream not started yet: the prepared call, or why it cannot start.
type Unstarted = Result<Prepared, ApiError>;

enum State {
    Ready(Box<Unstarted>),
    /// The open stream and whatever keeps the caller's signal linked to it.
    Open(Rc<SharedStream>, Option<crate::signals::Watch>),
    /// A `next()` is running.
    Busy,
    Done,
}

struct Inner {
    engine: Engine,
    state: RefCell<State>,
    cancel: RefCell<Option<CancelToken>>,
    /// The text so far, in a JS object (js/support.js `textItem`): concatenation there is
    /// cheap (ropes), so items can carry the whole text without quadratic copying.
    text: JsValue,
    /// `return()` ran (a `break` out of `for await`): the stream ends quietly. An abort
    /// through the caller's signal instead rejects the next read with `cancelled`.
    returned: Cell<bool>,
    /// Raw bytes (`RawCodec`): items are the head (text), then `Uint8Array` chunks.
    raw: bool,
    /// Numbered at the first `next()`, synchronously, so ids follow the order calls start.
    begun: RefCell<Option<Begun>>,
}

#[wasm_bindgen]
pub struct ChatStream {
    inner: Rc<Inner>,
}

impl ChatStream {
    pub(crate) fn new(
        engine: Engine,
        prepared: Result<Prepared, ApiError>,
        raw: bool,
    ) -> ChatStream {
        ChatStream {
            inner: Rc::new(Inner {
                engine,
                state: RefCell::new(State::Ready(Box::new(prepared))),
                cancel: RefCell::new(None),
                // Any object holds the text: an empty array's constructor is an import
                // already made (`Object::new` would be one, and glue, of its own).
                text: js_sys::Array::new().into(),
                returned: Cell::new(false),
                raw,
                begun: RefCell::new(None),
            }),
        }
    }
}

async fn next_item(inner: Rc<Inner>) -> Result<JsValue, JsValue> {
    let done = || iter_result(&JsValue::UNDEFINED, true);
    let state = inner.state.replace(State::Busy);
    // Every way out but `Busy`'s names the state it leaves, set once below: one `replace` (and
    // one drop of what it held) in this state machine, not one per way out.
    let (after, result) = 'step: {
        let (stream, watch) = match state {
            State::Open(s, w) => (s, w),
            State::Done => break 'step (State::Done, Ok(done())),
            State::Busy => {
                let e = ApiError::new(
                    ErrorType::InvalidRequest,
                    "next() was called before the previous next() settled",
                );
                return Err(api_error(&e));
            }
            State::Ready(ready) => {
                let Prepared { mut call, watch } = match *ready {
                    Ok(p) => p,
                    Err(e) => break 'step (State::Done, Err(api_error(&e))),
                };
                inner.cancel.replace(call.cancel.clone());
                // The text lives once, here as a JS string; errors get it as their partialText.
                if let Read::Stream(codec) = &mut call.read {
                    codec.keep_text(false);
                }
                let from = inner.begun.take().map_or(Start::Fresh, Start::Begun);
                // Boxed: inlined, the opening future made this one function ~10 kB.
                let opening: LocalBoxFuture<'_, _> =
                    Box::pin(inner.engine.open_stream_with(call, from));
                match opening.await {
                    Ok(s) => {
                        let shared = SharedStream::new(s);
                        // Gives the slot back when the consumer stops asking for items.
                        crate::host::spawn(shared.watch());
                        (shared, watch)
                    }
                    Err(e) => break 'step (State::Done, Err(api_error(&e))),
                }
            }
        };
        // Boxed too: the read's own state machine stays out of this one.
        let next: LocalBoxFuture<'_, _> = Box::pin(stream.next());
        let next = next.await;
        // return() may have run while this next() was reading: honour it now.
        let (stopped, result) = match next {
            Some(Ok(json)) if inner.raw => {
                // An empty item is a chunk, or the end when it has no bytes.
                let item = match json.is_empty() {
                    false => Some(JsValue::from_str(&json)),
                    true => stream
                        .take_bytes()
                        .map(|b| Uint8Array::from(b.as_slice()).into()),
                };
                match item {
                    Some(v) => (inner.returned.get(), Ok(iter_result(&v, false))),
                    None => (true, Ok(done())),
                }
            }
            Some(Ok(json)) => {
                let item = text_item(&inner.text, &json);
                (inner.returned.get(), Ok(item))
            }
            Some(Err(e)) => (true, Err(api_error_with_text(&e, &inner.text))),
            None => (true, Ok(done())),
        };
        let after = if stopped {
            State::Done
        } else {
            State::Open(stream, watch)
        };
        (after, result)
    };
    inner.state.replace(after);
    result
}

#[wasm_bindgen]
impl ChatStream {
    /// The async-iterator protocol: `{ value: item, done: false }`, then `{ done: true }`.
    pub fn next(&self) -> Promise {
        // Read first, then begin: the `request` event may run code that touches this stream.
        let unstarted = match &*self.inner.state.borrow() {
            State::Ready(ready) => match &**ready {
                Ok(p) => Some((p.call.model.clone(), p.call.priority)),
                Err(_) => None,
            },
            _ => None,
        };
        let fresh = self.inner.begun.borrow().is_none();
        if let (Some((model, priority)), true) = (unstarted, fresh) {
            let begun = self.inner.engine.begin_call(model.as_deref(), priority);
            self.inner.begun.replace(Some(begun));
        }
        future_to_promise(next_item(self.inner.clone()))
    }

    /// Stops the stream: cancels the request (a running `next()` rejects with `cancelled`) and
    /// frees its slot. Called by `for await` on `break`.
    #[wasm_bindgen(js_name = "return")]
    pub fn stop(&self) -> Promise {
        self.inner.returned.set(true);
        if let Some(token) = self.inner.cancel.borrow().as_ref() {
            token.cancel();
        }
        let previous = self.inner.state.replace(State::Done);
        if let State::Busy = previous {
            // The running next() owns the stream; the token above ends it.
            self.inner.state.replace(State::Busy);
        }
        drop(previous);
        Promise::resolve(&iter_result(&JsValue::UNDEFINED, true))
    }
}
