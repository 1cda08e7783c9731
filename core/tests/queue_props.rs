//! Property tests of the admission queue against a simple reference model over random event
//! sequences: the permit count never exceeds the limit, the queue bound holds, permits pass to
//! the best waiter (priority, then arrival), and cancelled waiters never get one.

use proptest::prelude::*;
use resilient_core::queue::Priority;
use resilient_core::queue::{Admit, Queue};

#[derive(Clone, Debug)]
enum Op {
    Admit(u8),
    Release,
    /// Cancel the n-th live waiter (modulo their count).
    Cancel(usize),
    /// A granted waiter takes its permit.
    Take,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..3).prop_map(Op::Admit),
        2 => Just(Op::Release),
        1 => any::<usize>().prop_map(Op::Cancel),
        2 => Just(Op::Take),
    ]
}

fn priority(p: u8) -> Priority {
    [Priority::High, Priority::Normal, Priority::Low][usize::from(p % 3)]
}

struct Waiter {
    qid: u64,
    token: u64,
    class: u8,
    seq: u64,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn queue_matches_the_reference_model(
        max_active in 1usize..4,
        max_waiting in 0usize..6,
        ops in prop::collection::vec(op(), 1..200),
    ) {
        let mut q: Queue<u64> = Queue::new(max_active, max_waiting);
        let mut running = 0usize; // permits held by callers
        let mut waiting: Vec<Waiter> = Vec::new();
        let mut granted: Vec<(u64, u64)> = Vec::new(); // (qid, token) granted, not yet taken
        let mut seq = 0u64;
        for o in ops {
            match o {
                Op::Admit(p) => {
                    seq += 1;
                    let token = seq;
                    match q.admit(priority(p), token) {
                        Admit::Now => {
                            prop_assert!(waiting.is_empty(), "an arrival overtook a waiter");
                            running += 1;
                        }
                        Admit::Wait(qid) => waiting.push(Waiter { qid, token, class: p % 3, seq }),
                        Admit::Full => prop_assert_eq!(waiting.len(), max_waiting),
                    }
                }
                Op::Release => {
                    if running == 0 {
                        continue;
                    }
                    running -= 1;
                    let best = waiting
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, w)| (w.class, w.seq))
                        .map(|(i, _)| i);
                    match (q.release(), best) {
                        (Some(token), Some(i)) => {
                            let w = waiting.remove(i);
                            prop_assert_eq!(token, w.token, "the permit went to the wrong waiter");
                            granted.push((w.qid, w.token));
                        }
                        (None, None) => {}
                        (got, want) => prop_assert!(false, "release gave {:?}, model wanted {:?}", got, want.is_some()),
                    }
                }
                Op::Cancel(n) => {
                    let live = waiting.len() + granted.len();
                    if live == 0 {
                        continue;
                    }
                    let n = n % live;
                    if n < waiting.len() {
                        let w = waiting.remove(n);
                        prop_assert_eq!(q.cancel(w.qid), None);
                    } else {
                        // A granted waiter gives up: its permit passes on.
                        let (qid, _) = granted.remove(n - waiting.len());
                        running += 1;
                        let next = q.cancel(qid);
                        running -= 1;
                        let best = waiting.iter().enumerate().min_by_key(|(_, w)| (w.class, w.seq)).map(|(i, _)| i);
                        match (next, best) {
                            (Some(token), Some(i)) => {
                                let w = waiting.remove(i);
                                prop_assert_eq!(token, w.token);
                                granted.push((w.qid, w.token));
                            }
                            (None, None) => {}
                            (got, _) => prop_assert!(false, "cancel passed the permit to {:?}", got),
                        }
                    }
                }
                Op::Take => {
                    if let Some((qid, token)) = granted.pop() {
                        prop_assert_eq!(q.take_grant(qid, token), Some(true));
                        running += 1;
                    }
                }
            }
            prop_assert_eq!(q.active(), running + granted.len(), "permits are conserved");
            prop_assert!(q.active() <= max_active);
            prop_assert_eq!(q.waiting(), waiting.len());
            prop_assert!(q.waiting() <= max_waiting);
        }
    }
}
