//! Permits and breaker tickets as guards: whatever path a call takes (success, error, cancel,
//! a dropped stream), the permit goes back and a half-open probe slot is freed exactly once.

use super::Engine;
use crate::breaker::{Outcome, Ticket};
use crate::json::json;
use crate::queue::Admit;
use crate::queue::Priority;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;

use std::task::{Context, Poll, Waker};

/// What waits in the queue: a suspended future's waker, or a call kept as a record
/// (`records.rs`, by its key) that the host starts once its permit arrives.
#[derive(Clone)]
pub(super) enum Waiter {
    Task(Waker),
    Record(u32),
}

/// How far a call got, readable after its future was dropped (a cancel keeps the count).
#[derive(Default)]
pub(super) struct Progress {
    pub attempts: Cell<u32>,
    /// The endpoint of the latest attempt.
    pub endpoint: Cell<Option<usize>>,
    /// Where the latest attempt stood against the budgets when it started.
    pub mark: Cell<crate::pacing::Mark>,
}

/// Hands a breaker ticket back as neutral when an attempt is dropped (cancelled) unsettled,
/// so a half-open probe slot is never leaked.
pub(super) struct TicketGuard {
    pub engine: Engine,
    pub endpoint: usize,
    pub ticket: Option<Ticket>,
}

impl Drop for TicketGuard {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            let now = self.engine.inner.host.clock.now();
            self.engine.record(self.endpoint, t, Outcome::Neutral, now);
        }
    }
}

/// A concurrency permit: given back (to the next waiter) when dropped.
pub(super) struct Permit {
    engine: Engine,
}

impl Permit {
    /// A permit the queue has just handed out (`Admit::Now`, or a granted waiter).
    pub(super) fn held(engine: &Engine) -> Permit {
        Permit {
            engine: engine.clone(),
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let next = self.engine.inner.state.borrow_mut().queue.release();
        self.engine.pass_on(next);
    }
}

impl Engine {
    /// A `queue` event for call `id` (`action`: enqueued or dequeued), when someone listens.
    pub(super) fn queue_event(&self, action: &'static str, id: &str) {
        if self.listening() {
            let length = self.queue_length();
            self.emit_now("queue", json!({"action": action, "length": length}), id);
        }
    }

    pub(super) fn listening(&self) -> bool {
        self.inner.listener.borrow().is_some()
    }

    /// The permit reached `next`: wake its future, or hand the record to the host to start.
    pub(super) fn pass_on(&self, next: Option<Waiter>) {
        match next {
            None => {}
            Some(Waiter::Task(w)) => w.wake(),
            Some(Waiter::Record(key)) => {
                {
                    // A record in the queue is live under its key until it leaves.
                    let mut st = self.inner.state.borrow_mut();
                    if let Some(qid) = st.records.qid(u64::from(key)) {
                        st.admitted.push((key, qid));
                    }
                }
                let hook = self.inner.on_admitted.borrow().clone();
                if let Some(hook) = hook {
                    hook();
                }
            }
        }
    }
}

/// Waits for a permit; dropping it while queued removes the waiter, unsent.
pub(super) struct Acquire<'a> {
    engine: &'a Engine,
    priority: Priority,
    /// A call's first permit: its route's endpoint and breaker checks come first (at the
    /// first poll), and its queue wait since `Instant` is counted once granted. `None` for a
    /// retry's permit (a call that waited its turn already).
    first: Option<(&'a super::Route, crate::time::Instant)>,
    id: &'a str,
    waiting: Option<u64>,
    done: bool,
}

impl<'a> Acquire<'a> {
    pub(super) fn new(
        engine: &'a Engine,
        priority: Priority,
        first: Option<(&'a super::Route, crate::time::Instant)>,
        id: &'a str,
    ) -> Acquire<'a> {
        Acquire {
            engine,
            priority,
            first,
            id,
            waiting: None,
            done: false,
        }
    }
}

impl Future for Acquire<'_> {
    /// `queue_full` when the queue refuses the call (for a first permit, also the errors of
    /// its checks: an unknown `endpointId`, `circuit_open`).
    type Output = Result<Permit, crate::error::ApiError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let engine = self.engine.clone();
        if let (None, Some((route, _))) = (self.waiting, self.first) {
            let checked = engine
                .pinned(route)
                .and_then(|p| engine.breaker_gate(p, engine.inner.host.clock.now()));
            if let Err(e) = checked {
                self.done = true;
                return Poll::Ready(Err(e));
            }
        }
        // Every path below leaves the waker with the queue: cloned once, here.
        let waker = Waiter::Task(cx.waker().clone());
        let mut st = engine.inner.state.borrow_mut();
        let granted = match self.waiting {
            None => match if self.first.is_none() {
                st.queue.readmit(self.priority, waker)
            } else {
                st.queue.admit(self.priority, waker)
            } {
                Admit::Now => true,
                Admit::Full => {
                    self.done = true;
                    drop(st);
                    return Poll::Ready(Err(engine.queue_full()));
                }
                Admit::Wait(qid) => {
                    self.waiting = Some(qid);
                    drop(st);
                    self.engine.queue_event("enqueued", self.id);
                    return Poll::Pending;
                }
            },
            Some(qid) => st.queue.take_grant(qid, waker) == Some(true),
        };
        drop(st);
        if !granted {
            return Poll::Pending;
        }
        if self.waiting.take().is_some() {
            self.engine.queue_event("dequeued", self.id);
        }
        self.done = true;
        let permit = Permit::held(&engine);
        if let Some((_, start)) = self.first {
            engine.record_wait(start, engine.inner.host.clock.now());
        }
        Poll::Ready(Ok(permit))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let (Some(qid), false) = (self.waiting, self.done) {
            let next = self.engine.inner.state.borrow_mut().queue.cancel(qid);
            self.engine.pass_on(next);
        }
    }
}
