//! A retry hint's number: decimal text to the nearest `f64`, bit for bit what
//! `str::parse::<f64>` gives, without the standard parser. Its table of 128-bit powers of five
//! (11 kB that gzip cannot shrink) and its code were a twentieth of the wasm; retry hints are
//! a few bytes, so an estimate corrected by exact big-integer comparisons is fast enough.

use std::cmp::Ordering;

/// `s` as `str::parse::<f64>` reads it, when that is finite and not negative (`-0`, and a
/// negative number that rounds to zero, are `-0.0` as there); otherwise `None`.
pub fn parse_non_negative(s: &str) -> Option<f64> {
    // `inf`, `infinity` and `nan` parse, but are never finite: refused like anything else.
    let x = parse_finite(s)?;
    // `-0.0 < 0.0` is false: a negative zero passes, as it does in `str::parse`.
    (x >= 0.0).then_some(x)
}

/// `s` as `str::parse::<f64>` reads it when that is finite, of either sign (the JSON reader's
/// numbers, and the float printer's check that its digits read back); otherwise `None`.
pub fn parse_finite(s: &str) -> Option<f64> {
    let (negative, rest) = match s.as_bytes().split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s.as_bytes()),
    };
    let (digits, exp) = scan(rest)?;
    let x = nearest(&digits, exp)?;
    Some(if negative { -x } else { x })
}

/// `[+-]` already taken: `digits [. digits] [(e|E) [+-] digits]` with a digit before or after
/// the point. The value is `D x 10^exp`, `D` the significant digits (no leading or trailing
/// zeros; none for zero).
fn scan(s: &[u8]) -> Option<(Vec<u8>, i64)> {
    let mut digits = Vec::new();
    let mut exp: i64 = 0;
    let mut any = false;
    let mut rest = s;
    let take = |c: u8, digits: &mut Vec<u8>| {
        if !(digits.is_empty() && c == b'0') {
            digits.push(c - b'0');
        }
    };
    while let Some((&c, r)) = rest.split_first() {
        if !c.is_ascii_digit() {
            break;
        }
        any = true;
        take(c, &mut digits);
        rest = r;
    }
    if let Some((b'.', r)) = rest.split_first() {
        rest = r;
        while let Some((&c, r)) = rest.split_first() {
            if !c.is_ascii_digit() {
                break;
            }
            any = true;
            take(c, &mut digits);
            exp -= 1;
            rest = r;
        }
    }
    if !any {
        return None;
    }
    if let Some((b'e' | b'E', r)) = rest.split_first() {
        rest = r;
        let minus = match rest.split_first() {
            Some((b'-', r)) => {
                rest = r;
                true
            }
            Some((b'+', r)) => {
                rest = r;
                false
            }
            _ => false,
        };
        let mut e: i64 = 0;
        let mut seen = false;
        while let Some((&c, r)) = rest.split_first() {
            if !c.is_ascii_digit() {
                break;
            }
            seen = true;
            // Far past any finite or non-zero value: the magnitude alone decides.
            e = (e * 10 + i64::from(c - b'0')).min(1 << 40);
            rest = r;
        }
        if !seen {
            return None;
        }
        exp += if minus { -e } else { e };
    }
    if !rest.is_empty() {
        return None;
    }
    while digits.last() == Some(&0) {
        digits.pop();
        exp += 1;
    }
    Some((digits, exp))
}

/// The `f64` nearest `D x 10^exp` (ties to even), `None` when that is infinite.
fn nearest(digits: &[u8], exp: i64) -> Option<f64> {
    if digits.is_empty() {
        return Some(0.0);
    }
    // Exact fast path (Clinger): up to 15 digits and 10^22 are exact in an f64, so one
    // multiplication or division rounds once, to the nearest.
    if digits.len() <= 15 && (-22..=22).contains(&exp) {
        let w = digits.iter().fold(0u64, |w, &d| w * 10 + u64::from(d)) as f64;
        let p = 10f64.powi(exp.unsigned_abs() as i32);
        return Some(if exp < 0 { w / p } else { w * p });
    }
    let n = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    // 10^(n-1+exp) <= value < 10^(n+exp).
    let magnitude = n.saturating_add(exp);
    if magnitude >= 310 {
        return None; // >= 1e309, past f64::MAX and its rounding margin
    }
    if magnitude <= -325 {
        return Some(0.0); // < 1e-325, under half the least subnormal
    }
    let value = Big::from_digits(digits);
    let mut x = estimate(digits, exp);
    // Up while the value is past the midpoint above x...
    loop {
        let up = f64::from_bits(x.to_bits() + 1);
        match compare(&value, exp, midpoint(x, up)) {
            Ordering::Greater => x = up,
            // Exactly between x and up: the even one.
            Ordering::Equal => return Some(even(x, up)).filter(|x| x.is_finite()),
            Ordering::Less => break,
        }
        if x.is_infinite() {
            return None;
        }
    }
    // ...then down while it is below the midpoint under x.
    while x > 0.0 {
        let down = f64::from_bits(x.to_bits() - 1);
        match compare(&value, exp, midpoint(down, x)) {
            Ordering::Less => x = down,
            Ordering::Equal => return Some(even(down, x)),
            Ordering::Greater => break,
        }
    }
    Some(x)
}

/// Of two neighbours, the one with an even significand (infinity past f64::MAX).
fn even(a: f64, b: f64) -> f64 {
    if a.to_bits() & 1 == 0 {
        a
    } else {
        b
    }
}

/// A start a few units in the last place from the answer: up to 19 leading digits scaled by
/// a power of ten in two steps (no overflow or underflow on the way), within `[0, MAX]`.
fn estimate(digits: &[u8], exp: i64) -> f64 {
    let lead = digits.len().min(19);
    let w = digits
        .iter()
        .take(lead)
        .fold(0u64, |w, &d| w * 10 + u64::from(d));
    let rest = i64::try_from(digits.len() - lead).unwrap_or(0);
    let e = i32::try_from(exp + rest).unwrap_or(0);
    let x = w as f64 * 10f64.powi(e / 2) * 10f64.powi(e - e / 2);
    if x.is_finite() {
        x
    } else {
        f64::MAX
    }
}

/// `x` (finite, >= 0) as `m x 2^k`; infinity as `2^1024`.
pub(crate) fn parts(x: f64) -> (u64, i32) {
    if x.is_infinite() {
        return (1 << 53, 971);
    }
    let bits = x.to_bits();
    let frac = bits & ((1 << 52) - 1);
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), biased - 1075)
    }
}

/// The exact midpoint of two neighbouring doubles, as `s x 2^q`.
fn midpoint(a: f64, b: f64) -> (u128, i32) {
    let ((ma, ka), (mb, kb)) = (parts(a), parts(b));
    let k = ka.min(kb);
    let s = (u128::from(ma) << (ka - k)) + (u128::from(mb) << (kb - k));
    (s, k - 1)
}

/// `d x 10^exp` against `s x 2^q`, exactly (the float printer's midpoint check).
pub(crate) fn compare_whole(d: u128, exp: i64, s: (u128, i32)) -> Ordering {
    compare(&Big::from_u128(d), exp, s)
}

/// `D x 10^exp` against `s x 2^q`.
fn compare(d: &Big, exp: i64, (s, q): (u128, i32)) -> Ordering {
    let mut left = d.clone();
    let mut right = Big::from_u128(s);
    let e = u32::try_from(exp.unsigned_abs()).unwrap_or(u32::MAX);
    if exp >= 0 {
        left.mul_pow10(e);
    } else {
        right.mul_pow10(e);
    }
    if q >= 0 {
        right.shl(q.unsigned_abs());
    } else {
        left.shl(q.unsigned_abs());
    }
    left.cmp(&right)
}

/// An unsigned big integer, 32-bit limbs, least significant first.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v > 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big(limbs)
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut b = Big(Vec::new());
        for chunk in digits.chunks(9) {
            let (mut scale, mut add) = (1u32, 0u32);
            for &d in chunk {
                scale *= 10;
                add = add * 10 + u32::from(d);
            }
            b.mul_add(scale, add);
        }
        b
    }

    fn mul_add(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_add(1_000_000_000, 0);
            n -= 9;
        }
        self.mul_add(10u32.pow(n), 0);
    }

    fn shl(&mut self, bits: u32) {
        let (words, bits) = ((bits / 32) as usize, bits % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let v = (*limb << bits) | carry;
                carry = *limb >> (32 - bits);
                *limb = v;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        // `words` zero limbs below (a zeroed vector and a copy: `splice` compiled a repeat
        // iterator's fill and extend of their own).
        if words > 0 {
            let mut shifted = vec![0; words];
            shifted.extend_from_slice(&self.0);
            self.0 = shifted;
        }
    }

    fn trimmed(&self) -> &[u32] {
        let len = self.0.iter().rposition(|&l| l != 0).map_or(0, |i| i + 1);
        self.0.get(..len).unwrap_or(&[])
    }

    fn cmp(&self, other: &Big) -> Ordering {
        let (a, b) = (self.trimmed(), other.trimmed());
        // Equal lengths: the first limb that differs, from the top, decides (a plain loop:
        // `Iterator::cmp` over reversed limbs compiled a generic comparison of its own).
        a.len().cmp(&b.len()).then_with(|| {
            for (x, y) in a.iter().rev().zip(b.iter().rev()) {
                if x != y {
                    return x.cmp(y);
                }
            }
            Ordering::Equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(s: &str) -> Option<f64> {
        s.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0)
    }

    fn same(s: &str) {
        let (got, want) = (parse_non_negative(s), reference(s));
        assert_eq!(
            got.map(f64::to_bits),
            want.map(f64::to_bits),
            "{s:?}: {got:?} vs {want:?}"
        );
        // either sign, the JSON reader's form
        let (got, want) = (
            parse_finite(s),
            s.parse::<f64>().ok().filter(|x| x.is_finite()),
        );
        assert_eq!(
            got.map(f64::to_bits),
            want.map(f64::to_bits),
            "{s:?}: {got:?} vs {want:?}"
        );
    }

    #[test]
    fn reads_as_the_standard_parser() {
        for s in [
            "0",
            "-0",
            "+0",
            "00",
            "0.",
            ".0",
            "-.0",
            "+.5",
            "1.",
            "1.e5",
            ".",
            "",
            "+",
            "-",
            "e5",
            "1e",
            "1e+",
            "1e-",
            "1e+5",
            "1E5",
            "1e-5",
            "inf",
            "Infinity",
            "NaN",
            "-inf",
            "1_0",
            " 1",
            "1 ",
            "--1",
            "+-1",
            "1.2.3",
            "0x10",
            "5",
            "-5",
            "26",
            "45.837906927",
            "1.5",
            "0.1",
            "0.3",
            "120",
            "86400",
            "1e23",
            "9007199254740993",
            "9007199254740992.5",
            "1e400",
            "1e-400",
            "-1e-400",
            "-1e-300",
            "0e999999999999",
            "1e99999999999999999999",
            "0.000000000000000000000000000000000000000000001e45",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.47032822920623272e-324",
            "4.9406564584124654e-324",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "179769313486231580793728971405301e276",
            "8.98846567431158e307",
            "123456789012345678901234567890",
            "0.000000000000000000000000000000000001",
            "2.225073858507201136057409796709131975934819546351645648e-308",
        ] {
            same(s);
        }
    }

    proptest! {
        #[test]
        fn any_decimal_reads_as_the_standard_parser(
            sign in "[+-]?", int in "[0-9]{0,25}", frac in "(\\.[0-9]{0,25})?",
            exp in "([eE][+-]?[0-9]{1,3})?",
        ) {
            same(&format!("{sign}{int}{frac}{exp}"));
        }

        #[test]
        fn any_double_reads_back(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            same(&format!("{x:e}"));
            same(&format!("{x}"));
            same(&format!("{x:.3e}"));
        }
    }
}
