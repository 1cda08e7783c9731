//! One race for every wait of the pipeline: a future against the caller's cancel token and a
//! timer (a deadline, an attempt's timeout, a stream's idle limit). The generic part is a few
//! lines per future type; the token and the timer are polled by code compiled once (nested
//! `select`s of async blocks compiled the whole race, with its drop glue, per caller).

use super::cancel::{CancelToken, CancelWait};
use super::Deadline;
use crate::classify::classify_transport;
use crate::error::{ApiError, ErrorType};
use crate::host::{Clock, LocalFuture, TransportError};
use crate::time::Secs;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// How a race ended.
pub(super) enum Raced<T> {
    Done(T),
    Cancelled,
    /// The timer fired first.
    Late,
}

/// What `fut` races against. The token is polled first (an aborted call never starts), then
/// `fut`, then the timer; the timer is set at the first poll that gets past the token, as the
/// nested `select`s did.
pub(super) struct Stop<'a> {
    cancel: Option<CancelWait<'a>>,
    clock: &'a dyn Clock,
    wait: Option<Secs>,
    timer: Option<LocalFuture<'static, ()>>,
}

impl<'a> Stop<'a> {
    pub fn new(cancel: Option<&'a CancelToken>, clock: &'a dyn Clock, wait: Option<Secs>) -> Self {
        Stop {
            cancel: cancel.map(CancelToken::wait),
            clock,
            wait,
            timer: None,
        }
    }

    /// Races `fut` (pinned by the caller: `pin!(fut)`, or a boxed future).
    pub fn race<F: Future + Unpin>(self, fut: F) -> Race<'a, F> {
        Race { stop: self, fut }
    }

    /// Whether the token has fired; else the timer is set (once).
    #[inline(never)]
    fn cancelled(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(c) = &mut self.cancel {
            if Pin::new(c).poll(cx).is_ready() {
                return true;
            }
        }
        if let Some(w) = self.wait.take() {
            self.timer = Some(self.clock.sleep(w));
        }
        false
    }

    #[inline(never)]
    fn late(&mut self, cx: &mut Context<'_>) -> bool {
        self.timer
            .as_mut()
            .is_some_and(|t| t.as_mut().poll(cx).is_ready())
    }
}

pub(super) struct Race<'a, F> {
    stop: Stop<'a>,
    fut: F,
}

impl<F: Future + Unpin> Future for Race<'_, F> {
    type Output = Raced<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.stop.cancelled(cx) {
            return Poll::Ready(Raced::Cancelled);
        }
        if let Poll::Ready(v) = Pin::new(&mut this.fut).poll(cx) {
            return Poll::Ready(Raced::Done(v));
        }
        if this.stop.late(cx) {
            return Poll::Ready(Raced::Late);
        }
        Poll::Pending
    }
}

/// One step of an attempt (sending it, a read of its reply) against the attempt's timer, set
/// before it was sent: a transport error classified, `timeout` when the timer fires first.
pub(super) struct Within<'t, F> {
    timer: &'t mut LocalFuture<'static, ()>,
    timeout: Secs,
    fut: F,
}

impl<'t, F> Within<'t, F> {
    pub fn new(timer: &'t mut LocalFuture<'static, ()>, timeout: Secs, fut: F) -> Self {
        Within {
            timer,
            timeout,
            fut,
        }
    }
}

impl<T, F: Future<Output = Result<T, TransportError>> + Unpin> Future for Within<'_, F> {
    type Output = Result<T, ApiError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Poll::Ready(r) = Pin::new(&mut this.fut).poll(cx) {
            return Poll::Ready(r.map_err(|e| classify_transport(&e)));
        }
        match fired(this.timer, this.timeout, cx) {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Pending,
        }
    }
}

/// The error of an attempt whose timer has fired.
#[inline(never)]
fn fired(
    timer: &mut LocalFuture<'static, ()>,
    timeout: Secs,
    cx: &mut Context<'_>,
) -> Option<ApiError> {
    timer.as_mut().poll(cx).is_ready().then(|| {
        ApiError::new(
            ErrorType::Timeout,
            format!("no response within the timeout of {timeout} s"),
        )
    })
}

/// A call's future raced against its cancel token and its deadline ([`super::Engine::limited`]):
/// `cancelled` or `deadline_exceeded` when one of them comes first.
pub(super) struct Limited<'a, F> {
    pub race: Race<'a, F>,
    pub deadline: Option<Deadline>,
}

impl<T, F: Future<Output = Result<T, ApiError>> + Unpin> Future for Limited<'_, F> {
    type Output = Result<T, ApiError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match Pin::new(&mut this.race).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Raced::Done(r)) => Poll::Ready(r),
            Poll::Ready(Raced::Late) => Poll::Ready(Err(stopped(this.deadline))),
            Poll::Ready(Raced::Cancelled) => Poll::Ready(Err(stopped(None))),
        }
    }
}

/// The error of a call its deadline passed (`Some`) or its caller aborted.
#[inline(never)]
fn stopped(deadline: Option<Deadline>) -> ApiError {
    match deadline {
        Some(d) => d.exceeded(None),
        None => ApiError::new(ErrorType::Cancelled, "the caller aborted the request"),
    }
}
