//! LLVM (the seed's model server, providers.md section 8): exact requests for every operation,
//! response and error transcripts, and the pipeline end to end on the virtual clock.

mod common;

use common::{call, classify, headers as h, json_tree, key_of, JSON};
use proptest::prelude::*;
use resilient_core::codec::Reply;
use resilient_core::config::Config;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::Engine;
use resilient_core::providers::Unary;
use resilient_core::sim::{Sim, Step};
use resilient_core::{ApiError, ErrorType};

fn cfg() -> Config {
    common::keyed("llvm-test")
}

fn build(config: &Config, op: &str, args: Value) -> Result<Unary, ApiError> {
    common::unary("llvm", config, op, args)
}

/// Method, URL, headers and JSON body, compared exactly.
fn assert_request(
    u: &Unary,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) {
    common::assert_request(u, method, url, headers, body);
    assert!(!u.request.stream);
}

fn parse(u: &Unary, body: &str) -> Result<Value, ApiError> {
    common::parse(u, &[], body)
}

const AUTH: (&str, &str) = ("authorization", "Bearer llvm-test");

#[test]
fn golden_infer() {
    let u = build(
        &cfg(),
        "infer",
        json!({"model": "bert-base", "input": "hello world", "parameters": {"max_tokens": 16}}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8090/models/bert-base/infer",
        &[AUTH, JSON],
        Some(json!({"input": "hello world", "parameters": {"max_tokens": 16}})),
    );
    assert_eq!(u.model.as_deref(), Some("bert-base"));
    let body =
        r#"{"model_id": "bert-base", "outputs": "HELLO WORLD", "metadata": {"latency_ms": 12}}"#;
    assert_eq!(
        parse(&u, body).unwrap(),
        resilient_core::json::from_str::<Value>(body).unwrap()
    );
}

#[test]
fn golden_batch_infer_is_one_request() {
    let u = build(
        &Config::default(),
        "batchInfer",
        json!({"model": "bert-base", "inputs": ["a", "b"]}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8090/models/bert-base/batch_infer",
        &[JSON],
        Some(json!({"inputs": ["a", "b"], "parameters": {}})),
    );
    let body = r#"{"results": [{"outputs": "A"}, {"outputs": "B"}]}"#;
    assert_eq!(parse(&u, body).unwrap()["results"][1]["outputs"], "B");
}

#[test]
fn golden_models_status_and_model_info() {
    let u = build(&cfg(), "listModels", json!({})).unwrap();
    assert_request(&u, "GET", "http://localhost:8090/models", &[AUTH], None);
    assert_eq!(
        parse(&u, r#"{"models": ["resnet50", "bert-base", "default"]}"#).unwrap(),
        json!([{"id": "resnet50"}, {"id": "bert-base"}, {"id": "default"}])
    );
    let u = build(&cfg(), "status", Value::Null).unwrap();
    assert_request(&u, "GET", "http://localhost:8090/status", &[AUTH], None);
    assert_eq!(parse(&u, r#"{"uptime": 5}"#).unwrap(), json!({"uptime": 5}));
    let u = build(&cfg(), "modelStatus", json!({"model": "org/m v2"})).unwrap();
    assert_request(
        &u,
        "GET",
        "http://localhost:8090/models/org%2Fm%20v2",
        &[AUTH],
        None,
    );
}

#[test]
fn base_url_model_option_and_extra_headers() {
    let config = Config {
        base_url: Some("http://gpu-box:9001/".into()),
        model: Some("llama".into()),
        headers: h(&[("x-team", "a")]),
        ..Config::default()
    };
    let u = build(&config, "infer", json!({"input": [1, 2]})).unwrap();
    assert_request(
        &u,
        "POST",
        "http://gpu-box:9001/models/llama/infer",
        &[JSON, ("x-team", "a")],
        Some(json!({"input": [1, 2], "parameters": {}})),
    );
    // Without any model the seed's `default` is used.
    let u = build(&Config::default(), "infer", json!({"input": "x"})).unwrap();
    assert_eq!(u.request.url, "http://localhost:8090/models/default/infer");
}

#[test]
fn bad_arguments_name_the_field() {
    for (op, args, field) in [
        ("infer", json!({"model": "m"}), "input"),
        ("infer", json!({"input": null}), "input"),
        ("infer", json!({"input": "x", "model": 3}), "model"),
        ("infer", json!({"input": "x", "model": ""}), "model"),
        (
            "infer",
            json!({"input": "x", "parameters": [1]}),
            "parameters",
        ),
        ("infer", json!({"inputs": ["x"]}), "inputs"),
        ("batchInfer", json!({"inputs": []}), "inputs"),
        ("batchInfer", json!({"inputs": "x"}), "inputs"),
        ("batchInfer", json!({"input": "x"}), "input"),
        ("status", json!({"verbose": true}), "verbose"),
        ("infer", json!("x"), "infer(request)"),
    ] {
        common::assert_refused(build(&cfg(), op, args), op, field);
    }
    for op in ["chat", "chatStream", "embed", "generate"] {
        let e = build(&cfg(), op, json!({})).err().unwrap();
        assert_eq!(e.kind, ErrorType::InvalidRequest);
        assert!(e.message.contains("not available for llvm"));
    }
}

#[test]
fn error_transcripts() {
    let u = build(&cfg(), "infer", json!({"model": "bert-base", "input": "x"})).unwrap();
    let e = classify(&u, 503, &[], r#"{"error": "model bert-base is loading"}"#);
    assert_eq!(
        (e.kind, e.should_retry, e.message.as_str()),
        (ErrorType::Overloaded, true, "model bert-base is loading")
    );
    let e = classify(&u, 404, &[], r#"{"error": "model nope not found"}"#);
    assert_eq!((e.kind, e.should_retry), (ErrorType::NotFound, false));
    let e = classify(&u, 401, &[], r#"{"error": "bad key"}"#);
    assert_eq!(
        (e.kind, e.should_retry),
        (ErrorType::AuthenticationError, false)
    );
    let e = classify(&u, 500, &[("retry-after", "3")], "Internal Server Error");
    assert_eq!(
        (e.kind, e.retry_delay, e.message.as_str()),
        (ErrorType::ServerError, Some(3.0), "Internal Server Error")
    );
    let e = classify(&u, 422, &[], r#"{"error": {"message": "bad input"}}"#);
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorType::InvalidRequest, "bad input")
    );
    assert!(!format!("{e:?}").contains("llvm-test"));
    assert_eq!(
        parse(&u, "not json").unwrap_err().kind,
        ErrorType::DecodeError
    );
}

/// A lone batch is sent at once (the seed's batcher waited for a second request), and a
/// loading model (503) is retried after the backoff.
#[test]
fn pipeline_sends_a_lone_batch_at_once_and_retries_loading() {
    let sim = Sim::new();
    let config =
        Config::from_options("llvm", &json!({"jitter": 0, "llvm_api_url": "http://h:1"})).unwrap();
    let e = Engine::new("llvm", config.clone(), sim.host());
    sim.transport
        .push(Step::status(503, r#"{"error": "model m is loading"}"#))
        .push(Step::ok(r#"{"results": [{"outputs": 1}]}"#));
    let u = build(
        &config,
        "batchInfer",
        json!({"model": "m", "inputs": [[1.0]]}),
    )
    .unwrap();
    let e2 = e.clone();
    let out = sim
        .block_on(async move { e2.execute(call(u)).await })
        .unwrap();
    assert_eq!(out.json, r#"{"results": [{"outputs": 1}]}"#);
    let sent = sim.transport.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].at, 0.0, "sent immediately, alone");
    assert_eq!(sent[1].at, 1.0, "retried after initialRetryDelay");
    assert_eq!(sent[0].request.url, "http://h:1/models/m/batch_infer");
}

proptest! {
    #[test]
    fn arbitrary_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        for (op, args) in [("listModels", json!({})), ("status", json!({})), ("infer", json!({"input": 1}))] {
            let u = build(&cfg(), op, args).unwrap();
            let reply = Reply { status: 200, headers: vec![], body: body.clone() };
            common::read_any(&u, &reply, 500);
        }
    }

    #[test]
    fn arbitrary_arguments_never_panic(args in arb_json()) {
        for op in ["listModels", "status", "infer", "batchInfer", "modelStatus"] {
            let _ = build(&cfg(), op, args.clone());
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    const KEYS: &[&str] = &["model", "input", "inputs", "parameters"];
    json_tree(leaf.boxed(), key_of(KEYS, ".{0,4}"), (3, 24, 4), 4)
}
