//! AbortSignal to CancelToken. One JS listener per signal fans out to call ids (js/support.js),
//! and the ids map to tokens here, so aborting or settling a call is a lookup (O(log n)).

use resilient_core::idmap::IdMap;
use resilient_core::pipeline::CancelToken;
use std::cell::{Cell, RefCell};
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
    static TOKENS: RefCell<IdMap<u32, CancelToken>> = RefCell::new(IdMap::new());
    static NEXT: Cell<u32> = const { Cell::new(0) };
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

fn fire(id: u32) {
    let token = TOKENS.with(|t| t.borrow_mut().remove(&id));
    if let Some(t) = token {
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
            let handler = Closure::<dyn Fn(u32)>::new(fire);
            set_abort_handler(&handler.into_js_value());
        }
        let id = NEXT.with(|n| {
            let id = n.get().wrapping_add(1);
            n.set(id);
            id
        });
        let aborted = js_sys::Reflect::get(signal, &"aborted".into())
            .ok()
            .and_then(|a| a.as_bool())
            .unwrap_or(false);
        if aborted {
            token.cancel();
        } else {
            TOKENS.with(|t| t.borrow_mut().insert(id, token.clone()));
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
        let had = TOKENS.with(|t| t.borrow_mut().remove(&self.id)).is_some();
        if had {
            unwatch_signal(&self.signal, self.id);
        }
    }
}
