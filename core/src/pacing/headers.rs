//! Rate-limit headers of every provider, read into one shape: for requests and for tokens, what
//! remains, the limit and the time until the budget is back. Nothing here can panic: text that
//! does not read is no information, never an error.

use crate::backoff::parse_number;
use crate::host::header;
use crate::text::contains_ignore_ascii_case;
use crate::time::civil::days_from_civil;
use crate::time::Secs;

/// One budget the server reported (requests, or tokens).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Reported {
    pub remaining: u64,
    pub limit: Option<u64>,
    /// From the reply until the budget is back; `None` when the reply did not say.
    pub reset: Option<Secs>,
}

/// What a reply's headers say about the rate limits.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    pub requests: Option<Reported>,
    pub tokens: Option<Reported>,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        self.requests.is_none() && self.tokens.is_none()
    }
}

/// Reads every family of rate-limit headers a reply may carry (`unix_now`: seconds since the
/// Unix epoch, for Anthropic's RFC 3339 resets). Where several speak of one budget, the
/// tightest (least remaining) wins.
pub fn parse_limits(headers: &[(String, String)], unix_now: f64) -> Limits {
    let mut out = Limits::default();
    // Every field read below names "ratelimit": most replies carry none, and one pass over the
    // names spares them a dozen lookups and their formatted names.
    if !headers
        .iter()
        .any(|(k, _)| contains_ignore_ascii_case(k, "ratelimit"))
    {
        return out;
    }
    // OpenAI, Groq and the OpenAI-compatible servers.
    for (dim, name) in [(&mut out.requests, "requests"), (&mut out.tokens, "tokens")] {
        let get = |part: &str| header(headers, &format!("x-ratelimit-{part}-{name}"));
        if let Some(remaining) = get("remaining").and_then(count) {
            tighten(
                dim,
                Reported {
                    remaining,
                    limit: get("limit").and_then(count),
                    reset: get("reset").and_then(parse_duration),
                },
            );
        }
    }
    // Anthropic: input and output tokens are budgets of their own; the tightest stands for all.
    let anthropic = [
        ("requests", true),
        ("tokens", false),
        ("input-tokens", false),
        ("output-tokens", false),
    ];
    for (name, requests) in anthropic {
        let get = |part: &str| header(headers, &format!("anthropic-ratelimit-{name}-{part}"));
        if let Some(remaining) = get("remaining").and_then(count) {
            let reset = get("reset")
                .and_then(parse_rfc3339)
                .map(|at| Secs::new(at - unix_now));
            let r = Reported {
                remaining,
                limit: get("limit").and_then(count),
                reset,
            };
            tighten(
                if requests {
                    &mut out.requests
                } else {
                    &mut out.tokens
                },
                r,
            );
        }
    }
    // IETF: its quota units are requests unless the policy's name speaks of tokens.
    ietf(headers, &mut out);
    out
}

fn tighten(slot: &mut Option<Reported>, r: Reported) {
    if slot.is_none_or(|s| r.remaining < s.remaining) {
        *slot = Some(r);
    }
}

/// The IETF fields: the structured form (`RateLimit: "default";r=0;t=30` with
/// `RateLimit-Policy: "default";q=100;w=60`), the draft-07 form (`RateLimit: limit=100,
/// remaining=0, reset=30`) and the older separate `RateLimit-Limit` / `-Remaining` / `-Reset`.
fn ietf(headers: &[(String, String)], out: &mut Limits) {
    if let Some(rem) = header(headers, "ratelimit-remaining").and_then(count) {
        let limit = header(headers, "ratelimit-limit").and_then(|v| count(first_item(v)));
        let reset = header(headers, "ratelimit-reset")
            .and_then(parse_number)
            .map(Secs::new);
        let r = Reported {
            remaining: rem,
            limit,
            reset,
        };
        return tighten(&mut out.requests, r);
    }
    let Some(field) = header(headers, "ratelimit") else {
        return;
    };
    let policy = header(headers, "ratelimit-policy").unwrap_or("");
    for item in field.split(',') {
        let name = item.split(';').next().unwrap_or("").trim();
        let (r, t) = (param(item, "r"), param(item, "t"));
        // draft-07: one dictionary spread over the list's items.
        let (r, t) = match r {
            Some(r) => (Some(r), t),
            None => (param(field, "remaining"), param(field, "reset")),
        };
        let Some(remaining) = r.and_then(count) else {
            continue;
        };
        let limit = policy
            .split(',')
            .find(|p| p.split(';').next().unwrap_or("").trim() == name)
            .and_then(|p| param(p, "q"))
            .or_else(|| param(field, "limit"))
            .and_then(count);
        let reset = t.and_then(parse_number).map(Secs::new);
        let slot = if contains_ignore_ascii_case(name, "token") {
            &mut out.tokens
        } else {
            &mut out.requests
        };
        tighten(
            slot,
            Reported {
                remaining,
                limit,
                reset,
            },
        );
    }
}

fn first_item(v: &str) -> &str {
    v.get(..separator(v)).unwrap_or("")
}

/// Where the first `;` or `,` is (the length when there is none). A byte search: splitting
/// on a `[char; 2]` pattern compiled a searcher of its own for these two readers.
fn separator(v: &str) -> usize {
    v.bytes()
        .position(|b| b == b';' || b == b',')
        .unwrap_or(v.len())
}

/// `key=value` among `;`- or `,`-separated parameters.
fn param<'a>(item: &'a str, key: &str) -> Option<&'a str> {
    let mut rest = item;
    loop {
        let end = separator(rest);
        if let Some((k, v)) = rest.get(..end).and_then(|p| p.split_once('=')) {
            if k.trim() == key {
                return Some(v.trim());
            }
        }
        rest = rest.get(end + 1..)?;
    }
}

/// A whole count; fractions (`59.0`) read, down to the integer.
fn count(v: &str) -> Option<u64> {
    let v = v.trim();
    if let Ok(n) = v.parse::<u64>() {
        return Some(n);
    }
    parse_number(v).map(|x| x.min(u64::MAX as f64) as u64)
}

/// A Go duration as OpenAI and Groq send it: `6m0s`, `1m30.5s`, `17ms`, `2s`, `1h2m`, `0.5s`.
/// A bare number is seconds.
pub fn parse_duration(v: &str) -> Option<Secs> {
    let v = v.trim();
    if let Some(x) = parse_number(v) {
        return Some(Secs::new(x));
    }
    let mut rest = v;
    let mut total = 0.0;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(end);
        let x = parse_number(num)?;
        let unit_end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        let scale = match unit {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += x * scale;
        rest = tail;
    }
    (!v.is_empty()).then(|| Secs::new(total))
}

/// An RFC 3339 time (`2026-12-05T03:01:44Z`, `...44.5+01:00`) as seconds since the Unix epoch.
pub fn parse_rfc3339(v: &str) -> Option<f64> {
    let b = v.trim().as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let sep = |at: usize, ok: &[u8]| b.get(at).is_some_and(|c| ok.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, s) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut at = 19;
    let mut frac = 0.0;
    if sep(at, b".") {
        let start = at + 1;
        let digits = b
            .get(start..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let text = v.trim().get(at..start + digits)?;
        // `.25` reads as `0.25` does (a digit after the point is enough).
        frac = parse_number(text)?;
        at = start + digits;
    }
    let offset = match b.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == at + 6 && sep(at + 3, b":") => {
            let m = num(at + 1, 2)? * 60 + num(at + 4, 2)?;
            if *sign == b'+' {
                m
            } else {
                -m
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset * 60;
    Some(secs as f64 + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::host::headers_of as h;

    #[test]
    fn names_in_any_case_pass_the_first_look() {
        let plain = h(&[("content-type", "application/json"), ("x-request-id", "r")]);
        assert!(parse_limits(&plain, 0.0).is_empty());
        let mixed = h(&[
            ("Content-Type", "application/json"),
            ("X-RateLimit-Remaining-Requests", "7"),
            ("X-RATELIMIT-LIMIT-REQUESTS", "10"),
        ]);
        let r = parse_limits(&mixed, 0.0).requests.unwrap();
        assert_eq!((r.remaining, r.limit), (7, Some(10)));
        let ietf = h(&[("RateLimit", "limit=100, remaining=3, reset=30")]);
        assert_eq!(parse_limits(&ietf, 0.0).requests.unwrap().remaining, 3);
    }

    #[test]
    fn go_durations() {
        let cases = [
            ("6m0s", 360.0),
            ("1m30.5s", 90.5),
            ("17ms", 0.017),
            ("2s", 2.0),
            ("1h2m", 3720.0),
            ("0.5s", 0.5),
            ("7.66s", 7.66),
            ("12", 12.0),
            ("1h0m0.001s", 3600.001),
        ];
        for (text, secs) in cases {
            let got = parse_duration(text).unwrap().as_f64();
            assert!((got - secs).abs() < 1e-9, "{text}: {got}");
        }
        for bad in ["", "s", "5x", "-1s", "1m-2s", "ms", "1..2s", "1 m"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_rfc3339("2026-12-05T03:01:44Z"), Some(1_796_439_704.0));
        assert_eq!(
            parse_rfc3339("2026-12-05T04:01:44+01:00"),
            Some(1_796_439_704.0)
        );
        assert_eq!(
            parse_rfc3339("2026-12-05T03:01:44.25Z"),
            Some(1_796_439_704.25)
        );
        assert_eq!(parse_rfc3339("2000-03-01T00:00:00z"), Some(951_868_800.0));
        for bad in [
            "",
            "2026-12-05",
            "2026-13-05T00:00:00Z",
            "2026-12-05T03:01:44",
            "x026-12-05T03:01:44Z",
            "2026-12-05T03:01:44+0100",
            "2026-12-05T03:01:44.Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn openai_headers() {
        let l = parse_limits(
            &h(&[
                ("x-ratelimit-limit-requests", "60"),
                ("x-ratelimit-remaining-requests", "59"),
                ("x-ratelimit-reset-requests", "1s"),
                ("x-ratelimit-limit-tokens", "150000"),
                ("x-ratelimit-remaining-tokens", "149984"),
                ("x-ratelimit-reset-tokens", "6m0s"),
            ]),
            0.0,
        );
        let r = l.requests.unwrap();
        assert_eq!(
            (r.remaining, r.limit, r.reset),
            (59, Some(60), Some(Secs::new(1.0)))
        );
        let t = l.tokens.unwrap();
        assert_eq!((t.remaining, t.reset), (149_984, Some(Secs::new(360.0))));
    }

    #[test]
    fn anthropic_headers_take_the_tightest_token_budget() {
        let now = 1_796_439_700.0;
        let l = parse_limits(
            &h(&[
                ("anthropic-ratelimit-requests-limit", "50"),
                ("anthropic-ratelimit-requests-remaining", "0"),
                ("anthropic-ratelimit-requests-reset", "2026-12-05T03:01:44Z"),
                ("anthropic-ratelimit-input-tokens-remaining", "900"),
                (
                    "anthropic-ratelimit-input-tokens-reset",
                    "2026-12-05T03:01:50Z",
                ),
                ("anthropic-ratelimit-output-tokens-remaining", "100"),
                (
                    "anthropic-ratelimit-output-tokens-reset",
                    "2026-12-05T03:01:41Z",
                ),
            ]),
            now,
        );
        let r = l.requests.unwrap();
        assert_eq!(
            (r.remaining, r.limit, r.reset),
            (0, Some(50), Some(Secs::new(4.0)))
        );
        let t = l.tokens.unwrap();
        assert_eq!((t.remaining, t.reset), (100, Some(Secs::new(1.0))));
    }

    #[test]
    fn ietf_fields() {
        let l = parse_limits(
            &h(&[
                ("RateLimit", "\"default\";r=0;t=30"),
                ("RateLimit-Policy", "\"default\";q=100;w=60"),
            ]),
            0.0,
        );
        let r = l.requests.unwrap();
        assert_eq!(
            (r.remaining, r.limit, r.reset),
            (0, Some(100), Some(Secs::new(30.0)))
        );
        let two = parse_limits(
            &h(&[("ratelimit", "\"hour\";r=500;t=3000, \"burst\";r=3;t=2")]),
            0.0,
        );
        assert_eq!(two.requests.unwrap().remaining, 3);
        let tokens = parse_limits(
            &h(&[
                ("ratelimit", "\"requests\";r=5;t=2, \"tokens\";r=70;t=2"),
                (
                    "ratelimit-policy",
                    "\"requests\";q=60;w=2, \"tokens\";q=6000;w=2",
                ),
            ]),
            0.0,
        );
        assert_eq!(tokens.requests.unwrap().remaining, 5);
        let t = tokens.tokens.unwrap();
        assert_eq!((t.remaining, t.limit), (70, Some(6000)));
        let draft7 = parse_limits(&h(&[("RateLimit", "limit=10, remaining=4, reset=7")]), 0.0);
        let r = draft7.requests.unwrap();
        assert_eq!(
            (r.remaining, r.limit, r.reset),
            (4, Some(10), Some(Secs::new(7.0)))
        );
        let old = parse_limits(
            &h(&[
                ("RateLimit-Limit", "100, 100;w=60"),
                ("RateLimit-Remaining", "9"),
                ("RateLimit-Reset", "5"),
            ]),
            0.0,
        );
        let r = old.requests.unwrap();
        assert_eq!(
            (r.remaining, r.limit, r.reset),
            (9, Some(100), Some(Secs::new(5.0)))
        );
    }

    #[test]
    fn garbage_is_no_information() {
        let l = parse_limits(
            &h(&[
                ("x-ratelimit-remaining-requests", "many"),
                ("anthropic-ratelimit-requests-remaining", "-1"),
                ("ratelimit", ";;;==,,r=;t=x"),
            ]),
            0.0,
        );
        assert!(l.is_empty());
    }

    proptest::proptest! {
        /// The byte search reads parameters as splitting on `[';', ',']` did.
        #[test]
        fn params_split_as_before(s in "[a-zé =;,]{0,24}", key in "[a-z]{0,2}") {
            let split = s.split([';', ',']).find_map(|p| {
                let (k, v) = p.split_once('=')?;
                (k.trim() == key).then(|| v.trim())
            });
            proptest::prop_assert_eq!(param(&s, &key), split);
            proptest::prop_assert_eq!(first_item(&s), s.split([',', ';']).next().unwrap_or(""));
        }

        /// A fraction's digits read without the `0` before the point as with it.
        #[test]
        fn fractions_read_without_their_zero(d in "[0-9]{1,30}") {
            proptest::prop_assert_eq!(
                parse_number(&format!(".{d}")).map(f64::to_bits),
                parse_number(&format!("0.{d}")).map(f64::to_bits)
            );
        }

        #[test]
        fn parsers_never_panic(s in ".{0,40}", name in "[a-zA-Z-]{0,40}") {
            let _ = parse_duration(&s);
            let _ = parse_rfc3339(&s);
            let _ = parse_limits(&[(name, s.clone()), ("ratelimit".into(), s.clone()), ("ratelimit-policy".into(), s)], 1e9);
        }
    }
}
