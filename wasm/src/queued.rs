//! Unary calls that wait as records (DESIGN.md rule 8). A call that finds no free permit is
//! validated (its request is built once and dropped), then kept as data: the engine's record
//! (`resilient_core::pipeline::records`) holds its place, its operation and its arguments as
//! JSON text (UTF-8, a snapshot), js/support.js its signal and its settle function, in arrays
//! indexed by the record's key. When its permit arrives the request is rebuilt from that text
//! and run; no future exists before. Calls the records do not
//! cover take the suspended-future path (`ClientCore::run_holding`): with a `deadline` or an
//! `endpointId`, a binary body, or `endpoints` configured.

use crate::client::ClientCore;
use crate::convert::{api_error, split_bytes, to_js, CallArgs};
use crate::UNARY;
use js_sys::{Array, Function, Promise};
use resilient_core::json::Value;
use resilient_core::pipeline::{Admission, Queued, Read, Start};
use resilient_core::providers::Unary;
use resilient_core::queue::Priority;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/support.js")]
extern "C" {
    #[wasm_bindgen(js_name = newBook)]
    pub fn new_book(run: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = holdCall)]
    fn hold_call(book: &JsValue, key: u32, signal: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = isAborted)]
    fn is_aborted(signal: &JsValue) -> bool;
    #[wasm_bindgen(js_name = scheduleStart)]
    fn schedule_start(book: &JsValue);
    #[wasm_bindgen(js_name = takeCall)]
    fn take_call(book: &JsValue, key: u32) -> JsValue;
    #[wasm_bindgen(js_name = rejectCalls)]
    fn reject_calls(book: &JsValue, keys: &Array, ids: &Array, template: &JsValue);
}

/// The book's hook, kind 0: start the admitted records; kind 1: cancel the records `keys`.
const START: u32 = 0;

impl ClientCore {
    /// Links a new client's engine and its book of records. Weak: neither owns the client.
    pub fn install_records(core: &Rc<ClientCore>) {
        *core.this.borrow_mut() = Rc::downgrade(core);
        let weak: Weak<ClientCore> = Rc::downgrade(core);
        let run = Closure::<dyn Fn(u32, JsValue)>::new(move |kind: u32, keys: JsValue| {
            if let Some(core) = weak.upgrade() {
                if kind == START {
                    core.start_admitted();
                } else {
                    core.cancel_waiting(keys.unchecked_into());
                }
            }
        });
        let book = new_book(&run.into_js_value());
        let hook_book = book.clone();
        core.engine
            .set_admitted_hook(Some(Rc::new(move || schedule_start(&hook_book))));
        *core.book.borrow_mut() = book;
    }

    /// A built unary call with its arguments' JSON `text`: kept as a record while it must wait
    /// (the built request is dropped), or run at once holding a free permit. A call records do not
    /// cover (a `deadline`, an `endpointId`, an aborted signal, an argument error) runs as one
    /// suspended future, which reports any error as before.
    pub(crate) fn queue_record(
        &self,
        op: u32,
        args: CallArgs,
        text: String,
        built: Unary,
    ) -> Promise {
        // The operation's number in UNARY, as the record keeps it (one byte).
        let op_index = u8::try_from(op)
            .ok()
            .filter(|i| usize::from(*i) < UNARY.len());
        let priority = Priority::parse(&args.priority).ok();
        let (Some(op_index), Some(priority), None, None, None, false) = (
            op_index,
            priority,
            args.deadline,
            args.endpoint_id.as_ref(),
            self.missing_key(),
            args.signal.as_ref().is_some_and(is_aborted),
        ) else {
            return self.run_holding(args, Ok(built), Ok(Vec::new()), None);
        };
        // The record's bytes: its operation's index, then its arguments' text.
        let mut held = Vec::with_capacity(text.len() + 1);
        held.push(op_index);
        held.extend_from_slice(text.as_bytes());
        drop(text);
        let model = built.model.as_deref();
        match self
            .engine
            .queue_held(model, priority, held.into_boxed_slice())
        {
            Err(e) => Promise::reject(&api_error(&e)),
            Ok(Queued::Now(admission)) => self.start_call(args, built, admission),
            Ok(Queued::Waiting(key)) => {
                drop(built);
                self.count_waiting(1);
                let signal = args.signal.unwrap_or(JsValue::UNDEFINED);
                hold_call(&self.book.borrow(), key as u32, &signal)
            }
        }
    }

    /// Runs a call holding its first permit; the promise of its result.
    fn start_call(&self, args: CallArgs, built: Unary, admission: Admission) -> Promise {
        let parts = Ok((
            built.request,
            built.model,
            built.errors,
            Read::Unary(built.parse),
            built.resign,
        ));
        let prepared = self.prepare(args, parts, Ok(Vec::new()));
        self.settle(prepared, Start::Admitted(admission), None)
    }

    /// Starts every record whose permit arrived: its request rebuilt from its text.
    fn start_admitted(&self) {
        let book = self.book.borrow().clone();
        for (key, mut admission) in self.engine.take_admitted() {
            let taken = take_call(&book, key as u32);
            self.engine.release_key(key);
            if taken.is_undefined() {
                continue; // dropping the admission gives its permit back
            }
            self.count_waiting(-1);
            let held = admission.take_held();
            let (op, text) = match held.split_first() {
                Some((i, text)) => (
                    UNARY.get(usize::from(*i)).copied().unwrap_or_default(),
                    text,
                ),
                None => ("", &[][..]),
            };
            let pair: Array = taken.unchecked_into();
            let signal = Some(pair.get(0)).filter(|s| !s.is_undefined());
            let resolve: Function = pair.get(1).unchecked_into();
            let rebuilt = split_bytes(text, signal, op).and_then(|mut args| {
                let rest = Value::Object(std::mem::take(&mut args.rest));
                let built = self.provider.unary(op, &self.ctx(None), &rest)?;
                Ok((args, built))
            });
            drop(held);
            let promise = match rebuilt {
                Ok((args, built)) => self.start_call(args, built, admission),
                Err(e) => Promise::reject(&api_error(&self.engine.fail_early(e, None))),
            };
            let _ = resolve.call1(&JsValue::UNDEFINED, &promise);
        }
    }

    /// The records `keys` were aborted: those still waiting leave the queue, in one pass. Their
    /// errors differ only in their request ids, so the error's fields cross once, as a template.
    fn cancel_waiting(&self, keys: Array) {
        let ids = Array::new_with_length(keys.length());
        let mut template = JsValue::UNDEFINED;
        let mut cancelled = 0;
        for (i, key) in keys.iter().enumerate() {
            let key = key.as_f64().unwrap_or(-1.0);
            if key < 0.0 {
                continue;
            }
            if let Some(e) = self.engine.cancel_queued(key as u64) {
                if template.is_undefined() {
                    template = to_js(&e.info());
                }
                ids.set(i as u32, e.request_id.as_deref().unwrap_or_default().into());
                cancelled += 1;
            }
        }
        reject_calls(&self.book.borrow(), &keys, &ids, &template);
        // Only now, with the book cleared, may their keys go to new records (a key that was
        // not cancelled here is not one left by the engine: releasing it does nothing).
        for key in keys.iter() {
            self.engine
                .release_key(key.as_f64().map_or(u64::MAX, |k| k as u64));
        }
        self.count_waiting(-cancelled);
    }

    /// Records keep their client alive while any waits (its promise must settle even when the
    /// caller dropped the client): a strong reference to itself, from the first to the last.
    fn count_waiting(&self, delta: i64) {
        let was = self.waiting_records.get();
        let now = (was as i64 + delta).max(0) as u64;
        self.waiting_records.set(now);
        if was == 0 && now > 0 {
            *self.keep.borrow_mut() = self.this.borrow().upgrade();
        } else if now == 0 && was > 0 {
            let keep = self.keep.borrow_mut().take();
            drop(keep); // a caller upgraded its own reference first: never the last one here
        }
    }
}
