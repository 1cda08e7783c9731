//! The delay schedule and the server's retry hints. Pure functions of their inputs.

pub(crate) mod decimal;
mod http_date;

use crate::host::header;
use crate::time::Secs;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffConfig {
    pub initial: Secs,
    pub factor: f64,
    pub max: Secs,
    pub jitter: f64,
}

impl BackoffConfig {
    /// Delay before retry `n` (1 for the first retry): min(initial x factor^(n-1), max), scaled
    /// by a factor in [1 - jitter, 1] drawn from `unit` in [0, 1).
    pub fn delay(&self, n: u32, unit: f64) -> Secs {
        let exp = i32::try_from(n.saturating_sub(1)).unwrap_or(i32::MAX);
        let base = self.initial.mul_f64(self.factor.powi(exp)).min(self.max);
        // The host's entropy is a bare number: kept in [0, 1] here.
        let unit = if unit.is_finite() {
            crate::time::clamp(unit, 0.0, 1.0)
        } else {
            0.0
        };
        base.mul_f64(1.0 - self.jitter * unit)
    }
}

/// The server's wait from the headers, most specific first: `retry-after-ms`, then
/// `retry-after` as seconds or as an HTTP date (`unix_now`: seconds since the Unix epoch).
pub fn header_hint(headers: &[(String, String)], unix_now: f64) -> Option<Secs> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(parse_number) {
        return Some(Secs::new(ms / 1000.0));
    }
    let v = header(headers, "retry-after")?;
    if let Some(secs) = parse_number(v) {
        return Some(Secs::new(secs));
    }
    let at = http_date::parse_http_date(v.trim())?;
    // A date in the past is a wait of 0.
    Some(Secs::new(at - unix_now))
}

/// `x-should-retry: true|false` overrides the status-based decision.
pub fn should_retry_header(headers: &[(String, String)]) -> Option<bool> {
    match header(headers, "x-should-retry")?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A protobuf Duration in JSON form (`"26s"`, `"45.837906927s"`), as Gemini's RetryInfo sends.
pub fn parse_proto_duration(v: &str) -> Option<Secs> {
    parse_number(v.trim().strip_suffix("s")?).map(Secs::new)
}

/// A hint that is not a number of seconds >= 0 is no hint (rather than a wait of 0).
pub(crate) fn parse_number(v: &str) -> Option<f64> {
    // `v.trim().parse::<f64>()`, finite and >= 0, without the standard parser's tables.
    decimal::parse_non_negative(v.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::host::headers_of as h;

    const CFG: BackoffConfig = BackoffConfig {
        initial: Secs::new(1.0),
        factor: 2.0,
        max: Secs::new(16.0),
        jitter: 0.0,
    };

    fn s(secs: f64) -> Option<Secs> {
        Some(Secs::new(secs))
    }

    #[test]
    fn exact_sequence_without_jitter() {
        let d: Vec<f64> = (1..=7).map(|n| CFG.delay(n, 0.9).as_f64()).collect();
        assert_eq!(d, vec![1.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0]);
    }

    #[test]
    fn jitter_bounds() {
        let cfg = BackoffConfig { jitter: 0.2, ..CFG };
        assert_eq!(cfg.delay(3, 0.0).as_f64(), 4.0);
        assert!((cfg.delay(3, 0.999_999).as_f64() - 3.2).abs() < 1e-4);
        for i in 0..100 {
            let d = cfg.delay(2, f64::from(i) / 100.0).as_f64();
            assert!((1.6..=2.0).contains(&d), "{d}");
        }
    }

    #[test]
    fn huge_retry_numbers_stay_capped() {
        assert_eq!(CFG.delay(u32::MAX, 0.0).as_f64(), 16.0);
        let wild = BackoffConfig {
            factor: 1e300,
            ..CFG
        };
        assert_eq!(wild.delay(5, 0.0).as_f64(), 16.0);
        // 0 x inf is no delay (as f64 it was NaN, which read as `max`).
        let zero = BackoffConfig {
            initial: Secs::ZERO,
            ..wild
        };
        assert_eq!(zero.delay(5, 0.0), Secs::ZERO);
    }

    #[test]
    fn hints_in_order_of_precedence() {
        let now = 1_735_689_600.0; // Wed, 01 Jan 2025 00:00:00 GMT
        assert_eq!(header_hint(&h(&[("Retry-After", "2")]), now), s(2.0));
        assert_eq!(header_hint(&h(&[("retry-after", "1.5")]), now), s(1.5));
        assert_eq!(
            header_hint(&h(&[("retry-after", "3"), ("retry-after-ms", "250")]), now),
            s(0.25)
        );
        assert_eq!(
            header_hint(&h(&[("retry-after", "Wed, 01 Jan 2025 00:00:30 GMT")]), now),
            s(30.0)
        );
        assert_eq!(
            header_hint(&h(&[("retry-after", "Tue, 31 Dec 2024 23:00:00 GMT")]), now),
            s(0.0)
        );
        assert_eq!(header_hint(&h(&[("retry-after", "soon")]), now), None);
        assert_eq!(header_hint(&h(&[("retry-after", "-3")]), now), None);
        assert_eq!(header_hint(&h(&[]), now), None);
    }

    #[test]
    fn should_retry_and_proto_durations() {
        assert_eq!(
            should_retry_header(&h(&[("x-should-retry", "false")])),
            Some(false)
        );
        assert_eq!(
            should_retry_header(&h(&[("X-Should-Retry", "true")])),
            Some(true)
        );
        assert_eq!(
            should_retry_header(&h(&[("x-should-retry", "maybe")])),
            None
        );
        assert_eq!(parse_proto_duration("26s"), s(26.0));
        assert_eq!(parse_proto_duration("45.837906927s"), s(45.837906927));
        assert_eq!(parse_proto_duration("26"), None);
    }
}
