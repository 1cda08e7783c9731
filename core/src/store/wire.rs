//! What crosses to the host: pieces of state, entries `{ scope, piece, until }`, and the scope
//! of an endpoint (provider, endpoint id and a hash of base URL and key: never the key).

use crate::digest::hex_sha256;

/// A piece of shared state of one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// The breaker is OPEN until `until`.
    Breaker,
    /// No attempt before `until` (a rate-limit hint).
    Cooldown,
    /// Read only: `until` carries the number of live clients sharing the scope (the store
    /// counts their heartbeats), among which its rate limits are split.
    Peers,
}

impl Piece {
    pub const ALL: [Piece; 3] = [Piece::Breaker, Piece::Cooldown, Piece::Peers];

    pub fn as_str(self) -> &'static str {
        match self {
            Piece::Breaker => "breaker",
            Piece::Cooldown => "cooldown",
            Piece::Peers => "peers",
        }
    }

    pub fn parse(s: &str) -> Option<Piece> {
        Piece::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// One piece of one endpoint's state, lasting until `until` (Unix seconds).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub scope: String,
    pub piece: Piece,
    pub until: f64,
}

/// The namespace of an endpoint's state: `provider:endpoint:hash`, where the hash (16 hex
/// digits of SHA-256) covers the base URL and the key, so clients of one key on one service
/// share state and the key itself never reaches the store.
pub fn scope_of(provider: &str, endpoint: &str, base_url: &str, key: Option<&str>) -> String {
    let mut h = hex_sha256(format!("{base_url}\n{}", key.unwrap_or("")).as_bytes());
    h.truncate(16);
    format!("{provider}:{endpoint}:{h}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_hides_the_key_and_separates_keys_and_services() {
        let a = scope_of(
            "openai",
            "default",
            "https://api.openai.com/v1",
            Some("sk-secret"),
        );
        assert!(a.starts_with("openai:default:"));
        assert!(!a.contains("sk-secret"));
        assert_eq!(a.len(), "openai:default:".len() + 16);
        assert_ne!(
            a,
            scope_of(
                "openai",
                "default",
                "https://api.openai.com/v1",
                Some("sk-other")
            )
        );
        assert_ne!(
            a,
            scope_of(
                "openai",
                "default",
                "http://127.0.0.1/v1",
                Some("sk-secret")
            )
        );
        assert_eq!(
            a,
            scope_of(
                "openai",
                "default",
                "https://api.openai.com/v1",
                Some("sk-secret")
            )
        );
    }
}
