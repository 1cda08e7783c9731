//! Cancellation: a token the caller trips and the pipeline races against every wait.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Cancels a call: a queued call leaves the queue unsent, a backoff wait ends, an attempt in
/// flight is aborted (its transport future is dropped). Any number of waiters may wait on it.
#[derive(Clone, Default)]
pub struct CancelToken(Rc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    cancelled: Cell<bool>,
    /// One slot per waiting [`CancelWait`]; a freed slot is reused.
    wakers: RefCell<Vec<Option<Waker>>>,
}

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }
    pub fn cancel(&self) {
        if self.0.cancelled.replace(true) {
            return;
        }
        // Taken out first: a woken task may touch the token again.
        let wakers = std::mem::take(&mut *self.0.wakers.borrow_mut());
        for w in wakers.into_iter().flatten() {
            w.wake();
        }
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.get()
    }
    pub(crate) fn wait(&self) -> CancelWait<'_> {
        CancelWait {
            token: self,
            slot: None,
        }
    }
}

pub(crate) struct CancelWait<'a> {
    token: &'a CancelToken,
    slot: Option<usize>,
}

impl Future for CancelWait<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.token.is_cancelled() {
            return Poll::Ready(());
        }
        let mut wakers = self.token.0.wakers.borrow_mut();
        let slot = match self.slot {
            Some(i) if i < wakers.len() => i,
            _ => match wakers.iter().position(Option::is_none) {
                Some(i) => i,
                None => {
                    wakers.push(None);
                    wakers.len() - 1
                }
            },
        };
        if let Some(w) = wakers.get_mut(slot) {
            *w = Some(cx.waker().clone());
        }
        drop(wakers);
        self.slot = Some(slot);
        Poll::Pending
    }
}

impl Drop for CancelWait<'_> {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            if let Some(w) = self.token.0.wakers.borrow_mut().get_mut(i) {
                *w = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn every_waiter_is_woken_once() {
        let token = CancelToken::new();
        let counts: Vec<Arc<Count>> = (0..3)
            .map(|_| Arc::new(Count(AtomicUsize::new(0))))
            .collect();
        let mut waits: Vec<_> = (0..3).map(|_| Box::pin(token.wait())).collect();
        for (w, c) in waits.iter_mut().zip(&counts) {
            let waker = Waker::from(c.clone());
            assert!(w
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
        }
        token.cancel();
        token.cancel();
        for c in &counts {
            assert_eq!(c.0.load(Ordering::SeqCst), 1);
        }
        let waker = Waker::from(counts[0].clone());
        assert!(waits[0]
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready());
    }

    #[test]
    fn a_dropped_waiter_frees_its_slot() {
        let token = CancelToken::new();
        let c = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(c.clone());
        for _ in 0..10 {
            let mut w = Box::pin(token.wait());
            assert!(w
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
        }
        assert_eq!(token.0.wakers.borrow().len(), 1);
        token.cancel();
        assert_eq!(c.0.load(Ordering::SeqCst), 0);
    }
}
