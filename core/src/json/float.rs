//! Shortest round-trip `f64` text in serde_json's layout, without `core::fmt`'s
//! float printing: for each digit count from 1 up, the nearest decimals of that length are
//! tried and the first that reads back to the same `f64` is written. Reading back uses the
//! crate's exact parser (`backoff::decimal`, bit for bit `str::parse`), so every output
//! round-trips; `json::tests` checks the
//! text against ryu's over random bit patterns.

use super::write::unsigned;

const P10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `a * 10^k`, within a few ulps.
fn scale(mut a: f64, mut k: i32) -> f64 {
    while k > 22 {
        a *= 1e22;
        k -= 22;
    }
    while k < -22 {
        a /= 1e22;
        k += 22;
    }
    let p = P10.get(k.unsigned_abs() as usize).copied().unwrap_or(1.0);
    if k >= 0 {
        a * p
    } else {
        a / p
    }
}

fn pow10(p: u32) -> u64 {
    10u64.saturating_pow(p)
}

/// `d * 10^e` read back as an `f64`.
fn read_back(d: u64, e: i32) -> Option<f64> {
    let mut s = String::new();
    unsigned(d, &mut s);
    s.push('e');
    if e < 0 {
        s.push('-');
    }
    unsigned(u64::from(e.unsigned_abs()), &mut s);
    crate::backoff::decimal::parse_finite(&s)
}

/// How `a` compares with the midpoint `(c + 1/2) * 10^e`, exactly: `2m * 2^q` against
/// `(2c + 1) * 10^e`, by the exact parser's big-integer comparison (one copy of it in the wasm).
fn vs_midpoint(a: f64, c: u64, e: i32) -> std::cmp::Ordering {
    use crate::backoff::decimal::{compare_whole, parts};
    let (m, q) = parts(a);
    let mid = u128::from(c.saturating_mul(2).saturating_add(1));
    compare_whole(mid, i64::from(e), (u128::from(m) * 2, q)).reverse()
}

/// The shortest digits `d` and exponent `e` with `d * 10^e == a` once read, the nearest to
/// `a` among those (`a` > 0, finite).
fn shortest(a: f64) -> (u64, i32) {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let bits = a.to_bits();
    let e2 = match ((bits >> 52) & 0x7ff) as i32 {
        // subnormal: the top set bit of the fraction
        0 => -1074 + 63 - bits.leading_zeros() as i32,
        x => x - 1023,
    };
    // floor(log10(2^e2)): the leading digit's exponent, or one off.
    let mut lead = (e2 * 78913) >> 18;
    let mut best = (0, 0);
    for p in 1..=17u32 {
        let mut d = 0;
        for _ in 0..4 {
            d = (scale(a, p as i32 - 1 - lead) + 0.5) as u64;
            if d >= pow10(p) {
                lead += 1;
            } else if d < pow10(p - 1) {
                lead -= 1;
            } else {
                break;
            }
        }
        let e = lead - (p as i32 - 1);
        best = (d, e);
        let fits = |c: u64| c > 0 && c < pow10(p) && read_back(c, e) == Some(a);
        // One rounding in `scale` leaves the estimate within a unit up to 15 digits; beyond
        // that (or after several roundings) f64 cannot hold the units: the estimate is first
        // made the exact nearest by big-integer comparisons, then its neighbours are tried.
        if p > 15 || e.abs() > 22 {
            while vs_midpoint(a, d, e) == Greater {
                d += 1;
            }
            while d > 1 && vs_midpoint(a, d - 1, e) == Less {
                d -= 1;
            }
        }
        let found = [d, d.wrapping_sub(1), d.wrapping_add(1)]
            .into_iter()
            .find(|&c| fits(c));
        if let Some(mut c) = found {
            // the scaled estimate can be a digit off: step to the nearest that reads back
            // (ties go to the even digit, as ryu's do)
            loop {
                let odd = c % 2 == 1;
                let up = match vs_midpoint(a, c, e) {
                    Greater => true,
                    Equal => odd,
                    Less => false,
                };
                let down = c > 1
                    && match vs_midpoint(a, c - 1, e) {
                        Less => true,
                        Equal => odd,
                        Greater => false,
                    };
                if up && fits(c + 1) {
                    c += 1;
                } else if down && fits(c - 1) {
                    c -= 1;
                } else {
                    return (c, e);
                }
            }
        }
    }
    best
}

/// The shortest digits of `a` (> 0) without trailing zeros, and the power of ten after them.
fn digits_of(a: f64) -> (String, i32) {
    let (mut d, mut k) = shortest(a);
    while d % 10 == 0 && d > 0 {
        d /= 10;
        k += 1;
    }
    let mut digits = String::new();
    unsigned(d, &mut digits);
    (digits, k)
}

/// Appends `f` in ryu's layout (`1.0`, `0.001`, `1e-7`, `1.5e+300`); `null` when not finite.
pub fn write(f: f64, out: &mut String) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    let a = f.abs();
    if a == 0.0 {
        out.push_str("0.0");
        return;
    }
    let (digits, k) = digits_of(a);
    let n = digits.len() as i32;
    let kk = n + k;
    let zeros = |out: &mut String, count: i32| {
        for _ in 0..count {
            out.push('0');
        }
    };
    let exponent = |out: &mut String, e: i32| {
        out.push_str(if e < 0 { "e-" } else { "e+" });
        unsigned(u64::from(e.unsigned_abs()), out);
    };
    let (head, tail) = digits.split_at(usize::try_from(kk.clamp(0, n)).unwrap_or(0));
    if 0 <= k && kk <= 16 {
        out.push_str(&digits);
        zeros(out, k);
        out.push_str(".0");
    } else if 0 < kk && kk <= 16 {
        out.push_str(head);
        out.push('.');
        out.push_str(tail);
    } else if -5 < kk && kk <= 0 {
        out.push_str("0.");
        zeros(out, -kk);
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        exponent(out, kk - 1);
    }
}

/// Plain decimal notation of the shortest digits, as Rust's `Display` for `f64` (for finite
/// values >= 0; others print as 0).
pub fn plain(f: f64, out: &mut String) {
    if !(f.is_finite() && f > 0.0) {
        out.push('0');
        return;
    }
    let (digits, k) = digits_of(f);
    let n = digits.len() as i32;
    let kk = n + k;
    if k >= 0 {
        out.push_str(&digits);
        (0..k).for_each(|_| out.push('0'));
    } else if kk > 0 {
        let (head, tail) = digits.split_at(usize::try_from(kk).unwrap_or(0).min(digits.len()));
        out.push_str(head);
        out.push('.');
        out.push_str(tail);
    } else {
        out.push_str("0.");
        (0..-kk).for_each(|_| out.push('0'));
        out.push_str(&digits);
    }
}

/// `f` (finite, >= 0, below 1e12 as [`crate::time::Secs`] keeps it) with `places` decimals
/// (`places` up to 9; the product is rounded once, so a digit far past what a message shows
/// can differ from `core::fmt`'s exact rounding).
pub fn fixed(f: f64, places: usize, out: &mut String) {
    let places = places.min(9);
    let scale = pow10(places as u32);
    let f = if f.is_finite() && f > 0.0 { f } else { 0.0 };
    let t = f * scale as f64;
    let mut n = t as u64;
    let rest = t - n as f64;
    // halves go to the even digit, as `core::fmt` rounds an exact tie
    if rest > 0.5 || (rest == 0.5 && n % 2 == 1) {
        n += 1;
    }
    unsigned(n / scale, out);
    if places > 0 {
        out.push('.');
        let mut frac = String::new();
        unsigned(n % scale, &mut frac);
        (frac.len()..places).for_each(|_| out.push('0'));
        out.push_str(&frac);
    }
}
