//! HTTP dates (RFC 9110 5.6.7) as `Retry-After` sends them, read as the `httpdate` crate reads
//! them (a proptest holds the two to the same answers): the IMF-fixdate, the obsolete RFC 850
//! and asctime forms, case as written, a real date from 1970 to 9999 whose weekday is right.
//! Hand-written on the calendar arithmetic the crate has anyway (`time::civil`): the crate's
//! parser and its `SystemTime` round trip cost the wasm about a kilobyte.

use crate::time::civil::{civil_from_days, days_from_civil};

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the Unix epoch of an HTTP date; `None` when `s` is not one.
pub(crate) fn parse_http_date(s: &str) -> Option<f64> {
    if !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    // (weekday 1..=7 from Monday, day, month 1..=12, year, where `hh:mm:ss` starts, the bytes)
    let (wday, day, mon, year, at, b) = match b.len() {
        // `Sun, 06 Nov 1994 08:49:37 GMT`
        29 => {
            let wday = name(&DAYS, b, 0, ", ")?;
            let mon = (lit(b, 7, " ") && lit(b, 16, " ") && lit(b, 25, " GMT"))
                .then(|| name(&MONTHS, b, 8, " "))??;
            (wday, num(b, 5, 2)?, mon, num(b, 12, 4)?, 17, b)
        }
        // `Sun Nov  6 08:49:37 1994`
        24 => {
            let wday = name(&DAYS, b, 0, " ")?;
            let mon = (lit(b, 10, " ") && lit(b, 19, " ")).then(|| name(&MONTHS, b, 4, " "))??;
            let day = if lit(b, 8, " ") {
                num(b, 9, 1)?
            } else {
                num(b, 8, 2)?
            };
            (wday, day, mon, num(b, 20, 4)?, 11, b)
        }
        // `Sunday, 06-Nov-94 08:49:37 GMT` (the byte after the year is not looked at)
        _ => {
            let wday = name(&LONG_DAYS, b, 0, ", ")?;
            let long = LONG_DAYS.get(wday as usize - 1)?.len() + 2;
            let r = b.get(long..).filter(|r| r.len() == 22)?;
            let mon = lit(r, 18, " GMT")
                .then(|| lit(r, 2, "-").then(|| name(&MONTHS, r, 3, "-")).flatten())??;
            let yy = num(r, 7, 2)?;
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
            (wday, num(r, 0, 2)?, mon, year, 10, r)
        }
    };
    let (h, m, sec) = (num(b, at, 2)?, num(b, at + 3, 2)?, num(b, at + 6, 2)?);
    if !(lit(b, at + 2, ":") && lit(b, at + 5, ":")) {
        return None;
    }
    let days = days_from_civil(year, mon, day);
    let valid = sec < 60
        && m < 60
        && h < 24
        && (1970..=9999).contains(&year)
        && civil_from_days(days) == (year, mon, day)
        // 1970-01-01 (day 0) was a Thursday (weekday 4).
        && (days + 3).rem_euclid(7) + 1 == wday;
    valid.then(|| (days * 86_400 + h * 3600 + m * 60 + sec) as f64)
}

/// Whether `text` stands at `at`.
fn lit(b: &[u8], at: usize, text: &str) -> bool {
    b.get(at..at + text.len()) == Some(text.as_bytes())
}

/// Which of `names` (numbered from 1) stands at `at`, followed by `then`.
fn name(names: &[&str], b: &[u8], at: usize, then: &str) -> Option<i64> {
    let i = names
        .iter()
        .position(|n| lit(b, at, n) && lit(b, at + n.len(), then))?;
    Some(i as i64 + 1)
}

/// `len` decimal digits at `at`.
fn num(b: &[u8], at: usize, len: usize) -> Option<i64> {
    let mut n = 0;
    for &c in b.get(at..at + len)? {
        let d = c.wrapping_sub(b'0');
        if d >= 10 {
            return None;
        }
        n = n * 10 + i64::from(d);
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::UNIX_EPOCH;

    fn reference(s: &str) -> Option<f64> {
        let t = httpdate::parse_http_date(s).ok()?;
        Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs_f64())
    }

    #[test]
    fn the_three_forms_and_their_refusals() {
        let t = Some(784_111_777.0);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), t);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), t);
        for bad in [
            "Mon, 06 Nov 1994 08:49:37 GMT", // a Sunday
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Thu, 01 Jan 1969 00:00:00 GMT",
            "Sun Nov  0 08:49:37 1994",
            "Sunday, 06-Nov-94 08:49:37 GMTX",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{e9}",
            "",
            "soon",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
            assert_eq!(reference(bad), None, "{bad}");
        }
    }

    /// Real dates printed in each form, with a field sometimes spoiled.
    fn dates() -> impl Strategy<Value = String> {
        (
            0i64..2_932_896,
            0i64..86_400,
            0usize..3,
            0usize..7,
            prop::option::of((0usize..33, any::<u8>())),
        )
            .prop_map(|(days, secs, form, wday_shift, spoil)| {
                let (y, m, d) = civil_from_days(days);
                let wday = ((days + 3).rem_euclid(7) as usize + wday_shift % 2) % 7;
                let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
                let mon = MONTHS[(m - 1) as usize];
                let mut text = match form {
                    0 => format!(
                        "{}, {d:02} {mon} {y:04} {h:02}:{mi:02}:{s:02} GMT",
                        DAYS[wday]
                    ),
                    1 => format!(
                        "{}, {d:02}-{mon}-{:02} {h:02}:{mi:02}:{s:02} GMT",
                        LONG_DAYS[wday],
                        y % 100
                    ),
                    _ => format!("{} {mon} {d:2} {h:02}:{mi:02}:{s:02} {y:04}", DAYS[wday]),
                }
                .into_bytes();
                if let Some((at, byte)) = spoil {
                    if let Some(c) = text.get_mut(at) {
                        *c = byte % 128;
                    }
                }
                String::from_utf8(text).unwrap()
            })
    }

    proptest! {
        // About a quarter of these are valid dates, of every form.
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn reads_as_httpdate_does(s in dates()) {
            prop_assert_eq!(parse_http_date(&s), reference(&s), "{:?}", s);
        }

        #[test]
        fn reads_any_text_as_httpdate_does(s in "[A-Za-z0-9 ,:\\-]{20,34}") {
            prop_assert_eq!(parse_http_date(&s), reference(&s), "{:?}", s);
        }
    }
}
