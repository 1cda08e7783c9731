//! createRouter's engine half on the virtual clock: option checks, each strategy's order and
//! distribution, breaker and hint-based skipping, the latency window, the fallback decision
//! by error type, and a driver over two member engines (what node-host/lib/router.js does)
//! showing a 429 moves on at once instead of waiting out its hint.

mod common;

use resilient_core::host::Clock;
use resilient_core::json::json;
use resilient_core::pipeline::{Call, Engine};
use resilient_core::router::{parse_options, Failure, Health, Next, Router, Strategy};
use resilient_core::sim::{Sim, SimClock, Step};
use resilient_core::time::{Instant, Secs};
use resilient_core::ErrorType;
use std::cell::RefCell;
use std::rc::Rc;

fn router(strategy: &str, weights: &[f64]) -> Router {
    parse_options(Some(strategy), None, weights).unwrap()
}

fn healthy(n: usize) -> Vec<Health> {
    vec![
        Health {
            load: 0,
            admits: true
        };
        n
    ]
}

fn fail(kind: ErrorType, more: bool) -> Failure {
    Failure {
        kind,
        retry_delay: None,
        more,
        limited: more,
    }
}

/// How often each member came first over `calls` plans.
fn firsts(r: &mut Router, n: usize, calls: usize, now: Instant) -> Vec<usize> {
    let mut got = vec![0; n];
    for _ in 0..calls {
        got[r.plan(now, &healthy(n))[0]] += 1;
    }
    got
}

// ---- options ----

#[test]
fn options_default_to_fallback_over_the_documented_types() {
    let r = parse_options(None, None, &[1.0, 1.0]).unwrap();
    assert_eq!(r.strategy(), Strategy::Fallback);
    for t in [
        "rate_limit_exceeded",
        "quota_exceeded",
        "overloaded",
        "server_error",
        "timeout",
        "connection_error",
        "circuit_open",
    ] {
        assert!(r.falls_back_on(ErrorType::parse(t).unwrap()), "{t}");
    }
    for t in [
        ErrorType::InvalidRequest,
        ErrorType::AuthenticationError,
        ErrorType::Cancelled,
        ErrorType::StreamInterrupted,
        ErrorType::ContentFilter,
    ] {
        assert!(!r.falls_back_on(t), "{t}");
    }
}

#[test]
fn bad_options_name_the_field() {
    let e = parse_options(Some("fastest"), None, &[1.0]).unwrap_err();
    assert!(
        e.contains("`strategy`") && e.contains("'round-robin'") && e.contains("'fastest'"),
        "{e}"
    );
    let e = parse_options(None, Some("timeout,nope"), &[1.0]).unwrap_err();
    assert!(
        e.contains("`fallbackOn`") && e.contains("rate_limit_exceeded") && e.contains("'nope'"),
        "{e}"
    );
    let e = parse_options(None, None, &[1.0, 0.0]).unwrap_err();
    assert!(
        e.contains("`members[1].weight`") && e.contains("> 0"),
        "{e}"
    );
    let e = parse_options(None, None, &[f64::NAN]).unwrap_err();
    assert!(e.contains("`members[0].weight`"), "{e}");
    let e = parse_options(None, None, &[]).unwrap_err();
    assert!(e.contains("`members`"), "{e}");
    let r = parse_options(Some("latency"), Some("server_error"), &[2.0]).unwrap();
    assert_eq!(r.strategy(), Strategy::Latency);
    assert!(r.falls_back_on(ErrorType::ServerError));
    assert!(!r.falls_back_on(ErrorType::RateLimitExceeded));
}

// ---- the fallback decision ----

#[test]
fn a_fallback_on_type_moves_on_only_while_a_member_remains() {
    let mut r = router("fallback", &[1.0, 1.0]);
    let now = Instant::ZERO;
    assert_eq!(r.plan(now, &healthy(2)), vec![0, 1]);
    r.started(0);
    assert_eq!(
        r.failed(0, now, fail(ErrorType::RateLimitExceeded, true)),
        Next::Fallback
    );
    r.started(1);
    assert_eq!(
        r.failed(1, now, fail(ErrorType::RateLimitExceeded, false)),
        Next::Stop
    );
    // Not a fallbackOn type: the call fails with it, whatever remains.
    for t in [
        ErrorType::InvalidRequest,
        ErrorType::AuthenticationError,
        ErrorType::Cancelled,
    ] {
        r.started(0);
        assert_eq!(r.failed(0, now, fail(t, true)), Next::Stop, "{t}");
    }
    let s = r.stats(now);
    // calls, failed calls, fallbacks; then member 0: served, failed, fallbacks, in flight.
    assert_eq!(&s[..3], &[1.0, 4.0, 1.0]);
    assert_eq!(&s[3..7], &[0.0, 4.0, 1.0, 0.0]);
}

#[test]
fn a_skipped_member_gives_back_its_slot_and_counts_nothing() {
    let mut r = router("least-loaded", &[1.0, 1.0]);
    let now = Instant::ZERO;
    r.plan(now, &healthy(2));
    r.started(0);
    r.skipped(0);
    let s = r.stats(now);
    // calls, failed_calls, fallbacks; member 0: served, failed, fallbacks, in_flight.
    assert_eq!(&s[..7], &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    // Its load back at 0, member 0 still ranks first on the rotating tie.
    r.started(1);
    assert_eq!(r.plan(now, &healthy(2))[0], 0);
}

#[test]
fn a_retryable_type_outside_fallback_on_gets_the_members_own_retries() {
    let mut r = parse_options(None, Some("rate_limit_exceeded"), &[1.0, 1.0]).unwrap();
    let now = Instant::ZERO;
    r.plan(now, &healthy(2));
    r.started(0);
    // Called with retries off (another member remained): a timeout is retried on the member.
    assert_eq!(
        r.failed(0, now, fail(ErrorType::Timeout, true)),
        Next::Retry
    );
    r.started(0);
    let again = Failure {
        limited: false,
        ..fail(ErrorType::Timeout, true)
    };
    assert_eq!(r.failed(0, now, again), Next::Stop);
    // Not retryable at all: no second call.
    r.started(0);
    assert_eq!(
        r.failed(0, now, fail(ErrorType::NotFound, true)),
        Next::Stop
    );
}

// ---- health: breaker and server hints ----

#[test]
fn a_member_whose_breaker_refuses_is_skipped_while_another_is_available() {
    let mut r = router("fallback", &[1.0, 1.0, 1.0]);
    let now = Instant::ZERO;
    let mut h = healthy(3);
    h[0].admits = false;
    assert_eq!(r.plan(now, &h), vec![1, 2]);
    h[2].admits = false;
    assert_eq!(r.plan(now, &h), vec![1]);
    // None admits: every member, in order, so the call gets a member's own answer.
    h[1].admits = false;
    assert_eq!(r.plan(now, &h), vec![0, 1, 2]);
}

#[test]
fn a_server_hint_keeps_a_member_aside_until_it_passes() {
    let clock = SimClock::new();
    let mut r = router("fallback", &[1.0, 1.0]);
    r.plan(clock.now(), &healthy(2));
    r.started(0);
    let f = Failure {
        retry_delay: Some(Secs::new(30.0)),
        ..fail(ErrorType::RateLimitExceeded, true)
    };
    assert_eq!(r.failed(0, clock.now(), f), Next::Fallback);
    assert_eq!(r.stats(clock.now())[8], 1.0, "member 0 cooling down");
    clock.advance_to(29.9);
    assert_eq!(r.plan(clock.now(), &healthy(2)), vec![1]);
    clock.advance_to(30.0);
    assert_eq!(r.plan(clock.now(), &healthy(2)), vec![0, 1]);
    assert_eq!(r.stats(clock.now())[8], 0.0);
    // A hint on a type that does not move on (the call just fails) sets nothing aside.
    r.started(0);
    let f = Failure {
        retry_delay: Some(Secs::new(30.0)),
        ..fail(ErrorType::InvalidRequest, true)
    };
    assert_eq!(r.failed(0, clock.now(), f), Next::Stop);
    assert_eq!(r.plan(clock.now(), &healthy(2)), vec![0, 1]);
}

// ---- strategies ----

#[test]
fn round_robin_gives_each_member_its_weights_share_smoothly() {
    let mut r = router("round-robin", &[3.0, 1.0]);
    let now = Instant::ZERO;
    let order: Vec<usize> = (0..8).map(|_| r.plan(now, &healthy(2))[0]).collect();
    // Smooth: member 1 is not starved for three calls in a row at the start, then bunched.
    assert_eq!(order, vec![0, 0, 1, 0, 0, 0, 1, 0]);
    assert_eq!(firsts(&mut r, 2, 400, now), vec![300, 100]);
    // The next-best follows: every plan names both members.
    assert_eq!(r.plan(now, &healthy(2)).len(), 2);
    let mut equal = router("round-robin", &[1.0, 1.0, 1.0]);
    assert_eq!(firsts(&mut equal, 3, 300, now), vec![100, 100, 100]);
}

#[test]
fn round_robin_shares_among_the_healthy_members() {
    let mut r = router("round-robin", &[1.0, 1.0, 2.0]);
    let now = Instant::ZERO;
    let mut h = healthy(3);
    h[2].admits = false;
    let mut got = [0; 3];
    for _ in 0..100 {
        got[r.plan(now, &h)[0]] += 1;
    }
    assert_eq!(got, [50, 50, 0]);
    assert_eq!(firsts(&mut r, 3, 400, now), vec![100, 100, 200]);
}

#[test]
fn least_loaded_picks_the_shortest_queue_and_rotates_ties() {
    let mut r = router("least-loaded", &[1.0, 1.0, 1.0]);
    let now = Instant::ZERO;
    let h = |loads: [u32; 3]| {
        loads
            .iter()
            .map(|&load| Health { load, admits: true })
            .collect::<Vec<_>>()
    };
    assert_eq!(r.plan(now, &h([4, 1, 2])), vec![1, 2, 0]);
    assert_eq!(r.plan(now, &h([0, 3, 3]))[0], 0);
    // Equal loads: each member goes first in turn.
    assert_eq!(firsts(&mut r, 3, 300, now), vec![100, 100, 100]);
    // Calls the router handed to a member count even before its client reports them.
    let mut r = router("least-loaded", &[1.0, 1.0]);
    r.started(0);
    r.started(0);
    for _ in 0..4 {
        assert_eq!(r.plan(now, &healthy(2))[0], 1);
    }
    // Load is per unit of weight: 4 queued on a weight-4 member beat 2 on a weight-1 member.
    let mut r = router("least-loaded", &[4.0, 1.0]);
    let loads = [
        Health {
            load: 4,
            admits: true,
        },
        Health {
            load: 2,
            admits: true,
        },
    ];
    assert_eq!(r.plan(now, &loads)[0], 0);
}

#[test]
fn least_loaded_spreads_concurrent_calls() {
    // Calls that stay in flight: each new one goes to the member with the fewest.
    let mut r = router("least-loaded", &[1.0, 1.0, 2.0]);
    let now = Instant::ZERO;
    let mut got = [0; 3];
    for _ in 0..40 {
        let first = r.plan(now, &healthy(3))[0];
        r.started(first);
        got[first] += 1;
    }
    assert_eq!(got, [10, 10, 20]);
}

#[test]
fn latency_prefers_the_lowest_recent_median_and_measures_newcomers() {
    let clock = SimClock::new();
    let mut r = router("latency", &[1.0, 1.0, 1.0]);
    // Unmeasured members go first, in order.
    assert_eq!(r.plan(clock.now(), &healthy(3)), vec![0, 1, 2]);
    for (i, secs) in [(0, 0.5), (1, 0.1), (2, 0.3)] {
        for _ in 0..5 {
            r.started(i);
            r.succeeded(i, clock.now(), Secs::new(secs));
        }
    }
    assert_eq!(r.plan(clock.now(), &healthy(3)), vec![1, 2, 0]);
    // One slow outlier does not move a median.
    r.started(1);
    r.succeeded(1, clock.now(), Secs::new(9.0));
    assert_eq!(r.plan(clock.now(), &healthy(3))[0], 1);
    // A run of slow replies does.
    for _ in 0..10 {
        r.started(1);
        r.succeeded(1, clock.now(), Secs::new(2.0));
    }
    assert_eq!(r.plan(clock.now(), &healthy(3)), vec![2, 0, 1]);
    assert_eq!(r.stats(clock.now())[3 + 6 + 4], 2.0, "member 1's p50");
    // Samples older than the window no longer count: member 0, measured again later, is
    // the only one with a recent sample, so the others go first to be measured.
    clock.advance_to(30.0);
    r.started(0);
    r.succeeded(0, clock.now(), Secs::new(0.2));
    clock.advance_to(61.0);
    assert_eq!(r.plan(clock.now(), &healthy(3)), vec![1, 2, 0]);
    assert!(
        r.stats(clock.now())[3 + 6 + 4].is_nan(),
        "member 1 unmeasured"
    );
}

#[test]
fn latency_sends_most_calls_to_the_fastest_member() {
    let clock = SimClock::new();
    let mut r = router("latency", &[1.0, 1.0]);
    let speed = [0.4, 0.1];
    let mut got = [0; 2];
    for _ in 0..100 {
        let first = r.plan(clock.now(), &healthy(2))[0];
        r.started(first);
        clock.advance_to(clock.now().as_secs() + speed[first]);
        r.succeeded(first, clock.now(), Secs::new(speed[first]));
        got[first] += 1;
    }
    // One call to measure member 0; every other call goes to the faster member 1.
    assert_eq!(got, [1, 99]);
}

// ---- a driver over member engines (what node-host/lib/router.js does) ----

struct Routed {
    router: RefCell<Router>,
    members: Vec<Engine>,
    clock: SimClock,
}

impl Routed {
    async fn call(&self, make: impl Fn() -> Call) -> Result<usize, (usize, ErrorType)> {
        let health: Vec<Health> = self
            .members
            .iter()
            .map(|m| Health {
                load: (m.queue_length() + m.active_requests()) as u32,
                admits: m.check_circuit_breaker(),
            })
            .collect();
        let order = self.router.borrow_mut().plan(self.clock.now(), &health);
        let mut last = None;
        for (k, &i) in order.iter().enumerate() {
            let more = k + 1 < order.len();
            let start = self.clock.now();
            self.router.borrow_mut().started(i);
            let mut call = make();
            // While another member remains, the member does not retry.
            call.max_retries = more.then_some(0);
            match self.members[i].execute(call).await {
                Ok(_) => {
                    let now = self.clock.now();
                    self.router.borrow_mut().succeeded(i, now, now - start);
                    return Ok(i);
                }
                Err(e) => {
                    let f = Failure {
                        kind: e.kind,
                        retry_delay: e.retry_delay.map(Secs::new),
                        more,
                        limited: more,
                    };
                    let next = self.router.borrow_mut().failed(i, self.clock.now(), f);
                    last = Some((i, e.kind));
                    if next != Next::Fallback {
                        break;
                    }
                }
            }
        }
        Err(last.unwrap())
    }
}

fn routed(sim: &Sim, options: [resilient_core::json::Value; 2]) -> Rc<Routed> {
    let [a, b] = options;
    Rc::new(Routed {
        router: RefCell::new(router("fallback", &[1.0, 1.0])),
        members: vec![
            common::engine(sim, "openai", a),
            common::engine(sim, "claude", b),
        ],
        clock: sim.clock.clone(),
    })
}

fn echo() -> Call {
    common::echo_call("POST", "http://127.0.0.1/x")
}

#[test]
fn a_429_moves_on_at_once_and_its_hint_keeps_the_member_aside() {
    let sim = Sim::new();
    let r = routed(&sim, [json!({ "maxRetries": 5 }), json!({})]);
    sim.transport.push(
        Step::status(429, r#"{"error":{"message":"slow down"}}"#).header("retry-after", "20"),
    );
    let h = sim.spawn({
        let r = r.clone();
        async move { r.call(echo).await }
    });
    sim.run(1e6);
    assert_eq!(h.take().unwrap(), Ok(1));
    // One attempt on member 0, none of its five retries, and no wait for the 20 s hint.
    assert_eq!(sim.transport.count(), 2);
    assert_eq!(sim.clock_now(), 0.0);
    // While the hint runs, calls go straight to member 1.
    for _ in 0..3 {
        let r2 = r.clone();
        assert_eq!(sim.block_on(async move { r2.call(echo).await }), Ok(1));
    }
    assert_eq!(sim.transport.count(), 5);
    // After it, member 0 is first again.
    sim.clock.advance_to(20.0);
    let r2 = r.clone();
    assert_eq!(sim.block_on(async move { r2.call(echo).await }), Ok(0));
}

#[test]
fn the_last_member_keeps_its_own_retries() {
    let sim = Sim::new();
    let r = routed(
        &sim,
        [
            json!({}),
            json!({ "maxRetries": 2, "initialRetryDelay": 1 }),
        ],
    );
    sim.transport.push(Step::status(503, "{}"));
    sim.transport.push(Step::status(503, "{}"));
    sim.transport.push(Step::status(503, "{}"));
    let h = sim.spawn({
        let r = r.clone();
        async move { r.call(echo).await }
    });
    sim.run(1e6);
    // Member 0 once, then member 1 with its retries: the third attempt there succeeds.
    assert_eq!(h.take().unwrap(), Ok(1));
    assert_eq!(sim.transport.count(), 4);
    assert!(
        sim.clock_now() > 0.0,
        "member 1 backed off between its attempts"
    );
}

#[test]
fn an_open_breaker_is_skipped_without_a_request() {
    let sim = Sim::new();
    let r = routed(&sim, [json!({ "failureThreshold": 1 }), json!({})]);
    sim.transport.push(Step::status(500, "{}"));
    let r2 = r.clone();
    assert_eq!(sim.block_on(async move { r2.call(echo).await }), Ok(1));
    assert_eq!(sim.transport.count(), 2);
    assert!(!r.members[0].check_circuit_breaker());
    for _ in 0..5 {
        let r2 = r.clone();
        assert_eq!(sim.block_on(async move { r2.call(echo).await }), Ok(1));
    }
    // No request went to member 0 while its circuit was open.
    let to_member_0 = sim.transport.count() - 6;
    assert_eq!(to_member_0, 1);
}

#[test]
fn a_failure_that_is_not_a_fallback_type_fails_the_call_on_its_member() {
    let sim = Sim::new();
    let r = routed(&sim, [json!({}), json!({})]);
    sim.transport
        .push(Step::status(400, r#"{"error":{"message":"bad"}}"#));
    let r2 = r.clone();
    assert_eq!(
        sim.block_on(async move { r2.call(echo).await }),
        Err((0, ErrorType::InvalidRequest))
    );
    assert_eq!(sim.transport.count(), 1);
}
