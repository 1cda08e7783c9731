//! Calls that wait as data. A waiting call is a small record in the queue (its number, start
//! time, model and the host's bytes for it); the handle that settles it stays with the host,
//! under the record's key. No future and no built request exist until its permit arrives: then
//! the host rebuilds the request from its bytes and runs it with [`Engine::execute_with`].
//! Aborting waiting calls is [`Engine::cancel_queued`] per call, with no future to wake or drop.

use super::admission::{Permit, Waiter};
use super::Engine;
use crate::error::{ApiError, ErrorType};
use crate::queue::{Admit, Priority};
use crate::time::Instant;
use std::rc::Rc;

/// What the engine keeps for a call waiting as a record: 36 bytes in wasm32, so in a 40-byte
/// block (a `Box`: the queue names the record by its key, so no `Rc` counts are needed).
/// Packed to 4-byte alignment: aligned to 8 it would round up to 40 bytes and take a 48-byte
/// block (its fields are read by value, never by reference, but `model`, aligned to 4 anyway).
#[repr(C, packed(4))]
pub(crate) struct Waiting {
    /// Its queue id.
    qid: u64,
    /// The call's number (its id is written from it when read).
    n: u64,
    start: Instant,
    /// Shared with the records before it when it is the same model (the usual case).
    model: Option<Rc<String>>,
    /// The host's bytes for the call (its arguments), handed back on admission.
    held: Box<[u8]>,
}

#[cfg(target_arch = "wasm32")]
const _: () = assert!(std::mem::size_of::<Waiting>() == 36);

/// Waiting records by key: small numbers, reused once a record left and its host let the key
/// go ([`Engine::release_key`]), so the host can keep its side of each record in plain arrays
/// indexed by key instead of a map, and no key is reused while the host still holds it.
#[derive(Default)]
pub(crate) struct Slots {
    by_key: Vec<Slot>,
    free: Vec<u32>,
    /// Keys not free (live records and left ones not yet released).
    taken: usize,
}

#[derive(Default)]
enum Slot {
    #[default]
    Free,
    Live(Box<Waiting>),
    /// Admitted or cancelled; the host has not released the key yet.
    Left,
}

impl Slots {
    fn next_key(&self) -> u32 {
        match self.free.last() {
            Some(k) => *k,
            None => u32::try_from(self.by_key.len()).unwrap_or(u32::MAX),
        }
    }

    fn slot(&mut self, key: u64) -> Option<&mut Slot> {
        self.by_key.get_mut(usize::try_from(key).ok()?)
    }

    /// Keeps `w` under `key`, [`Self::next_key`] when it was made.
    fn insert(&mut self, key: u32, w: Box<Waiting>) {
        if self.free.last() == Some(&key) {
            self.free.pop();
        }
        match self.by_key.get_mut(key as usize) {
            Some(slot) => *slot = Slot::Live(w),
            None => self.by_key.push(Slot::Live(w)),
        }
        self.taken += 1;
    }

    /// The record `key` leaves the queue: it is handed out; its key stays taken until released.
    fn take(&mut self, key: u64) -> Option<Box<Waiting>> {
        let slot = self.slot(key)?;
        if !matches!(slot, Slot::Live(_)) {
            return None;
        }
        match std::mem::replace(slot, Slot::Left) {
            Slot::Live(w) => Some(w),
            _ => None,
        }
    }

    /// The host let `key` go. Once no key is taken the arrays go too (a deep queue that drained
    /// keeps nothing).
    fn release(&mut self, key: u64) {
        let Some(slot @ Slot::Left) = self.slot(key) else {
            return;
        };
        *slot = Slot::Free;
        self.taken -= 1;
        if self.taken == 0 {
            *self = Slots::default();
        } else if let Ok(k) = u32::try_from(key) {
            self.free.push(k);
        }
    }

    /// The queue id of the live record `key`.
    pub(super) fn qid(&mut self, key: u64) -> Option<u64> {
        match self.slot(key)? {
            Slot::Live(w) => Some(w.qid),
            _ => None,
        }
    }
}

/// A call that holds its first permit, ready to run ([`Engine::execute_with`]). Dropping it
/// gives the permit back.
pub struct Admission {
    permit: Permit,
    n: u64,
    start: Instant,
    held: Box<[u8]>,
}

impl Admission {
    /// Its id, start and permit, for [`Engine::execute_with`].
    pub(super) fn into_parts(self, engine: &Engine) -> (String, Instant, Result<Permit, ApiError>) {
        (engine.call_id(self.n), self.start, Ok(self.permit))
    }

    /// The bytes the host gave [`Engine::queue_held`] (empty for [`Engine::queue_call`]).
    pub fn take_held(&mut self) -> Box<[u8]> {
        std::mem::take(&mut self.held)
    }
}

/// A call numbered (its `request` event emitted) when it was made, so call ids follow the
/// order calls are made whichever way each one waits.
pub struct Begun {
    n: u64,
    start: Instant,
}

/// How far a call got before [`Engine::execute_with`] (or [`Engine::open_stream_with`]).
pub enum Start {
    /// Nothing yet: numbered when first polled.
    Fresh,
    /// Numbered ([`Engine::begin_call`]); it still takes its permit.
    Begun(Begun),
    /// Holding its first permit ([`Engine::queue_call`], [`Engine::take_admitted`]).
    Admitted(Admission),
}

impl Start {
    /// The call's number and start, taking them now when it has none yet.
    pub(super) fn begun(self, engine: &Engine, model: Option<&str>, priority: Priority) -> Begun {
        match self {
            Start::Begun(b) => b,
            Start::Admitted(a) => Begun {
                n: a.n,
                start: a.start,
            },
            Start::Fresh => engine.begin_call(model, priority),
        }
    }
}

/// Where [`Engine::queue_call`] put a call.
pub enum Queued {
    /// A permit was free: run it now.
    Now(Admission),
    /// It waits under this key; [`Engine::take_admitted`] hands it back when admitted. Keys
    /// are small numbers, reused once their record left (admitted or cancelled) and the host
    /// released the key ([`Engine::release_key`]).
    Waiting(u64),
}

impl Engine {
    /// Numbers a call now (its `request` event) that takes its permit later.
    pub fn begin_call(&self, model: Option<&str>, priority: Priority) -> Begun {
        let (n, start) = self.begin_numbered(model, priority);
        Begun { n, start }
    }

    /// The id of a numbered call.
    pub(super) fn begun_id(&self, b: &Begun) -> (String, Instant) {
        (self.call_id(b.n), b.start)
    }

    /// Would a call made now have to wait (or be refused for a full queue)?
    pub fn would_wait(&self) -> bool {
        self.inner.state.borrow().queue.would_wait()
    }

    /// `hook` is called, synchronously from the permit's release, when a waiting record is
    /// admitted; the host then calls [`Self::take_admitted`] (later, from its own task).
    pub fn set_admitted_hook(&self, hook: Option<Rc<dyn Fn()>>) {
        *self.inner.on_admitted.borrow_mut() = hook;
    }

    /// Admits a call that waits as a record (unpinned, without a deadline): the `request`
    /// event, the breaker gate and the queue, as [`Self::execute`] does before sending. A
    /// refusal (`circuit_open`, `queue_full`) is counted and returned.
    pub fn queue_call(&self, model: Option<&str>, priority: Priority) -> Result<Queued, ApiError> {
        self.queue_held(model, priority, Box::default())
    }

    /// [`Self::queue_call`] keeping `held` (the host's bytes for the call) with the record: its
    /// [`Admission`] hands them back ([`Admission::take_held`]); a cancel drops them.
    pub fn queue_held(
        &self,
        model: Option<&str>,
        priority: Priority,
        held: Box<[u8]>,
    ) -> Result<Queued, ApiError> {
        let (n, start) = self.begin_numbered(model, priority);
        let refused =
            |e: ApiError| self.finish_failure(e, model, super::Secs::ZERO, &self.call_id(n), None);
        self.breaker_gate(None, start).map_err(refused)?;
        let mut st = self.inner.state.borrow_mut();
        let key = st.records.next_key();
        match st.queue.admit(priority, Waiter::Record(key)) {
            Admit::Now => {
                drop(st);
                // Admitted in the step that numbered it: it waited for nothing.
                self.record_wait(start, start);
                Ok(Queued::Now(Admission {
                    permit: Permit::held(self),
                    n,
                    start,
                    held,
                }))
            }
            Admit::Full => {
                drop(st);
                Err(refused(self.queue_full()))
            }
            Admit::Wait(qid) => {
                let model = model.map(|m| self.shared_model(m));
                st.records.insert(
                    key,
                    Box::new(Waiting {
                        qid,
                        n,
                        start,
                        model,
                        held,
                    }),
                );
                drop(st);
                if self.listening() {
                    self.queue_event("enqueued", &self.call_id(n));
                }
                Ok(Queued::Waiting(u64::from(key)))
            }
        }
    }

    /// The records admitted since the last call, each holding its permit, by key.
    pub fn take_admitted(&self) -> Vec<(u64, Admission)> {
        let ready = std::mem::take(&mut self.inner.state.borrow_mut().admitted);
        let mut out = Vec::with_capacity(ready.len());
        for (key, qid) in ready {
            let w = {
                let mut st = self.inner.state.borrow_mut();
                // Cancelled after its permit arrived: the permit has passed on, and its key
                // may name a newer record by now (hence the queue id kept with the key).
                if st.queue.take_grant(qid, Waiter::Record(key)) != Some(true) {
                    continue;
                }
                st.records.take(u64::from(key))
            };
            // The permit is ours now: held here, so a record that went missing gives it back.
            let permit = Permit::held(self);
            let Some(w) = w else {
                continue;
            };
            if self.listening() {
                self.queue_event("dequeued", &self.call_id(w.n));
            }
            self.record_wait(w.start, self.inner.host.clock.now());
            out.push((
                u64::from(key),
                Admission {
                    permit,
                    n: w.n,
                    start: w.start,
                    held: w.held,
                },
            ));
        }
        out
    }

    /// The caller aborted the waiting record `key`: it leaves the queue unsent and its
    /// `cancelled` error is returned (counted, with its `failure` event). `None` when it no
    /// longer waits.
    pub fn cancel_queued(&self, key: u64) -> Option<ApiError> {
        let (w, next) = {
            let mut st = self.inner.state.borrow_mut();
            let qid = st.records.qid(key)?;
            if !matches!(st.queue.payload(qid), Some(Waiter::Record(k)) if u64::from(*k) == key) {
                return None;
            }
            let w = st.records.take(key)?;
            (w, st.queue.cancel(qid))
        };
        self.pass_on(next);
        let e = ApiError::new(ErrorType::Cancelled, "the caller aborted the request");
        let latency = self.inner.host.clock.now() - w.start;
        let model = w.model; // moved out: a packed field is not borrowed in place
        Some(self.finish_failure(
            e,
            model.as_deref().map(String::as_str),
            latency,
            &self.call_id(w.n),
            None,
        ))
    }

    /// The host no longer holds anything under `key` (a record it took from
    /// [`Self::take_admitted`] or cancelled): the key may be given to a new record. Until then
    /// it is not, so a call made meanwhile (from an event listener, say) never shares a key
    /// with one the host has not let go.
    pub fn release_key(&self, key: u64) {
        self.inner.state.borrow_mut().records.release(key);
    }

    /// `model` as the last record's name when it is the same, so records share one copy.
    fn shared_model(&self, model: &str) -> Rc<String> {
        let mut last = self.inner.last_model.borrow_mut();
        match &*last {
            Some(m) if m.as_str() == model => m.clone(),
            _ => {
                let m = Rc::new(model.to_string());
                *last = Some(m.clone());
                m
            }
        }
    }

    /// A call that started at `start` got its first permit at `now`.
    pub(super) fn record_wait(&self, start: Instant, now: Instant) {
        let waited = now - start;
        self.inner
            .state
            .borrow_mut()
            .stats
            .record_queue_wait(waited);
    }

    pub(super) fn queue_full(&self) -> ApiError {
        ApiError::new(
            ErrorType::QueueFull,
            format!(
                "the request queue is full ({} waiting)",
                self.inner.config.queue_size
            ),
        )
    }
}
