//! The observing members of docs/api.md: circuit state, stats, reports, endpoints, manual feeds.

use super::Engine;
use crate::breaker::CircuitState;
use crate::error::ErrorType;
use crate::json::Value;
use crate::stats::{BreakerSnapshot, QueueSnapshot};

impl Engine {
    pub fn circuit_state(&self) -> CircuitState {
        let now = self.inner.host.clock.now();
        self.inner.state.borrow().endpoints.state(now)
    }

    pub fn check_circuit_breaker(&self) -> bool {
        let now = self.inner.host.clock.now();
        self.inner.state.borrow().endpoints.any_usable(None, now)
    }

    /// docs/api.md `endpoints()`.
    pub fn endpoints(&self) -> Value {
        let now = self.inner.host.clock.now();
        self.inner.state.borrow().endpoints.describe(now)
    }

    /// docs/api.md `getStats({ endpointId })`: that endpoint's stats, `None` for an unknown id.
    pub fn endpoint_stats(&self, id: &str) -> Option<Value> {
        let st = self.inner.state.borrow();
        let i = st.endpoints.index_of(id)?;
        let e = st.endpoints.list.get(i)?;
        let v = e.stats.snapshot(QueueSnapshot {
            active: e.in_flight as u64,
            ..QueueSnapshot::default()
        });
        drop(st);
        // The retry budget is the client's: it is the same for every endpoint.
        Some(self.with_pacing(v, Some(i)))
    }

    pub fn track_request_result(&self, success: bool, error: Option<ErrorType>) {
        let now = self.inner.host.clock.now();
        let before = self.circuit_state();
        {
            // The seed's manual feed: it speaks of the service, so every endpoint hears it.
            let mut st = self.inner.state.borrow_mut();
            let st = &mut *st;
            let unix_now = self.inner.host.clock.unix_now();
            for (i, e) in st.endpoints.list.iter_mut().enumerate() {
                let trips = e.breaker.trips();
                e.breaker.record_manual(success, error, now);
                if e.breaker.trips() > trips {
                    st.stats.record_trip();
                    st.shared.opened(i, &e.breaker, now, unix_now);
                }
            }
            st.stats.manual(success, error);
        }
        self.note_transition(before);
    }

    pub fn queue_length(&self) -> usize {
        self.inner.state.borrow().queue.waiting()
    }
    pub fn active_requests(&self) -> usize {
        self.inner.state.borrow().queue.active()
    }

    pub fn stats(&self) -> Value {
        let st = self.inner.state.borrow();
        let mut v = st.stats.snapshot(QueueSnapshot {
            length: st.queue.waiting() as u64,
            active: st.queue.active() as u64,
            peak_length: st.queue.peak_waiting() as u64,
            peak_active: st.queue.peak_active() as u64,
        });
        if let (true, Value::Object(m)) = (st.shared.link.attached(), &mut v) {
            m.insert("state_store".into(), st.shared.link.snapshot());
        }
        drop(st);
        self.with_pacing(v, None)
    }

    /// Adds `rate_limit` and `retry_budget` (for all endpoints or one) to a stats or report
    /// object.
    fn with_pacing(&self, mut v: Value, endpoint: Option<usize>) -> Value {
        let (rate, budget) = self.pacing_stats(endpoint);
        if let Value::Object(m) = &mut v {
            m.insert("rate_limit".into(), rate);
            m.insert("retry_budget".into(), budget);
        }
        v
    }

    /// Zeroes the counters (and gives refused endpoints another chance).
    pub fn reset_stats(&self) {
        let mut st = self.inner.state.borrow_mut();
        st.stats.reset();
        st.pacing.reset_counters();
        st.queue.reset_peaks();
        st.shared.link.reset_counters();
        for e in &mut st.endpoints.list {
            e.stats.reset();
            e.disabled = false;
        }
    }

    pub fn report(&self, include_details: bool) -> Value {
        let now = self.inner.host.clock.now();
        let st = self.inner.state.borrow();
        let c = &self.inner.config;
        let v = st.stats.report(
            BreakerSnapshot {
                state: st.endpoints.state(now).as_str(),
                failure_count: st.endpoints.failure_count(),
                failure_threshold: c.failure_threshold,
                reset_timeout: c.reset_timeout,
                trips: st.endpoints.trips(),
            },
            include_details,
        );
        drop(st);
        self.with_pacing(v, None)
    }
}
