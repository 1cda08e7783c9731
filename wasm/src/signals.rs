//! AbortSignal to CancelToken. One JS listener per signal fans out to call ids (js/support.js),
//! and the ids map to tokens (in host.rs's map of ids), so aborting or settling a call is a
//! lookup (O(log n)).

use crate::host::{forget, hold, install_handler, next_id, Held};
use resilient_core::pipeline::CancelToken;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/support.js")]
extern "C" {
    /// Whether the signal was already aborted (then nothing watches it): one crossing, where
    /// `Reflect::get(signal, "aborted")` was an import and a string of its own.
    #[wasm_bindgen(js_name = watchSignal)]
    fn watch_signal(signal: &JsValue, id: u32) -> bool;
    #[wasm_bindgen(js_name = unwatchSignal)]
    fn unwatch_signal(signal: &JsValue, id: u32);
}

/// Links a signal to a token for as long as it lives.
pub struct Watch {
    signal: JsValue,
    id: u32,
}

impl Watch {
    pub fn new(signal: &JsValue, token: &CancelToken) -> Watch {
        // An aborted signal reports its calls' ids to host.rs's one handler, which cancels
        // their tokens.
        install_handler();
        let id = next_id();
        // No JS runs between the watch and the hold: the signal cannot fire in between.
        if watch_signal(signal, id) {
            token.cancel();
        } else {
            hold(id, Held::Token(token.clone()));
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
