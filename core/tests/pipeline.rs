//! The pipeline on a virtual clock with a scripted transport: exact delays, concurrency
//! high-water marks, queue order, breaker transitions and stats invariants.

mod common;

use resilient_core::codec::Parsed;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::{Call, CancelToken, Engine, Read};
use resilient_core::queue::Priority;
use resilient_core::sim::{Sim, Step};
use resilient_core::{ApiError, ErrorType};

fn engine(sim: &Sim, options: Value) -> Engine {
    common::engine(sim, "openai", options)
}

fn call(tag: &str) -> Call {
    common::echo_call("POST", &format!("http://127.0.0.1/{tag}"))
}

fn prio(tag: &str, p: Priority) -> Call {
    Call {
        priority: p,
        ..call(tag)
    }
}

fn send_times(sim: &Sim) -> Vec<f64> {
    sim.transport.sent().iter().map(|s| s.at).collect()
}

fn run_one(sim: &Sim, e: &Engine, c: Call) -> Result<Value, ApiError> {
    let e = e.clone();
    sim.block_on(async move { e.execute(c).await })
        .map(|p| resilient_core::json::from_str(&p.json).unwrap_or(Value::Null))
}

fn no_jitter() -> Value {
    json!({"jitter": 0})
}

#[test]
fn exact_delay_sequence_1_2_4_8_16() {
    let sim = Sim::new();
    sim.transport.set_default(Step::status(500, "{}"));
    let e = engine(&sim, json!({"jitter": 0, "failureThreshold": 100}));
    let err = run_one(&sim, &e, call("x")).unwrap_err();
    assert_eq!(err.kind, ErrorType::ServerError);
    assert_eq!(err.attempts, 6);
    assert!(err.should_retry);
    assert_eq!(send_times(&sim), vec![0.0, 1.0, 3.0, 7.0, 15.0, 31.0]);
    assert_eq!(e.stats()["retried_requests"], 5);
}

#[test]
fn delays_are_capped_at_max_retry_delay() {
    let sim = Sim::new();
    sim.transport.set_default(Step::status(502, "{}"));
    let e = engine(
        &sim,
        json!({"jitter": 0, "maxRetries": 7, "maxRetryDelay": 5, "failureThreshold": 100}),
    );
    run_one(&sim, &e, call("x")).unwrap_err();
    let t = send_times(&sim);
    let gaps: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, vec![1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]);
}

#[test]
fn jitter_scales_each_delay_within_bounds() {
    for unit in [0.0, 0.25, 0.5, 0.999] {
        let sim = Sim::new();
        // The first value salts request ids; the rest drive jitter.
        sim.entropy_values(vec![unit]);
        sim.transport.set_default(Step::status(503, "{}"));
        let e = engine(
            &sim,
            json!({"jitter": 0.2, "maxRetries": 4, "failureThreshold": 100}),
        );
        run_one(&sim, &e, call("x")).unwrap_err();
        let t = send_times(&sim);
        for (i, w) in t.windows(2).enumerate() {
            let base = [1.0, 2.0, 4.0, 8.0][i];
            let gap = w[1] - w[0];
            assert!(
                gap <= base + 1e-9 && gap >= base * 0.8 - 1e-9,
                "gap {gap} base {base}"
            );
            assert!((gap - base * (1.0 - 0.2 * unit)).abs() < 1e-6);
        }
    }
}

#[test]
fn each_hint_form_sets_the_wait() {
    let cases: Vec<(Step, f64)> = vec![
        (Step::status(429, "{}").header("retry-after", "2"), 2.0),
        (Step::status(429, "{}").header("retry-after", "0.5"), 0.5),
        (
            Step::status(429, "{}")
                .header("retry-after-ms", "250")
                .header("retry-after", "9"),
            0.25,
        ),
        // The sim's wall clock starts at 2025-01-01T00:00:00Z.
        (
            Step::status(503, "{}").header("retry-after", "Wed, 01 Jan 2025 00:00:30 GMT"),
            30.0,
        ),
        (
            Step::status(
                429,
                r#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"slow","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3.5s"}]}}"#,
            ),
            3.5,
        ),
    ];
    for (step, wait) in cases {
        let sim = Sim::new();
        sim.transport.push(step);
        let e = engine(&sim, no_jitter());
        run_one(&sim, &e, call("x")).unwrap();
        assert_eq!(send_times(&sim), vec![0.0, wait]);
    }
}

#[test]
fn x_should_retry_false_stops_a_500() {
    let sim = Sim::new();
    sim.transport
        .push(Step::status(500, "{}").header("x-should-retry", "false"));
    let e = engine(&sim, no_jitter());
    let err = run_one(&sim, &e, call("x")).unwrap_err();
    assert_eq!(
        (err.kind, err.attempts, err.should_retry),
        (ErrorType::ServerError, 1, false)
    );
}

#[test]
fn a_hint_past_max_retry_after_fails_fast_as_quota() {
    let sim = Sim::new();
    sim.transport
        .push(Step::status(429, "{}").header("retry-after", "86400"));
    let e = engine(&sim, no_jitter());
    let err = run_one(&sim, &e, call("x")).unwrap_err();
    assert_eq!(err.kind, ErrorType::QuotaExceeded);
    assert_eq!(err.retry_delay, Some(86400.0));
    assert_eq!(sim.transport.count(), 1);
    assert_eq!(sim.clock_now(), 0.0, "nothing was slept");
}

#[test]
fn non_retryable_types_make_exactly_one_attempt() {
    let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
    let cases = [
        (Step::status(400, "{}"), ErrorType::InvalidRequest),
        (Step::status(401, "{}"), ErrorType::AuthenticationError),
        (Step::status(403, "{}"), ErrorType::PermissionDenied),
        (Step::status(404, "{}"), ErrorType::NotFound),
        (Step::status(422, "{}"), ErrorType::InvalidRequest),
        (Step::status(429, quota), ErrorType::QuotaExceeded),
        (Step::ok("not json"), ErrorType::DecodeError),
    ];
    for (step, kind) in cases {
        let sim = Sim::new();
        sim.transport.push(step);
        let e = engine(&sim, no_jitter());
        let mut c = call("x");
        if kind == ErrorType::DecodeError {
            c.read = Read::Unary(Box::new(|r, _| {
                resilient_core::json::from_slice::<Value>(&r.body)
                    .map(|v| Parsed {
                        json: v.to_string(),
                        ..Parsed::default()
                    })
                    .map_err(|_| ApiError::new(ErrorType::DecodeError, "bad json"))
            }));
        }
        let err = run_one(&sim, &e, c).unwrap_err();
        assert_eq!(err.kind, kind);
        assert_eq!(err.attempts, 1, "{kind}");
        assert_eq!(sim.transport.count(), 1, "{kind}");
    }
}

#[test]
fn connection_errors_and_timeouts_are_retried() {
    let sim = Sim::new();
    sim.transport.push(Step::Refuse { delay: 0.0 });
    sim.transport.push(Step::Stall);
    sim.transport.push(Step::ok(r#"{"ok":true}"#));
    let e = engine(&sim, json!({"jitter": 0, "timeout": 10}));
    let v = run_one(&sim, &e, call("x")).unwrap();
    assert_eq!(v, json!({"ok": true}));
    // refused at 0, retry at 1 stalls until the 10 s timeout, retry 2 s later.
    assert_eq!(send_times(&sim), vec![0.0, 1.0, 13.0]);
    assert_eq!(
        sim.transport.aborted(),
        1,
        "the stalled attempt was aborted"
    );
    assert_eq!(sim.transport.in_flight(), 0);
}

#[test]
fn concurrency_never_exceeds_the_limit() {
    let sim = Sim::new();
    sim.transport.set_default(Step::ok("{}").after(1.0));
    let e = engine(&sim, json!({"maxConcurrentRequests": 5}));
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let e = e.clone();
            sim.spawn(async move { e.execute(call(&i.to_string())).await })
        })
        .collect();
    sim.run(1e6);
    assert!(handles.iter().all(|h| h.take().unwrap().is_ok()));
    assert_eq!(sim.transport.peak_in_flight(), 5);
    assert_eq!(sim.clock_now(), 10.0, "50 requests of 1 s, 5 at a time");
    let s = e.stats();
    assert_eq!(s["queue"]["peak_active"], 5);
    assert_eq!(s["queue"]["peak_length"], 45);
    assert_eq!(s["successful_requests"], 50);
}

#[test]
fn priority_order_and_fifo_inside_a_class() {
    let sim = Sim::new();
    sim.transport.push(Step::ok("{}").after(1.0));
    let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
    let handles: Vec<_> = common::PRIORITY_ARRIVALS
        .iter()
        .map(|(tag, p)| {
            let e = e.clone();
            let c = prio(tag, *p);
            let h = sim.spawn(async move { e.execute(c).await });
            sim.run_until_stalled();
            h
        })
        .collect();
    sim.run(1e6);
    assert!(handles.iter().all(|h| h.take().unwrap().is_ok()));
    let urls: Vec<String> = sim
        .transport
        .sent()
        .iter()
        .map(|s| s.request.url.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(urls, common::PRIORITY_ADMITTED);
}

#[test]
fn queue_full_then_success_after_draining() {
    let sim = Sim::new();
    sim.transport.set_default(Step::ok("{}").after(1.0));
    let e = engine(&sim, json!({"maxConcurrentRequests": 1, "queueSize": 2}));
    let hs: Vec<_> = (0..4)
        .map(|i| {
            let e = e.clone();
            sim.spawn(async move { e.execute(call(&i.to_string())).await })
        })
        .collect();
    sim.run_until_stalled();
    let full = hs[3].take().expect("rejected at once").unwrap_err();
    assert_eq!(full.kind, ErrorType::QueueFull);
    assert!(!full.should_retry);
    sim.run(1e6);
    assert!(hs[..3].iter().all(|h| h.take().unwrap().is_ok()));
    run_one(&sim, &e, call("after")).unwrap();
    let s = e.stats();
    assert_eq!(s["rejected_requests"], 1);
    assert_eq!(s["successful_requests"], 4);
    assert_eq!(s["errors_by_type"]["queue_full"], 1);
}

#[test]
fn a_cancelled_queued_request_is_never_sent() {
    let sim = Sim::new();
    sim.transport.set_default(Step::ok("{}").after(5.0));
    let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
    let token = CancelToken::new();
    let first = {
        let e = e.clone();
        sim.spawn(async move { e.execute(call("first")).await })
    };
    let queued = {
        let e = e.clone();
        let c = Call {
            cancel: Some(token.clone()),
            ..call("queued")
        };
        sim.spawn(async move { e.execute(c).await })
    };
    let third = {
        let e = e.clone();
        sim.spawn(async move { e.execute(call("third")).await })
    };
    sim.run_until(1.0);
    assert_eq!(e.queue_length(), 2);
    token.cancel();
    sim.run_until_stalled();
    let err = queued.take().expect("settled at once").unwrap_err();
    assert_eq!(err.kind, ErrorType::Cancelled);
    assert_eq!(err.attempts, 0);
    assert_eq!(e.queue_length(), 1);
    sim.run(1e6);
    assert!(first.take().unwrap().is_ok() && third.take().unwrap().is_ok());
    let urls: Vec<String> = sim
        .transport
        .sent()
        .iter()
        .map(|s| s.request.url.clone())
        .collect();
    assert!(urls.iter().all(|u| !u.ends_with("queued")), "{urls:?}");
    assert_eq!(urls.len(), 2);
    assert_eq!(e.stats()["cancelled_requests"], 1);
}

#[test]
fn cancel_ends_a_backoff_wait_and_aborts_an_attempt_at_once() {
    let sim = Sim::new();
    sim.transport.push(Step::status(500, "{}"));
    sim.transport.push(Step::Stall);
    let e = engine(&sim, json!({"jitter": 0, "initialRetryDelay": 30}));
    let token = CancelToken::new();
    let c = Call {
        cancel: Some(token.clone()),
        ..call("x")
    };
    let h = {
        let e = e.clone();
        sim.spawn(async move { e.execute(c).await })
    };
    sim.run_until(10.0);
    assert!(!h.is_done(), "still in the 30 s backoff");
    token.cancel();
    sim.run_until_stalled();
    assert_eq!(h.take().unwrap().unwrap_err().kind, ErrorType::Cancelled);
    assert_eq!(sim.clock_now(), 10.0);
    assert_eq!(
        sim.clock.pending_timers(),
        0,
        "the backoff timer was cleared"
    );

    // Now an attempt in flight.
    let token = CancelToken::new();
    let c = Call {
        cancel: Some(token.clone()),
        ..call("y")
    };
    let h = {
        let e = e.clone();
        sim.spawn(async move { e.execute(c).await })
    };
    sim.run_until(12.0);
    assert_eq!(sim.transport.in_flight(), 1);
    token.cancel();
    sim.run_until_stalled();
    assert_eq!(h.take().unwrap().unwrap_err().kind, ErrorType::Cancelled);
    assert_eq!(sim.transport.in_flight(), 0);
    assert_eq!(sim.transport.aborted(), 1);
    assert_eq!(e.active_requests(), 0, "the permit came back");
}

#[test]
fn an_already_cancelled_call_is_never_sent() {
    let sim = Sim::new();
    let e = engine(&sim, json!({}));
    let token = CancelToken::new();
    token.cancel();
    let err = run_one(
        &sim,
        &e,
        Call {
            cancel: Some(token),
            ..call("x")
        },
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorType::Cancelled);
    assert_eq!(sim.transport.count(), 0);
}

#[test]
fn breaker_opens_fails_fast_probes_and_closes() {
    let sim = Sim::new();
    let e = engine(
        &sim,
        json!({"failureThreshold": 3, "resetTimeout": 30, "maxRetries": 0}),
    );
    for _ in 0..3 {
        sim.transport.push(Step::status(500, "{}"));
        assert_eq!(
            run_one(&sim, &e, call("x")).unwrap_err().kind,
            ErrorType::ServerError
        );
    }
    assert_eq!(e.circuit_state().as_str(), "OPEN");
    assert!(!e.check_circuit_breaker());
    let err = run_one(&sim, &e, call("x")).unwrap_err();
    assert_eq!(err.kind, ErrorType::CircuitOpen);
    assert_eq!(err.retry_delay, Some(30.0));
    assert_eq!(sim.transport.count(), 3, "not sent while OPEN");

    sim.run_until(30.0);
    assert_eq!(e.circuit_state().as_str(), "HALF_OPEN");
    // One probe in flight; a second call is refused while it runs.
    sim.transport.push(Step::ok("{}").after(1.0));
    let probe = {
        let e = e.clone();
        sim.spawn(async move { e.execute(call("probe")).await })
    };
    sim.run_until_stalled();
    let second = run_one_now(&sim, &e);
    assert_eq!(second.unwrap_err().kind, ErrorType::CircuitOpen);
    sim.run(1e6);
    assert!(probe.take().unwrap().is_ok());
    assert_eq!(e.circuit_state().as_str(), "CLOSED");
    assert_eq!(e.stats()["circuit_breaker_trips"], 1);
    assert_eq!(e.report(false)["circuit_breaker"]["trips"], 1);
}

fn run_one_now(sim: &Sim, e: &Engine) -> Result<Value, ApiError> {
    let e = e.clone();
    let h = sim.spawn(async move { e.execute(call("second")).await });
    sim.run_until_stalled();
    h.take()
        .expect("settled without waiting")
        .map(|p| resilient_core::json::from_str(&p.json).unwrap_or(Value::Null))
}

#[test]
fn a_failed_probe_reopens_with_a_fresh_timer() {
    let sim = Sim::new();
    let e = engine(
        &sim,
        json!({"failureThreshold": 1, "resetTimeout": 10, "maxRetries": 0}),
    );
    sim.transport.push(Step::status(503, "{}"));
    run_one(&sim, &e, call("x")).unwrap_err();
    sim.run_until(12.0);
    sim.transport.push(Step::status(503, "{}"));
    run_one(&sim, &e, call("probe")).unwrap_err();
    assert_eq!(e.circuit_state().as_str(), "OPEN");
    sim.run_until(21.0);
    assert_eq!(e.circuit_state().as_str(), "OPEN", "timer restarted at 12");
    sim.run_until(22.0);
    assert_eq!(e.circuit_state().as_str(), "HALF_OPEN");
}

#[test]
fn client_errors_never_open_the_breaker() {
    let sim = Sim::new();
    sim.transport.set_default(Step::status(400, "{}"));
    let e = engine(&sim, json!({"failureThreshold": 2}));
    for _ in 0..10 {
        run_one(&sim, &e, call("x")).unwrap_err();
    }
    assert_eq!(e.circuit_state().as_str(), "CLOSED");
}

#[test]
fn retries_stop_when_the_breaker_opens() {
    let sim = Sim::new();
    sim.transport.set_default(Step::status(500, "{}"));
    let e = engine(&sim, json!({"failureThreshold": 3, "jitter": 0}));
    let err = run_one(&sim, &e, call("x")).unwrap_err();
    assert_eq!(
        err.kind,
        ErrorType::ServerError,
        "the last real error, not circuit_open"
    );
    assert_eq!(err.attempts, 3);
    assert_eq!(sim.transport.count(), 3);
}

#[test]
fn stats_add_up_and_keys_never_leak() {
    let sim = Sim::new();
    sim.transport.set_default(
        Step::ok(r#"{"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#)
            .after(1.0),
    );
    let e = engine(
        &sim,
        json!({"maxConcurrentRequests": 1, "queueSize": 1, "apiKey": "sk-SECRET"}),
    );
    sim.transport.push(
        Step::status(
            401,
            r#"{"error":{"message":"Incorrect API key provided: sk-SECRET"}}"#,
        )
        .after(1.0),
    );
    let hs: Vec<_> = (0..3)
        .map(|i| {
            let e = e.clone();
            sim.spawn(async move { e.execute(call(&i.to_string())).await })
        })
        .collect();
    sim.run(1e6);
    let auth = hs[0].take().unwrap().unwrap_err();
    assert_eq!(auth.kind, ErrorType::AuthenticationError);
    assert!(!auth.message.contains("SECRET"), "{}", auth.message);
    assert!(hs[1].take().unwrap().is_ok());
    assert_eq!(
        hs[2].take().unwrap().unwrap_err().kind,
        ErrorType::QueueFull
    );
    let s = e.stats();
    let sum = [
        "successful_requests",
        "failed_requests",
        "cancelled_requests",
        "rejected_requests",
    ]
    .iter()
    .map(|k| s[k].as_u64().unwrap())
    .sum::<u64>();
    assert_eq!(s["total_requests"].as_u64().unwrap(), sum);
    assert_eq!(s["total_requests"], 3);
    assert_eq!(s["requests_by_model"]["m"], 3);
    let report = e.report(true).to_string();
    assert!(!report.contains("SECRET") && !s.to_string().contains("SECRET"));
}
