//! Substring search as one small loop over bytes. `str`'s own search (`contains`, `find`,
//! `replace`, `split_once` with a `&str`) brings in its two-way searcher, about 2 kB of the wasm,
//! for the few places that look for a phrase in an error message, a secret in a text or a
//! marker in XML: short needles, in texts the engine has already bounded.
//!
//! A one-character prefix is tested with a `&str` pattern
//! (`starts_with("{")`), which compiles to a compare in place: `starts_with('{')` is a
//! function of ~240 bytes of wasm (the `char`'s UTF-8 encoding first).

use std::borrow::Cow;

/// The byte offset of the first `needle` in `hay` (0 for an empty needle), as `str::find`.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    if n.is_empty() {
        return Some(0);
    }
    // A match of valid UTF-8 in valid UTF-8 starts and ends on char boundaries.
    hay.as_bytes().windows(n.len()).position(|w| w == n)
}

/// Whether `hay` holds `needle`, as `str::contains`.
pub fn contains(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

/// Whether `hay` holds `needle` with ASCII letters in any case (header names, quota ids),
/// without a lowercased copy of `hay`.
pub fn contains_ignore_ascii_case(hay: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    n.is_empty()
        || hay
            .as_bytes()
            .windows(n.len())
            .any(|w| w.eq_ignore_ascii_case(n))
}

/// `hay` around the first `sep`, as `str::split_once`.
pub fn split_once<'a>(hay: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let i = find(hay, sep)?;
    Some((hay.get(..i)?, hay.get(i + sep.len()..)?))
}

/// `hay` with every `from` (left to right, not overlapping) replaced by `to`, as `str::replace`
/// for a non-empty `from`.
pub fn replace(hay: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(hay.len());
    let mut rest = hay;
    while let (false, Some((before, after))) = (from.is_empty(), split_once(rest, from)) {
        out.push_str(before);
        out.push_str(to);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Whether `s` holds a control character (`char::is_control`): one loop for the checks of
/// header values, keys and ETags.
#[inline(never)]
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// `bytes` as text, each invalid sequence replaced by U+FFFD, as `String::from_utf8_lossy`
/// (the same replacements: `Utf8Error::error_len` is the invalid part std replaces), over
/// `str::from_utf8`, which the wasm has anyway: std's lossy decoder is ~1 kB of its own.
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    let mut rest = match std::str::from_utf8(bytes) {
        Ok(s) => return Cow::Borrowed(s),
        Err(_) => bytes,
    };
    let mut out = String::with_capacity(bytes.len() + 2);
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return Cow::Owned(out);
            }
            Err(e) => {
                let (good, bad) = rest.split_at_checked(e.valid_up_to()).unwrap_or_default();
                // Valid up to there: this second check never fails.
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                rest = bad
                    .get(e.error_len().unwrap_or(bad.len())..)
                    .unwrap_or_default();
            }
        }
    }
}

/// `n` in decimal, as `n.to_string()` without `core::fmt`.
pub fn decimal(n: u64) -> String {
    let mut s = String::new();
    crate::json::write_unsigned(n, &mut s);
    s
}

/// What follows the last `sep` (an ASCII byte) in `s`, or all of `s` without one, as
/// `s.rsplit(sep).next()`: std's reverse char splitter is about 600 bytes of wasm.
pub fn after_last(s: &str, sep: u8) -> &str {
    match s.bytes().rposition(|b| b == sep) {
        Some(i) => s.get(i + 1..).unwrap_or_default(),
        None => s,
    }
}

/// `parts` with `sep` between them, as `[&str]::join`: one small loop, where std's join is
/// about 900 bytes of wasm specialised by separator length (only error messages use it).
pub fn join(parts: &[&str], sep: &str) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(p);
    }
    out
}

/// Two hex digits of `b` from `digits` (lower- or uppercase), without `core::fmt`.
pub fn push_hex(out: &mut String, b: u8, digits: &[u8; 16]) {
    let digit = |n: u8| char::from(digits.get(usize::from(n & 15)).copied().unwrap_or(b'0'));
    out.push(digit(b >> 4));
    out.push(digit(b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn as_str_does(hay in "[ab€ ]{0,12}", needle in "[ab€ ]{1,3}") {
            prop_assert_eq!(find(&hay, &needle), hay.find(needle.as_str()));
            prop_assert_eq!(contains(&hay, &needle), hay.contains(needle.as_str()));
            prop_assert_eq!(split_once(&hay, &needle), hay.split_once(needle.as_str()));
            prop_assert_eq!(replace(&hay, &needle, "[x]"), hay.replace(needle.as_str(), "[x]"));
            prop_assert_eq!(after_last(&hay, b' '), hay.rsplit(' ').next().unwrap_or(&hay));
        }

        #[test]
        fn decimal_as_to_string(n in any::<u64>()) {
            prop_assert_eq!(decimal(n), n.to_string());
        }

        #[test]
        fn lossy_as_std_does(bytes in proptest::collection::vec(any::<u8>(), 0..24), valid in "[a€😀]{0,4}") {
            prop_assert_eq!(lossy(&bytes), String::from_utf8_lossy(&bytes));
            let mut mixed = valid.clone().into_bytes();
            mixed.extend_from_slice(&bytes);
            mixed.extend_from_slice(valid.as_bytes());
            prop_assert_eq!(lossy(&mixed), String::from_utf8_lossy(&mixed));
        }

        #[test]
        fn in_any_case_as_lowercased_copies_do(hay in "[aAbB€ ]{0,12}", needle in "[aAbB€ ]{1,3}") {
            let lower = hay.to_ascii_lowercase().contains(&needle.to_ascii_lowercase());
            prop_assert_eq!(contains_ignore_ascii_case(&hay, &needle), lower);
        }

        #[test]
        fn has_control_as_chars_do(s in "[a\t\n\u{7f}\u{85}€ ]{0,6}") {
            prop_assert_eq!(has_control(&s), s.chars().any(char::is_control));
        }

        #[test]
        fn join_as_std_does(parts in proptest::collection::vec("[ab€]{0,3}", 0..5), sep in "[, /]{0,2}") {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            prop_assert_eq!(join(&parts, &sep), parts.join(sep.as_str()));
        }
    }

    #[test]
    fn edges() {
        assert_eq!(find("abc", ""), Some(0));
        assert_eq!(find("", "a"), None);
        assert_eq!(replace("aaaa", "aa", "b"), "bb");
        assert_eq!(replace("abc", "", "x"), "abc");
        assert_eq!(split_once("http://h/p", "://"), Some(("http", "h/p")));
    }
}
