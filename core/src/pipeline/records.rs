//! Calls that wait as data. A waiting call is a small record in the queue (its number, start
//! time and model); its arguments and the handle that settles it stay with the host. No future
//! and no built request exist until its permit arrives: then the host rebuilds the request and
//! runs it with [`Engine::execute_with`]. Aborting waiting calls is [`Engine::cancel_queued`]
//! per call, with no future to wake or drop.

use super::admission::{Permit, Waiter};
use super::Engine;
use crate::error::{ApiError, ErrorType};
use crate::queue::{Admit, Priority};
use crate::time::Instant;
use std::cell::Cell;
use std::rc::Rc;

/// What the engine keeps for a call waiting as a record.
pub(crate) struct Waiting {
    /// Its queue id (set once the queue has given one).
    qid: Cell<u64>,
    /// The call's number (its id is written from it when read).
    n: u64,
    start: Instant,
    /// Shared with the records before it when it is the same model (the usual case).
    model: Option<Rc<String>>,
}

/// A call that holds its first permit, ready to run ([`Engine::execute_with`]). Dropping it
/// gives the permit back.
pub struct Admission {
    permit: Permit,
    n: u64,
    start: Instant,
}

impl Admission {
    /// Its id, start and permit, for [`Engine::execute_with`].
    pub(super) fn into_parts(self, engine: &Engine) -> (String, Instant, Result<Permit, ApiError>) {
        (engine.call_id(self.n), self.start, Ok(self.permit))
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
    /// It waits under this key; [`Engine::take_admitted`] hands it back when admitted.
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
        let (n, start) = self.begin_numbered(model, priority);
        let refused =
            |e: ApiError| self.finish_failure(e, model, super::Secs::ZERO, &self.call_id(n), None);
        self.breaker_gate(None, start).map_err(refused)?;
        let waiting = Rc::new(Waiting {
            qid: Cell::new(0),
            n,
            start,
            model: model.map(|m| self.shared_model(m)),
        });
        let admit = self
            .inner
            .state
            .borrow_mut()
            .queue
            .admit(priority, Waiter::Record(waiting.clone()));
        match admit {
            Admit::Now => {
                self.record_wait(start);
                Ok(Queued::Now(Admission {
                    permit: Permit::held(self),
                    n,
                    start,
                }))
            }
            Admit::Full => Err(refused(self.queue_full())),
            Admit::Wait(qid) => {
                waiting.qid.set(qid);
                if self.listening() {
                    self.queue_event("enqueued", &self.call_id(n));
                }
                Ok(Queued::Waiting(qid))
            }
        }
    }

    /// The records admitted since the last call, each holding its permit, by key.
    pub fn take_admitted(&self) -> Vec<(u64, Admission)> {
        let ready = std::mem::take(&mut self.inner.state.borrow_mut().admitted);
        let mut out = Vec::with_capacity(ready.len());
        for w in ready {
            let qid = w.qid.get();
            let granted = {
                let mut st = self.inner.state.borrow_mut();
                st.queue.take_grant(qid, Waiter::Record(w.clone())) == Some(true)
            };
            if !granted {
                continue; // cancelled after its permit arrived: the permit has passed on
            }
            if self.listening() {
                self.queue_event("dequeued", &self.call_id(w.n));
            }
            self.record_wait(w.start);
            out.push((
                qid,
                Admission {
                    permit: Permit::held(self),
                    n: w.n,
                    start: w.start,
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
            let w = match st.queue.payload(key) {
                Some(Waiter::Record(w)) => w.clone(),
                _ => return None,
            };
            (w, st.queue.cancel(key))
        };
        self.pass_on(next);
        let e = ApiError::new(ErrorType::Cancelled, "the caller aborted the request");
        let latency = self.inner.host.clock.now() - w.start;
        Some(self.finish_failure(
            e,
            w.model.as_deref().map(String::as_str),
            latency,
            &self.call_id(w.n),
            None,
        ))
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

    pub(super) fn record_wait(&self, start: Instant) {
        let waited = self.inner.host.clock.now() - start;
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
