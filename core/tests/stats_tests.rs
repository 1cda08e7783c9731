//! Stats: counter invariants, histogram accuracy and the exact JSON shapes of API.md.

use proptest::prelude::*;
use resilient_core::breaker::{Breaker, BreakerConfig};
use resilient_core::json::{json, Value};
use resilient_core::stats::*;
use resilient_core::time::{Instant, Secs};
use resilient_core::ErrorType;

fn error_type() -> impl Strategy<Value = ErrorType> {
    prop::sample::select(ErrorType::ALL.to_vec())
}

#[derive(Clone, Debug)]
enum Ev {
    Final(Final, Option<String>, f64, Option<(u64, u64)>),
    Retry(f64),
    Wait(f64),
    Trip,
    Manual(bool, Option<ErrorType>),
}

fn final_outcome() -> impl Strategy<Value = Final> {
    prop_oneof![
        Just(Final::Success),
        error_type().prop_map(Final::Failed),
        Just(Final::Cancelled),
        error_type().prop_map(Final::Rejected),
    ]
}

fn event() -> impl Strategy<Value = Ev> {
    let model = prop::option::of(prop::sample::select(vec!["a", "b", "c"]).prop_map(String::from));
    let usage = prop::option::of((0u64..1000, 0u64..1000));
    prop_oneof![
        6 => (final_outcome(), model, any::<f64>(), usage)
            .prop_map(|(f, m, l, u)| Ev::Final(f, m, l, u)),
        1 => any::<f64>().prop_map(Ev::Retry),
        1 => any::<f64>().prop_map(Ev::Wait),
        1 => Just(Ev::Trip),
        2 => (any::<bool>(), prop::option::of(error_type())).prop_map(|(s, e)| Ev::Manual(s, e)),
    ]
}

fn apply(s: &mut Stats, ev: Ev) {
    match ev {
        Ev::Final(f, m, l, u) => {
            let usage = u.map(|(p, c)| Usage {
                prompt: p,
                completion: c,
                total: p + c,
            });
            s.record_final(f, m.as_deref(), Secs::new(l), usage);
        }
        Ev::Retry(d) => s.record_retry(Secs::new(d)),
        Ev::Wait(w) => s.record_queue_wait(Secs::new(w)),
        Ev::Trip => s.record_trip(),
        Ev::Manual(ok, e) => s.manual(ok, e),
    }
}

fn u(v: &Value, path: &str) -> u64 {
    v.pointer(path).and_then(Value::as_u64).unwrap_or(u64::MAX)
}

fn sum_values(v: &Value) -> u64 {
    v.as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(u64::MAX)
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

fn breaker_snapshot() -> BreakerSnapshot {
    snapshot(&Breaker::new(BreakerConfig::default()), Instant::ZERO)
}

/// The JSON agrees with the counters, rates are percentages and every number is finite.
fn check_json(s: &Stats) -> Result<(), TestCaseError> {
    let snap = s.snapshot(QueueSnapshot::default());
    let parts = s.successful() + s.failed() + s.cancelled() + s.rejected();
    prop_assert_eq!(u(&snap, "/total_requests"), parts);
    prop_assert_eq!(
        sum_values(&snap["errors_by_type"]),
        s.failed() + s.cancelled() + s.rejected()
    );
    prop_assert!(sum_values(&snap["requests_by_model"]) <= parts);
    let report = s.report(breaker_snapshot(), true);
    for rate in ["/summary/success_rate", "/summary/retry_rate"] {
        let r = report.pointer(rate).and_then(Value::as_f64).unwrap_or(-1.0);
        prop_assert!((0.0..=100.0).contains(&r));
    }
    // serde_json prints a non-finite f64 as null.
    prop_assert!(!snap.to_string().contains("null"));
    prop_assert!(!report.to_string().contains("null"));
    Ok(())
}

proptest! {
    #[test]
    fn totals_always_add_up(events in prop::collection::vec(event(), 0..200)) {
        let mut s = Stats::new();
        for (i, ev) in events.into_iter().enumerate() {
            apply(&mut s, ev);
            let parts = s.successful() + s.failed() + s.cancelled() + s.rejected();
            prop_assert_eq!(s.total(), parts);
            if i % 16 == 0 {
                check_json(&s)?;
            }
        }
        check_json(&s)?;
    }

    #[test]
    fn quantiles_track_exact_values(
        data in prop::collection::vec(prop_oneof![1e-4f64..1e4, 1e-3f64..10.0], 1..2000),
        q in 0.0f64..=1.0,
    ) {
        let mut h = Histogram::new();
        for &x in &data {
            h.record(Secs::new(x));
        }
        let mut exact = data.clone();
        exact.sort_by(f64::total_cmp);
        let n = exact.len();
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        let want = exact[rank - 1];
        let got = h.quantile(q);
        // One bucket is 10^(1/100) - 1 = 2.33% wide.
        prop_assert!((got - want).abs() <= want * 0.0234, "q={} got {} want {}", q, got, want);
        prop_assert_eq!(h.min(), exact[0]);
        prop_assert_eq!(h.max(), exact[n - 1]);
        let mean = exact.iter().sum::<f64>() / n as f64;
        prop_assert!((h.avg() - mean).abs() <= mean * 1e-9);
        prop_assert_eq!(h.count(), n as u64);
    }

    #[test]
    fn tiny_values_stay_within_the_underflow_bucket(
        data in prop::collection::vec(0.0f64..1e-4, 1..100),
        q in 0.0f64..=1.0,
    ) {
        let mut h = Histogram::new();
        data.iter().for_each(|&x| h.record(Secs::new(x)));
        let got = h.quantile(q);
        prop_assert!((0.0..1e-4).contains(&got));
    }
}

#[test]
fn snapshot_has_exactly_the_api_fields() {
    let mut s = Stats::new();
    s.record_final(
        Final::Success,
        Some("gpt"),
        Secs::new(0.5),
        Some(Usage {
            prompt: 3,
            completion: 4,
            total: 7,
        }),
    );
    s.record_final(
        Final::Failed(ErrorType::ServerError),
        Some("gpt"),
        Secs::new(1.5),
        None,
    );
    s.record_final(Final::Cancelled, None, Secs::new(1.0), None);
    s.record_final(
        Final::Rejected(ErrorType::CircuitOpen),
        Some("x"),
        Secs::new(99.0),
        None,
    );
    s.record_retry(Secs::new(1.0));
    s.record_trip();
    let q = QueueSnapshot {
        length: 1,
        active: 2,
        peak_length: 3,
        peak_active: 4,
    };
    let snap = s.snapshot(q);
    assert_eq!(
        keys(&snap),
        sorted(&[
            "total_requests",
            "successful_requests",
            "failed_requests",
            "retried_requests",
            "cancelled_requests",
            "rejected_requests",
            "average_response_time",
            "requests_by_model",
            "errors_by_type",
            "circuit_breaker_trips",
            "queue",
            "latency",
            "tokens",
        ])
    );
    assert_eq!(snap["total_requests"], json!(4));
    assert_eq!(snap["successful_requests"], json!(1));
    assert_eq!(snap["failed_requests"], json!(1));
    assert_eq!(snap["cancelled_requests"], json!(1));
    assert_eq!(snap["rejected_requests"], json!(1));
    assert_eq!(snap["retried_requests"], json!(1));
    assert_eq!(snap["circuit_breaker_trips"], json!(1));
    // The rejection's 99 s is not a response time.
    assert_eq!(snap["average_response_time"], json!(1.0));
    assert_eq!(snap["requests_by_model"], json!({"gpt": 2, "x": 1}));
    assert_eq!(
        snap["errors_by_type"],
        json!({"server_error": 1, "cancelled": 1, "circuit_open": 1})
    );
    assert_eq!(
        snap["queue"],
        json!({"length": 1, "active": 2, "peak_length": 3, "peak_active": 4})
    );
    assert_eq!(keys(&snap["latency"]), sorted(&["p50", "p90", "p99"]));
    assert_eq!(snap["latency"]["p99"], json!(1.5));
    assert_eq!(
        snap["tokens"],
        json!({"prompt": 3, "completion": 4, "total": 7})
    );
}

#[test]
fn report_shape_and_percentages() {
    let mut s = Stats::new();
    for _ in 0..3 {
        s.record_final(Final::Success, Some("m"), Secs::new(2.0), None);
    }
    s.record_final(
        Final::Failed(ErrorType::Timeout),
        Some("m"),
        Secs::new(4.0),
        None,
    );
    s.record_retry(Secs::new(0.5));
    s.record_retry(Secs::new(1.5));
    s.record_queue_wait(Secs::new(0.25));

    let mut b = Breaker::new(BreakerConfig {
        failure_threshold: 1,
        reset_timeout: Secs::new(7.0),
        half_open_max_probes: 1,
    });
    b.record_manual(false, None, Instant::ZERO);
    let r = s.report(snapshot(&b, Instant::from_secs(1.0)), false);
    assert_eq!(
        keys(&r),
        sorted(&["summary", "models", "errors", "circuit_breaker"])
    );
    assert_eq!(
        r["summary"],
        json!({
            "total_requests": 4,
            "success_rate": 75.0,
            "average_response_time": 2.5,
            "retry_rate": 50.0,
        })
    );
    assert_eq!(
        r["models"],
        json!({"m": {"requests": 4, "successful": 3, "failed": 1, "average_response_time": 2.5}})
    );
    assert_eq!(r["errors"], json!({"timeout": 1}));
    assert_eq!(
        r["circuit_breaker"],
        json!({
            "state": "OPEN",
            "failure_count": 1,
            "failure_threshold": 1,
            "reset_timeout": 7.0,
            "trips": 1,
        })
    );

    let d = s.report(snapshot(&b, Instant::from_secs(8.0)), true);
    assert_eq!(d["circuit_breaker"]["state"], json!("HALF_OPEN"));
    assert_eq!(
        keys(&d["details"]),
        sorted(&["queue_wait_times", "backoff_delays", "latency"])
    );
    assert_eq!(
        d["details"]["backoff_delays"],
        json!({"min": 0.5, "max": 1.5, "avg": 1.0, "count": 2})
    );
    assert_eq!(
        d["details"]["queue_wait_times"],
        json!({"min": 0.25, "max": 0.25, "avg": 0.25, "count": 1})
    );
    assert_eq!(
        d["details"]["latency"],
        json!({"min": 2.0, "max": 4.0, "avg": 2.5, "count": 4})
    );
}

#[test]
fn rates_are_zero_without_calls_and_capped() {
    let mut s = Stats::new();
    s.record_retry(Secs::new(1.0));
    let r = s.report(breaker_snapshot(), false);
    assert_eq!(r["summary"]["success_rate"], json!(0.0));
    assert_eq!(r["summary"]["retry_rate"], json!(0.0));
    s.record_final(Final::Success, None, Secs::new(1.0), None);
    s.record_retry(Secs::new(1.0));
    let r = s.report(breaker_snapshot(), false);
    assert_eq!(r["summary"]["retry_rate"], json!(100.0));
}

#[test]
fn manual_keeps_the_total() {
    let mut s = Stats::new();
    s.manual(true, None);
    s.manual(false, None);
    s.manual(false, Some(ErrorType::RateLimitExceeded));
    s.manual(false, Some(ErrorType::Cancelled));
    s.manual(false, Some(ErrorType::QueueFull));
    assert_eq!(s.total(), 5);
    assert_eq!(
        (s.successful(), s.failed(), s.cancelled(), s.rejected()),
        (1, 2, 1, 1)
    );
    let snap = s.snapshot(QueueSnapshot::default());
    assert_eq!(
        snap["errors_by_type"],
        json!({"unknown": 1, "rate_limit_exceeded": 1, "cancelled": 1, "queue_full": 1})
    );
}

#[test]
fn reset_zeroes_everything() {
    let mut s = Stats::new();
    s.record_final(
        Final::Success,
        Some("m"),
        Secs::new(1.0),
        Some(Usage {
            prompt: 1,
            completion: 1,
            total: 2,
        }),
    );
    s.record_final(
        Final::Failed(ErrorType::ServerError),
        None,
        Secs::new(1.0),
        None,
    );
    s.record_retry(Secs::new(1.0));
    s.record_queue_wait(Secs::new(1.0));
    s.record_trip();
    s.manual(false, None);
    s.reset();
    let fresh = Stats::new();
    let q = QueueSnapshot::default();
    assert_eq!(s.snapshot(q), fresh.snapshot(q));
    assert_eq!(
        s.report(breaker_snapshot(), true),
        fresh.report(breaker_snapshot(), true)
    );
    assert_eq!(s.total(), 0);
    assert_eq!(s.retried(), 0);
    let snap = s.snapshot(q);
    assert_eq!(snap["requests_by_model"], json!({}));
    assert_eq!(snap["errors_by_type"], json!({}));
    assert_eq!(snap["latency"], json!({"p50": 0.0, "p90": 0.0, "p99": 0.0}));
}

/// The report's breaker part for one breaker (the engine builds it from its endpoints).
fn snapshot(breaker: &Breaker, now: Instant) -> BreakerSnapshot {
    let cfg = breaker.config();
    BreakerSnapshot {
        state: breaker.state(now).as_str(),
        failure_count: breaker.failure_count(),
        failure_threshold: cfg.failure_threshold,
        reset_timeout: cfg.reset_timeout,
        trips: breaker.trips(),
    }
}
