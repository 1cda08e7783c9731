//! Circuit breaker: CLOSED / OPEN / HALF_OPEN with bounded probes, as a sans-IO state machine.
//!
//! The caller asks [`Breaker::admit`] before an attempt and hands the [`Ticket`] back to
//! [`Breaker::record`] with the outcome. Time is a monotonic `now`, always supplied by the
//! caller. Every transition bumps a private generation number stamped on tickets, so an
//! outcome from an earlier period (admitted before the circuit opened, or a probe of an earlier
//! half-open round) is recognised as stale and ignored: old evidence never moves the state.

use crate::error::ErrorType;
use crate::time::{Instant, Secs};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    /// The spelling of docs/api.md's `circuitState`.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "CLOSED",
            CircuitState::Open => "OPEN",
            CircuitState::HalfOpen => "HALF_OPEN",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive counting failures that open the circuit; 0 is treated as 1.
    pub failure_threshold: u32,
    /// How long it stays OPEN before probes are let through.
    pub reset_timeout: Secs,
    /// Probes in flight at once while HALF_OPEN; 0 is treated as 1 (else it could never close).
    pub half_open_max_probes: u32,
}

impl Default for BreakerConfig {
    /// docs/api.md's defaults.
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            reset_timeout: Secs::new(30.0),
            half_open_max_probes: 1,
        }
    }
}

impl BreakerConfig {
    /// The values the breaker really uses: no input can make it stick or overflow.
    fn effective(self) -> Self {
        BreakerConfig {
            failure_threshold: self.failure_threshold.max(1),
            half_open_max_probes: self.half_open_max_probes.max(1),
            ..self
        }
    }
}

/// Proof that an attempt was admitted; hand it back with the outcome.
/// Not `Clone`: each admission is reported at most once.
#[derive(Debug, PartialEq, Eq)]
pub struct Ticket {
    /// Whether this attempt is a HALF_OPEN probe.
    pub probe: bool,
    generation: u64,
}

/// How an admitted attempt ended, as far as the breaker cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Counts only when `counts_for_breaker()`; other types act as `Neutral`.
    Failure(ErrorType),
    /// An outcome that says nothing about the service (a 400, a cancel).
    Neutral,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Closed,
    Open { until: Instant },
    HalfOpen { probes: u32 },
}

#[derive(Clone, Debug)]
pub struct Breaker {
    cfg: BreakerConfig,
    phase: Phase,
    failures: u32,
    trips: u64,
    generation: u64,
    /// Latest time seen: a backwards `now` is read as this, so time never rewinds.
    last_now: Instant,
}

impl Breaker {
    pub fn new(cfg: BreakerConfig) -> Self {
        Breaker {
            cfg: cfg.effective(),
            phase: Phase::Closed,
            failures: 0,
            trips: 0,
            generation: 0,
            last_now: Instant::ZERO,
        }
    }

    /// OPEN whose timer has run out reports `HalfOpen` (the next admit lets a probe through).
    pub fn state(&self, now: Instant) -> CircuitState {
        match self.phase {
            Phase::Closed => CircuitState::Closed,
            Phase::HalfOpen { .. } => CircuitState::HalfOpen,
            Phase::Open { until } if self.peek(now) >= until => CircuitState::HalfOpen,
            Phase::Open { .. } => CircuitState::Open,
        }
    }

    /// True when `admit(now)` would succeed; no side effects.
    pub fn would_admit(&self, now: Instant) -> bool {
        match self.phase {
            Phase::Closed => true,
            Phase::Open { until } => self.peek(now) >= until,
            Phase::HalfOpen { probes } => probes < self.cfg.half_open_max_probes,
        }
    }

    /// Admit an attempt, or `Err(the time until a probe may be let through)`. While HALF_OPEN
    /// with every probe slot busy the wait is unknown (it ends when a probe reports): `Err(0)`.
    pub fn admit(&mut self, now: Instant) -> Result<Ticket, Secs> {
        let now = self.clock(now);
        self.expire(now);
        let generation = self.generation;
        match &mut self.phase {
            Phase::Closed => Ok(Ticket {
                probe: false,
                generation,
            }),
            Phase::Open { until } => Err(*until - now),
            Phase::HalfOpen { probes } if *probes < self.cfg.half_open_max_probes => {
                *probes += 1;
                Ok(Ticket {
                    probe: true,
                    generation,
                })
            }
            Phase::HalfOpen { .. } => Err(Secs::ZERO),
        }
    }

    /// Report how an admitted attempt ended. Stale tickets are ignored.
    pub fn record(&mut self, ticket: Ticket, outcome: Outcome, now: Instant) {
        let now = self.clock(now);
        self.expire(now);
        if ticket.generation != self.generation {
            return;
        }
        if let Phase::HalfOpen { probes } = &mut self.phase {
            if !ticket.probe {
                return;
            }
            *probes = probes.saturating_sub(1);
        }
        match outcome {
            Outcome::Success => self.on_success(),
            Outcome::Failure(t) if t.counts_for_breaker() => self.on_failure(now),
            Outcome::Failure(_) | Outcome::Neutral => {}
        }
    }

    /// The seed's `trackRequestResult`: an outcome with no ticket. A failure with no type
    /// counts; with a type it counts iff the type counts for the breaker. While HALF_OPEN it
    /// acts as a probe's outcome; while OPEN it is ignored like any late outcome.
    pub fn record_manual(&mut self, success: bool, error: Option<ErrorType>, now: Instant) {
        let now = self.clock(now);
        self.expire(now);
        if success {
            self.on_success();
        } else if error.is_none_or(ErrorType::counts_for_breaker) {
            self.on_failure(now);
        }
    }

    /// When an OPEN circuit lets probes through again; `None` unless OPEN.
    pub fn open_until(&self) -> Option<Instant> {
        match self.phase {
            Phase::Open { until } => Some(until),
            _ => None,
        }
    }

    /// Another engine's OPEN (from a shared state store): OPEN until `until` unless already
    /// OPEN as long. Not a trip of this breaker (`trips` is unchanged); outstanding tickets
    /// become stale, as at any opening. Returns whether the state changed.
    pub fn open_remotely(&mut self, until: Instant, now: Instant) -> bool {
        let now = self.clock(now);
        match self.phase {
            _ if until <= now => false,
            Phase::Open { until: own } if own >= until => false,
            _ => {
                self.enter(Phase::Open { until });
                true
            }
        }
    }

    /// Consecutive counting failures (kept while OPEN, zeroed on close).
    pub fn failure_count(&self) -> u32 {
        self.failures
    }

    /// Times the circuit went CLOSED/HALF_OPEN -> OPEN.
    pub fn trips(&self) -> u64 {
        self.trips
    }

    /// The configuration in effect (after the substitutions documented on `BreakerConfig`).
    pub fn config(&self) -> BreakerConfig {
        self.cfg
    }

    /// Back to CLOSED with zero counts; outstanding tickets become stale.
    pub fn reset(&mut self) {
        self.failures = 0;
        self.trips = 0;
        self.enter(Phase::Closed);
    }

    fn peek(&self, now: Instant) -> Instant {
        now.max(self.last_now)
    }

    fn clock(&mut self, now: Instant) -> Instant {
        self.last_now = self.peek(now);
        self.last_now
    }

    fn expire(&mut self, now: Instant) {
        if let Phase::Open { until } = self.phase {
            if now >= until {
                self.enter(Phase::HalfOpen { probes: 0 });
            }
        }
    }

    fn enter(&mut self, phase: Phase) {
        self.phase = phase;
        self.generation = self.generation.wrapping_add(1);
    }

    fn on_success(&mut self) {
        match self.phase {
            Phase::Closed => self.failures = 0,
            Phase::HalfOpen { .. } => {
                self.failures = 0;
                self.enter(Phase::Closed);
            }
            Phase::Open { .. } => {}
        }
    }

    fn on_failure(&mut self, now: Instant) {
        let trip = match self.phase {
            Phase::Closed => {
                self.failures = self.failures.saturating_add(1);
                self.failures >= self.cfg.failure_threshold
            }
            Phase::HalfOpen { .. } => {
                self.failures = self.failures.saturating_add(1);
                true
            }
            // Late failures neither count nor extend the timer.
            Phase::Open { .. } => false,
        };
        if trip {
            self.trips = self.trips.saturating_add(1);
            self.enter(Phase::Open {
                until: now + self.cfg.reset_timeout,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(threshold: u32, reset: f64, probes: u32) -> Breaker {
        Breaker::new(BreakerConfig {
            failure_threshold: threshold,
            reset_timeout: Secs::new(reset),
            half_open_max_probes: probes,
        })
    }

    fn at(secs: f64) -> Instant {
        Instant::from_secs(secs)
    }

    const FAIL: Outcome = Outcome::Failure(ErrorType::ServerError);

    /// Trip a threshold-`n` breaker at time `t`.
    fn trip(b: &mut Breaker, n: u32, t: f64) {
        for _ in 0..n {
            let tk = b.admit(at(t)).unwrap();
            b.record(tk, FAIL, at(t));
        }
        assert_eq!(b.state(at(t)), CircuitState::Open);
    }

    #[test]
    fn state_names() {
        assert_eq!(CircuitState::Closed.as_str(), "CLOSED");
        assert_eq!(CircuitState::Open.as_str(), "OPEN");
        assert_eq!(CircuitState::HalfOpen.as_str(), "HALF_OPEN");
    }

    #[test]
    fn closed_counts_consecutive_failures_and_success_resets() {
        let mut b = breaker(3, 10.0, 1);
        for _ in 0..2 {
            let t = b.admit(at(0.0)).unwrap();
            assert!(!t.probe);
            b.record(t, FAIL, at(0.0));
        }
        assert_eq!(b.failure_count(), 2);
        let t = b.admit(at(0.0)).unwrap();
        b.record(t, Outcome::Success, at(0.0));
        assert_eq!(b.failure_count(), 0);
        trip(&mut b, 3, 1.0);
        assert_eq!(b.trips(), 1);
        assert_eq!(b.failure_count(), 3);
    }

    #[test]
    fn neutral_and_non_counting_failures_change_nothing() {
        let mut b = breaker(1, 10.0, 1);
        let t = b.admit(at(0.0)).unwrap();
        b.record(t, FAIL, at(0.0));
        b.reset();
        let non_counting = ErrorType::ALL.iter().filter(|t| !t.counts_for_breaker());
        for &e in non_counting {
            for _ in 0..5 {
                let t = b.admit(at(0.0)).unwrap();
                b.record(t, Outcome::Failure(e), at(0.0));
                b.record_manual(false, Some(e), at(0.0));
            }
            let t = b.admit(at(0.0)).unwrap();
            b.record(t, Outcome::Neutral, at(0.0));
        }
        assert_eq!(b.state(at(0.0)), CircuitState::Closed);
        assert_eq!((b.failure_count(), b.trips()), (0, 0));
    }

    #[test]
    fn open_rejects_with_remaining_time_then_half_opens() {
        let mut b = breaker(2, 10.0, 1);
        trip(&mut b, 2, 5.0);
        assert_eq!(b.admit(at(7.5)), Err(Secs::new(7.5)));
        assert!(!b.would_admit(at(14.9)));
        assert_eq!(b.state(at(14.9)), CircuitState::Open);
        assert_eq!(b.state(at(15.0)), CircuitState::HalfOpen);
        assert!(b.would_admit(at(15.0)));
        let p = b.admit(at(15.0)).unwrap();
        assert!(p.probe);
        assert_eq!(b.admit(at(15.0)), Err(Secs::new(0.0)));
        assert!(!b.would_admit(at(15.0)));
        b.record(p, Outcome::Success, at(16.0));
        assert_eq!(b.state(at(16.0)), CircuitState::Closed);
        assert_eq!(b.failure_count(), 0);
        assert_eq!(b.trips(), 1);
    }

    #[test]
    fn late_outcomes_while_open_change_nothing() {
        let mut b = breaker(2, 10.0, 1);
        let late_fail = b.admit(at(0.0)).unwrap();
        let late_ok = b.admit(at(0.0)).unwrap();
        trip(&mut b, 2, 1.0);
        b.record(late_fail, FAIL, at(9.0));
        b.record_manual(false, None, at(9.5));
        b.record(late_ok, Outcome::Success, at(9.0));
        b.record_manual(true, None, at(9.5));
        // The timer still runs out at 1 + 10, not 9.5 + 10.
        assert_eq!(b.state(at(10.9)), CircuitState::Open);
        assert_eq!(b.state(at(11.0)), CircuitState::HalfOpen);
        assert_eq!(b.trips(), 1);
    }

    #[test]
    fn probe_failure_reopens_with_fresh_timer() {
        let mut b = breaker(1, 10.0, 1);
        trip(&mut b, 1, 0.0);
        let p = b.admit(at(12.0)).unwrap();
        b.record(p, FAIL, at(13.0));
        assert_eq!(b.trips(), 2);
        assert_eq!(b.admit(at(13.0)), Err(Secs::new(10.0)));
        assert_eq!(b.state(at(22.9)), CircuitState::Open);
        assert_eq!(b.state(at(23.0)), CircuitState::HalfOpen);
    }

    #[test]
    fn probe_neutral_frees_its_slot_only() {
        let mut b = breaker(1, 1.0, 1);
        trip(&mut b, 1, 0.0);
        let p = b.admit(at(1.0)).unwrap();
        b.record(p, Outcome::Failure(ErrorType::InvalidRequest), at(1.0));
        assert_eq!(b.state(at(1.0)), CircuitState::HalfOpen);
        let p = b.admit(at(1.0)).unwrap();
        b.record(p, Outcome::Neutral, at(1.0));
        assert_eq!(b.state(at(1.0)), CircuitState::HalfOpen);
        assert!(b.admit(at(1.0)).unwrap().probe);
    }

    #[test]
    fn half_open_with_three_probes() {
        let mut b = breaker(1, 1.0, 3);
        trip(&mut b, 1, 0.0);
        let ps: Vec<Ticket> = (0..3).map(|_| b.admit(at(2.0)).unwrap()).collect();
        assert!(ps.iter().all(|p| p.probe));
        assert_eq!(b.admit(at(2.0)), Err(Secs::new(0.0)));
        let mut ps = ps.into_iter();
        if let Some(p) = ps.next() {
            b.record(p, Outcome::Neutral, at(2.0));
        }
        let p4 = b.admit(at(2.0)).unwrap();
        assert_eq!(b.admit(at(2.0)), Err(Secs::new(0.0)));
        // One probe failure reopens; the others are now stale.
        b.record(p4, FAIL, at(3.0));
        assert_eq!(b.state(at(3.0)), CircuitState::Open);
        for p in ps {
            b.record(p, Outcome::Success, at(3.5));
        }
        assert_eq!(b.state(at(3.5)), CircuitState::Open);
        assert_eq!(b.trips(), 2);
    }

    #[test]
    fn stale_tickets_in_half_open_are_ignored() {
        let mut b = breaker(1, 1.0, 1);
        let old = b.admit(at(0.0)).unwrap();
        let old2 = b.admit(at(0.0)).unwrap();
        trip(&mut b, 1, 0.0);
        let p = b.admit(at(1.0)).unwrap();
        b.record(old, Outcome::Success, at(1.0));
        b.record(old2, FAIL, at(1.0));
        assert_eq!(b.state(at(1.0)), CircuitState::HalfOpen);
        assert_eq!(b.admit(at(1.0)), Err(Secs::new(0.0)));
        b.record(p, Outcome::Neutral, at(1.0));
        assert!(b.admit(at(1.0)).unwrap().probe);

        // A probe from an earlier half-open round does not touch the next one.
        let mut b = breaker(1, 1.0, 2);
        trip(&mut b, 1, 0.0);
        let (pa, pb) = (b.admit(at(1.0)).unwrap(), b.admit(at(1.0)).unwrap());
        b.record(pa, FAIL, at(1.0));
        let pc = b.admit(at(2.0)).unwrap();
        b.record(pb, Outcome::Success, at(2.0));
        assert_eq!(b.state(at(2.0)), CircuitState::HalfOpen);
        let pd = b.admit(at(2.0)).unwrap();
        assert_eq!(b.admit(at(2.0)), Err(Secs::new(0.0)));
        b.record(pc, Outcome::Success, at(2.0));
        assert_eq!(b.state(at(2.0)), CircuitState::Closed);
        b.record(pd, FAIL, at(2.0));
        assert_eq!(b.state(at(2.0)), CircuitState::Closed);
    }

    #[test]
    fn tickets_from_before_a_reclose_are_stale() {
        let mut b = breaker(1, 1.0, 1);
        let old = b.admit(at(0.0)).unwrap();
        trip(&mut b, 1, 0.0);
        let p = b.admit(at(1.0)).unwrap();
        b.record(p, Outcome::Success, at(1.0));
        b.record(old, FAIL, at(2.0));
        assert_eq!(b.state(at(2.0)), CircuitState::Closed);
    }

    #[test]
    fn manual_results_follow_the_seed_table() {
        let mut b = breaker(2, 5.0, 1);
        b.record_manual(false, None, at(0.0));
        b.record_manual(false, Some(ErrorType::RateLimitExceeded), at(0.0));
        assert_eq!(b.failure_count(), 1);
        b.record_manual(false, Some(ErrorType::Timeout), at(0.0));
        assert_eq!(b.state(at(0.0)), CircuitState::Open);
        assert!(b.would_admit(at(5.0)));
        b.record_manual(true, None, at(5.0)); // acts as the probe's success
        assert_eq!(b.state(at(5.0)), CircuitState::Closed);
        b.record_manual(false, None, at(6.0));
        b.record_manual(false, None, at(6.0));
        assert_eq!(b.trips(), 2);
        b.record_manual(false, None, at(11.0)); // half-open probe failure
        assert_eq!(b.state(at(11.0)), CircuitState::Open);
        assert_eq!(b.admit(at(11.0)), Err(Secs::new(5.0)));
        assert_eq!(b.trips(), 3);
    }

    #[test]
    fn degenerate_config_and_time() {
        let mut b = breaker(0, f64::NAN, 0);
        assert_eq!(
            b.config(),
            BreakerConfig {
                failure_threshold: 1,
                reset_timeout: Secs::ZERO,
                half_open_max_probes: 1
            }
        );
        let t = b.admit(at(f64::NAN)).unwrap();
        b.record(t, FAIL, at(3.0));
        assert_eq!(b.state(at(3.0)), CircuitState::HalfOpen);
        assert!(b.admit(at(f64::NAN)).unwrap().probe);

        let mut b = breaker(1, f64::INFINITY, 1);
        trip(&mut b, 1, 10.0);
        // An infinite reset is `Secs::MAX`: still open (with a finite wait) for 31 700 years.
        assert!(b.admit(at(1e11)).unwrap_err().as_f64().is_finite());
        // Time never runs backwards: an earlier now (NaN reads as 0) is read as the latest seen.
        let mut b = breaker(1, 5.0, 1);
        trip(&mut b, 1, 10.0);
        assert_eq!(b.admit(at(0.0)), Err(Secs::new(5.0)));
        assert_eq!(b.admit(at(f64::NAN)), Err(Secs::new(5.0)));
        assert_eq!(b.state(at(f64::NAN)), CircuitState::Open);
    }

    #[test]
    fn remote_opens_hold_without_counting_as_trips() {
        let mut b = breaker(2, 10.0, 1);
        let old = b.admit(at(0.0)).unwrap();
        assert!(b.open_remotely(at(4.0), at(1.0)));
        assert_eq!(b.open_until(), Some(at(4.0)));
        assert_eq!(b.admit(at(2.0)), Err(Secs::new(2.0)));
        b.record(old, FAIL, at(2.0)); // admitted before the remote open: stale
        assert_eq!((b.trips(), b.failure_count()), (0, 0));
        assert!(!b.open_remotely(at(3.0), at(2.0))); // shorter than the open period
        assert!(!b.open_remotely(at(1.5), at(2.0))); // already over
        assert!(b.open_remotely(at(6.0), at(2.0))); // longer: extends it
        assert_eq!(b.state(at(5.9)), CircuitState::Open);
        let p = b.admit(at(6.0)).unwrap();
        assert!(p.probe);
        b.record(p, Outcome::Success, at(6.0));
        assert_eq!(b.state(at(6.0)), CircuitState::Closed);
        assert_eq!(b.open_until(), None);
        trip(&mut b, 2, 7.0);
        assert_eq!(b.open_until(), Some(at(17.0)));
    }

    #[test]
    fn reset_zeroes_everything() {
        let mut b = breaker(1, 5.0, 1);
        let old = b.admit(at(0.0)).unwrap();
        trip(&mut b, 1, 0.0);
        b.reset();
        assert_eq!(b.state(at(0.0)), CircuitState::Closed);
        assert_eq!((b.failure_count(), b.trips()), (0, 0));
        b.record(old, FAIL, at(0.0));
        assert_eq!(b.state(at(0.0)), CircuitState::Closed);
    }
}
