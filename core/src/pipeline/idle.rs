//! A stream shared by its consumer and an idle watch: when the consumer has not asked for the
//! next item for the stream's `timeout`, the watch aborts the stream and gives its slot back,
//! so no call can wait on a slot held by a consumer that has gone away.

use super::race::{Raced, Stop};
use super::{ActiveStream, CancelToken};
use crate::error::ApiError;
use crate::host::Clock;
use crate::time::{Instant, Secs};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::{Rc, Weak};

pub struct SharedStream {
    /// The stream, absent while a read has it and after it expired.
    stream: RefCell<Option<ActiveStream>>,
    reading: Cell<bool>,
    /// When the consumer last got an answer (engine clock).
    last: Cell<Instant>,
    /// The error of an expired stream, for the consumer's next read.
    expired: RefCell<Option<ApiError>>,
    /// Tripped when the stream settles or is dropped: the watch then ends with no timer left.
    over: CancelToken,
    clock: Rc<dyn Clock>,
    idle: Secs,
}

impl SharedStream {
    pub fn new(stream: ActiveStream) -> Rc<SharedStream> {
        let clock = stream.engine.inner.host.clock.clone();
        Rc::new(SharedStream {
            last: Cell::new(clock.now()),
            idle: stream.timeout,
            stream: RefCell::new(Some(stream)),
            reading: Cell::new(false),
            expired: RefCell::new(None),
            over: CancelToken::new(),
            clock,
        })
    }

    /// The next item, as [`ActiveStream::next`]; after the stream expired, its `timeout`
    /// error once, then `None`.
    pub async fn next(&self) -> Option<Result<String, ApiError>> {
        if let Some(e) = self.expired.borrow_mut().take() {
            return Some(Err(e));
        }
        let mut stream = self.stream.borrow_mut().take()?;
        self.reading.set(true);
        // [`ActiveStream::next`]'s loop, here: no state machine of its own.
        let item = loop {
            if let Some(out) = stream.ready() {
                break out;
            }
            let (chunk, deadline) = stream.chunk();
            let raced = chunk.await;
            stream.read(raced, deadline);
        };
        self.reading.set(false);
        self.last.set(self.clock.now());
        if stream.is_settled() {
            self.over.cancel();
        }
        *self.stream.borrow_mut() = Some(stream);
        item
    }

    /// The bytes of the item just returned by [`Self::next`] (raw-bytes streams only).
    pub fn take_bytes(&self) -> Option<Vec<u8>> {
        self.stream.borrow_mut().as_mut()?.take_bytes()
    }

    /// The watch a host runs beside the stream (it holds the stream weakly, so a consumer
    /// that drops the stream drops it for good). One timer at a time, re-armed lazily.
    pub fn watch(self: &Rc<Self>) -> impl Future<Output = ()> + 'static {
        let weak: Weak<SharedStream> = Rc::downgrade(self);
        let over = self.over.clone();
        let clock = self.clock.clone();
        async move {
            loop {
                let wait = match weak.upgrade() {
                    None => return,
                    Some(s) if s.reading.get() => s.idle,
                    Some(s) => (s.last.get() + s.idle) - clock.now(),
                };
                if wait == Secs::ZERO {
                    if let Some(s) = weak.upgrade() {
                        s.expire();
                    }
                    return;
                }
                if over.is_cancelled() {
                    return;
                }
                let stop = Stop::new(None, &*clock, Some(wait));
                if let Raced::Done(()) = stop.race(over.wait()).await {
                    return;
                }
            }
        }
    }

    fn expire(&self) {
        let taken = self.stream.borrow_mut().take();
        if let Some(mut stream) = taken {
            if !stream.is_settled() {
                *self.expired.borrow_mut() = Some(stream.expire());
            }
            // Dropping it aborts the request.
        }
        self.over.cancel();
    }
}

impl Drop for SharedStream {
    fn drop(&mut self) {
        self.over.cancel();
    }
}
