//! The engine's share of one ordinary chat call, natively, for a profile with symbols (the
//! wasm's JIT-compiled functions have no names under callgrind): builds an OpenAI chat request
//! as `client.chat()` does, runs it through the pipeline over a transport that answers at once
//! with node-host/bench/reply.js's reply, and reads the result.
//!   cargo build --profile bench-native -p resilient-core --example chat_calls --features sim
//!   valgrind --tool=callgrind target/bench-native/examples/chat_calls N
//! Run with N and 2N calls: the difference over N is the instructions of one call.

mod common;

use resilient_core::host::TransportError;
use resilient_core::host::{Body, HttpRequest, HttpResponse, LocalFuture, Transport};
use resilient_core::json::json;
use resilient_core::pipeline::Call;
use resilient_core::providers::{provider, Ctx};
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

const REPLY: &str = r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#;

/// Answers every request at once with the bench reply.
struct Instant;

struct Whole(Option<Vec<u8>>);

impl Body for Whole {
    fn next_chunk(&mut self) -> LocalFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        let chunk = self.0.take();
        Box::pin(async move { Ok(chunk) })
    }
}

impl Transport for Instant {
    fn send(
        &self,
        _req: &HttpRequest,
    ) -> LocalFuture<'static, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            Ok(HttpResponse {
                status: 200,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("x-request-id".into(), "req_bench".into()),
                ],
                body: Box::new(Whole(Some(REPLY.as_bytes().to_vec()))),
            })
        })
    }
}

fn main() {
    let n = common::calls();
    let options = json!({"apiKey": "sk-bench", "baseUrl": "http://127.0.0.1:1/v1", "timeout": 600});
    let (engine, config) = common::openai_engine(&options, Rc::new(Instant));
    let openai = provider("openai").expect("openai");
    let args = json!({"messages": [{"role": "user", "content": "Say hi"}]});
    let mut cx = Context::from_waker(Waker::noop());
    let mut ok = 0;
    for _ in 0..n {
        let ctx = Ctx::plain(&config);
        let Ok(u) = openai.unary("chat", &ctx, &args) else {
            continue;
        };
        let call = Call::unary(u);
        let mut fut = std::pin::pin!(engine.execute(call));
        // Nothing here waits: the call settles within a few polls.
        for _ in 0..16 {
            if let Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
                ok += usize::from(r.is_ok());
                break;
            }
        }
    }
    println!("{ok} of {n} calls succeeded");
}
