//! Property tests: the breaker's invariants hold over random event sequences.

use proptest::prelude::*;
use resilient_core::breaker::*;
use resilient_core::time::{Instant, Secs};
use resilient_core::ErrorType;

#[derive(Clone, Debug)]
enum Op {
    Admit,
    /// Record the outcome of the outstanding ticket at `pick % len`.
    Record(usize, Outcome),
    Manual(bool, Option<ErrorType>),
}

fn error_type() -> impl Strategy<Value = ErrorType> {
    prop::sample::select(ErrorType::ALL.to_vec())
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Success),
        Just(Outcome::Neutral),
        Just(Outcome::Failure(ErrorType::ServerError)),
        error_type().prop_map(Outcome::Failure),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Admit),
        4 => (any::<usize>(), outcome()).prop_map(|(i, o)| Op::Record(i, o)),
        1 => (any::<bool>(), prop::option::of(error_type())).prop_map(|(s, e)| Op::Manual(s, e)),
    ]
}

fn counts(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Failure(t) if t.counts_for_breaker())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn invariants_hold(
        threshold in 0u32..5,
        reset in prop_oneof![Just(0.0), 0.1f64..5.0],
        max_probes in 0u32..4,
        steps in prop::collection::vec((op(), 0.0f64..2.0), 1..200),
    ) {
        let mut b = Breaker::new(BreakerConfig {
            failure_threshold: threshold,
            reset_timeout: Secs::new(reset),
            half_open_max_probes: max_probes,
        });
        let (threshold, max_probes) = (threshold.max(1), max_probes.max(1));
        let mut now = 0.0;
        // Outstanding tickets, with an id so the test can follow probes of the current round,
        // and the period they were admitted in: every transition starts a new period.
        let mut tickets: Vec<(u64, u64, Ticket)> = Vec::new();
        let mut period = 0u64;
        let mut next_id = 0u64;
        let mut round: Vec<u64> = Vec::new();
        let mut opened_at: Option<f64> = None;

        for (op, dt) in steps {
            now += dt;
            let inst = Instant::from_secs(now);
            let before = b.state(inst);
            let (trips_before, failures_before) = (b.trips(), b.failure_count());
            if let (CircuitState::Open, Some(at)) = (before, opened_at) {
                prop_assert!(now < at + reset);
            }

            // What the op was, for the trip and close checks below.
            let mut probe_fail = false;
            let mut probe_success = false;
            let mut counting_closed_fail = false;
            // A live outcome in CLOSED: what it does to the count is exact.
            let mut closed_live: Option<Outcome> = None;
            match op {
                Op::Admit => {
                    let would = b.would_admit(inst);
                    match b.admit(inst) {
                        Ok(t) => {
                            prop_assert!(would);
                            prop_assert_eq!(t.probe, before == CircuitState::HalfOpen);
                            if t.probe {
                                round.push(next_id);
                            }
                            tickets.push((next_id, period, t));
                            next_id += 1;
                        }
                        Err(wait) => {
                            let wait = wait.as_f64();
                            prop_assert!(!would);
                            prop_assert!(wait >= 0.0 && wait.is_finite());
                            match before {
                                CircuitState::Open => {
                                    let at = opened_at.unwrap_or(f64::NAN);
                                    prop_assert!((wait - (at + reset - now)).abs() < 1e-9);
                                }
                                CircuitState::HalfOpen => {
                                    // Refused only when every slot is taken by a live probe.
                                    prop_assert_eq!(wait, 0.0);
                                    prop_assert_eq!(round.len() as u32, max_probes);
                                }
                                CircuitState::Closed => prop_assert!(false, "closed refused"),
                            }
                        }
                    }
                }
                Op::Record(pick, outcome) => {
                    if tickets.is_empty() {
                        continue;
                    }
                    let (id, at, t) = tickets.swap_remove(pick % tickets.len());
                    if before == CircuitState::Closed && at == period {
                        closed_live = Some(outcome);
                    }
                    let live_probe = round.contains(&id) && before == CircuitState::HalfOpen;
                    round.retain(|&r| r != id);
                    probe_fail = live_probe && counts(outcome);
                    probe_success = live_probe && outcome == Outcome::Success;
                    counting_closed_fail = before == CircuitState::Closed && counts(outcome);
                    b.record(t, outcome, inst);
                }
                Op::Manual(success, error) => {
                    let counting = !success && error.is_none_or(|e| e.counts_for_breaker());
                    probe_fail = before == CircuitState::HalfOpen && counting;
                    probe_success = before == CircuitState::HalfOpen && success;
                    counting_closed_fail = before == CircuitState::Closed && counting;
                    if before == CircuitState::Closed {
                        closed_live = Some(match (success, counting) {
                            (true, _) => Outcome::Success,
                            (false, true) => Outcome::Failure(ErrorType::Timeout),
                            (false, false) => Outcome::Neutral,
                        });
                    }
                    b.record_manual(success, error, inst);
                }
            }

            let after = b.state(inst);
            let trips = b.trips();
            prop_assert!(trips >= trips_before);
            prop_assert!(trips <= trips_before + 1);
            if trips > trips_before {
                // Opening needs `threshold` consecutive counting failures or a probe failure.
                let from_closed = counting_closed_fail && failures_before + 1 >= threshold;
                prop_assert!(from_closed || probe_fail, "tripped by {:?}", before);
                prop_assert!(b.failure_count() >= threshold || probe_fail);
                opened_at = Some(now);
            } else {
                prop_assert!(!probe_fail);
                if before == CircuitState::Open {
                    // Late outcomes change nothing while OPEN.
                    prop_assert_eq!(after, CircuitState::Open);
                }
            }
            if after == CircuitState::Open {
                prop_assert!(trips > 0);
            }
            match closed_live {
                Some(o) if counts(o) => {
                    let n = failures_before + 1;
                    prop_assert_eq!(b.failure_count(), n);
                    prop_assert_eq!(trips > trips_before, n >= threshold);
                }
                Some(Outcome::Success) => prop_assert_eq!(b.failure_count(), 0),
                Some(_) => {
                    prop_assert_eq!(b.failure_count(), failures_before);
                    prop_assert_eq!(after, CircuitState::Closed);
                }
                None => {}
            }
            if trips > trips_before || after != before {
                period += 1;
            }
            if probe_success {
                prop_assert_eq!(after, CircuitState::Closed);
                prop_assert_eq!(b.failure_count(), 0);
            }
            if after == CircuitState::Closed && before != CircuitState::Closed {
                prop_assert!(probe_success);
            }
            // A round ends when the state leaves HALF_OPEN or trips again (reset 0 reopens
            // straight into a new round): its probes are then stale.
            if after != CircuitState::HalfOpen || trips > trips_before {
                round.clear();
            }
            prop_assert!(round.len() as u32 <= max_probes);
        }
    }

    #[test]
    fn non_counting_errors_never_open(
        errors in prop::collection::vec(error_type(), 1..100),
        threshold in 0u32..4,
    ) {
        let mut b = Breaker::new(BreakerConfig {
            failure_threshold: threshold,
            reset_timeout: Secs::new(1.0),
            half_open_max_probes: 1,
        });
        for (i, e) in errors.into_iter().filter(|e| !e.counts_for_breaker()).enumerate() {
            let now = Instant::from_secs(i as f64);
            let t = b.admit(now);
            prop_assert!(t.is_ok());
            if let Ok(t) = t {
                b.record(t, Outcome::Failure(e), now);
            }
            b.record_manual(false, Some(e), now);
            prop_assert_eq!(b.state(now), CircuitState::Closed);
            prop_assert_eq!(b.trips(), 0);
        }
    }

    #[test]
    fn any_time_values_never_panic(
        times in prop::collection::vec(prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
        ], 1..50),
        reset in any::<f64>(),
    ) {
        let mut b = Breaker::new(BreakerConfig {
            failure_threshold: 1,
            reset_timeout: Secs::new(reset),
            half_open_max_probes: 1,
        });
        for now in times {
            let now = Instant::from_secs(now);
            let _ = b.state(now);
            let _ = b.would_admit(now);
            match b.admit(now) {
                Ok(t) => b.record(t, Outcome::Failure(ErrorType::Timeout), now),
                Err(wait) => prop_assert!(wait >= Secs::ZERO),
            }
        }
    }
}
