//! `createRouter(members, options)`: the strategy, `fallbackOn` and the members' weights,
//! checked with errors that name the field and what it accepts. (The host reads the options
//! object and its key names; the values are checked here.)

use super::{Router, Strategy};
use crate::error::ErrorType;

const STRATEGIES: [(&str, Strategy); 4] = [
    ("fallback", Strategy::Fallback),
    ("round-robin", Strategy::RoundRobin),
    ("least-loaded", Strategy::LeastLoaded),
    ("latency", Strategy::Latency),
];

/// docs/api.md: the failures that move a call on to the next member by default.
pub const DEFAULT_FALLBACK_ON: [ErrorType; 7] = [
    ErrorType::RateLimitExceeded,
    ErrorType::QuotaExceeded,
    ErrorType::Overloaded,
    ErrorType::ServerError,
    ErrorType::Timeout,
    ErrorType::ConnectionError,
    ErrorType::CircuitOpen,
];

impl Strategy {
    pub fn as_str(self) -> &'static str {
        STRATEGIES
            .iter()
            .find(|(_, x)| *x == self)
            .map_or("fallback", |(n, _)| n)
    }
}

/// A router from `strategy` (None: `'fallback'`), `fallback_on` (None: the default list; each
/// entry an error type name, None for an entry that is not a string) and one weight per
/// member (a number > 0; NaN for a weight that is not a number).
pub fn parse_options(
    strategy: Option<&str>,
    fallback_on: Option<&[Option<String>]>,
    weights: &[f64],
) -> Result<Router, String> {
    if weights.is_empty() {
        return Err("createRouter: `members` accepts a non-empty array of clients".into());
    }
    if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(format!(
            "createRouter: `members[{i}].weight` accepts a number > 0"
        ));
    }
    let strategy = match strategy {
        None => Strategy::Fallback,
        Some(s) => STRATEGIES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, x)| *x)
            .ok_or_else(|| {
                format!(
                    "createRouter: option `strategy` accepts 'fallback', 'round-robin', \
                     'least-loaded' or 'latency' (got '{s}')"
                )
            })?,
    };
    let fallback_on = match fallback_on {
        None => DEFAULT_FALLBACK_ON.to_vec(),
        Some(names) => {
            let mut out = Vec::with_capacity(names.len());
            for name in names {
                match name.as_deref().and_then(ErrorType::parse) {
                    Some(t) => out.push(t),
                    None => {
                        let mut all = String::new();
                        for t in ErrorType::ALL {
                            if !all.is_empty() {
                                all.push_str(", ");
                            }
                            all.push_str(t.as_str());
                        }
                        return Err(format!(
                            "createRouter: option `fallbackOn` accepts an array of error types \
                             ({all}); got '{}'",
                            name.as_deref().unwrap_or("a value that is not a string")
                        ));
                    }
                }
            }
            out
        }
    };
    Ok(Router::new(strategy, fallback_on, weights))
}
