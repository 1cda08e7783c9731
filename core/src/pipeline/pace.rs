//! Pacing in the pipeline: holding an attempt while a rate limit is spent (the server's, read
//! from its headers, or the user's `rateLimit`), learning budgets from every reply, and the
//! retry budget. The arithmetic lives in `crate::pacing`; this file only applies it.

use super::{Deadline, Engine};
use crate::error::{ApiError, ErrorType};
use crate::json::{json, Value};
use crate::pacing::{parse_limits, Mark, RetryBudget, Window};
use crate::stats::Usage;
use crate::time::{Instant, Secs};

/// The client-wide pacing state (each endpoint keeps its own budget beside its breaker).
#[derive(Default)]
pub(super) struct Pacing {
    /// Starts counted against the client's `rateLimit`.
    pub window: Window,
    pub retries: RetryBudget,
    pub paced_requests: u64,
    pub paced_seconds: Secs,
}

impl Pacing {
    pub fn reset_counters(&mut self) {
        self.retries.allowed = 0;
        self.retries.denied = 0;
        self.paced_requests = 0;
        self.paced_seconds = Secs::ZERO;
    }
}

impl Engine {
    /// The hold an attempt needing `tokens` must wait now: for the servers' budgets (over the
    /// endpoints it may use) and for the user's own `rateLimit` (the client's and each
    /// endpoint's).
    #[inline(never)]
    fn pace_wait(&self, pinned: Option<usize>, tokens: u64, now: Instant) -> (Secs, Secs) {
        let st = self.inner.state.borrow();
        // A plain loop: an iterator chain compiled a fold of its own.
        let mut peers = 1;
        for e in &st.endpoints.list {
            peers = peers.max(e.peers);
        }
        let own = self.inner.config.rate_limit.map_or(Secs::ZERO, |l| {
            st.pacing.window.wait(now, l.share(peers), tokens)
        });
        let (server, own_endpoint) = st.endpoints.pace_wait(pinned, now, tokens);
        (server, own.max(own_endpoint))
    }

    /// One look at the budgets for an attempt needing `tokens`, at `now`: `None` when it may
    /// start, else the hold to sleep before looking again (the caller then reports it to
    /// [`Self::paced`]). The attempt is held with its permit (nothing else could start anyway)
    /// until the spent budget resets. A server's reset further than `maxRetryAfter` fails the
    /// call at once as `quota_exceeded`, as a server's hint that long would (the user's own
    /// `rateLimit` is always waited out); a hold that would end past the deadline fails as
    /// `deadline_exceeded`. Aborts and deadlines end the hold like any wait. The user's window
    /// and the server's budget are looked at again each second: a reply's usage may free the
    /// window early, and a reply may tell of a nearer reset than the one held for. `counted`:
    /// whether this attempt was counted (and told) as paced already.
    /// Plain code: the hold is awaited by the attempt loop itself, so no future is boxed for
    /// each attempt.
    pub(super) fn pace_hold(
        &self,
        pinned: Option<usize>,
        tokens: u64,
        deadline: Option<Deadline>,
        id: &str,
        now: Instant,
        counted: &mut bool,
    ) -> Result<Option<Secs>, ApiError> {
        let (server, own) = self.pace_wait(pinned, tokens, now);
        let wait = server.max(own);
        if wait == Secs::ZERO {
            return Ok(None);
        }
        let max = self.inner.config.max_retry_after;
        if server > max {
            return Err(ApiError {
                retry_delay: Some(wait.as_f64()),
                ..ApiError::new(
                    ErrorType::QuotaExceeded,
                    format!("the rate limit is spent until its reset in {wait} s, longer than maxRetryAfter ({max} s)"),
                )
            });
        }
        if let Some(d) = deadline {
            if now + wait > d.at {
                return Err(ApiError::new(
                    ErrorType::DeadlineExceeded,
                    format!(
                        "the call's deadline of {} s would pass while it waits {wait} s for the rate limit to reset",
                        d.secs
                    ),
                ));
            }
        }
        if !*counted {
            *counted = true;
            self.inner.state.borrow_mut().pacing.paced_requests += 1;
            self.emit(
                "paced",
                || json!({"wait": wait.as_f64(), "tokens": tokens}),
                id,
            );
        }
        Ok(Some(wait.min(Secs::new(1.0))))
    }

    /// A hold that began at `since` is over: its time is counted.
    pub(super) fn paced(&self, since: Instant) {
        let now = self.inner.host.clock.now();
        let mut st = self.inner.state.borrow_mut();
        st.pacing.paced_seconds = st.pacing.paced_seconds + (now - since);
    }

    /// Whether an attempt's tokens are counted anywhere: a `rateLimit` with
    /// `tokensPerMinute` (the client's or an endpoint's), or a token budget a server reported.
    pub(super) fn counts_tokens(&self) -> bool {
        let per_minute =
            |l: Option<crate::pacing::RateLimit>| l.is_some_and(|l| l.tokens_per_minute.is_some());
        per_minute(self.inner.config.rate_limit)
            || self.inner.state.borrow().endpoints.list.iter().any(|e| {
                per_minute(e.rate_limit)
                    || e.budget.tokens.limit.is_some()
                    || e.budget.tokens.remaining.is_some()
            })
    }

    /// An attempt starts on `endpoint` at `now`: it is counted against every budget it uses.
    #[inline(never)]
    pub(super) fn start_paced(
        &self,
        endpoint: usize,
        tokens: u64,
        first: bool,
        now: Instant,
    ) -> Mark {
        let mut st = self.inner.state.borrow_mut();
        let st = &mut *st;
        if first {
            st.pacing.retries.first_attempt(now);
        }
        if self.inner.config.rate_limit.is_some() {
            st.pacing.window.start(now, tokens);
        }
        match st.endpoints.list.get_mut(endpoint) {
            Some(e) => {
                if e.rate_limit.is_some() {
                    e.window.start(now, tokens);
                }
                e.budget.start(now, tokens)
            }
            None => Mark::default(),
        }
    }

    /// A reply arrived: its rate-limit headers (any status) update the endpoint's budget. The
    /// engine's clock is read only when they say something (most replies have none).
    #[inline(never)]
    pub(super) fn observe_limits(&self, endpoint: usize, mark: Mark, headers: &[(String, String)]) {
        let clock = &self.inner.host.clock;
        let limits = parse_limits(headers, clock.unix_now());
        if let Some(e) = self
            .inner
            .state
            .borrow_mut()
            .endpoints
            .list
            .get_mut(endpoint)
        {
            e.budget.answered = true;
            if !limits.is_empty() {
                e.budget.observe(clock.now(), &limits, mark, e.peers);
            }
        }
    }

    /// The reply's usage replaces the token estimate in the user's windows.
    #[inline(never)]
    pub(super) fn correct_usage(&self, endpoint: Option<usize>, mark: Mark, usage: Option<Usage>) {
        let Some(u) = usage else { return };
        let actual = u.total.max(u.prompt + u.completion);
        let mut st = self.inner.state.borrow_mut();
        st.pacing.window.correct(mark, actual);
        if let Some(e) = endpoint.and_then(|i| st.endpoints.list.get_mut(i)) {
            e.window.correct(mark, actual);
        }
    }

    /// Whether the retry budget lets this retry go; a refusal is counted and told.
    #[inline(never)]
    pub(super) fn retry_allowed(
        &self,
        err: &ApiError,
        attempt: u32,
        id: &str,
        now: Instant,
    ) -> bool {
        let Some(cfg) = self.inner.config.retry_budget else {
            return true;
        };
        let ok = self
            .inner
            .state
            .borrow_mut()
            .pacing
            .retries
            .try_retry(now, cfg);
        if !ok {
            self.emit(
                "budget",
                || json!({"action": "retry_denied", "attempt": attempt, "type": err.kind.as_str(), "status": err.status}),
                id,
            );
        }
        ok
    }

    /// `getStats()`'s `rate_limit` and `retry_budget`, for all endpoints or one.
    #[inline(never)]
    pub(super) fn pacing_stats(&self, endpoint: Option<usize>) -> (Value, Value) {
        let clock = &self.inner.host.clock;
        let (now, unix) = (clock.now(), clock.unix_now());
        let st = self.inner.state.borrow();
        // A slice, not a collected Vec: each collect instantiates its own code.
        let list = match endpoint {
            Some(i) => st.endpoints.list.get(i..=i).unwrap_or_default(),
            None => st.endpoints.list.as_slice(),
        };
        let mut requests: Option<u64> = None;
        let mut tokens: Option<u64> = None;
        let mut reset: Option<Instant> = None;
        // A closure called twice, not a loop over a two-element array (its iterator's code).
        let mut add = |dim: &crate::pacing::Dim, sum: &mut Option<u64>| {
            if let (Some(r), true) = (dim.remaining, now < dim.reset_at) {
                *sum = Some(sum.unwrap_or(0) + r);
                reset = Some(reset.map_or(dim.reset_at, |x: Instant| {
                    if dim.reset_at < x {
                        dim.reset_at
                    } else {
                        x
                    }
                }));
            }
        };
        for e in list {
            add(&e.budget.requests, &mut requests);
            add(&e.budget.tokens, &mut tokens);
        }
        let p = &st.pacing;
        let rate = json!({
            "paced_requests": p.paced_requests,
            "paced_seconds": p.paced_seconds.as_f64(),
            "remaining_requests": requests,
            "remaining_tokens": tokens,
            "reset_at": reset.map(|r| unix + (r - now).as_f64()),
        });
        let budget = json!({
            "retries_allowed": p.retries.allowed,
            "retries_denied": p.retries.denied,
        });
        (rate, budget)
    }
}
