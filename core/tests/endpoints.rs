//! Key and endpoint multiplexing on the virtual clock: exact round-robin, failover on a
//! refused key or a rate-limit hint, per-endpoint breakers and stats, pinned calls.

mod common;

use resilient_core::codec::Parsed;
use resilient_core::config::Config;
use resilient_core::host::HttpRequest;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::{Call, Engine, Route};
use resilient_core::sim::{Sim, Step};
use resilient_core::{ApiError, ErrorType};

const IDS: [&str; 3] = ["a", "b", "c"];

fn engine(sim: &Sim, n: usize, extra: Value) -> Engine {
    let mut options = json!({
        "jitter": 0,
        "endpoints": IDS[..n].iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
    });
    if let (Value::Object(o), Value::Object(x)) = (&mut options, extra) {
        o.extend(x);
    }
    Engine::new(
        "openai",
        Config::from_options("openai", &options).unwrap(),
        sim.host(),
    )
}

fn call(n: usize, pinned: Option<&str>) -> Call {
    let req = |id: &str| HttpRequest {
        method: "GET".into(),
        url: format!("http://127.0.0.1/{id}"),
        ..HttpRequest::default()
    };
    Call {
        model: None,
        route: Route {
            pinned: pinned.map(str::to_string),
            requests: IDS[..n].iter().map(|id| req(id)).collect(),
            ..Route::default()
        },
        ..common::echo_call("GET", "http://127.0.0.1/a")
    }
}

fn run(sim: &Sim, e: &Engine, c: Call) -> Result<Parsed, ApiError> {
    let e = e.clone();
    sim.block_on(async move { e.execute(c).await })
}

fn targets(sim: &Sim) -> Vec<String> {
    sim.transport
        .sent()
        .iter()
        .map(|s| s.request.url.rsplit('/').next().unwrap().to_string())
        .collect()
}

#[test]
fn round_robin_cycles_through_the_endpoints() {
    let sim = Sim::new();
    let e = engine(&sim, 3, json!({}));
    for _ in 0..6 {
        run(&sim, &e, call(3, None)).unwrap();
    }
    assert_eq!(targets(&sim), ["a", "b", "c", "a", "b", "c"]);
    let eps = e.endpoints();
    assert_eq!(eps[1]["successful_requests"], 2);
    assert_eq!(e.endpoint_stats("c").unwrap()["successful_requests"], 2);
    assert!(e.endpoint_stats("zz").is_none());
}

#[test]
fn a_refused_key_fails_over_at_once_and_leaves_the_rotation() {
    let sim = Sim::new();
    sim.transport
        .push(Step::status(401, r#"{"error":{"message":"bad key"}}"#));
    let e = engine(&sim, 2, json!({}));
    run(&sim, &e, call(2, None)).expect("served by b");
    assert_eq!(
        sim.transport
            .sent()
            .iter()
            .map(|s| s.at)
            .collect::<Vec<_>>(),
        vec![0.0, 0.0]
    );
    for _ in 0..3 {
        run(&sim, &e, call(2, None)).unwrap();
    }
    assert_eq!(targets(&sim), ["a", "b", "b", "b", "b"]);
    assert_eq!(e.endpoints()[0]["disabled"], true);
    // Pinned to the refused endpoint: refused without a request.
    let err = run(&sim, &e, call(2, Some("a"))).unwrap_err();
    assert_eq!(err.kind, ErrorType::CircuitOpen);
    assert_eq!(sim.transport.count(), 5);
}

#[test]
fn a_rate_limit_hint_cools_an_endpoint_down_and_traffic_moves() {
    let sim = Sim::new();
    sim.transport
        .push(Step::status(429, "{}").header("retry-after", "30"));
    let e = engine(&sim, 2, json!({}));
    run(&sim, &e, call(2, None)).unwrap();
    assert_eq!(targets(&sim), ["a", "b"]);
    assert_eq!(sim.clock_now(), 0.0, "no wait: another endpoint was free");
    run(&sim, &e, call(2, None)).unwrap();
    assert_eq!(targets(&sim).last().unwrap(), "b", "a is cooling down");
    sim.run_until(31.0);
    run(&sim, &e, call(2, None)).unwrap();
    run(&sim, &e, call(2, None)).unwrap();
    assert!(
        targets(&sim)[3..].contains(&"a".to_string()),
        "a is back after its hint"
    );
}

#[test]
fn each_endpoint_has_its_own_breaker() {
    let sim = Sim::new();
    sim.transport.push(Step::status(500, "{}"));
    let e = engine(&sim, 2, json!({"failureThreshold": 1, "maxRetries": 0}));
    assert_eq!(
        run(&sim, &e, call(2, None)).unwrap_err().kind,
        ErrorType::ServerError
    );
    assert_eq!(e.endpoints()[0]["state"], "OPEN");
    assert_eq!(e.endpoints()[1]["state"], "CLOSED");
    assert_eq!(e.circuit_state().as_str(), "CLOSED");
    for _ in 0..3 {
        run(&sim, &e, call(2, None)).unwrap();
    }
    assert_eq!(targets(&sim), ["a", "b", "b", "b"]);
    assert_eq!(e.stats()["circuit_breaker_trips"], 1);
}

#[test]
fn an_unknown_pinned_endpoint_is_a_clear_error() {
    let sim = Sim::new();
    let e = engine(&sim, 2, json!({}));
    let err = run(&sim, &e, call(2, Some("zz"))).unwrap_err();
    assert_eq!(err.kind, ErrorType::InvalidRequest);
    assert!(
        err.message.contains("'zz'") && err.message.contains("a, b"),
        "{}",
        err.message
    );
    run(&sim, &e, call(2, Some("b"))).unwrap();
    assert_eq!(targets(&sim), ["b"]);
}

#[test]
fn least_loaded_spreads_concurrent_calls() {
    let sim = Sim::new();
    sim.transport.set_default(Step::ok("{}").after(1.0));
    let e = engine(
        &sim,
        3,
        json!({"strategy": "least-loaded", "maxConcurrentRequests": 6}),
    );
    let hs: Vec<_> = (0..6)
        .map(|_| {
            let e = e.clone();
            sim.spawn(async move { e.execute(call(3, None)).await })
        })
        .collect();
    sim.run_until(0.5);
    let active: Vec<u64> = (0..3)
        .map(|i| e.endpoints()[i]["active"].as_u64().unwrap())
        .collect();
    assert_eq!(active, vec![2, 2, 2]);
    sim.run(1e6);
    assert!(hs.iter().all(|h| h.take().unwrap().is_ok()));
}

#[test]
fn every_endpoint_signs_each_attempt_afresh() {
    use resilient_core::codec::Resigner;
    use std::rc::Rc;
    let sim = Sim::new();
    sim.transport
        .push(Step::status(503, "{}").header("retry-after", "1000"));
    sim.transport.push(Step::ok("{}"));
    let e = engine(&sim, 2, json!({"maxRetryAfter": 2000}));
    let mut c = call(2, Some("b"));
    c.route.resigners = IDS[..2]
        .iter()
        .map(|id| {
            let id = id.to_string();
            let f: Resigner = Rc::new(move |unix_now: f64| HttpRequest {
                method: "GET".into(),
                url: format!("http://127.0.0.1/{id}?signed={unix_now}"),
                ..HttpRequest::default()
            });
            f
        })
        .collect();
    run(&sim, &e, c).unwrap();
    let urls: Vec<String> = sim
        .transport
        .sent()
        .iter()
        .map(|s| s.request.url.clone())
        .collect();
    assert_eq!(urls.len(), 2);
    assert!(urls.iter().all(|u| u.contains("/b?signed=")), "{urls:?}");
    assert_ne!(
        urls[0], urls[1],
        "the retry 1000 s later is signed at its own time"
    );
}
