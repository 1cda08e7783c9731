//! Every wait bounded, on the virtual clock: a call's `deadline` covers its queue wait, its
//! attempts and its backoffs; a stream whose consumer stops reading gives its slot back.

mod common;

use common::delta;

use resilient_core::json::{json, Value};
use resilient_core::pipeline::{Call, Engine, SharedStream};
use resilient_core::sim::{Sim, Step};
use resilient_core::time::Secs;
use resilient_core::ErrorType;

fn engine(sim: &Sim, options: Value) -> Engine {
    common::engine(sim, "openai", options)
}

fn unary(deadline: Option<f64>, timeout: Option<f64>) -> Call {
    Call {
        timeout: timeout.map(Secs::new),
        deadline: deadline.map(Secs::new),
        max_retries: None,
        ..common::echo_call("POST", "http://127.0.0.1/x")
    }
}

fn stream(timeout: Option<f64>) -> Call {
    Call {
        timeout: timeout.map(Secs::new),
        ..common::chat_stream_call("http://127.0.0.1/stream")
    }
}

#[test]
fn a_deadline_ends_a_call_stuck_on_a_slow_server() {
    let sim = Sim::new();
    sim.transport.push(Step::ok("{}").after(10.0));
    let e = engine(&sim, json!({}));
    let h = sim.spawn({
        let e = e.clone();
        async move { e.execute(unary(Some(0.5), None)).await }
    });
    sim.run_until(0.49);
    assert!(!h.is_done(), "the deadline has not passed yet");
    sim.run_until(0.51);
    let err = h.take().unwrap().unwrap_err();
    assert_eq!(err.kind, ErrorType::DeadlineExceeded);
    assert!(!err.should_retry);
    assert_eq!(
        sim.transport.aborted(),
        1,
        "the attempt in flight is aborted"
    );
    let stats = e.stats();
    assert_eq!(stats["errors_by_type"]["deadline_exceeded"], 1);
    assert_eq!(stats["failed_requests"], 1);
    assert_eq!(e.circuit_state().as_str(), "CLOSED");
}

#[test]
fn a_deadline_covers_the_queue_wait_and_the_call_is_never_sent() {
    let sim = Sim::new();
    sim.transport.push(Step::ok("{}").after(10.0));
    sim.transport.push(Step::ok("{}"));
    let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
    let first = sim.spawn({
        let e = e.clone();
        async move { e.execute(unary(None, None)).await }
    });
    let second = sim.spawn({
        let e = e.clone();
        async move { e.execute(unary(Some(0.5), None)).await }
    });
    sim.run_until(0.6);
    let err = second.take().unwrap().unwrap_err();
    assert_eq!(err.kind, ErrorType::DeadlineExceeded);
    assert_eq!(e.queue_length(), 0, "the expired call left the queue");
    sim.run_until(11.0);
    assert!(first.take().unwrap().is_ok());
    assert_eq!(
        sim.transport.count(),
        1,
        "the expired call never reached the server"
    );
}

#[test]
fn no_backoff_is_started_that_would_end_past_the_deadline() {
    let sim = Sim::new();
    sim.transport
        .push(Step::status(429, "{}").header("retry-after", "5"));
    sim.transport.push(Step::ok("{}"));
    let e = engine(&sim, json!({}));
    let h = sim.spawn({
        let e = e.clone();
        async move { e.execute(unary(Some(2.0), None)).await }
    });
    sim.run_until(0.01);
    let err = h
        .take()
        .expect("rejected at once, not after a wait")
        .unwrap_err();
    assert_eq!(err.kind, ErrorType::DeadlineExceeded);
    assert_eq!(err.status, Some(429));
    assert!(
        err.message.contains("rate_limit_exceeded"),
        "{}",
        err.message
    );
    assert_eq!(sim.transport.count(), 1);
}

#[test]
fn a_backoff_that_ends_before_the_deadline_still_runs() {
    let sim = Sim::new();
    sim.transport
        .push(Step::status(503, "{}").header("retry-after", "1"));
    sim.transport.push(Step::ok("{\"ok\":1}"));
    let e = engine(&sim, json!({}));
    let r = sim.block_on(async move { e.execute(unary(Some(2.0), None)).await });
    assert_eq!(r.unwrap().json, "{\"ok\":1}");
}

#[test]
fn an_abandoned_stream_gives_its_slot_back_after_timeout() {
    let sim = Sim::new();
    // The server keeps the stream open: its next chunk comes much later.
    sim.transport.push(common::stream_step(vec![
        (0.0, delta("Hel")),
        (100.0, delta("lo")),
    ]));
    sim.transport.push(Step::ok("{\"second\":true}"));
    let e = engine(&sim, json!({"maxConcurrentRequests": 1}));
    let shared = {
        let e = e.clone();
        sim.block_on(async move { e.open_stream(stream(Some(2.0))).await })
            .map(SharedStream::new)
            .unwrap()
    };
    sim.spawn(shared.watch());
    // Not block_on: that would also run the watch to its end.
    let first = sim.spawn({
        let s = shared.clone();
        async move { s.next().await }
    });
    sim.run_until(0.01);
    assert!(first.take().unwrap().unwrap().unwrap().contains("Hel"));
    let read_at = sim.clock_now();
    // The consumer stops reading without closing the stream; another call comes.
    let second = sim.spawn({
        let e = e.clone();
        async move { e.execute(unary(None, Some(0.5))).await }
    });
    sim.run_until(read_at + 1.9);
    assert!(!second.is_done(), "the stream still holds the only slot");
    assert_eq!(e.queue_length(), 1);
    sim.run_until(read_at + 2.1);
    assert!(
        second.take().unwrap().is_ok(),
        "the slot came back within timeout"
    );
    assert_eq!(
        sim.transport.aborted(),
        1,
        "the abandoned stream's request is aborted"
    );
    let late = {
        let s = shared.clone();
        sim.block_on(async move { s.next().await })
    };
    assert_eq!(late.unwrap().unwrap_err().kind, ErrorType::Timeout);
    let done = sim.block_on(async move { shared.next().await });
    assert!(done.is_none());
    let stats = e.stats();
    assert_eq!(stats["successful_requests"], 1);
    assert_eq!(stats["errors_by_type"]["timeout"], 1);
    assert_eq!(e.circuit_state().as_str(), "CLOSED");
}

#[test]
fn a_stream_read_steadily_is_never_expired() {
    let sim = Sim::new();
    let mut chunks: Vec<(f64, Vec<u8>)> = (0..10).map(|i| (1.5, delta(&i.to_string()))).collect();
    chunks.push((1.5, common::end()));
    sim.transport.push(common::stream_step(chunks));
    let e = engine(&sim, json!({}));
    let shared = {
        let e = e.clone();
        sim.block_on(async move { e.open_stream(stream(Some(2.0))).await })
            .map(SharedStream::new)
            .unwrap()
    };
    sim.spawn(shared.watch());
    let n = sim.block_on(async move {
        let mut n = 0;
        while let Some(item) = shared.next().await {
            item.unwrap();
            n += 1;
        }
        n
    });
    assert_eq!(n, 11);
    assert_eq!(
        sim.clock.pending_timers(),
        0,
        "the watch left no timer behind"
    );
}

#[test]
fn a_stream_deadline_bounds_its_reads_too() {
    let sim = Sim::new();
    sim.transport.push(common::stream_step(vec![
        (0.0, delta("a")),
        (5.0, delta("b")),
    ]));
    let e = engine(&sim, json!({}));
    let mut call = stream(Some(10.0));
    call.deadline = Some(Secs::new(3.0));
    let (items, err) = sim.block_on(common::drain(e, call));
    assert_eq!(items.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.kind, ErrorType::DeadlineExceeded);
    assert!((sim.clock_now() - 3.0).abs() < 1e-6);
}
