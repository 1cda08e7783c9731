//! Unary calls that wait as records (DESIGN.md rule 8). A call that finds no free permit is
//! checked (its operation's checks run without writing a body: `providers::check_only`), then
//! kept as data: the engine's record (`resilient_core::pipeline::records`) holds its place, its
//! operation and its arguments as JSON text (UTF-8, a snapshot), js/support.js its signal and
//! its settle function, in arrays indexed by the record's key. When its permit arrives the
//! request is built from that text and run; no future exists before. Calls the records do not
//! cover take the suspended-future path (`ClientCore::run_holding`): with a `deadline` or an
//! `endpointId`, a binary body, or `endpoints` configured.

use crate::client::ClientCore;
use crate::convert::{api_error, split_bytes, split_call, to_js, CallArgs};
use crate::{op_name, UNARY};
use js_sys::{Array, Function, Promise};
use resilient_core::json::Value;
use resilient_core::pipeline::{Admission, Queued, Read, Start};
use resilient_core::providers::{self, Unary};
use resilient_core::queue::Priority;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/support.js")]
extern "C" {
    #[wasm_bindgen(js_name = newBook)]
    pub fn new_book(run: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = holdCall)]
    fn hold_call(book: &JsValue, key: u32, signal: &JsValue) -> Promise;
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

    /// Unary operation `op` (number `number` of [`UNARY`]) with plain JSON arguments and no
    /// `endpoints`: kept as a record while it must wait, or run at once holding a free permit.
    /// A call that will wait is only checked now (the same checks and errors as building it,
    /// without writing its body; `providers::check_only`) and built when admitted. A call
    /// records do not cover (no arguments, a `deadline`, an `endpointId`, an aborted signal,
    /// an argument error) runs as one suspended future, which reports any error as before.
    pub(crate) fn unary_json(&self, number: u32, op: &str, req: &JsValue) -> Promise {
        let (mut args, text) = match split_call(req, op, "(request)") {
            Ok(split) => split,
            Err(e) => return self.run_holding(CallArgs::default(), Err(e), Ok(Vec::new()), None),
        };
        let rest = Value::Object(std::mem::take(&mut args.rest));
        let ctx = self.ctx(None);
        // The operation's number in UNARY, as the record keeps it (one byte).
        let op_index = u8::try_from(number)
            .ok()
            .filter(|i| usize::from(*i) < UNARY.len());
        let priority = Priority::parse(&args.priority).ok();
        // JSON.stringify writes an object's text from its `{` (checked all the same: that byte
        // is where the record keeps its operation).
        let record = match (
            text.filter(|t| t.first() == Some(&b'{')),
            op_index,
            priority,
            args.deadline,
            args.endpoint_id.as_ref(),
            self.missing_key(),
            args.aborted,
        ) {
            (Some(text), Some(op_index), Some(priority), None, None, None, false) => {
                Some((text, op_index, priority))
            }
            _ => None,
        };
        // A call that will wait is only checked, and keeps only its model: what the check made
        // is freed before the record is, so records pack together in wasm memory (made amid the
        // check's leftovers, they left holes: 30 B more per queued call). Any other call is
        // built in full: a record that finds a free permit runs at once, the others as futures.
        let waits = record.is_some() && self.engine.would_wait();
        let built = providers::check_only(waits, || self.provider.unary(op, &ctx, &rest));
        drop(rest);
        let (text, op_index, priority, mut built) = match (record, built) {
            (Some((text, op_index, priority)), Ok(u)) => (text, op_index, priority, u),
            (_, built) => return self.run_holding(args, built, Ok(Vec::new()), None),
        };
        let checked_model = waits.then(|| built.model.take()).flatten();
        let ready = (!waits).then_some(built);
        let model = match &ready {
            Some(u) => u.model.as_deref(),
            None => checked_model.as_deref(),
        };
        // The record's bytes: its arguments' text, kept as it came (no copy), the operation's
        // index in place of its first byte (`{`, put back on admission).
        let mut held = text;
        if let Some(first) = held.first_mut() {
            *first = op_index;
        }
        match self
            .engine
            .queue_held(model, priority, held.into_boxed_slice())
        {
            Err(e) => Promise::reject(&api_error(&e)),
            Ok(Queued::Now(admission)) => match ready {
                Some(u) => self.start_call(args, u, admission),
                // Checked only (the queue looked full; it cannot have changed since): built now.
                None => self.start_record(admission, args.signal),
            },
            Ok(Queued::Waiting(key)) => {
                drop(ready);
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

    /// Runs a record holding its permit: its request built from its text.
    fn start_record(&self, mut admission: Admission, signal: Option<JsValue>) -> Promise {
        let mut held = admission.take_held();
        let op = match held.first_mut() {
            Some(i) => {
                let op = op_name(&UNARY, u32::from(*i));
                *i = b'{';
                op
            }
            None => "",
        };
        let rebuilt = split_bytes(&held, signal, op, "").and_then(|mut args| {
            let rest = Value::Object(std::mem::take(&mut args.rest));
            let built = self.provider.unary(op, &self.ctx(None), &rest)?;
            Ok((args, built))
        });
        drop(held);
        match rebuilt {
            Ok((args, built)) => self.start_call(args, built, admission),
            Err(e) => Promise::reject(&api_error(&self.engine.fail_early(e, None))),
        }
    }

    /// Starts every record whose permit arrived: its request rebuilt from its text.
    fn start_admitted(&self) {
        let book = self.book.borrow().clone();
        for (key, admission) in self.engine.take_admitted() {
            let taken = take_call(&book, key as u32);
            self.engine.release_key(key);
            if taken.is_undefined() {
                continue; // dropping the admission gives its permit back
            }
            self.count_waiting(-1);
            let pair: Array = taken.unchecked_into();
            let signal = Some(pair.get(0)).filter(|s| !s.is_undefined());
            let resolve: Function = pair.get(1).unchecked_into();
            let promise = self.start_record(admission, signal);
            let _ = resolve.call1(&JsValue::UNDEFINED, &promise);
        }
    }

    /// The records `keys` were aborted: those still waiting leave the queue, in one pass. Their
    /// errors differ only in their request ids, so the error's fields cross once, as a template.
    fn cancel_waiting(&self, keys: Array) {
        // One id per key, undefined for a key not cancelled: pushed, as the other arrays made
        // here are (`new_with_length` and `set` were two imports of their own).
        let ids = Array::new();
        let mut template = JsValue::UNDEFINED;
        let mut cancelled = 0;
        // Indexed `get`, not `keys.iter()`: its `get_unchecked` is an import (and glue) of its own.
        for i in 0..keys.length() {
            let key = keys.get(i).as_f64().unwrap_or(-1.0);
            let mut id = JsValue::UNDEFINED;
            let found = if key < 0.0 {
                None
            } else {
                self.engine.cancel_queued(key as u64)
            };
            if let Some(e) = found {
                if template.is_undefined() {
                    template = to_js(&e.info());
                }
                id = e.request_id.as_deref().unwrap_or_default().into();
                cancelled += 1;
            }
            ids.push(&id);
        }
        reject_calls(&self.book.borrow(), &keys, &ids, &template);
        // Only now, with the book cleared, may their keys go to new records (a key that was
        // not cancelled here is not one left by the engine: releasing it does nothing).
        for i in 0..keys.length() {
            self.engine
                .release_key(keys.get(i).as_f64().map_or(u64::MAX, |k| k as u64));
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
