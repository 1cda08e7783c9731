//! The engine's side of a shared state store (see `crate::store`): what it publishes (breaker
//! opens, cooldowns from rate-limit hints), what it applies from other engines, and the wait
//! a shared cooldown imposes on a single-endpoint client's attempts.

use super::Engine;
use crate::breaker::Breaker;
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::store::{scope_of, Entry, Notify, Piece, StoreLink};
use crate::time::{Instant, Secs};

/// How long a count of peers holds without a read confirming it: through store errors, and
/// against a lower count (seconds).
pub(super) const PEERS_KEPT: Secs = Secs::new(5.0);

/// The store link and the cooldowns it imposes, one per endpoint.
pub(super) struct Shared {
    pub link: StoreLink,
    /// No attempt on endpoint `i` before `holds[i]` (single-endpoint clients; a client with
    /// several endpoints uses their `cooldown_until`, which fails over instead of waiting).
    holds: Vec<Instant>,
}

impl Shared {
    pub fn new(provider: &str, config: &Config) -> Shared {
        let key = |k: Option<&crate::secret::Secret>| {
            k.map(|s| s.expose().to_string())
                .or_else(|| config.access_key_id.clone())
        };
        let base = config.base_url.as_deref().unwrap_or("");
        let scopes: Vec<String> = if config.endpoints.is_empty() {
            vec![scope_of(
                provider,
                "default",
                base,
                key(config.api_key.as_ref()).as_deref(),
            )]
        } else {
            // A plain loop: collected iterator chains each instantiate their own code.
            let mut scopes = Vec::with_capacity(config.endpoints.len());
            for e in &config.endpoints {
                let k = key(e.api_key.as_ref().or(config.api_key.as_ref()));
                let url = e.base_url.as_deref().unwrap_or(base);
                scopes.push(scope_of(provider, &e.id, url, k.as_deref()));
            }
            scopes
        };
        Shared {
            holds: vec![Instant::ZERO; scopes.len()],
            link: StoreLink::new(scopes),
        }
    }

    /// Publishes a breaker that has just opened.
    pub fn opened(&mut self, endpoint: usize, breaker: &Breaker, now: Instant, unix_now: f64) {
        if let Some(until) = breaker.open_until() {
            let unix = unix_now + (until - now).as_f64();
            self.link.publish(endpoint, Piece::Breaker, unix);
        }
    }
}

impl Engine {
    /// Attaches a state store: `notify` wakes the host when writes are waiting (it must not
    /// call back synchronously). `None` detaches it.
    pub fn store_attach(&self, notify: Option<Notify>) {
        self.inner.state.borrow_mut().shared.link.attach(notify);
    }

    /// The writes to perform (docs/api.md `stateStore`).
    pub fn store_take(&self) -> Vec<Entry> {
        self.inner.state.borrow_mut().shared.link.take()
    }

    /// The scopes the host reads at each poll, one per endpoint.
    pub fn store_scopes(&self) -> Vec<String> {
        self.inner.state.borrow().shared.link.scopes().to_vec()
    }

    /// The host's account of its store work (reads and writes done, an error type). Through
    /// store errors this client keeps the last count of its peers for [`PEERS_KEPT`], then
    /// paces alone until a read counts them again.
    pub fn store_report(&self, reads: u64, writes: u64, error: Option<String>) {
        let now = self.inner.host.clock.now();
        let mut st = self.inner.state.borrow_mut();
        if error.is_some() {
            for e in &mut st.endpoints.list {
                if now >= e.peers_at + PEERS_KEPT {
                    e.peers = 1;
                }
            }
        }
        st.shared.link.report(reads, writes, error);
    }

    /// Applies what the store holds: other engines' breaker opens and cooldowns, bounded by
    /// this client's own `resetTimeout` and `maxRetryAfter`, and how many clients share each
    /// endpoint's key (bounded to 1..=1000).
    pub fn store_apply(&self, entries: &[Entry]) {
        let clock = &self.inner.host.clock;
        let (now, unix_now) = (clock.now(), clock.unix_now());
        let config = &self.inner.config;
        let before = self.circuit_state();
        {
            let mut st = self.inner.state.borrow_mut();
            let st = &mut *st;
            let multiplexed = st.endpoints.multiplexed();
            for (i, piece, left) in st.shared.link.resolve(entries, unix_now) {
                let (Some(e), Some(hold)) =
                    (st.endpoints.list.get_mut(i), st.shared.holds.get_mut(i))
                else {
                    continue;
                };
                match piece {
                    Piece::Breaker => {
                        let until = now + Secs::new(left).min(config.reset_timeout);
                        e.breaker.open_remotely(until, now);
                    }
                    Piece::Cooldown => {
                        let until = now + Secs::new(left).min(config.max_retry_after);
                        let slot = if multiplexed {
                            &mut e.cooldown_until
                        } else {
                            hold
                        };
                        *slot = until.max(*slot);
                    }
                    // A count rises at once; it falls once the higher one has gone
                    // unconfirmed for PEERS_KEPT (a peer whose heartbeat is late, its event
                    // loop busy, must not hand its share to the others for a moment).
                    Piece::Peers => {
                        let n = crate::time::clamp(left, 1.0, 1000.0) as u32;
                        if n >= e.peers || now >= e.peers_at + PEERS_KEPT {
                            e.peers = n;
                            e.peers_at = now;
                        }
                    }
                }
            }
        }
        self.note_transition(before);
    }

    /// With a store attached, a rate-limit or overload answer with a hint holds this
    /// endpoint's attempts here and in every engine sharing the store. Only hints a call would
    /// wait out itself (up to `maxRetryAfter`): a longer one fails its call as
    /// `quota_exceeded`, and nothing is held for it.
    pub(super) fn share_cooldown(&self, endpoint: usize, err: &ApiError, now: Instant) {
        let limited = matches!(
            err.kind,
            ErrorType::RateLimitExceeded | ErrorType::Overloaded
        );
        let max = self.inner.config.max_retry_after.as_f64();
        let Some(hint) = err.retry_delay.filter(|h| limited && *h > 0.0 && *h <= max) else {
            return;
        };
        let clock = &self.inner.host.clock;
        let mut st = self.inner.state.borrow_mut();
        if !st.shared.link.attached() {
            return;
        }
        let wait = Secs::new(hint);
        if let Some(h) = st.shared.holds.get_mut(endpoint) {
            *h = (now + wait).max(*h);
        }
        let until = clock.unix_now() + wait.as_f64();
        st.shared.link.publish(endpoint, Piece::Cooldown, until);
    }

    /// What is left of a shared cooldown of the endpoint an attempt would go to
    /// (single-endpoint clients: with several endpoints a cooled-down one is skipped instead).
    /// The clock is read only once a hold was set (a store attached, a hint shared).
    pub(super) fn held(&self) -> Option<Secs> {
        let st = self.inner.state.borrow();
        match (st.endpoints.multiplexed(), st.shared.holds.first()) {
            (false, Some(&until)) if until > Instant::ZERO => {
                let now = self.inner.host.clock.now();
                (until > now).then(|| until - now)
            }
            _ => None,
        }
    }
}
