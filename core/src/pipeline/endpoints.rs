//! Key and endpoint multiplexing: each endpoint has its own breaker, in-flight count, limit,
//! weight and stats. Selection is truly round-robin (smooth weighted, as nginx does it) or truly
//! least-in-flight, over the endpoints that would admit a request now. A client with no
//! `endpoints` option has one implicit endpoint, so the single-endpoint path is the same code.

use crate::breaker::{Breaker, BreakerConfig, CircuitState};
use crate::config::{Config, Strategy};
use crate::json::{json, Value};
use crate::pacing::{Budget, RateLimit, Window};
use crate::stats::Stats;
use crate::time::{Instant, Secs};

pub(super) struct EndpointState {
    pub id: String,
    pub breaker: Breaker,
    pub in_flight: usize,
    pub limit: Option<usize>,
    pub weight: i64,
    /// Smooth weighted round-robin's running weight.
    current: i64,
    /// Calls whose last attempt went here.
    pub stats: Stats,
    /// No new attempts before this time (a quota or rate-limit answer with a hint).
    pub cooldown_until: Instant,
    /// The key was refused (401/403): no more attempts until stats are reset by hand.
    pub disabled: bool,
    /// What the server's rate-limit headers say remains (read when `adaptive`).
    pub budget: Budget,
    pub adaptive: bool,
    /// This endpoint's own `rateLimit` and the starts counted against it.
    pub rate_limit: Option<RateLimit>,
    pub window: Window,
    /// Live clients sharing this endpoint's key (this one included), as a state store last
    /// counted them: its rate limits are split among them.
    pub peers: u32,
    /// When a read last confirmed `peers` (see `shared::PEERS_KEPT`).
    pub peers_at: Instant,
}

impl EndpointState {
    fn usable(&self, now: Instant) -> bool {
        !self.disabled && now >= self.cooldown_until && self.breaker.would_admit(now)
    }

    /// How long an attempt needing `tokens` must be held before it may start here: for the
    /// server's budget and for the endpoint's own `rateLimit`.
    pub fn pace_waits(&self, now: Instant, tokens: u64) -> (Secs, Secs) {
        let server = if self.adaptive {
            let b = &self.budget;
            b.wait(now, tokens).max(b.probe_wait(now, self.peers))
        } else {
            Secs::ZERO
        };
        let own = self.rate_limit.map_or(Secs::ZERO, |l| {
            self.window.wait(now, l.share(self.peers), tokens)
        });
        (server, own)
    }

    fn pace_wait(&self, now: Instant, tokens: u64) -> Secs {
        let (server, own) = self.pace_waits(now, tokens);
        server.max(own)
    }

    /// The time until this endpoint may take a request again (for `circuit_open`'s hint),
    /// `None` when it never will.
    fn wait(&self, now: Instant) -> Wait {
        if self.disabled {
            return None;
        }
        let breaker_wait = self.breaker.clone().admit(now).err().unwrap_or(Secs::ZERO);
        Some(breaker_wait.max(self.cooldown_until - now))
    }
}

/// A wait for an endpoint; `None` is forever.
pub(super) type Wait = Option<Secs>;

/// The shorter of two waits.
fn sooner(a: Wait, b: Wait) -> Wait {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) | (None, a) => a,
    }
}

pub(super) struct Endpoints {
    pub list: Vec<EndpointState>,
    strategy: Strategy,
}

impl Endpoints {
    pub fn new(config: &Config) -> Endpoints {
        let breaker = || {
            Breaker::new(BreakerConfig {
                failure_threshold: config.failure_threshold,
                reset_timeout: config.reset_timeout,
                half_open_max_probes: config.half_open_max_probes,
            })
        };
        let state = |id: &str,
                     limit: Option<u32>,
                     weight: u32,
                     rate_limit: Option<RateLimit>,
                     adaptive: Option<bool>| EndpointState {
            id: id.to_string(),
            breaker: breaker(),
            in_flight: 0,
            limit: limit.map(|l| l as usize),
            weight: i64::from(weight.max(1)),
            current: 0,
            stats: Stats::new(),
            cooldown_until: Instant::ZERO,
            disabled: false,
            budget: Budget::default(),
            adaptive: adaptive.unwrap_or(config.adaptive_pacing),
            rate_limit,
            window: Window::default(),
            peers: 1,
            peers_at: Instant::ZERO,
        };
        let list = if config.endpoints.is_empty() {
            vec![state("default", None, 1, None, None)]
        } else {
            // Plain loops here: collected iterator chains each instantiate their own code.
            let mut list = Vec::with_capacity(config.endpoints.len());
            for e in &config.endpoints {
                list.push(state(
                    &e.id,
                    e.max_concurrent_requests,
                    e.weight,
                    e.rate_limit,
                    e.adaptive_pacing,
                ));
            }
            list
        };
        Endpoints {
            list,
            strategy: config.strategy,
        }
    }

    pub fn multiplexed(&self) -> bool {
        self.list.len() > 1
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.list.iter().position(|e| e.id == id)
    }

    /// The endpoint for the next attempt, or the wait until one may take it.
    pub fn pick(
        &mut self,
        pinned: Option<usize>,
        now: Instant,
        tokens: u64,
    ) -> Result<usize, Wait> {
        if let Some(i) = pinned {
            let e = self.list.get(i).ok_or(None)?;
            return if e.usable(now) {
                Ok(i)
            } else {
                Err(e.wait(now))
            };
        }
        let mut usable: Vec<usize> = Vec::new();
        for (i, e) in self.list.iter().enumerate() {
            if e.usable(now) {
                usable.push(i);
            }
        }
        if usable.is_empty() {
            return Err(self.soonest(now));
        }
        // Limits are honoured whenever a usable endpoint has room.
        let mut roomy: Vec<usize> = Vec::new();
        for &i in &usable {
            if self
                .list
                .get(i)
                .is_some_and(|e| e.limit.is_none_or(|l| e.in_flight < l))
            {
                roomy.push(i);
            }
        }
        let candidates = if roomy.is_empty() { usable } else { roomy };
        // And an endpoint whose rate limit is spent is passed over while another is not.
        let mut unpaced: Vec<usize> = Vec::new();
        for &i in &candidates {
            if self
                .list
                .get(i)
                .is_some_and(|e| e.pace_wait(now, tokens) == Secs::ZERO)
            {
                unpaced.push(i);
            }
        }
        let candidates = if unpaced.is_empty() {
            candidates
        } else {
            unpaced
        };
        let chosen = match self.strategy {
            Strategy::RoundRobin => self.smooth_weighted(&candidates),
            Strategy::LeastLoaded => self.least_loaded(&candidates),
        };
        chosen.ok_or(None)
    }

    /// Smooth weighted round-robin (as nginx does it): the first candidate with the highest
    /// running score wins and pays the total weight back.
    fn smooth_weighted(&mut self, candidates: &[usize]) -> Option<usize> {
        let mut total = 0;
        let mut best: Option<(usize, i64)> = None;
        for &i in candidates {
            if let Some(e) = self.list.get_mut(i) {
                total += e.weight;
                e.current += e.weight;
                if best.is_none_or(|(_, score)| e.current > score) {
                    best = Some((i, e.current));
                }
            }
        }
        let (best, _) = best?;
        if let Some(e) = self.list.get_mut(best) {
            e.current -= total;
        }
        Some(best)
    }

    fn least_loaded(&self, candidates: &[usize]) -> Option<usize> {
        let load = |i: usize| {
            self.list
                .get(i)
                .map_or(f64::INFINITY, |e| e.in_flight as f64 / e.weight as f64)
        };
        let mut best: Option<usize> = None;
        for &i in candidates {
            best = match best {
                Some(b) if load(b) <= load(i) => Some(b),
                _ => Some(i),
            };
        }
        best
    }

    /// The hold before an attempt may start (server's, own): that of the endpoint it may use
    /// soonest.
    pub fn pace_wait(&self, pinned: Option<usize>, now: Instant, tokens: u64) -> (Secs, Secs) {
        let none = (Secs::ZERO, Secs::ZERO);
        let waits = |e: &EndpointState| e.pace_waits(now, tokens);
        match pinned {
            Some(i) => self.list.get(i).map_or(none, waits),
            None => {
                // The first of the least holds among the usable endpoints.
                let mut best: Option<(Secs, Secs)> = None;
                for e in &self.list {
                    if e.usable(now) {
                        let w = waits(e);
                        if best.is_none_or(|b| w.0.max(w.1) < b.0.max(b.1)) {
                            best = Some(w);
                        }
                    }
                }
                best.unwrap_or(none)
            }
        }
    }

    pub fn any_usable(&self, pinned: Option<usize>, now: Instant) -> bool {
        match pinned {
            Some(i) => self.list.get(i).is_some_and(|e| e.usable(now)),
            None => {
                for e in &self.list {
                    if e.usable(now) {
                        return true;
                    }
                }
                false
            }
        }
    }

    pub fn wait(&self, pinned: Option<usize>, now: Instant) -> Wait {
        match pinned {
            Some(i) => self.list.get(i).and_then(|e| e.wait(now)),
            None => self.soonest(now),
        }
    }

    /// The soonest any endpoint may take a request (`None`: none ever will). Plain loops in
    /// this file: each iterator chain compiled a fold of its own.
    fn soonest(&self, now: Instant) -> Wait {
        let mut soonest = None;
        for e in &self.list {
            soonest = sooner(soonest, e.wait(now));
        }
        soonest
    }

    /// One state for the client: CLOSED while any endpoint is, else HALF_OPEN while any is.
    pub fn state(&self, now: Instant) -> CircuitState {
        let mut half_open = false;
        for e in &self.list {
            match e.breaker.state(now) {
                CircuitState::Closed => return CircuitState::Closed,
                CircuitState::HalfOpen => half_open = true,
                CircuitState::Open => {}
            }
        }
        if half_open {
            CircuitState::HalfOpen
        } else {
            CircuitState::Open
        }
    }

    pub fn trips(&self) -> u64 {
        let mut trips = 0;
        for e in &self.list {
            trips += e.breaker.trips();
        }
        trips
    }

    pub fn failure_count(&self) -> u32 {
        self.list
            .iter()
            .map(|e| e.breaker.failure_count())
            .max()
            .unwrap_or(0)
    }

    /// docs/api.md `endpoints()`: each endpoint's live state.
    pub fn describe(&self, now: Instant) -> Value {
        let mut out = Vec::with_capacity(self.list.len());
        for e in &self.list {
            out.push(json!({
                        "id": e.id,
                        "state": e.breaker.state(now).as_str(),
                        "active": e.in_flight,
                        "max_concurrent_requests": e.limit,
                        "weight": e.weight,
                        "disabled": e.disabled,
                        "cooldown": (e.cooldown_until - now).as_f64(),
                        "total_requests": e.stats.total(),
                        "successful_requests": e.stats.successful(),
                        "failed_requests": e.stats.failed(),
            }));
        }
        Value::Array(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::json;

    fn at(secs: f64) -> Instant {
        Instant::from_secs(secs)
    }

    fn endpoints(options: Value) -> Endpoints {
        Endpoints::new(&Config::from_options("openai", &options).unwrap())
    }

    #[test]
    fn round_robin_is_an_exact_weighted_cycle() {
        let mut e =
            endpoints(json!({"endpoints": [{"id": "a"}, {"id": "b", "weight": 2}, {"id": "c"}]}));
        let order: Vec<String> = (0..8)
            .map(|_| {
                let i = e.pick(None, at(0.0), 0).unwrap();
                e.list[i].id.clone()
            })
            .collect();
        assert_eq!(order, ["b", "a", "c", "b", "b", "a", "c", "b"]);
    }

    #[test]
    fn least_loaded_picks_the_fewest_in_flight() {
        let mut e = endpoints(
            json!({"strategy": "least-loaded", "endpoints": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}),
        );
        e.list[0].in_flight = 2;
        e.list[1].in_flight = 1;
        e.list[2].in_flight = 3;
        assert_eq!(e.pick(None, at(0.0), 0), Ok(1));
    }

    #[test]
    fn unusable_endpoints_are_skipped_and_the_wait_is_reported() {
        let mut e = endpoints(json!({"endpoints": [{"id": "a"}, {"id": "b"}]}));
        e.list[0].disabled = true;
        e.list[1].cooldown_until = at(5.0);
        assert_eq!(e.pick(None, at(1.0), 0), Err(Some(Secs::new(4.0))));
        assert_eq!(e.pick(None, at(5.0), 0), Ok(1));
        assert_eq!(e.pick(Some(0), at(5.0), 0), Err(None));
    }

    #[test]
    fn a_paced_endpoint_is_passed_over_while_another_is_not() {
        let mut e = endpoints(
            json!({"endpoints": [{"id": "a", "rateLimit": {"requestsPerMinute": 1}}, {"id": "b"}]}),
        );
        e.list[0].window.start(at(0.0), 0);
        assert_eq!(
            e.pace_wait(Some(0), at(1.0), 0),
            (Secs::ZERO, Secs::new(60.0))
        );
        assert_eq!(e.pace_wait(None, at(1.0), 0), (Secs::ZERO, Secs::ZERO));
        for _ in 0..3 {
            assert_eq!(e.pick(None, at(1.0), 0), Ok(1));
        }
    }

    #[test]
    fn limits_are_honoured_while_another_has_room() {
        let mut e =
            endpoints(json!({"endpoints": [{"id": "a", "maxConcurrentRequests": 1}, {"id": "b"}]}));
        e.list[0].in_flight = 1;
        for _ in 0..4 {
            assert_eq!(e.pick(None, at(0.0), 0), Ok(1));
        }
    }
}
