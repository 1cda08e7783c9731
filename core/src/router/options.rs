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

/// A router from `strategy` (None: `'fallback'`), `fallback_on` (None: the default list; else
/// error type names joined with commas, as the host passes them) and one weight per member
/// (a number > 0; NaN for a weight that is not a number).
pub fn parse_options(
    strategy: Option<&str>,
    fallback_on: Option<&str>,
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
        Some(s) => match STRATEGIES.iter().find(|(n, _)| *n == s) {
            Some((_, x)) => *x,
            None => {
                return Err(format!(
                    "createRouter: option `strategy` accepts 'fallback', 'round-robin', \
                     'least-loaded' or 'latency' (got '{s}')"
                ))
            }
        },
    };
    let mut types = DEFAULT_FALLBACK_ON.to_vec();
    if let Some(names) = fallback_on {
        types.clear();
        for name in names.split(',').filter(|n| !n.is_empty()) {
            match ErrorType::parse(name) {
                Some(t) => types.push(t),
                None => {
                    return Err(format!(
                        "createRouter: option `fallbackOn` accepts an array of the error types of \
                         docs/api.md, such as 'rate_limit_exceeded' or 'server_error' (got '{name}')"
                    ))
                }
            }
        }
    }
    Ok(Router::new(strategy, types, weights))
}
