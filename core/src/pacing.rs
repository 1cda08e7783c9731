//! Pacing, as plain data (DESIGN rule 1): what the server said remains of its budgets
//! ([`Budget`], per endpoint), the user's own `rateLimit` over a sliding minute ([`Window`]),
//! and the retry budget ([`RetryBudget`]). Each takes `now` and an event and answers with a
//! wait or a decision; none sleeps or reads a clock. `Budget` and `Window` are also their own
//! snapshots: a state store shares them by value and folds others' copies in with `merge`.

mod headers;

pub use headers::{parse_duration, parse_limits, parse_rfc3339, Limits, Reported};

use crate::json::Value;
use crate::time::{Instant, Secs};

/// The user's budget (`rateLimit`): never start more than this in any minute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    pub requests_per_minute: Option<u32>,
    pub tokens_per_minute: Option<u32>,
}

impl RateLimit {
    /// One of `peers` clients' share of the limit (at least 1 a minute each).
    pub fn share(self, peers: u32) -> RateLimit {
        let part = |l: u32| (l / peers.max(1)).max(1);
        RateLimit {
            requests_per_minute: self.requests_per_minute.map(part),
            tokens_per_minute: self.tokens_per_minute.map(part),
        }
    }
}

/// One budget as the server last described it, read against the attempts started since.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dim {
    /// `None`: unknown (no reply said, or its reset has passed and the budget is whole again).
    pub remaining: Option<u64>,
    pub limit: Option<u64>,
    /// When the budget is whole again (engine clock).
    pub reset_at: Instant,
    /// This client's starts (units) since the window began here: its share is counted in them.
    pub used: u64,
    /// The first attempt (`Mark::seq`) of the window as begun here: a reply to an earlier one
    /// may describe the window before, and is not learnt from.
    pub opened: u64,
    /// Shared among peers: this client's part of the limit in each window.
    pub share: Option<u64>,
    /// The longest reset told: about a window's length.
    pub span: Secs,
}

impl Dim {
    /// A reset that has passed begins a window here with the attempt numbered `seq`: its count
    /// is unknown (the server's window is fresh) or, shared, this client's whole share, held
    /// for about a window (`span`) until a reply of the window tells when it ends.
    fn refresh(&mut self, now: Instant, seq: u64) {
        if now >= self.reset_at && self.remaining.is_some() {
            *self = Dim {
                remaining: self.share,
                reset_at: now + self.share.map_or(Secs::ZERO, |_| self.span),
                opened: seq,
                used: 0,
                ..*self
            };
        }
    }

    /// The server's count, less what was started after the attempt it answered (`since`):
    /// those may not have reached the server when it counted. With `peers` clients sharing the
    /// budget (a state store counts them), this one keeps to its share of the window: the
    /// limit divided among them, less what it started in the window (`remaining / peers -
    /// since` when the server does not say its limit). The shares add up to the limit whatever
    /// the order the clients' attempts reach the server in. Shared, a reply to an attempt
    /// started before the window began here (`seq`, its mark) teaches nothing: it may tell of
    /// the last window, and learning its reset would begin this one here a second time.
    fn learn(&mut self, now: Instant, r: &Reported, since: u64, peers: u32, seq: u64) {
        let n = u64::from(peers.max(1));
        if n > 1 && seq < self.opened {
            return;
        }
        self.limit = r.limit.or(self.limit);
        self.share = self.limit.filter(|_| n > 1).map(|l| l / n);
        let left = r.remaining.saturating_sub(since);
        self.remaining = Some(match self.share {
            Some(part) => part.saturating_sub(self.used).min(left),
            None => (r.remaining / n).saturating_sub(since),
        });
        // Without a reset time the count cannot be waited out: it is kept, never held on.
        let reset = r.reset.unwrap_or(Secs::ZERO);
        self.span = self.span.max(reset);
        self.reset_at = now + reset;
    }

    fn start(&mut self, now: Instant, seq: u64, units: u64) {
        self.refresh(now, seq);
        self.remaining = self.remaining.map(|r| r.saturating_sub(units));
        self.used = self.used.saturating_add(units);
    }

    fn wait(&self, now: Instant, need: u64) -> Secs {
        match self.remaining {
            Some(left) if need > 0 && left < need && now < self.reset_at => self.reset_at - now,
            _ => Secs::ZERO,
        }
    }

    /// Two views of one budget: the later window wins; within one window, the smaller count.
    fn merge(&mut self, other: &Dim) {
        let same = (self.reset_at.as_secs() - other.reset_at.as_secs()).abs() < 1.0;
        if same {
            self.remaining = match (self.remaining, other.remaining) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.reset_at = self.reset_at.max(other.reset_at);
        } else if other.reset_at > self.reset_at {
            *self = *other;
        }
        self.limit = self.limit.or(other.limit);
    }
}

/// Where an attempt stood when it started: its reply's counts are read against what started
/// after it, and its token estimate is corrected by the reply's usage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    pub seq: u64,
    pub tokens: u64,
    pub estimate: u64,
    pub second: u64,
}

/// An endpoint's budgets as its server reports them (adaptive pacing).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Budget {
    pub requests: Dim,
    pub tokens: Dim,
    /// Attempts and estimated tokens started so far (running totals).
    pub started: u64,
    pub started_tokens: u64,
    /// When the first attempt started, and whether any reply has come since.
    pub first: Instant,
    pub answered: bool,
}

/// Shared, a client sends one attempt and waits for its reply (looking again this often, for
/// at most `PROBE_FOR`) before it knows the server's window (see [`Budget::probe_wait`]).
const PROBE_POLL: Secs = Secs::new(0.02);
const PROBE_FOR: Secs = Secs::new(2.0);

impl Budget {
    /// How long an attempt needing `tokens` must wait: until the spent budget's reset.
    pub fn wait(&self, now: Instant, tokens: u64) -> Secs {
        self.requests
            .wait(now, 1)
            .max(self.tokens.wait(now, tokens))
    }

    /// With `peers` sharing the budget, the wait of an attempt while the first one's reply,
    /// the learning reply, is out: one blind attempt a client, not its whole concurrency, may
    /// meet a window the others have spent.
    pub fn probe_wait(&self, now: Instant, peers: u32) -> Secs {
        if peers > 1 && self.started > 0 && !self.answered && now < self.first + PROBE_FOR {
            PROBE_POLL
        } else {
            Secs::ZERO
        }
    }

    /// An attempt starts: it uses one request and its estimated tokens.
    pub fn start(&mut self, now: Instant, tokens: u64) -> Mark {
        if self.started == 0 {
            self.first = now;
        }
        self.started = self.started.saturating_add(1);
        self.requests.start(now, self.started, 1);
        self.tokens.start(now, self.started, tokens);
        self.started_tokens = self.started_tokens.saturating_add(tokens);
        Mark {
            seq: self.started,
            tokens: self.started_tokens,
            estimate: tokens,
            second: second(now),
        }
    }

    /// A reply to the attempt marked `mark` arrived with these headers; `peers` clients
    /// (this one included) share the budget.
    pub fn observe(&mut self, now: Instant, limits: &Limits, mark: Mark, peers: u32) {
        if let Some(r) = &limits.requests {
            let since = self.started.saturating_sub(mark.seq);
            self.requests.learn(now, r, since, peers, mark.seq);
        }
        if let Some(t) = &limits.tokens {
            let since = self.started_tokens.saturating_sub(mark.tokens);
            self.tokens.learn(now, t, since, peers, mark.seq);
        }
    }

    /// Folds in another holder's view of the same endpoint (a state store).
    pub fn merge(&mut self, other: &Budget) {
        self.requests.merge(&other.requests);
        self.tokens.merge(&other.tokens);
    }
}

/// The seconds a [`Window`] remembers: a start counts for the whole minute after its second
/// ends, so no 60 s span ever holds more than the limit.
const SLOTS: usize = 61;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot {
    /// Whole seconds on the engine clock.
    pub second: u64,
    pub requests: u64,
    pub tokens: u64,
}

/// The user's `rateLimit` over a sliding minute, in one-second slots (bounded, mergeable).
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub slots: [Slot; SLOTS],
}

impl Default for Window {
    fn default() -> Window {
        Window {
            slots: [Slot::default(); SLOTS],
        }
    }
}

fn second(now: Instant) -> u64 {
    now.as_secs() as u64
}

impl Window {
    /// Slots still inside the minute, oldest first (read off the ring in order: no sort).
    fn live(&self, now: Instant) -> Vec<Slot> {
        let n = second(now);
        let mut out = Vec::new();
        for k in n.saturating_sub(SLOTS as u64 - 1)..=n {
            let Some(s) = self.slots.get((k % SLOTS as u64) as usize) else {
                continue;
            };
            if s.second + (SLOTS as u64 - 1) >= n
                && s.second <= n
                && (s.requests > 0 || s.tokens > 0)
            {
                out.push(*s);
            }
        }
        out
    }

    /// How long a start needing `tokens` must wait under `limit`.
    pub fn wait(&self, now: Instant, limit: RateLimit, tokens: u64) -> Secs {
        let live = self.live(now);
        let mut wait = Secs::ZERO;
        if let Some(rpm) = limit.requests_per_minute {
            let used = total(&live, |s| s.requests);
            wait = wait.max(until_freed(
                &live,
                now,
                |s| s.requests,
                used.saturating_add(1).saturating_sub(u64::from(rpm)),
            ));
        }
        if let (Some(tpm), true) = (limit.tokens_per_minute, tokens > 0) {
            let used = total(&live, |s| s.tokens);
            // A call larger than the whole budget waits for an empty minute, then goes alone.
            let excess = used
                .saturating_add(tokens)
                .saturating_sub(u64::from(tpm))
                .min(used);
            wait = wait.max(until_freed(&live, now, |s| s.tokens, excess));
        }
        wait
    }

    pub fn start(&mut self, now: Instant, tokens: u64) {
        let n = second(now);
        if let Some(s) = self.slots.get_mut((n % SLOTS as u64) as usize) {
            if s.second != n {
                *s = Slot {
                    second: n,
                    ..Slot::default()
                };
            }
            s.requests += 1;
            s.tokens = s.tokens.saturating_add(tokens);
        }
    }

    /// The reply's usage replaces the estimate its start was counted with.
    pub fn correct(&mut self, mark: Mark, actual: u64) {
        if let Some(s) = self.slots.get_mut((mark.second % SLOTS as u64) as usize) {
            if s.second == mark.second {
                s.tokens = s
                    .tokens
                    .saturating_sub(mark.estimate)
                    .saturating_add(actual);
            }
        }
    }

    /// Adds another holder's starts (a state store): together they share the one limit.
    pub fn merge(&mut self, other: &Window) {
        for (mine, theirs) in self.slots.iter_mut().zip(other.slots.iter()) {
            if theirs.second > mine.second {
                *mine = *theirs;
            } else if theirs.second == mine.second {
                mine.requests = mine.requests.saturating_add(theirs.requests);
                mine.tokens = mine.tokens.saturating_add(theirs.tokens);
            }
        }
    }
}

/// The slots' units, added without overflow (a call's `max_tokens` is the caller's number).
fn total(live: &[Slot], units: impl Fn(&Slot) -> u64) -> u64 {
    let mut n: u64 = 0;
    for s in live {
        n = n.saturating_add(units(s));
    }
    n
}

/// The wait until the oldest slots have left the minute and freed `excess` units.
fn until_freed(live: &[Slot], now: Instant, units: impl Fn(&Slot) -> u64, excess: u64) -> Secs {
    if excess == 0 {
        return Secs::ZERO;
    }
    let mut freed = 0u64;
    for s in live {
        freed = freed.saturating_add(units(s));
        if freed >= excess {
            return Instant::from_secs((s.second + SLOTS as u64) as f64) - now;
        }
    }
    Secs::ZERO
}

/// `retryBudget`: retries in a sliding 10 s window may not exceed `ratio` x first attempts
/// plus `min_per_second` x 10.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryBudgetConfig {
    pub ratio: f64,
    pub min_per_second: f64,
}

impl Default for RetryBudgetConfig {
    fn default() -> Self {
        RetryBudgetConfig {
            ratio: 0.2,
            min_per_second: 10.0,
        }
    }
}

const BUDGET_SECONDS: usize = 10;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RetryBudget {
    /// (second, first attempts, retries) per second of the window.
    slots: [(u64, u64, u64); BUDGET_SECONDS],
    pub allowed: u64,
    pub denied: u64,
}

impl RetryBudget {
    fn slot(&mut self, now: Instant) -> Option<&mut (u64, u64, u64)> {
        let n = second(now);
        let s = self.slots.get_mut((n % BUDGET_SECONDS as u64) as usize)?;
        if s.0 != n {
            *s = (n, 0, 0);
        }
        Some(s)
    }

    pub fn first_attempt(&mut self, now: Instant) {
        if let Some(s) = self.slot(now) {
            s.1 += 1;
        }
    }

    /// Whether a retry may go now (counted when it may).
    pub fn try_retry(&mut self, now: Instant, cfg: RetryBudgetConfig) -> bool {
        let n = second(now);
        let (mut firsts, mut retries) = (0, 0);
        for s in &self.slots {
            if s.0 + (BUDGET_SECONDS as u64) > n && s.0 <= n {
                firsts += s.1;
                retries += s.2;
            }
        }
        let cap = cfg.ratio * firsts as f64 + cfg.min_per_second * BUDGET_SECONDS as f64;
        if (retries as f64) < cap {
            if let Some(s) = self.slot(now) {
                s.2 += 1;
            }
            self.allowed += 1;
            true
        } else {
            self.denied += 1;
            false
        }
    }
}

/// Tokens a call may use: its text at about four characters a token, plus the most it may
/// generate (`max_tokens` and its provider spellings). Bodies that are not JSON estimate 0.
pub fn estimate_tokens(body: &[u8]) -> u64 {
    let Ok(v) = crate::json::from_slice::<Value>(body) else {
        return 0;
    };
    let mut chars = 0u64;
    let mut max = 0u64;
    walk(&v, "", &mut chars, &mut max, 0);
    chars.div_ceil(4).saturating_add(max)
}

fn walk(v: &Value, key: &str, chars: &mut u64, max: &mut u64, depth: u32) {
    if depth > 32 {
        return;
    }
    match v {
        Value::String(s) if !matches!(key, "model" | "role" | "type" | "id") => {
            *chars = chars.saturating_add(s.chars().count() as u64)
        }
        Value::Number(n) if is_max_tokens(key) => {
            *max = max.saturating_add(n.as_u64().unwrap_or(0))
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, key, chars, max, depth + 1)),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| walk(x, k, chars, max, depth + 1)),
        _ => {}
    }
}

fn is_max_tokens(key: &str) -> bool {
    matches!(
        key,
        "max_tokens"
            | "max_completion_tokens"
            | "maxOutputTokens"
            | "max_new_tokens"
            | "num_predict"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> Instant {
        Instant::from_secs(s)
    }

    fn said(requests: u64, reset: f64) -> Limits {
        Limits {
            requests: Some(Reported {
                remaining: requests,
                limit: Some(60),
                reset: Some(Secs::new(reset)),
            }),
            tokens: None,
        }
    }

    #[test]
    fn a_spent_budget_holds_until_its_reset() {
        let mut b = Budget::default();
        let m = b.start(at(0.0), 0);
        b.observe(at(0.1), &said(1, 10.0), m, 1);
        assert_eq!(b.wait(at(0.1), 0), Secs::ZERO);
        b.start(at(0.2), 0);
        assert_eq!(b.wait(at(0.2), 0), Secs::new(9.9));
        // At the reset the budget is whole again.
        assert_eq!(b.wait(at(10.1), 0), Secs::ZERO);
        b.start(at(10.1), 0);
        assert_eq!(b.requests.remaining, None);
    }

    #[test]
    fn replies_count_against_attempts_started_after_them() {
        let mut b = Budget::default();
        let first = b.start(at(0.0), 0);
        for _ in 0..4 {
            b.start(at(0.0), 0);
        }
        // The first reply saw only itself: the four behind it are still to be counted.
        b.observe(at(0.1), &said(59, 60.0), first, 1);
        assert_eq!(b.requests.remaining, Some(55));
    }

    #[test]
    fn peers_split_what_the_server_says_is_left() {
        let mut b = Budget::default();
        let first = b.start(at(0.0), 0);
        b.start(at(0.0), 0);
        // A limit of 60 among 4 clients: 15 each, less the 2 this one started in the window.
        b.observe(at(0.1), &said(41, 60.0), first, 4);
        assert_eq!(b.requests.remaining, Some(13));
        // What the server says is left bounds it too (less what started after `first`).
        b.observe(at(0.1), &said(5, 60.0), first, 4);
        assert_eq!(b.requests.remaining, Some(4));
        // Without the limit: what is left, split, less what started after `first`.
        let mut c = Budget::default();
        let first = c.start(at(0.0), 0);
        c.start(at(0.0), 0);
        let mut no_limit = said(41, 60.0);
        if let Some(r) = &mut no_limit.requests {
            r.limit = None;
        }
        c.observe(at(0.1), &no_limit, first, 4);
        assert_eq!(c.requests.remaining, Some(9));
        let l = RateLimit {
            requests_per_minute: Some(120),
            tokens_per_minute: Some(3),
        };
        let s = l.share(4);
        assert_eq!(
            (s.requests_per_minute, s.tokens_per_minute),
            (Some(30), Some(1))
        );
        assert_eq!(l.share(0), l);
    }

    #[test]
    fn a_share_is_counted_per_window_and_late_replies_of_the_last_teach_nothing() {
        let mut b = Budget::default();
        let first = b.start(at(0.0), 0);
        b.observe(at(0.1), &said(59, 10.0), first, 4);
        assert_eq!(b.requests.remaining, Some(14));
        let mut late = Mark::default();
        for _ in 0..14 {
            late = b.start(at(0.2), 0);
        }
        assert_eq!(b.wait(at(0.2), 0), Secs::new(9.9));
        // The window passes: a start begins the next one here, with a whole share (15), held
        // for about a window (the longest reset told, 10 s) should it be spent before a reply.
        let fresh = b.start(at(10.2), 0);
        assert_eq!((b.requests.used, b.requests.remaining), (1, Some(14)));
        for _ in 0..14 {
            b.start(at(10.2), 0);
        }
        assert_eq!(b.wait(at(10.2), 0), Secs::new(10.0));
        // A reply to an attempt of the last window (the server spent, its reset near) changes
        // nothing ...
        b.observe(at(10.25), &said(0, 0.01), late, 4);
        assert!((b.wait(at(10.3), 0).as_f64() - 9.9).abs() < 1e-9);
        // ... one of this window counts against the share, whatever the others started, and
        // tells when the window ends.
        b.observe(at(10.3), &said(30, 9.8), fresh, 4);
        assert_eq!(b.requests.remaining, Some(0));
        assert!((b.wait(at(10.3), 0).as_f64() - 9.8).abs() < 1e-9);
        // Alone, every reply teaches, as it always has.
        let mut alone = Budget::default();
        let late = alone.start(at(0.0), 0);
        alone.observe(at(0.1), &said(59, 1.0), late, 1);
        alone.start(at(1.2), 0);
        alone.observe(at(1.5), &said(0, 0.5), late, 1);
        assert_eq!(alone.wait(at(1.5), 0), Secs::new(0.5));
    }

    #[test]
    fn tokens_hold_when_the_estimate_does_not_fit() {
        let mut b = Budget::default();
        let m = b.start(at(0.0), 100);
        let l = Limits {
            requests: None,
            tokens: Some(Reported {
                remaining: 150,
                limit: None,
                reset: Some(Secs::new(5.0)),
            }),
        };
        b.observe(at(0.0), &l, m, 1);
        assert_eq!(b.wait(at(1.0), 150), Secs::ZERO);
        assert_eq!(b.wait(at(1.0), 151), Secs::new(4.0));
    }

    #[test]
    fn merge_keeps_the_later_window_and_the_smaller_count() {
        let mut a = Budget::default();
        a.observe(at(0.0), &said(10, 30.0), Mark::default(), 1);
        let mut b = Budget::default();
        b.observe(at(0.2), &said(4, 30.0), Mark::default(), 1);
        a.merge(&b);
        assert_eq!(a.requests.remaining, Some(4));
        let mut c = Budget::default();
        c.observe(at(40.0), &said(50, 30.0), Mark::default(), 1);
        a.merge(&c);
        assert_eq!(
            (a.requests.remaining, a.requests.reset_at),
            (Some(50), at(70.0))
        );
    }

    #[test]
    fn the_user_window_never_passes_its_limit_in_any_minute() {
        let limit = RateLimit {
            requests_per_minute: Some(3),
            tokens_per_minute: None,
        };
        let mut w = Window::default();
        for t in [0.5, 10.2, 20.0] {
            assert_eq!(w.wait(at(t), limit, 0), Secs::ZERO);
            w.start(at(t), 0);
        }
        // The first start (second 0) leaves the minute at 61 s.
        assert_eq!(w.wait(at(30.0), limit, 0), Secs::new(31.0));
        assert_eq!(w.wait(at(61.0), limit, 0), Secs::ZERO);
    }

    #[test]
    fn the_token_window_is_corrected_by_usage() {
        let limit = RateLimit {
            requests_per_minute: None,
            tokens_per_minute: Some(1000),
        };
        let mut w = Window::default();
        let mut b = Budget::default();
        let m = b.start(at(0.0), 900);
        w.start(at(0.0), 900);
        assert_eq!(w.wait(at(1.0), limit, 200), Secs::new(60.0));
        w.correct(m, 300);
        assert_eq!(w.wait(at(1.0), limit, 200), Secs::ZERO);
        // Larger than the whole budget: waits for an empty minute only.
        assert_eq!(w.wait(at(1.0), limit, 5000), Secs::new(60.0));
        assert_eq!(w.wait(at(61.0), limit, 5000), Secs::ZERO);
    }

    #[test]
    fn windows_merge_by_adding_starts() {
        let mut a = Window::default();
        let mut b = Window::default();
        a.start(at(3.0), 10);
        b.start(at(3.5), 5);
        b.start(at(4.0), 1);
        a.merge(&b);
        let live = a.live(at(5.0));
        assert_eq!(live.iter().map(|s| s.requests).sum::<u64>(), 3);
        assert_eq!(live.iter().map(|s| s.tokens).sum::<u64>(), 16);
    }

    #[test]
    fn the_retry_budget_allows_a_ratio_plus_a_floor() {
        let cfg = RetryBudgetConfig {
            ratio: 0.5,
            min_per_second: 0.1,
        };
        let mut r = RetryBudget::default();
        for _ in 0..10 {
            r.first_attempt(at(0.0));
        }
        // 0.5 x 10 + 0.1 x 10 = 6 retries in the window.
        let allowed = (0..10).filter(|_| r.try_retry(at(1.0), cfg)).count();
        assert_eq!((allowed, r.allowed, r.denied), (6, 6, 4));
        // Ten seconds on, the window has slid past them.
        assert!(r.try_retry(at(11.5), cfg));
    }

    #[test]
    fn token_estimates() {
        let body = br#"{"model":"gpt-4o","max_tokens":50,"messages":[{"role":"user","content":"abcdefgh"}]}"#;
        assert_eq!(estimate_tokens(body), 52);
        let gemini = br#"{"contents":[{"parts":[{"text":"abcd"}]}],"generationConfig":{"maxOutputTokens":7}}"#;
        assert_eq!(estimate_tokens(gemini), 8);
        assert_eq!(estimate_tokens(b"not json"), 0);
    }

    #[test]
    fn huge_max_tokens_saturate_instead_of_overflowing() {
        let body =
            br#"{"max_tokens":9223372036854775808,"max_completion_tokens":9223372036854775808}"#;
        let tokens = estimate_tokens(body);
        assert_eq!(tokens, u64::MAX);
        let limit = RateLimit {
            requests_per_minute: Some(u32::MAX),
            tokens_per_minute: Some(1000),
        };
        let mut w = Window::default();
        w.start(at(0.0), tokens);
        w.start(at(0.0), tokens);
        // Larger than the whole budget: it waits for an empty minute, as any such call.
        assert_eq!(w.wait(at(1.0), limit, tokens), Secs::new(60.0));
    }
}
