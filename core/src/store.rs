//! The state-store link: breaker and cooldown state that several engines (processes, tabs,
//! workers) share through a store the host provides (Redis, BroadcastChannel). Sans-IO like the
//! rest of the engine: the engine queues writes here and the host takes them
//! ([`StoreLink::take`]), performs them, reports how it went ([`StoreLink::report`]), and hands
//! back what the store holds ([`StoreLink::resolve`], applied by the engine).
//!
//! Local state stays authoritative: no call ever waits for the store. How fresh each piece is:
//! - a breaker that opens is queued at once (the host is woken through its notify hook); the
//!   others see it at their next poll of the store (or at once with a pushing store);
//! - a cooldown from a rate-limit hint (`retry-after` and its kin on a 429, a quota or an
//!   overloaded answer) likewise;
//! - remote state is read every `pollInterval` of the host's store (docs/api.md);
//! - the number of live clients sharing a scope (their heartbeats, renewed at each read) comes
//!   with each read; pacing splits the server's budget and the user's `rateLimit` among them.
//!
//! Times cross processes as wall-clock (Unix) seconds: monotonic instants of two processes
//! cannot be compared. A remote time is converted to this engine's clock when it is applied,
//! and bounded (a breaker's open period by `resetTimeout`, a cooldown by `maxRetryAfter`), so a
//! bad or hostile store value cannot hold a client for longer than its own options allow.

mod wire;

pub use wire::{scope_of, Entry, Piece};

use crate::json::{json, Value};
use std::rc::Rc;

/// How the host is told that writes are waiting. It must not call back into the engine
/// synchronously (schedule the work instead: a microtask, a spawned task).
pub type Notify = Rc<dyn Fn()>;

/// Counters of the store's work, as `getStats().state_store` shows them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreCounters {
    pub reads: u64,
    pub writes: u64,
    pub errors: u64,
    pub last_error_type: Option<String>,
}

/// One engine's side of the store: its endpoints' scopes, the writes not taken yet (at most
/// one per endpoint and piece: later writes of the same piece merge into it) and counters.
#[derive(Default)]
pub struct StoreLink {
    scopes: Vec<String>,
    notify: Option<Notify>,
    outbox: Vec<Entry>,
    counters: StoreCounters,
}

impl StoreLink {
    /// `scopes[i]`: endpoint `i`'s namespace (see [`scope_of`]).
    pub fn new(scopes: Vec<String>) -> StoreLink {
        StoreLink {
            scopes,
            ..StoreLink::default()
        }
    }

    /// Whether a store is attached: without one nothing is queued.
    pub fn attached(&self) -> bool {
        self.notify.is_some()
    }

    /// Attaches a store (its wake-up hook), or detaches it (`None`: pending writes are dropped).
    pub fn attach(&mut self, notify: Option<Notify>) {
        self.notify = notify;
        self.outbox.clear();
    }

    /// Queues `piece` of `endpoint` as lasting until `until` (Unix seconds) and wakes the host
    /// when the outbox was empty. A write of a piece already queued keeps the later time.
    pub fn publish(&mut self, endpoint: usize, piece: Piece, until: f64) {
        let (Some(notify), Some(scope)) = (&self.notify, self.scopes.get(endpoint)) else {
            return;
        };
        if let Some(e) = self
            .outbox
            .iter_mut()
            .find(|e| e.piece == piece && e.scope == *scope)
        {
            e.until = e.until.max(until);
            return;
        }
        let wake = self.outbox.is_empty();
        self.outbox.push(Entry {
            scope: scope.clone(),
            piece,
            until,
        });
        if wake {
            notify();
        }
    }

    /// The writes queued so far (the outbox is emptied).
    pub fn take(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.outbox)
    }

    /// Every endpoint's scope: what the host reads at each poll.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Remote entries that concern this engine: `(endpoint, piece, seconds from now)`, for
    /// those that still last at `unix_now` (by more than a little slack, so an engine's own
    /// write read back as it expires, rounded, does not reopen anything). A peers count comes
    /// through as it is, `(endpoint, Piece::Peers, count)`.
    pub fn resolve(&self, entries: &[Entry], unix_now: f64) -> Vec<(usize, Piece, f64)> {
        // A loop, not an adapter chain collected: smaller in the wasm.
        let mut out = Vec::new();
        for e in entries {
            let Some(endpoint) = self.scopes.iter().position(|s| *s == e.scope) else {
                continue;
            };
            let left = match e.piece {
                Piece::Peers => e.until,
                _ => e.until - unix_now,
            };
            if left.is_finite() && left > SLACK {
                out.push((endpoint, e.piece, left));
            }
        }
        out
    }

    /// The host's account of its work: store reads and writes done, and the error type of one
    /// that failed (`timeout`, `connection_error`, ...).
    pub fn report(&mut self, reads: u64, writes: u64, error: Option<String>) {
        let c = &mut self.counters;
        c.reads = c.reads.saturating_add(reads);
        c.writes = c.writes.saturating_add(writes);
        if let Some(t) = error {
            c.errors = c.errors.saturating_add(1);
            c.last_error_type = Some(t);
        }
    }

    pub fn counters(&self) -> &StoreCounters {
        &self.counters
    }

    /// `resetStats()`: the counters start again (the state itself is kept).
    pub fn reset_counters(&mut self) {
        self.counters = StoreCounters::default();
    }

    /// `getStats().state_store`.
    pub fn snapshot(&self) -> Value {
        let c = &self.counters;
        json!({
            "reads": c.reads,
            "writes": c.writes,
            "errors": c.errors,
            "last_error_type": c.last_error_type,
        })
    }
}

/// Remote times within this of now are read as already over (seconds).
pub const SLACK: f64 = 0.05;

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn linked(wakes: &Rc<Cell<u32>>) -> StoreLink {
        let mut link = StoreLink::new(vec!["openai:a:1".into(), "openai:b:1".into()]);
        let w = wakes.clone();
        link.attach(Some(Rc::new(move || w.set(w.get() + 1))));
        link
    }

    #[test]
    fn nothing_is_queued_without_a_store() {
        let mut link = StoreLink::new(vec!["s".into()]);
        link.publish(0, Piece::Breaker, 10.0);
        assert!(link.take().is_empty());
    }

    #[test]
    fn writes_merge_per_piece_and_wake_the_host_once() {
        let wakes = Rc::new(Cell::new(0));
        let mut link = linked(&wakes);
        link.publish(0, Piece::Breaker, 10.0);
        link.publish(0, Piece::Breaker, 12.0);
        link.publish(0, Piece::Breaker, 11.0);
        link.publish(1, Piece::Cooldown, 5.0);
        link.publish(7, Piece::Cooldown, 5.0); // no such endpoint
        assert_eq!(wakes.get(), 1);
        assert_eq!(link.scopes(), ["openai:a:1", "openai:b:1"]);
        let writes = link.take();
        let got: Vec<(&str, Piece, f64)> = writes
            .iter()
            .map(|e| (e.scope.as_str(), e.piece, e.until))
            .collect();
        assert_eq!(
            got,
            [
                ("openai:a:1", Piece::Breaker, 12.0),
                ("openai:b:1", Piece::Cooldown, 5.0)
            ]
        );
        assert!(link.take().is_empty());
        link.publish(0, Piece::Cooldown, 1.0);
        assert_eq!(wakes.get(), 2);
    }

    #[test]
    fn resolve_keeps_live_entries_of_known_scopes() {
        let wakes = Rc::new(Cell::new(0));
        let link = linked(&wakes);
        let entry = |scope: &str, piece, until| Entry {
            scope: scope.into(),
            piece,
            until,
        };
        let got = link.resolve(
            &[
                entry("openai:b:1", Piece::Breaker, 130.0),
                entry("openai:a:1", Piece::Cooldown, 100.01), // within the slack
                entry("openai:a:1", Piece::Cooldown, 90.0),   // over
                entry("openai:a:2", Piece::Cooldown, 200.0),  // another key
                entry("openai:a:1", Piece::Cooldown, f64::NAN),
                entry("openai:a:1", Piece::Peers, 3.0), // a count, not a time
                entry("openai:a:1", Piece::Peers, f64::INFINITY),
            ],
            100.0,
        );
        assert_eq!(got, [(1, Piece::Breaker, 30.0), (0, Piece::Peers, 3.0)]);
    }

    #[test]
    fn counters_add_up() {
        let mut link = StoreLink::default();
        link.report(2, 1, None);
        link.report(0, 0, Some("timeout".into()));
        link.report(3, 0, None);
        assert_eq!(
            link.snapshot(),
            json!({"reads": 5, "writes": 1, "errors": 1, "last_error_type": "timeout"})
        );
    }
}
