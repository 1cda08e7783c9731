//! The delay schedule and the server's retry hints. Pure functions of their inputs.

use crate::host::header;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffConfig {
    pub initial: f64,
    pub factor: f64,
    pub max: f64,
    pub jitter: f64,
}

impl BackoffConfig {
    /// Delay before retry `n` (1 for the first retry): min(initial x factor^(n-1), max), scaled
    /// by a factor in [1 - jitter, 1] drawn from `unit` in [0, 1).
    pub fn delay(&self, n: u32, unit: f64) -> f64 {
        let exp = i32::try_from(n.saturating_sub(1)).unwrap_or(i32::MAX);
        let base = (self.initial * self.factor.powi(exp)).min(self.max);
        let base = if base.is_finite() {
            base.max(0.0)
        } else {
            self.max
        };
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        base * (1.0 - self.jitter * unit)
    }
}

/// The server's wait, in seconds, from the headers, most specific first:
/// `retry-after-ms`, then `retry-after` as seconds or as an HTTP date.
pub fn header_hint(headers: &[(String, String)], unix_now: f64) -> Option<f64> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(parse_number) {
        return Some(ms / 1000.0);
    }
    let v = header(headers, "retry-after")?;
    if let Some(secs) = parse_number(v) {
        return Some(secs);
    }
    let at = httpdate::parse_http_date(v.trim()).ok()?;
    let at = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs_f64();
    Some((at - unix_now).max(0.0))
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
pub fn parse_proto_duration(v: &str) -> Option<f64> {
    parse_number(v.trim().strip_suffix('s')?)
}

fn parse_number(v: &str) -> Option<f64> {
    let x: f64 = v.trim().parse().ok()?;
    (x.is_finite() && x >= 0.0).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const CFG: BackoffConfig = BackoffConfig {
        initial: 1.0,
        factor: 2.0,
        max: 16.0,
        jitter: 0.0,
    };

    #[test]
    fn exact_sequence_without_jitter() {
        let d: Vec<f64> = (1..=7).map(|n| CFG.delay(n, 0.9)).collect();
        assert_eq!(d, vec![1.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0]);
    }

    #[test]
    fn jitter_bounds() {
        let cfg = BackoffConfig { jitter: 0.2, ..CFG };
        assert_eq!(cfg.delay(3, 0.0), 4.0);
        assert!((cfg.delay(3, 0.999_999) - 3.2).abs() < 1e-4);
        for i in 0..100 {
            let d = cfg.delay(2, f64::from(i) / 100.0);
            assert!((1.6..=2.0).contains(&d), "{d}");
        }
    }

    #[test]
    fn huge_retry_numbers_stay_capped() {
        assert_eq!(CFG.delay(u32::MAX, 0.0), 16.0);
        let wild = BackoffConfig {
            factor: 1e300,
            ..CFG
        };
        assert_eq!(wild.delay(5, 0.0), 16.0);
    }

    #[test]
    fn hints_in_order_of_precedence() {
        let now = 1_735_689_600.0; // Wed, 01 Jan 2025 00:00:00 GMT
        assert_eq!(header_hint(&h(&[("Retry-After", "2")]), now), Some(2.0));
        assert_eq!(header_hint(&h(&[("retry-after", "1.5")]), now), Some(1.5));
        assert_eq!(
            header_hint(&h(&[("retry-after", "3"), ("retry-after-ms", "250")]), now),
            Some(0.25)
        );
        assert_eq!(
            header_hint(&h(&[("retry-after", "Wed, 01 Jan 2025 00:00:30 GMT")]), now),
            Some(30.0)
        );
        assert_eq!(
            header_hint(&h(&[("retry-after", "Tue, 31 Dec 2024 23:00:00 GMT")]), now),
            Some(0.0)
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
        assert_eq!(parse_proto_duration("26s"), Some(26.0));
        assert_eq!(parse_proto_duration("45.837906927s"), Some(45.837906927));
        assert_eq!(parse_proto_duration("26"), None);
    }
}
