//! Calls that wait as records (pipeline/records.rs): the host keeps their arguments, the queue
//! their place. Order, refusals, cancels and the permit's hand-over, on the virtual clock.

mod common;

use resilient_core::codec::Parsed;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::{Admission, Engine, Queued, Start};
use resilient_core::queue::Priority;
use resilient_core::sim::{Handle, Sim, Step};
use resilient_core::{ApiError, ErrorType};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

type Done = Handle<Result<Parsed, ApiError>>;

/// A host as wasm/src/queued.rs is one: records by key, started when the engine says so.
struct Host {
    sim: Sim,
    engine: Engine,
    waiting: RefCell<HashMap<u64, String>>,
    started: RefCell<Vec<(String, Done)>>,
    hooked: Rc<Cell<usize>>,
}

impl Host {
    fn new(options: Value) -> Host {
        let sim = Sim::new();
        let engine = common::engine(&sim, "openai", options);
        let hooked = Rc::new(Cell::new(0));
        let h = hooked.clone();
        engine.set_admitted_hook(Some(Rc::new(move || h.set(h.get() + 1))));
        Host {
            sim,
            engine,
            waiting: RefCell::default(),
            started: RefCell::default(),
            hooked,
        }
    }

    /// A call made now: started at once, kept as a record, or refused.
    fn call(&self, tag: &str, p: Priority) -> Result<(), ApiError> {
        match self.engine.queue_call(Some("m"), p)? {
            Queued::Now(a) => self.start(tag, a),
            Queued::Waiting(key) => {
                self.waiting.borrow_mut().insert(key, tag.to_string());
            }
        }
        Ok(())
    }

    /// A record that must wait, keeping `held` as its bytes: its key (the host keeps nothing).
    fn hold(&self, p: Priority, held: &str) -> u64 {
        match self.engine.queue_held(Some("m"), p, held.as_bytes().into()) {
            Ok(Queued::Waiting(k)) => k,
            _ => panic!("the call should wait"),
        }
    }

    /// The request is built only now, from what the host kept.
    fn start(&self, tag: &str, a: Admission) {
        let e = self.engine.clone();
        let call = common::echo_call("POST", &format!("http://127.0.0.1/{tag}"));
        let h = self
            .sim
            .spawn(async move { e.execute_with(call, Start::Admitted(a)).await });
        self.started.borrow_mut().push((tag.to_string(), h));
    }

    /// Runs the simulation, starting admitted records whenever the hook fired.
    fn run(&self) {
        loop {
            self.sim.run_until_stalled();
            let admitted = self.engine.take_admitted();
            if admitted.is_empty() {
                if self.sim.clock.next_deadline().is_none() {
                    return;
                }
                let t = self.sim.clock.next_deadline().unwrap_or(0.0);
                self.sim.clock.advance_to(t);
                continue;
            }
            for (key, a) in admitted {
                let tag = self
                    .waiting
                    .borrow_mut()
                    .remove(&key)
                    .expect("a kept record");
                self.start(&tag, a);
            }
        }
    }

    fn sent(&self) -> Vec<String> {
        let sent = self.sim.transport.sent();
        sent.iter()
            .map(|s| s.request.url.rsplit('/').next().unwrap_or("").to_string())
            .collect()
    }
}

#[test]
fn records_are_admitted_by_priority_then_arrival() {
    let host = Host::new(json!({"maxConcurrentRequests": 1}));
    host.sim.transport.set_default(Step::ok("{}").after(1.0));
    for (tag, p) in common::PRIORITY_ARRIVALS {
        host.call(tag, p).unwrap();
    }
    assert_eq!(host.engine.queue_length(), 6);
    assert_eq!(
        host.waiting.borrow().len(),
        6,
        "nothing built while waiting"
    );
    host.run();
    assert_eq!(host.sent(), common::PRIORITY_ADMITTED);
    assert!(host
        .started
        .borrow()
        .iter()
        .all(|(_, h)| h.take().unwrap().is_ok()));
    assert_eq!(host.hooked.get(), 6, "one hook per admitted record");
    let s = host.engine.stats();
    assert_eq!(s["successful_requests"], 7);
    assert_eq!(s["queue"]["peak_length"], 6);
    assert_eq!(s["queue"]["length"], 0);
}

#[test]
fn records_and_suspended_calls_share_one_queue_in_arrival_order() {
    let host = Host::new(json!({"maxConcurrentRequests": 1}));
    host.sim.transport.set_default(Step::ok("{}").after(1.0));
    host.call("r0", Priority::Normal).unwrap();
    let e = host.engine.clone();
    let fut = host.sim.spawn(async move {
        e.execute(common::echo_call("POST", "http://127.0.0.1/f1"))
            .await
    });
    host.sim.run_until_stalled();
    host.call("r2", Priority::Normal).unwrap();
    host.run();
    assert_eq!(host.sent(), ["r0", "f1", "r2"]);
    assert!(fut.take().unwrap().is_ok());
}

#[test]
fn ten_thousand_waiting_records_cancel_in_one_pass() {
    let host = Host::new(json!({"maxConcurrentRequests": 2, "queueSize": 20000}));
    host.sim.transport.set_default(Step::Stall);
    for i in 0..10_002 {
        host.call(&format!("c{i}"), Priority::Normal).unwrap();
    }
    host.sim.run_until_stalled();
    assert_eq!(host.engine.queue_length(), 10_000);
    let keys: Vec<u64> = host.waiting.borrow().keys().copied().collect();
    let errors: Vec<ApiError> = keys
        .iter()
        .filter_map(|k| host.engine.cancel_queued(*k))
        .collect();
    assert_eq!(errors.len(), 10_000);
    assert!(errors
        .iter()
        .all(|e| e.kind == ErrorType::Cancelled && e.attempts == 0 && e.request_id.is_some()));
    // A second cancel of the same record finds nothing: every call settles once.
    assert!(host.engine.cancel_queued(keys[0]).is_none());
    assert_eq!(host.engine.queue_length(), 0);
    assert_eq!(host.engine.active_requests(), 2);
    assert_eq!(
        host.sim.transport.count(),
        2,
        "no cancelled record was sent"
    );
    let s = host.engine.stats();
    assert_eq!(s["cancelled_requests"], 10_000);
    assert_eq!(s["failed_requests"], 0);
    assert_eq!(s["requests_by_model"]["m"], 10_000);
}

#[test]
fn a_full_queue_refuses_a_record_at_once_and_counts_it() {
    let host = Host::new(json!({"maxConcurrentRequests": 1, "queueSize": 2}));
    host.sim.transport.set_default(Step::ok("{}").after(1.0));
    for tag in ["a", "b", "c"] {
        host.call(tag, Priority::Normal).unwrap();
    }
    let full = host.call("d", Priority::High).unwrap_err();
    assert_eq!(full.kind, ErrorType::QueueFull);
    assert!(!full.should_retry);
    host.run();
    assert_eq!(host.sent(), ["a", "b", "c"]);
    let s = host.engine.stats();
    assert_eq!(s["rejected_requests"], 1);
    assert_eq!(s["successful_requests"], 3);
}

#[test]
fn an_open_circuit_refuses_a_record_before_it_queues() {
    let host =
        Host::new(json!({"maxConcurrentRequests": 1, "failureThreshold": 1, "maxRetries": 0}));
    host.sim.transport.set_default(Step::status(500, "{}"));
    host.call("trip", Priority::Normal).unwrap();
    host.run();
    assert_eq!(host.engine.circuit_state().as_str(), "OPEN");
    let e = host.call("refused", Priority::Normal).unwrap_err();
    assert_eq!(e.kind, ErrorType::CircuitOpen);
    assert_eq!(host.engine.queue_length(), 0);
    assert_eq!(host.sent(), ["trip"]);
}

#[test]
fn a_record_cancelled_after_its_permit_arrived_passes_the_permit_on() {
    let host = Host::new(json!({"maxConcurrentRequests": 1}));
    host.sim.transport.set_default(Step::ok("{}").after(1.0));
    host.call("first", Priority::Normal).unwrap();
    host.call("second", Priority::Normal).unwrap();
    host.call("third", Priority::Normal).unwrap();
    let second = *host
        .waiting
        .borrow()
        .iter()
        .find(|(_, t)| *t == "second")
        .map(|(k, _)| k)
        .unwrap();
    // The first call ends: its permit reaches `second`, which the host has not started yet.
    host.sim.run_until(1.5);
    assert_eq!(host.hooked.get(), 1);
    let e = host
        .engine
        .cancel_queued(second)
        .expect("still the engine's to cancel");
    assert_eq!(e.kind, ErrorType::Cancelled);
    host.waiting.borrow_mut().remove(&second);
    host.run();
    assert_eq!(host.sent(), ["first", "third"]);
    assert_eq!(host.engine.active_requests(), 0);
    assert_eq!(host.engine.queue_length(), 0);
}

#[test]
fn an_admitted_record_counts_its_queue_wait_and_runs_under_its_own_start() {
    let host = Host::new(json!({"maxConcurrentRequests": 1}));
    host.sim.transport.set_default(Step::ok("{}").after(2.0));
    host.call("first", Priority::Normal).unwrap();
    host.call("second", Priority::Normal).unwrap();
    host.run();
    let r = host.engine.report(true);
    assert_eq!(r["details"]["queue_wait_times"]["count"], 2);
    assert_eq!(r["details"]["queue_wait_times"]["max"], 2.0);
}

#[test]
fn a_key_is_reused_only_once_the_host_released_it_and_the_bytes_come_back() {
    let host = Host::new(json!({"maxConcurrentRequests": 1}));
    host.sim.transport.set_default(Step::ok("{}").after(1.0));
    host.call("running", Priority::Normal).unwrap();
    let queue = |p: Priority, s: &str| host.hold(p, s);
    let a = queue(Priority::Normal, "a");
    let b = queue(Priority::Low, "b");
    assert_ne!(a, b);
    assert!(host.engine.cancel_queued(a).is_some());
    // `a` left the queue, but the host still holds it: a new record gets another key.
    let c = queue(Priority::High, "c");
    assert!(c != a && c != b);
    host.engine.release_key(a);
    assert_eq!(
        queue(Priority::Normal, "d"),
        a,
        "a released key is given again"
    );
    host.engine.release_key(b); // still waiting: releasing it does nothing
    assert_ne!(queue(Priority::Low, "e"), b);
    // The running call ends: its permit reaches `c` (high), which comes back with its bytes.
    host.sim.run_until(1.5);
    let admitted = host.engine.take_admitted();
    assert_eq!(admitted.len(), 1);
    let (key, mut admission) = admitted.into_iter().next().unwrap();
    assert_eq!(key, c);
    assert_eq!(&*admission.take_held(), b"c");
    assert_eq!(host.engine.queue_length(), 3);
}

#[test]
fn a_record_cancelled_after_admission_does_not_admit_the_record_that_reused_its_key() {
    let host = Host::new(json!({"maxConcurrentRequests": 1}));
    host.sim.transport.set_default(Step::ok("{}").after(1.0));
    host.call("running", Priority::Normal).unwrap();
    let queue = |s: &str| host.hold(Priority::Normal, s);
    let a = queue("a");
    let c = queue("c");
    // The running call ends: the permit reaches `a`, which the host has not taken yet.
    host.sim.run_until(1.5);
    assert_eq!(host.hooked.get(), 1);
    assert!(
        host.engine.cancel_queued(a).is_some(),
        "a is cancelled, its permit passes on"
    );
    host.engine.release_key(a);
    let b = queue("b");
    assert_eq!(b, a, "b reuses a's key and waits behind c");
    // Both a and c were admitted; a no longer waits, and b (under a's key) is not admitted.
    let admitted = host.engine.take_admitted();
    assert_eq!(admitted.len(), 1);
    let (key, mut admission) = admitted.into_iter().next().unwrap();
    assert_eq!(key, c);
    assert_eq!(&*admission.take_held(), b"c");
    assert_eq!(host.engine.queue_length(), 1, "b still waits");
}
