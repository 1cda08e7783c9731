//! Pacing on the virtual clock: holds from the server's rate-limit headers, the user's
//! `rateLimit` (requests and tokens, corrected by usage), and the retry budget.

mod common;

use resilient_core::json::{json, Value};
use resilient_core::pipeline::{Call, Engine};
use resilient_core::sim::{Sim, Step};
use resilient_core::time::Secs;
use resilient_core::ErrorType;
use std::cell::RefCell;
use std::rc::Rc;

fn engine(sim: &Sim, options: Value) -> Engine {
    common::engine(sim, "openai", options)
}

fn echo() -> Call {
    common::echo_call("POST", "http://127.0.0.1/x")
}

/// An OpenAI chat call estimated at `chars / 4 + max_tokens` tokens.
fn chat(max_tokens: u64) -> Call {
    let config = common::keyed("k");
    let u = common::unary(
        "openai",
        &config,
        "chat",
        json!({"model": "m", "maxTokens": max_tokens, "messages": [{"role": "user", "content": "abcdefgh"}]}),
    )
    .unwrap();
    common::call(u)
}

fn openai_limits(step: Step, remaining: u64, reset: &str) -> Step {
    step.header("x-ratelimit-limit-requests", "3")
        .header("x-ratelimit-remaining-requests", &remaining.to_string())
        .header("x-ratelimit-reset-requests", reset)
}

/// Runs `n` calls made by `make` at time 0 and returns their results and send times.
fn run_all(sim: &Sim, e: &Engine, n: usize, make: impl Fn() -> Call) -> Vec<Result<(), ErrorType>> {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (e, call) = (e.clone(), make());
            sim.spawn(async move { e.execute(call).await.map(|_| ()).map_err(|e| e.kind) })
        })
        .collect();
    sim.run(1e6);
    handles.into_iter().map(|h| h.take().unwrap()).collect()
}

fn send_times(sim: &Sim) -> Vec<f64> {
    sim.transport.sent().iter().map(|s| s.at).collect()
}

fn events(e: &Engine) -> Rc<RefCell<Vec<(&'static str, Value)>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    e.set_listener(Some(Rc::new(move |ev, v| s.borrow_mut().push((ev, v)))));
    seen
}

/// The payloads of the `name` events seen so far.
fn named(seen: &RefCell<Vec<(&'static str, Value)>>, name: &str) -> Vec<Value> {
    seen.borrow()
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v.clone())
        .collect()
}

#[test]
fn a_spent_request_budget_holds_the_next_call_until_its_reset() {
    let sim = Sim::new();
    for left in [2, 1, 0] {
        sim.transport
            .push(openai_limits(Step::ok("{}").after(0.5), left, "1m0s"));
    }
    sim.transport.push(Step::ok("{}"));
    let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
    let seen = events(&e);
    let results = run_all(&sim, &e, 4, echo);
    assert!(results.iter().all(Result::is_ok));
    // The third reply (at 1.5 s) said none remain for 60 s: the fourth waits to 61.5 s.
    assert_eq!(send_times(&sim), [0.0, 0.5, 1.0, 61.5]);
    let stats = e.stats();
    assert_eq!(stats["rate_limit"]["paced_requests"], 1);
    assert_eq!(stats["rate_limit"]["paced_seconds"], 60.0);
    let paced = named(&seen, "paced");
    assert_eq!(paced.len(), 1);
    assert_eq!(paced[0]["wait"], 60.0);
}

#[test]
fn in_flight_calls_count_against_what_the_reply_said() {
    let sim = Sim::new();
    // Three go at once; the first reply says 2 remain, but two more had already left.
    sim.transport
        .push(openai_limits(Step::ok("{}").after(0.1), 2, "10s"));
    sim.transport.push(Step::ok("{}").after(0.2));
    sim.transport.push(Step::ok("{}").after(0.3));
    let e = engine(&sim, json!({"maxConcurrentRequests": 3}));
    run_all(&sim, &e, 4, echo);
    assert_eq!(send_times(&sim), [0.0, 0.0, 0.0, 10.1]);
    assert_eq!(e.stats()["rate_limit"]["paced_requests"], 1);
}

#[test]
fn anthropic_and_ietf_headers_pace_too() {
    for (name, value) in [
        ("anthropic-ratelimit-requests-remaining", "0"),
        ("ratelimit", "\"default\";r=0;t=5"),
    ] {
        let sim = Sim::new();
        let mut step = Step::ok("{}").header(name, value);
        // Anthropic's reset is an RFC 3339 time; the simulated Unix clock starts at 2025.
        step = step.header("anthropic-ratelimit-requests-reset", "2025-01-01T00:00:05Z");
        sim.transport.push(step);
        let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
        run_all(&sim, &e, 2, echo);
        assert_eq!(send_times(&sim), [0.0, 5.0], "{name}");
    }
}

#[test]
fn without_adaptive_pacing_the_headers_are_ignored() {
    let sim = Sim::new();
    sim.transport.push(openai_limits(Step::ok("{}"), 0, "30s"));
    let e = engine(
        &sim,
        json!({"maxConcurrentRequests": 1, "adaptivePacing": false}),
    );
    run_all(&sim, &e, 2, echo);
    assert_eq!(send_times(&sim), [0.0, 0.0]);
    assert_eq!(e.stats()["rate_limit"]["paced_requests"], 0);
}

#[test]
fn a_reset_past_max_retry_after_fails_at_once_and_a_deadline_is_kept() {
    let sim = Sim::new();
    sim.transport.push(openai_limits(Step::ok("{}"), 0, "2m0s"));
    let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
    let results = run_all(&sim, &e, 2, echo);
    assert_eq!(results[1], Err(ErrorType::QuotaExceeded));
    assert_eq!(sim.transport.count(), 1, "the held call was never sent");

    let sim = Sim::new();
    sim.transport.push(openai_limits(Step::ok("{}"), 0, "30s"));
    let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
    let first = run_all(&sim, &e, 1, echo);
    assert!(first[0].is_ok());
    let late = Call {
        deadline: Some(Secs::new(10.0)),
        ..echo()
    };
    let h = sim.spawn({
        let e = e.clone();
        async move { e.execute(late).await.map_err(|e| e.kind) }
    });
    sim.run_until_stalled();
    assert_eq!(h.take().unwrap().unwrap_err(), ErrorType::DeadlineExceeded);
    assert_eq!(sim.transport.count(), 1);
}

#[test]
fn stats_show_the_remaining_budget_and_its_reset() {
    let sim = Sim::new();
    sim.transport.push(
        openai_limits(Step::ok("{}"), 7, "20s")
            .header("x-ratelimit-remaining-tokens", "900")
            .header("x-ratelimit-reset-tokens", "6s"),
    );
    let e = engine(&sim, json!({}));
    run_all(&sim, &e, 1, echo);
    let r = &e.stats()["rate_limit"];
    assert_eq!(
        (
            r["remaining_requests"].as_u64(),
            r["remaining_tokens"].as_u64()
        ),
        (Some(7), Some(900))
    );
    assert_eq!(
        r["reset_at"], 1_735_689_606.0,
        "the earliest reset, in Unix seconds"
    );
    sim.run_until(30.0);
    assert_eq!(e.stats()["rate_limit"]["remaining_requests"], Value::Null);
}

#[test]
fn a_spent_token_budget_holds_a_call_whose_estimate_does_not_fit() {
    // One call's reply leaves 150 tokens for 7 s.
    let spent = || {
        let sim = Sim::new();
        sim.transport.push(
            Step::ok("{}")
                .header("x-ratelimit-remaining-tokens", "150")
                .header("x-ratelimit-reset-tokens", "7s"),
        );
        let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
        (sim, e)
    };
    let (sim, e) = spent();
    // 8 characters (2 tokens) + 148 fits the 150 left; + 149 does not.
    let fits = run_all(&sim, &e, 2, || chat(148));
    assert!(
        fits.iter().all(|r| r.is_err()),
        "the echo body is no chat reply"
    );
    assert_eq!(send_times(&sim), [0.0, 0.0]);
    let (sim, e) = spent();
    run_all(&sim, &e, 2, || chat(149));
    assert_eq!(send_times(&sim), [0.0, 7.0]);
}

#[test]
fn the_users_request_limit_is_never_passed_in_any_minute() {
    let sim = Sim::new();
    let e = engine(&sim, json!({"rateLimit": {"requestsPerMinute": 2}}));
    run_all(&sim, &e, 5, echo);
    // Each start counts until its second has left the minute.
    assert_eq!(send_times(&sim), [0.0, 0.0, 61.0, 61.0, 122.0]);
}

const CHAT_REPLY: &str = r#"{"id":"c","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":8,"total_tokens":10}}"#;

#[test]
fn token_estimates_are_corrected_by_the_replys_usage() {
    let sim = Sim::new();
    sim.transport.set_default(Step::ok(CHAT_REPLY).after(1.0));
    let e = engine(
        &sim,
        json!({"maxConcurrentRequests": 1, "rateLimit": {"tokensPerMinute": 1000}}),
    );
    // Each call is estimated at 2 + 600 tokens but used 10: the second goes once the first
    // has answered, not a minute later.
    let results = run_all(&sim, &e, 2, || chat(600));
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(send_times(&sim), [0.0, 1.0]);
    // Held (the estimate does not fit), it is looked at again each second and goes as soon
    // as the first reply's usage has freed the window.
    let sim = Sim::new();
    sim.transport.set_default(Step::ok(CHAT_REPLY).after(0.5));
    let e = engine(
        &sim,
        json!({"maxConcurrentRequests": 2, "rateLimit": {"tokensPerMinute": 1000}}),
    );
    run_all(&sim, &e, 2, || chat(600));
    assert_eq!(send_times(&sim), [0.0, 1.0]);
}

#[test]
fn an_endpoint_whose_limit_is_spent_is_passed_over() {
    let sim = Sim::new();
    sim.transport.push(openai_limits(Step::ok("{}"), 0, "30s"));
    let e = engine(
        &sim,
        json!({"maxConcurrentRequests": 1, "endpoints": [{"id": "a", "apiKey": "ka"}, {"id": "b", "apiKey": "kb"}]}),
    );
    run_all(&sim, &e, 3, echo);
    // a is spent after the first call: the next two go to b at once.
    assert_eq!(send_times(&sim), [0.0, 0.0, 0.0]);
    let ends: Vec<u64> = e
        .endpoints()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["total_requests"].as_u64().unwrap())
        .collect();
    assert_eq!(ends, [1, 2]);
}

/// `n` calls, one every `gap` seconds, against a server that always fails.
fn outage(options: Value, n: usize, gap: f64) -> (usize, Engine) {
    let sim = Sim::new();
    sim.transport
        .set_default(Step::status(500, "{}").after(0.01));
    let mut opts = json!({"maxConcurrentRequests": 1000, "queueSize": 1000, "maxRetries": 5,
        "initialRetryDelay": 0.05, "maxRetryDelay": 0.2, "failureThreshold": 1000000});
    opts.as_object_mut()
        .unwrap()
        .extend(options.as_object().unwrap().clone());
    let e = engine(&sim, opts);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let e = e.clone();
            let sim_clock = sim.host().clock;
            sim.spawn(async move {
                sim_clock.sleep(Secs::new(gap * i as f64)).await;
                e.execute(echo()).await.map_err(|e| e.kind)
            })
        })
        .collect();
    sim.run(1e6);
    for h in handles {
        assert_eq!(h.take().unwrap().unwrap_err(), ErrorType::ServerError);
    }
    (sim.transport.count(), e)
}

#[test]
fn the_retry_budget_keeps_an_outage_from_multiplying_the_load() {
    // 40 calls over 20 s: at most 1.2 x 40 + 0.5/s x 20 s (and the first window's floor).
    let budget = json!({"retryBudget": {"ratio": 0.2, "minPerSecond": 0.5}});
    let (sent, e) = outage(budget, 40, 0.5);
    let s = e.stats();
    let denied = s["retry_budget"]["retries_denied"].as_u64().unwrap();
    let allowed = s["retry_budget"]["retries_allowed"].as_u64().unwrap();
    assert_eq!(sent as u64, 40 + allowed);
    assert!(sent <= 48 + 10 + 5, "{sent} attempts");
    assert!(
        sent >= 48,
        "{sent} attempts: the budget allows at least the ratio"
    );
    assert!(denied >= 30, "{denied} denied");
    let (off, e) = outage(json!({"retryBudget": false}), 40, 0.5);
    assert_eq!(off, 240);
    assert_eq!(e.stats()["retry_budget"]["retries_denied"], 0);
}

#[test]
fn a_denied_retry_ends_the_call_with_its_last_error_and_is_told() {
    let sim = Sim::new();
    sim.transport.set_default(Step::status(500, "{}"));
    let e = engine(
        &sim,
        json!({"retryBudget": {"ratio": 0, "minPerSecond": 0.1}, "initialRetryDelay": 0.1}),
    );
    let seen = events(&e);
    let results = run_all(&sim, &e, 1, echo);
    // 0.1/s x 10 s = one retry in the window, then the budget says no.
    assert_eq!(results[0], Err(ErrorType::ServerError));
    assert_eq!(sim.transport.count(), 2);
    let s = e.stats();
    assert_eq!(
        (
            s["retry_budget"]["retries_allowed"].as_u64(),
            s["retry_budget"]["retries_denied"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let budget = named(&seen, "budget");
    assert_eq!(budget.len(), 1);
    assert_eq!(budget[0]["action"], "retry_denied");
    assert_eq!(budget[0]["type"], "server_error");
    e.reset_stats();
    assert_eq!(e.stats()["retry_budget"]["retries_denied"], 0);
}
