//! Cancellation: a token the caller trips and the pipeline races against every wait.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Cancels a call: a queued call leaves the queue unsent, a backoff wait ends, an attempt in
/// flight is aborted (its transport future is dropped).
#[derive(Clone, Default)]
pub struct CancelToken(Rc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    cancelled: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }
    pub fn cancel(&self) {
        self.0.cancelled.set(true);
        if let Some(w) = self.0.waker.borrow_mut().take() {
            w.wake();
        }
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.get()
    }
    pub(crate) fn wait(&self) -> CancelWait<'_> {
        CancelWait(self)
    }
}

pub(crate) struct CancelWait<'a>(&'a CancelToken);

impl Future for CancelWait<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.is_cancelled() {
            return Poll::Ready(());
        }
        *self.0 .0.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}
