//! `createRouter`: which member client a call tries first, which next, and whether a failure
//! moves on. Pure like the breaker: the host reports each member's load and breaker answer,
//! the time, and each outcome; the router answers with an order and a decision. The host
//! (node-host/lib/router.js) makes the calls on the member clients, which keep their own
//! queues, breakers and budgets.

mod options;

use crate::error::ErrorType;
use crate::time::{Instant, Secs};

pub use options::{parse_options, DEFAULT_FALLBACK_ON};

/// How the first member of a call is chosen (the rest follow as next-best).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Members in the order given.
    Fallback,
    /// Smooth weighted round-robin (each member's share is its weight over the total).
    RoundRobin,
    /// The fewest queued plus active calls per unit of weight; ties rotate.
    LeastLoaded,
    /// The lowest p50 over the recent window; members with no recent sample first.
    Latency,
}

/// Latency samples older than this no longer count, so a member is measured again.
pub const LATENCY_WINDOW: Secs = Secs::new(60.0);
/// Samples kept per member (the p50 is over these).
pub const LATENCY_SAMPLES: usize = 16;

/// What the host knows of one member when a call starts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Health {
    /// Queue length plus active requests of the member client.
    pub load: u32,
    /// Whether the member's breaker would admit a request now (`checkCircuitBreaker()`).
    pub admits: bool,
}

/// One failure of a member, as the host saw it.
#[derive(Clone, Copy, Debug)]
pub struct Failure {
    pub kind: ErrorType,
    /// The server's hint (seconds), if the error carried one.
    pub retry_delay: Option<Secs>,
    /// Whether the call still has a member after this one.
    pub more: bool,
    /// Whether the member was called with its own retries turned off (the router does that
    /// while another member remains, so a 429 moves on instead of waiting out its hint).
    pub limited: bool,
}

/// What to do after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Try the next member in the plan.
    Fallback,
    /// Call the same member again with its own retries: the failure was retryable but not a
    /// `fallbackOn` type, and the member had been called with retries off.
    Retry,
    /// The call fails with this error.
    Stop,
}

#[derive(Debug, Default)]
struct Member {
    weight: f64,
    /// Smooth weighted round-robin credit.
    credit: f64,
    /// Calls the router started on the member that have not reported back.
    in_flight: u32,
    /// A server hint on a `fallbackOn` failure keeps the member aside until then.
    cool_until: Instant,
    /// (when, latency) of recent successes, oldest first.
    samples: Vec<(Instant, Secs)>,
    served: u64,
    failed: u64,
    fallbacks: u64,
}

impl Member {
    fn healthy(&self, h: Health, now: Instant) -> bool {
        h.admits && now >= self.cool_until
    }

    fn prune(&mut self, now: Instant) {
        // Oldest first: drop from the front while too old.
        let old = self
            .samples
            .iter()
            .take_while(|(at, _)| now - *at > LATENCY_WINDOW)
            .count();
        self.samples.drain(..old);
    }

    /// The median of the recent samples (the lower middle for an even count).
    fn p50(&self) -> Option<Secs> {
        let mut v: Vec<(f64, f64)> = Vec::with_capacity(self.samples.len());
        for (_, s) in &self.samples {
            v.push((s.as_f64(), 0.0));
        }
        // `rank` sorts the values; the indexes it moves along are not needed here.
        let mut idx = crate::providers::shared::order::indices(v.len());
        rank(&mut idx, &mut v);
        let mid = v.len().checked_sub(1)? / 2;
        v.get(mid).map(|x| Secs::new(x.0))
    }
}

/// Sorts `picks` (and `keys` with it) by ascending key, stably. An insertion sort: a few
/// members at most, and one small function where the standard sort would add kilobytes of
/// wasm per call site.
fn rank(picks: &mut [usize], keys: &mut [(f64, f64)]) {
    for j in 1..picks.len().min(keys.len()) {
        let mut k = j;
        while k > 0 {
            let (Some(a), Some(b)) = (keys.get(k - 1), keys.get(k)) else {
                break;
            };
            if a.0 < b.0 || (a.0 == b.0 && a.1 <= b.1) {
                break;
            }
            keys.swap(k - 1, k);
            picks.swap(k - 1, k);
            k -= 1;
        }
    }
}

#[derive(Debug)]
pub struct Router {
    strategy: Strategy,
    fallback_on: Vec<ErrorType>,
    members: Vec<Member>,
    /// Rotates ties for least-loaded.
    turn: usize,
    calls: u64,
    fallbacks: u64,
    failed_calls: u64,
}

impl Router {
    /// A router over members of these weights (each > 0; validated by [`parse_options`]).
    pub fn new(strategy: Strategy, fallback_on: Vec<ErrorType>, weights: &[f64]) -> Router {
        let mut members = Vec::with_capacity(weights.len());
        for w in weights {
            members.push(Member {
                weight: *w,
                ..Member::default()
            });
        }
        Router {
            strategy,
            fallback_on,
            members,
            turn: 0,
            calls: 0,
            fallbacks: 0,
            failed_calls: 0,
        }
    }

    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    pub fn falls_back_on(&self, kind: ErrorType) -> bool {
        self.fallback_on.contains(&kind)
    }

    /// The members a new call tries, in order: the healthy ones (breaker admits, no server
    /// hint pending) ranked by the strategy; when none is healthy, every member, so the call
    /// still gets a member's own answer. `health[i]` is member `i`'s; missing entries read as
    /// healthy and idle.
    pub fn plan(&mut self, now: Instant, health: &[Health]) -> Vec<usize> {
        self.calls += 1;
        let strategy = self.strategy;
        let n = self.members.len().max(1);
        let turn = self.turn % n;
        self.turn = self.turn.wrapping_add(1);
        let mut picks = Vec::with_capacity(n);
        // Ascending (key, tiebreak); one loop and one sort for every strategy keeps the wasm
        // small.
        let mut keys = Vec::with_capacity(n);
        let mut total = 0.0;
        for only_healthy in [true, false] {
            for (i, m) in self.members.iter_mut().enumerate() {
                let h = health.get(i).copied().unwrap_or(Health {
                    load: 0,
                    admits: true,
                });
                if only_healthy && !m.healthy(h, now) {
                    continue;
                }
                let key = match strategy {
                    Strategy::Fallback => (0.0, 0.0),
                    // Smooth weighted round-robin (nginx): every candidate earns its weight,
                    // the richest goes first and pays the candidates' total.
                    Strategy::RoundRobin => {
                        m.credit += m.weight;
                        total += m.weight;
                        (-m.credit, 0.0)
                    }
                    // The client's own count lags calls just handed to it; the router's does
                    // not. Ties go round, starting one further each call.
                    Strategy::LeastLoaded => (
                        f64::from(h.load.max(m.in_flight)) / m.weight,
                        ((i + n - turn) % n) as f64,
                    ),
                    // Unmeasured members first, so each gets measured; then lowest p50.
                    Strategy::Latency => {
                        m.prune(now);
                        (m.p50().map_or(-1.0, Secs::as_f64), 0.0)
                    }
                };
                picks.push(i);
                keys.push(key);
            }
            if !picks.is_empty() {
                break;
            }
        }
        rank(&mut picks, &mut keys);
        if let Some(m) = picks.first().and_then(|&i| self.members.get_mut(i)) {
            m.credit -= total;
        }
        picks
    }

    /// The host is about to call member `i`.
    pub fn started(&mut self, i: usize) {
        if let Some(m) = self.members.get_mut(i) {
            m.in_flight = m.in_flight.saturating_add(1);
        }
    }

    /// The host's call on member `i` never reached it: the member lacks the operation.
    pub fn skipped(&mut self, i: usize) {
        if let Some(m) = self.members.get_mut(i) {
            m.in_flight = m.in_flight.saturating_sub(1);
        }
    }

    /// Member `i` served the call (a stream: delivered its first item) after `latency`.
    pub fn succeeded(&mut self, i: usize, now: Instant, latency: Secs) {
        if let Some(m) = self.members.get_mut(i) {
            m.in_flight = m.in_flight.saturating_sub(1);
            m.served += 1;
            m.cool_until = Instant::ZERO;
            if m.samples.len() >= LATENCY_SAMPLES {
                m.samples.remove(0);
            }
            m.samples.push((now, latency));
        }
    }

    /// Member `i` failed the call: move on, call it again, or stop.
    pub fn failed(&mut self, i: usize, now: Instant, f: Failure) -> Next {
        let moves_on = self.falls_back_on(f.kind);
        if let Some(m) = self.members.get_mut(i) {
            m.in_flight = m.in_flight.saturating_sub(1);
            m.failed += 1;
            if moves_on {
                if let Some(hint) = f.retry_delay {
                    m.cool_until = m.cool_until.max(now + hint);
                }
            }
        }
        let next = if moves_on && f.more {
            Next::Fallback
        } else if f.limited && !moves_on && f.kind.retryable() {
            Next::Retry
        } else {
            Next::Stop
        };
        match next {
            Next::Fallback => {
                self.fallbacks += 1;
                if let Some(m) = self.members.get_mut(i) {
                    m.fallbacks += 1;
                }
            }
            Next::Stop => self.failed_calls += 1,
            Next::Retry => {}
        }
        next
    }

    /// A stream that member `i` had started serving failed after its first item.
    pub fn interrupted(&mut self, i: usize) {
        if let Some(m) = self.members.get_mut(i) {
            m.failed += 1;
        }
        self.failed_calls += 1;
    }

    /// The router's own counters: `[calls, failed_calls, fallbacks]`, then per member
    /// `[served, failed, fallbacks, in_flight, latency_p50, cooling_down]` (`latency_p50` in
    /// seconds over the recent window, NaN with no sample; `cooling_down` 1 or 0). Numbers,
    /// not JSON: the host names them (node-host/lib/router.js).
    pub fn stats(&mut self, now: Instant) -> Vec<f64> {
        let mut out = vec![
            self.calls as f64,
            self.failed_calls as f64,
            self.fallbacks as f64,
        ];
        for m in self.members.iter_mut() {
            m.prune(now);
            out.extend([
                m.served as f64,
                m.failed as f64,
                m.fallbacks as f64,
                f64::from(m.in_flight),
                m.p50().map_or(f64::NAN, Secs::as_f64),
                if now < m.cool_until { 1.0 } else { 0.0 },
            ]);
        }
        out
    }
}
