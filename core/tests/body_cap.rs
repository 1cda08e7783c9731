//! The response-size cap holds while reading: a declared length over it is refused unread,
//! and a body without one is refused as soon as the count passes it.

mod common;

use resilient_core::codec::Parsed;
use resilient_core::json::json;
use resilient_core::pipeline::{Call, Read};
use resilient_core::sim::{Sim, Step};
use resilient_core::ErrorType;

/// A call whose result is the length of the body it read.
fn call() -> Call {
    Call {
        model: None,
        read: Read::Unary(Box::new(|r, _| {
            Ok(Parsed {
                json: format!("{}", r.body.len()),
                ..Parsed::default()
            })
        })),
        ..common::echo_call("GET", "http://127.0.0.1/big")
    }
}

fn run(step: Step, cap: u32) -> (Result<Parsed, resilient_core::ApiError>, Sim) {
    let sim = Sim::new();
    sim.transport.push(step);
    let e = common::engine(&sim, "openai", json!({"maxResponseBytes": cap}));
    let r = sim.block_on(async move { e.execute(call()).await });
    (r, sim)
}

#[test]
fn a_declared_length_over_the_cap_is_refused_unread() {
    let step = Step::ok(&"x".repeat(10_000)).header("content-length", "10000");
    let (r, sim) = run(step, 4096);
    let err = r.unwrap_err();
    assert_eq!(err.kind, ErrorType::DecodeError);
    assert!(err.message.contains("maxResponseBytes"), "{}", err.message);
    assert_eq!(sim.transport.count(), 1, "not retried");
}

#[test]
fn an_undeclared_body_is_refused_once_it_passes_the_cap() {
    let chunks = (0..100).map(|_| (0.0, vec![b'x'; 1024])).collect();
    let (r, sim) = run(common::stream_step(chunks), 4096);
    assert_eq!(r.unwrap_err().kind, ErrorType::DecodeError);
    assert_eq!(
        sim.transport.aborted(),
        1,
        "the rest of the body is never read"
    );
}

#[test]
fn a_body_within_the_cap_is_read_whole() {
    let chunks = (0..4).map(|_| (0.0, vec![b'x'; 1024])).collect();
    let (r, _) = run(common::stream_step(chunks), 4096);
    assert_eq!(r.unwrap().json, "4096");
}
