//! The engine's share of enqueueing a chat call that waits as a record (wasm/src/queued.rs
//! `unary_json`), natively, for callgrind with symbols: the arguments' JSON parsed, the call
//! options taken out, the operation checked without writing a body, the record queued behind
//! 64 calls that never finish.
//!   cargo build --profile bench-native -p resilient-core --example enqueue_calls --features sim
//!   valgrind --tool=callgrind target/bench-native/examples/enqueue_calls N
//! Run with N and 2N calls: the difference over N is the instructions of one enqueue.

mod common;

use resilient_core::host::{HttpRequest, HttpResponse, LocalFuture, Transport, TransportError};
use resilient_core::json::{json, Value};
use resilient_core::pipeline::Queued;
use resilient_core::providers::{check_only, provider, Ctx};
use resilient_core::queue::Priority;
use std::rc::Rc;

/// Never used: every call here waits.
struct Never;

impl Transport for Never {
    fn send(
        &self,
        _req: &HttpRequest,
    ) -> LocalFuture<'static, Result<HttpResponse, TransportError>> {
        Box::pin(std::future::pending())
    }
}

const ARGS: &[u8] = br#"{"messages":[{"role":"user","content":"Say hi"}]}"#;

fn main() {
    let n = common::calls();
    let options = json!({"apiKey": "sk-bench", "baseUrl": "http://127.0.0.1:1/v1", "timeout": 600,
        "maxConcurrentRequests": 64, "queueSize": 10_000_000});
    let (engine, config) = common::openai_engine(&options, Rc::new(Never));
    let openai = provider("openai").expect("openai");
    let mut running = Vec::new();
    let mut waiting = 0;
    for _ in 0..n + 64 {
        let text = ARGS.to_vec();
        let Ok(Value::Object(mut rest)) = resilient_core::json::from_slice::<Value>(&text) else {
            continue;
        };
        for key in [
            "signal",
            "priority",
            "timeout",
            "deadline",
            "maxRetries",
            "max_retries",
            "endpointId",
            "endpoint_id",
        ] {
            rest.remove(key);
        }
        let rest = Value::Object(rest);
        let ctx = Ctx::plain(&config);
        let waits = engine.would_wait();
        let Ok(mut u) = check_only(waits, || openai.unary("chat", &ctx, &rest)) else {
            continue;
        };
        drop(rest);
        let model = u.model.take();
        match engine.queue_held(model.as_deref(), Priority::Normal, text.into_boxed_slice()) {
            Ok(Queued::Now(a)) => running.push(a),
            Ok(Queued::Waiting(_)) => waiting += 1,
            Err(_) => {}
        }
    }
    println!("{} running, {waiting} waiting", running.len());
}
