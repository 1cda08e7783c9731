//! AbortSignal to CancelToken. One JS listener per signal fans out to call ids (js/support.js),
//! and the ids map to tokens (in host.rs's map of ids), so aborting or settling a call is a
//! lookup (O(log n)).

use crate::host::{forget, hold, next_id, take, Held};
use resilient_core::pipeline::CancelToken;
use std::cell::Cell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/support.js")]
extern "C" {
    #[wasm_bindgen(js_name = setAbortHandler)]
    fn set_abort_handler(handler: &JsValue);
    #[wasm_bindgen(js_name = watchSignal)]
    fn watch_signal(signal: &JsValue, id: u32);
    #[wasm_bindgen(js_name = unwatchSignal)]
    fn unwatch_signal(signal: &JsValue, id: u32);
}

thread_local! {
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

/// The abort handler, of the hooks' one closure type (`Fn(u32, JsValue)`; the value unused).
fn fire(id: u32, _: JsValue) {
    if let Some(Held::Token(t)) = take(id) {
        t.cancel();
    }
}

/// Links a signal to a token for as long as it lives.
pub struct Watch {
    signal: JsValue,
    id: u32,
}

impl Watch {
    pub fn new(signal: &JsValue, token: &CancelToken) -> Watch {
        if !INSTALLED.with(|i| i.replace(true)) {
            let handler = Closure::<dyn Fn(u32, JsValue)>::new(fire);
            set_abort_handler(&handler.into_js_value());
        }
        let id = next_id();
        let aborted = js_sys::Reflect::get(signal, &"aborted".into())
            .ok()
            .and_then(|a| a.as_bool())
            .unwrap_or(false);
        if aborted {
            token.cancel();
        } else {
            hold(id, Held::Token(token.clone()));
            watch_signal(signal, id);
        }
        Watch {
            signal: signal.clone(),
            id,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if forget(self.id) {
            unwatch_signal(&self.signal, self.id);
        }
    }
}
