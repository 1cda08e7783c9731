//! Admission: permits for requests in flight, and a bounded priority queue of waiters.
//!
//! FIFO inside a priority class; an arrival never overtakes a waiter; a released permit passes
//! straight to the next waiter. Cancelling a waiter is O(log n) (the lookup of its slot, in an
//! [`IdMap`]): its slot is forgotten at once and its id is skipped (and compacted away) when it
//! reaches the head.

use crate::idmap::IdMap;
use crate::json::Value;
use std::collections::VecDeque;

/// A call's priority class: `High` calls are admitted before `Normal` ones, and those
/// before `Low`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    High = 0,
    Normal = 1,
    Low = 2,
}

impl Priority {
    /// `'high' | 'normal' | 'low'` or the seed's numbers HIGH=0, NORMAL=1, LOW=2.
    pub fn parse(v: &Value) -> Result<Priority, String> {
        // One error path for the three refusals: config's "option `x` accepts ... (got ...)".
        let got = match v {
            Value::Null => return Ok(Priority::Normal),
            Value::String(s) => match s.as_str() {
                "high" => return Ok(Priority::High),
                "normal" => return Ok(Priority::Normal),
                "low" => return Ok(Priority::Low),
                _ => crate::text::join(&["'", s, "'"], ""),
            },
            Value::Number(n) => match n.as_f64() {
                Some(0.0) => return Ok(Priority::High),
                Some(1.0) => return Ok(Priority::Normal),
                Some(2.0) => return Ok(Priority::Low),
                _ => v.to_json(),
            },
            _ => String::new(),
        };
        Err(crate::config::accepts(
            "priority",
            "'high', 'normal', 'low', 0, 1 or 2",
            &got,
        ))
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Admit {
    /// A permit is held: go.
    Now,
    /// Wait under this id until [`Queue::take_grant`] says the permit arrived.
    Wait(u64),
    /// `queue_size` requests are already waiting.
    Full,
}

struct Slot<W> {
    class: Priority,
    granted: bool,
    payload: W,
}

pub struct Queue<W> {
    max_active: usize,
    max_waiting: usize,
    active: usize,
    /// Waiter ids per class, in [`Priority`] order (High first).
    classes: [VecDeque<u64>; 3],
    slots: IdMap<u64, Slot<W>>,
    /// Waiters not yet granted (slots also holds granted ones until they take the grant).
    waiting: usize,
    next_id: u64,
    peak_waiting: usize,
    peak_active: usize,
}

impl<W> Queue<W> {
    pub fn new(max_active: usize, max_waiting: usize) -> Queue<W> {
        Queue {
            max_active: max_active.max(1),
            max_waiting,
            active: 0,
            classes: [VecDeque::new(), VecDeque::new(), VecDeque::new()],
            slots: IdMap::new(),
            waiting: 0,
            next_id: 0,
            peak_waiting: 0,
            peak_active: 0,
        }
    }

    /// A new request asks for a permit. `payload` (a waker) is kept while it waits.
    pub fn admit(&mut self, priority: Priority, payload: W) -> Admit {
        if self.waiting == 0 && self.active < self.max_active {
            self.take_permit();
            return Admit::Now;
        }
        if self.waiting >= self.max_waiting {
            return Admit::Full;
        }
        Admit::Wait(self.enqueue(priority, payload, false))
    }

    /// A request that already waited its turn and is retrying: it goes to the front of its
    /// class and is never refused for a full queue (nothing admitted is ever lost).
    pub fn readmit(&mut self, priority: Priority, payload: W) -> Admit {
        // Plain loops over the classes' two slices: a flattened `any` compiled folds of its own.
        let mut ahead = false;
        'scan: for q in self.classes.iter().take(priority as usize + 1) {
            let (front, back) = q.as_slices();
            for id in front.iter().chain(back) {
                if self.slots.get(id).is_some_and(|s| !s.granted) {
                    ahead = true;
                    break 'scan;
                }
            }
        }
        if !ahead && self.active < self.max_active {
            self.take_permit();
            return Admit::Now;
        }
        Admit::Wait(self.enqueue(priority, payload, true))
    }

    fn take_permit(&mut self) {
        self.active += 1;
        self.peak_active = self.peak_active.max(self.active);
    }

    fn enqueue(&mut self, priority: Priority, payload: W, front: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let q = class_mut(&mut self.classes, priority);
        if front {
            q.push_front(id);
        } else {
            q.push_back(id);
        }
        self.slots.insert(
            id,
            Slot {
                class: priority,
                granted: false,
                payload,
            },
        );
        self.waiting += 1;
        self.peak_waiting = self.peak_waiting.max(self.waiting);
        id
    }

    /// Has the permit reached waiter `id`? `Some(true)`: yes, the permit is now the caller's.
    /// `Some(false)`: still waiting (the payload is replaced). `None`: unknown id.
    pub fn take_grant(&mut self, id: u64, payload: W) -> Option<bool> {
        let slot = self.slots.get_mut(&id)?;
        if slot.granted {
            self.slots.remove(&id);
            Some(true)
        } else {
            slot.payload = payload;
            Some(false)
        }
    }

    /// A permit is given back. Returns the payload of the waiter it passed to, to wake it.
    #[must_use]
    pub fn release(&mut self) -> Option<W>
    where
        W: Clone,
    {
        for q in &mut self.classes {
            while let Some(id) = q.pop_front() {
                if let Some(slot) = self.slots.get_mut(&id) {
                    if !slot.granted {
                        slot.granted = true;
                        self.waiting -= 1;
                        return Some(slot.payload.clone());
                    }
                }
            }
        }
        self.active = self.active.saturating_sub(1);
        None
    }

    /// Waiter `id` gave up. If the permit had already reached it, it passes on: the returned
    /// payload is the next waiter to wake.
    #[must_use]
    pub fn cancel(&mut self, id: u64) -> Option<W>
    where
        W: Clone,
    {
        let slot = self.slots.remove(&id)?;
        if slot.granted {
            return self.release();
        }
        self.waiting -= 1;
        self.compact(slot.class);
        None
    }

    /// Drops cancelled ids from a class once they outnumber the live ones, keeping memory
    /// proportional to live waiters at O(1) amortised cost per cancel (beyond its lookup).
    fn compact(&mut self, class: Priority) {
        let q = class_mut(&mut self.classes, class);
        if q.len() > 64 && q.len() > 2 * self.waiting {
            let slots = &self.slots;
            q.retain(|id| slots.contains_key(id));
        }
    }

    /// Would a new arrival wait (or be refused) rather than go at once?
    pub fn would_wait(&self) -> bool {
        self.waiting > 0 || self.active >= self.max_active
    }

    /// The payload of a waiter still in the queue (granted or not).
    pub fn payload(&self, id: u64) -> Option<&W> {
        self.slots.get(&id).map(|s| &s.payload)
    }

    pub fn waiting(&self) -> usize {
        self.waiting
    }
    pub fn active(&self) -> usize {
        self.active
    }
    pub fn peak_waiting(&self) -> usize {
        self.peak_waiting
    }
    pub fn peak_active(&self) -> usize {
        self.peak_active
    }
    pub fn reset_peaks(&mut self) {
        self.peak_waiting = self.waiting;
        self.peak_active = self.active;
    }
}

/// The waiter ids of one class (a match, so no index can be out of range).
fn class_mut(classes: &mut [VecDeque<u64>; 3], priority: Priority) -> &mut VecDeque<u64> {
    let [high, normal, low] = classes;
    match priority {
        Priority::High => high,
        Priority::Normal => normal,
        Priority::Low => low,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Priority::*;

    #[test]
    fn priority_refusals_name_the_option_and_what_was_given() {
        let all = "option `priority` accepts 'high', 'normal', 'low', 0, 1 or 2";
        for (v, got) in [
            (Value::from("urgent"), " (got 'urgent')"),
            (Value::from(5u64), " (got 5)"),
            (Value::from(5.0), " (got 5.0)"),
            (Value::from(1.5), " (got 1.5)"),
            (Value::Bool(true), ""),
        ] {
            assert_eq!(Priority::parse(&v), Err(format!("{all}{got}")));
        }
        assert_eq!(Priority::parse(&Value::from(2.0)), Ok(Low));
        assert_eq!(Priority::parse(&Value::Null), Ok(Normal));
    }

    #[test]
    fn fifo_inside_class_and_priority_across() {
        let mut q: Queue<&str> = Queue::new(1, 10);
        assert_eq!(q.admit(Normal, "first"), Admit::Now);
        for (p, name) in [
            (Low, "l1"),
            (Normal, "n1"),
            (High, "h1"),
            (Normal, "n2"),
            (High, "h2"),
        ] {
            assert!(matches!(q.admit(p, name), Admit::Wait(_)));
        }
        let mut order = Vec::new();
        while let Some(w) = q.release() {
            order.push(w);
        }
        assert_eq!(order, ["h1", "h2", "n1", "n2", "l1"]);
        assert_eq!(q.active(), 0);
    }

    #[test]
    fn arrivals_never_overtake_waiters() {
        let mut q: Queue<u8> = Queue::new(1, 10);
        assert_eq!(q.admit(Normal, 0), Admit::Now);
        let Admit::Wait(w) = q.admit(Normal, 1) else {
            panic!("should wait")
        };
        // The permit passes to the waiter, not to a newcomer.
        assert_eq!(q.release(), Some(1));
        assert!(matches!(q.admit(High, 2), Admit::Wait(_)));
        assert_eq!(q.take_grant(w, 1), Some(true));
        assert_eq!(q.active(), 1);
    }

    #[test]
    fn full_then_accepts_after_draining() {
        let mut q: Queue<u8> = Queue::new(1, 2);
        assert_eq!(q.admit(Normal, 0), Admit::Now);
        assert!(matches!(q.admit(Normal, 1), Admit::Wait(_)));
        assert!(matches!(q.admit(Normal, 2), Admit::Wait(_)));
        assert_eq!(q.admit(Normal, 3), Admit::Full);
        assert_eq!(q.release(), Some(1));
        assert!(matches!(q.admit(Normal, 4), Admit::Wait(_)));
    }

    #[test]
    fn cancel_forgets_and_passes_a_granted_permit_on() {
        let mut q: Queue<u8> = Queue::new(1, 10);
        q.admit(Normal, 0);
        let Admit::Wait(a) = q.admit(Normal, 1) else {
            panic!()
        };
        let Admit::Wait(b) = q.admit(Normal, 2) else {
            panic!()
        };
        assert_eq!(q.cancel(a), None);
        assert_eq!(q.waiting(), 1);
        assert_eq!(q.release(), Some(2));
        // b was granted but gave up before taking it: the permit goes back.
        assert_eq!(q.cancel(b), None);
        assert_eq!(q.active(), 0);
        assert_eq!(q.take_grant(b, 2), None);
    }

    #[test]
    fn readmit_goes_first_and_ignores_the_bound() {
        let mut q: Queue<u8> = Queue::new(1, 1);
        q.admit(Normal, 0);
        assert!(matches!(q.admit(Normal, 1), Admit::Wait(_)));
        assert!(matches!(q.readmit(Normal, 9), Admit::Wait(_)));
        assert_eq!(q.release(), Some(9));
    }

    #[test]
    fn many_cancels_keep_memory_bounded() {
        let mut q: Queue<u8> = Queue::new(1, 1_000_000);
        q.admit(Normal, 0);
        for _ in 0..100_000 {
            let Admit::Wait(id) = q.admit(Normal, 1) else {
                panic!()
            };
            let _ = q.cancel(id);
        }
        assert!(q.classes[1].len() <= 130, "{}", q.classes[1].len());
    }
}
