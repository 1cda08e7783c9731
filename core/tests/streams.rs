//! Streams through the pipeline on the virtual clock: retry is transparent until the first
//! item; after it a failure is `stream_interrupted` with the partial text; a stream holds its
//! permit until it ends or is dropped, and dropping it aborts the request.

mod common;

use common::{delta, drain, end, stream_step};
use resilient_core::json::{json, Value};
use resilient_core::pipeline::{Call, Engine, Read};
use resilient_core::queue::Priority;
use resilient_core::sim::{Sim, Step};
use resilient_core::stream::RawCodec;
use resilient_core::ErrorType;

fn engine(sim: &Sim, options: Value) -> Engine {
    common::engine(sim, "openai", options)
}

fn stream_call() -> Call {
    common::chat_stream_call("http://127.0.0.1/stream")
}

#[test]
fn a_stream_delivers_items_and_ends_with_done() {
    let sim = Sim::new();
    sim.transport.push(stream_step(vec![
        (0.0, delta("Hel")),
        (1.0, delta("lo")),
        (1.0, end()),
    ]));
    let e = engine(&sim, json!({}));
    let (items, err) = sim.block_on(drain(e.clone(), stream_call()));
    assert!(err.is_none(), "{err:?}");
    let deltas: Vec<&str> = items.iter().map(|i| i["delta"].as_str().unwrap()).collect();
    assert_eq!(deltas, ["Hel", "lo", ""]);
    assert_eq!(items.last().unwrap()["done"], true);
    assert!(items[..2].iter().all(|i| i["done"] == false));
    let s = e.stats();
    assert_eq!(
        (
            s["successful_requests"].as_u64(),
            s["total_requests"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(e.active_requests(), 0);
}

#[test]
fn a_stream_holds_its_permit_until_it_ends() {
    let sim = Sim::new();
    sim.transport.push(stream_step(vec![
        (0.0, delta("a")),
        (5.0, delta("b")),
        (5.0, end()),
    ]));
    sim.transport.push(Step::ok("{}"));
    let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
    let streamed = sim.spawn(drain(e.clone(), stream_call()));
    sim.run_until_stalled();
    let unary = {
        let e = e.clone();
        let call = Call {
            model: None,
            priority: Priority::High,
            ..common::echo_call("GET", "http://127.0.0.1/after")
        };
        sim.spawn(async move { e.execute(call).await })
    };
    sim.run(1e6);
    assert!(streamed.take().unwrap().1.is_none());
    assert!(unary.take().unwrap().is_ok());
    let sent = sim.transport.sent();
    assert_eq!(sent[1].request.url, "http://127.0.0.1/after");
    assert_eq!(sent[1].at, 10.0, "sent only when the stream ended");
    assert_eq!(sim.transport.peak_in_flight(), 1);
}

#[test]
fn retry_is_transparent_until_the_first_item() {
    let sim = Sim::new();
    sim.transport.push(Step::status(503, "{}"));
    // A stream that breaks before any item counts as a failed attempt too.
    sim.transport.push(Step::Stream {
        chunks: vec![(0.0, b": ping\n\n".to_vec())],
        stall_after: false,
        fail_after: true,
    });
    sim.transport
        .push(stream_step(vec![(0.0, delta("ok")), (0.0, end())]));
    let e = engine(&sim, json!({"jitter": 0}));
    let (items, err) = sim.block_on(drain(e.clone(), stream_call()));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(items[0]["delta"], "ok");
    assert_eq!(sim.transport.count(), 3);
    assert_eq!(e.stats()["retried_requests"], 2);
}

#[test]
fn a_failure_after_the_first_item_is_stream_interrupted_with_partial_text() {
    let sim = Sim::new();
    sim.transport.push(Step::Stream {
        chunks: vec![(0.0, delta("Hel")), (1.0, delta("lo"))],
        stall_after: false,
        fail_after: true,
    });
    let e = engine(&sim, json!({"jitter": 0, "failureThreshold": 1}));
    let (items, err) = sim.block_on(drain(e.clone(), stream_call()));
    let err = err.expect("interrupted");
    assert_eq!(items.len(), 2);
    assert_eq!(err.kind, ErrorType::StreamInterrupted);
    assert_eq!(err.partial_text.as_deref(), Some("Hello"));
    assert!(!err.should_retry);
    assert_eq!(err.attempts, 1);
    assert_eq!(
        sim.transport.count(),
        1,
        "never retried after data reached the caller"
    );
    assert_eq!(
        e.circuit_state().as_str(),
        "OPEN",
        "stream_interrupted counts toward the breaker"
    );
    assert_eq!(e.stats()["errors_by_type"]["stream_interrupted"], 1);
    assert_eq!(e.active_requests(), 0);
}

#[test]
fn a_stalled_stream_times_out_between_chunks() {
    let sim = Sim::new();
    sim.transport.push(Step::Stream {
        chunks: vec![(0.0, delta("x"))],
        stall_after: true,
        fail_after: false,
    });
    let e = engine(&sim, json!({"timeout": 7}));
    let (items, err) = sim.block_on(drain(e.clone(), stream_call()));
    assert_eq!(items.len(), 1);
    assert_eq!(err.unwrap().kind, ErrorType::StreamInterrupted);
    assert_eq!(sim.clock_now(), 7.0);
    assert_eq!(sim.transport.aborted(), 1);
}

#[test]
fn dropping_a_stream_cancels_it_and_frees_the_slot() {
    let sim = Sim::new();
    sim.transport.push(Step::Stream {
        chunks: vec![(0.0, delta("x")), (1.0, delta("y"))],
        stall_after: true,
        fail_after: false,
    });
    let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
    let e2 = e.clone();
    let first = sim.block_on(async move {
        let mut s = e2.open_stream(stream_call()).await.unwrap();
        let first = s.next().await.unwrap().unwrap();
        drop(s); // the caller breaks out of its loop
        first
    });
    assert!(first.contains("\"x\""));
    assert_eq!(e.active_requests(), 0);
    assert_eq!(sim.transport.aborted(), 1);
    assert_eq!(sim.transport.in_flight(), 0);
    assert_eq!(e.stats()["cancelled_requests"], 1);
}

#[test]
fn an_error_event_before_any_item_is_classified_and_retried() {
    let sim = Sim::new();
    let overloaded = b"event: error\ndata: {\"error\":{\"message\":\"busy\",\"code\":\"server_is_overloaded\"}}\n\n".to_vec();
    sim.transport.push(stream_step(vec![(0.0, overloaded)]));
    sim.transport
        .push(stream_step(vec![(0.0, delta("fine")), (0.0, end())]));
    let e = engine(&sim, json!({"jitter": 0}));
    let (items, err) = sim.block_on(drain(e.clone(), stream_call()));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(items[0]["delta"], "fine");
    assert_eq!(
        sim.transport.sent()[1].at,
        1.0,
        "backoff 1 s, then the retry"
    );
}

#[test]
fn items_before_a_bad_frame_in_the_same_read_reach_the_caller_and_are_not_retried() {
    let sim = Sim::new();
    let mut chunk = delta("Mock ");
    chunk.extend_from_slice(b"data: {not json\n\n");
    sim.transport.push(stream_step(vec![(0.0, chunk)]));
    sim.transport
        .push(stream_step(vec![(0.0, delta("again")), (0.0, end())]));
    let e = engine(&sim, json!({"jitter": 0}));
    let (items, err) = sim.block_on(drain(e.clone(), stream_call()));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["delta"], "Mock ");
    let err = err.expect("the bad frame ends the stream");
    assert_eq!(err.kind, ErrorType::StreamInterrupted);
    assert_eq!(err.partial_text.as_deref(), Some("Mock "));
    assert!(!err.should_retry);
    assert_eq!(
        sim.transport.count(),
        1,
        "text reached the caller: never generated twice"
    );
}

#[test]
fn items_before_a_provider_error_in_the_first_read_are_delivered_first() {
    let sim = Sim::new();
    let mut chunk = delta("Hi");
    chunk.extend_from_slice(
        b"event: error\ndata: {\"error\":{\"type\":\"server_error\",\"message\":\"boom\"}}\n\n",
    );
    sim.transport.push(stream_step(vec![(0.0, chunk)]));
    let e = engine(&sim, json!({"jitter": 0}));
    let (items, err) = sim.block_on(drain(e.clone(), stream_call()));
    assert_eq!(items.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.partial_text.as_deref(), Some("Hi"));
    assert!(!err.should_retry);
    assert_eq!(sim.transport.count(), 1);
    assert_eq!(e.stats()["failed_requests"], 1);
}

#[test]
fn an_abort_mid_stream_ends_it_as_cancelled_even_with_items_buffered() {
    use resilient_core::pipeline::CancelToken;
    let sim = Sim::new();
    let mut chunk = delta("a");
    chunk.extend(delta("b"));
    chunk.extend(delta("c"));
    sim.transport
        .push(stream_step(vec![(0.0, chunk), (0.0, end())]));
    let e = engine(&sim, json!({}));
    let token = CancelToken::new();
    let call = Call {
        cancel: Some(token.clone()),
        ..stream_call()
    };
    let got = sim.block_on(async move {
        let mut s = e.open_stream(call).await.unwrap();
        let first = s.next().await.unwrap().unwrap();
        token.cancel();
        let after = s.next().await;
        let end = s.next().await;
        (first, after, end.is_none(), e.stats())
    });
    assert!(got.0.contains("\"a\""));
    assert_eq!(got.1.unwrap().unwrap_err().kind, ErrorType::Cancelled);
    assert!(got.2, "nothing after the cancel");
    assert_eq!(got.3["cancelled_requests"], 1);
    assert_eq!(got.3["successful_requests"], 0);
}

/// Raw bytes (`getObject({ stream: true })`): retried with the engine's backoff until the first
/// bytes, then the head, the chunks' bytes in order, the empty last item, one counted success.
#[test]
fn a_raw_bytes_stream_is_retried_before_its_first_bytes_then_delivers_them() {
    let sim = Sim::new();
    sim.transport.push(Step::status(503, "{}"));
    sim.transport.push(stream_step(vec![
        (0.0, b"abc".to_vec()),
        (1.0, b"de".to_vec()),
    ]));
    let e = engine(&sim, json!({"jitter": 0, "initialRetryDelay": 0.5}));
    let mut call = common::echo_call("GET", "http://127.0.0.1/b/k");
    call.request.stream = true;
    call.read = Read::Stream(Box::new(RawCodec::new(4)));
    let opened = e.clone();
    let (items, bytes) = sim.block_on(async move {
        let mut s = opened.open_stream(call).await.unwrap();
        let (mut items, mut bytes) = (vec![], vec![]);
        while let Some(next) = s.next().await {
            // As the host reads them: an empty item is a chunk, or the end without bytes.
            let item = next.unwrap();
            match item.is_empty().then(|| s.take_bytes()).flatten() {
                Some(b) => bytes.extend(b),
                None => items.push(item),
            }
        }
        (items, bytes)
    });
    assert_eq!(bytes, b"abcde");
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].starts_with("200\u{0}4\u{0}"), "{:?}", items[0]);
    assert_eq!(items[1], "", "the empty last item");
    let sent = sim.transport.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].at, 0.5, "after the engine's backoff");
    let s = e.stats();
    assert_eq!(s["successful_requests"], 1);
    assert_eq!(s["total_requests"], 1);
    assert_eq!(s["retried_requests"], 1);
    assert_eq!(e.active_requests(), 0);
}
