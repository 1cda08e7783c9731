//! The package's classes against a loopback mock server, in Node and in headless Chromium
//! (the same file runs in both; see scripts/test.sh). The server URL is fixed at build time
//! through RESILIENT_TEST_SERVER, started by the test script.

use js_sys::{Function, Promise, Reflect, JSON};
use resilient_wasm::Client;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

fn server() -> &'static str {
    match option_env!("RESILIENT_TEST_SERVER") {
        Some(url) => url,
        None => panic!(
            "build with RESILIENT_TEST_SERVER=http://127.0.0.1:PORT/v1 (scripts/test.sh does)"
        ),
    }
}

fn json(text: &str) -> JsValue {
    JSON::parse(text).expect("valid JSON in the test")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

fn client(extra: &str) -> Client {
    let options = json(&format!(
        r#"{{"baseUrl": "{}", "apiKey": "sk-test-key" {extra}}}"#,
        server()
    ));
    Client::new("openai".into(), options).expect("valid options")
}

fn now_ms() -> f64 {
    let perf = get(&js_sys::global(), "performance");
    let now: Function = get(&perf, "now").dyn_into().unwrap();
    now.call0(&perf).unwrap().as_f64().unwrap()
}

fn hello() -> JsValue {
    json(r#"{"messages": [{"role": "user", "content": "hi"}]}"#)
}

async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

#[wasm_bindgen_test]
async fn a_chat_call_reaches_the_loopback_server() {
    let c = client("");
    let reply = settle(c.chat(hello())).await.expect("the call succeeds");
    assert_eq!(get(&reply, "text").as_string().unwrap(), "echo: hi");
    assert_eq!(get(&reply, "provider").as_string().unwrap(), "openai");
    let stats = c.get_stats(JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&stats, "successful_requests").as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
async fn a_429_is_retried_after_its_hint_with_a_real_timer() {
    // Every request answers 429 with retry-after 0.3 s: one retry, then the typed error.
    let step = r#"{\"status\":429,\"headers\":{\"retry-after\":\"0.3\"},\"body\":{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}}"#;
    let c = client(&format!(
        r#", "maxRetries": 1, "headers": {{"x-mock-step": "{step}"}}"#
    ));
    let start = now_ms();
    let err = settle(c.chat(hello())).await.expect_err("still limited");
    let waited = now_ms() - start;
    assert_eq!(
        get(&err, "type").as_string().unwrap(),
        "rate_limit_exceeded"
    );
    assert_eq!(get(&err, "attempts").as_f64(), Some(2.0));
    assert!(waited >= 300.0, "the backoff slept the hint: {waited} ms");
    let stats = c.get_stats(JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&stats, "retried_requests").as_f64(), Some(1.0));
}

fn abort_controller() -> JsValue {
    let ctor: Function = get(&js_sys::global(), "AbortController")
        .dyn_into()
        .unwrap();
    Reflect::construct(&ctor, &js_sys::Array::new()).unwrap()
}

fn abort(controller: &JsValue) {
    let f: Function = get(controller, "abort").dyn_into().unwrap();
    f.call0(controller).unwrap();
}

#[wasm_bindgen_test]
async fn an_abort_cancels_a_stalled_attempt_and_a_queued_call() {
    let c =
        client(r#", "maxConcurrentRequests": 1, "headers": {"x-mock-step": "{\"stall\":true}"}"#);
    let first = abort_controller();
    let second = abort_controller();
    let with_signal = |ctrl: &JsValue| {
        let req = hello();
        Reflect::set(&req, &"signal".into(), &get(ctrl, "signal")).unwrap();
        req
    };
    let p1 = c.chat(with_signal(&first));
    let p2 = c.chat(with_signal(&second));
    // Calls start on the next microtask; yield until the second one has queued (bounded).
    for _ in 0..100 {
        if c.queue_length() == 1 {
            break;
        }
        let _ = settle(Promise::resolve(&JsValue::NULL)).await;
    }
    assert_eq!(
        c.queue_length(),
        1,
        "the second call waits for the only slot"
    );
    abort(&second);
    let e2 = settle(p2).await.expect_err("aborted");
    assert_eq!(get(&e2, "type").as_string().unwrap(), "cancelled");
    assert_eq!(get(&e2, "attempts").as_f64(), Some(0.0), "never sent");
    abort(&first);
    let e1 = settle(p1).await.expect_err("aborted");
    assert_eq!(get(&e1, "type").as_string().unwrap(), "cancelled");
    assert_eq!(c.active_requests(), 0);
    let stats = c.get_stats(JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&stats, "cancelled_requests").as_f64(), Some(2.0));
}

#[wasm_bindgen_test]
async fn a_stream_yields_deltas_then_done_and_frees_its_slot() {
    let c = client(r#", "maxConcurrentRequests": 1"#);
    let stream = c.chat_stream(hello());
    let mut deltas = String::new();
    let mut last = JsValue::UNDEFINED;
    for _ in 0..1000 {
        let r = settle(stream.next()).await.expect("the stream reads");
        if get(&r, "done").as_bool() == Some(true) {
            break;
        }
        let item = get(&r, "value");
        deltas.push_str(&get(&item, "delta").as_string().unwrap());
        last = item;
    }
    assert_eq!(deltas, "echo: hi");
    assert_eq!(get(&last, "done").as_bool(), Some(true));
    assert_eq!(get(&last, "text").as_string().unwrap(), "echo: hi");
    assert_eq!(c.active_requests(), 0);
    let stats = c.get_stats(JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&stats, "successful_requests").as_f64(), Some(1.0));
}
