//! Time as typed values (DESIGN rule 10): [`Secs`], a duration, and [`Instant`], a point on the
//! engine's monotonic clock. Their constructors clean the number once (NaN and negatives to 0,
//! anything past the maximum to the maximum), so no code downstream guards against NaN,
//! negative or infinite times.

pub(crate) mod civil;

use std::fmt;
use std::ops::{Add, Sub};

/// The largest time either type holds, in seconds: 1e12 s, about 31 700 years. Far past any
/// real wait, and small enough that sums of many durations stay finite.
const LIMIT: f64 = 1e12;

/// Seconds, always finite and in `[0, Secs::MAX]`: NaN and negatives read as 0, larger values
/// (and +inf) as `Secs::MAX`.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Secs(f64);

impl Secs {
    pub const ZERO: Secs = Secs(0.0);
    pub const MAX: Secs = Secs(LIMIT);

    pub const fn new(secs: f64) -> Secs {
        Secs(clean(secs))
    }

    pub const fn as_f64(self) -> f64 {
        self.0
    }

    pub fn min(self, other: Secs) -> Secs {
        Secs(self.0.min(other.0))
    }

    pub fn max(self, other: Secs) -> Secs {
        Secs(self.0.max(other.0))
    }

    /// Scaled by `k`; a NaN, negative or huge product is cleaned like any other input.
    pub fn mul_f64(self, k: f64) -> Secs {
        Secs::new(self.0 * k)
    }

    /// `self - other`, 0 when `other` is longer.
    pub fn saturating_sub(self, other: Secs) -> Secs {
        Secs::new(self.0 - other.0)
    }
}

impl Add for Secs {
    type Output = Secs;
    /// Saturates at `Secs::MAX`.
    fn add(self, rhs: Secs) -> Secs {
        Secs::new(self.0 + rhs.0)
    }
}

/// Prints as the `f64` it holds would (`{:.3}` included), so messages read as before, without
/// `core::fmt`'s float printing (the crate's own shortest-digits writer does it).
impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        match f.precision() {
            Some(p) => crate::json::write_fixed(self.0, p.min(9), &mut s),
            None => crate::json::write_plain(self.0, &mut s),
        }
        f.write_str(&s)
    }
}

/// A point on the engine's monotonic clock: seconds since the clock's origin, finite and in
/// `[0, Instant::MAX]`. Only differences between instants of one clock mean anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Instant(f64);

impl Instant {
    /// The clock's origin: no instant is earlier.
    pub const ZERO: Instant = Instant(0.0);
    pub const MAX: Instant = Instant(LIMIT);

    /// The instant `secs` after the origin, cleaned like [`Secs::new`].
    pub const fn from_secs(secs: f64) -> Instant {
        Instant(clean(secs))
    }

    /// Seconds since the origin.
    pub fn as_secs(self) -> f64 {
        self.0
    }

    pub fn max(self, other: Instant) -> Instant {
        Instant(self.0.max(other.0))
    }
}

impl Sub for Instant {
    type Output = Secs;
    /// The time from `rhs` to `self`, 0 when `rhs` is later.
    fn sub(self, rhs: Instant) -> Secs {
        Secs::new(self.0 - rhs.0)
    }
}

impl Add<Secs> for Instant {
    type Output = Instant;
    /// Saturates at `Instant::MAX`.
    fn add(self, rhs: Secs) -> Instant {
        Instant::from_secs(self.0 + rhs.0)
    }
}

/// NaN and negatives to 0, past `LIMIT` (or +inf) to `LIMIT`. Kept out of line: inlined at
/// every time operation it cost about 2 KB of optimized wasm, out of line about 0.2 KB.
#[inline(never)]
const fn clean(secs: f64) -> f64 {
    if secs.is_nan() {
        0.0
    } else {
        clamp(secs, 0.0, LIMIT)
    }
}

/// `f64::clamp` without its `min <= max` assertion, whose message prints floats with
/// `core::fmt` (about 5 kB gzip of float printing in the wasm, kept alive by that message
/// alone). A NaN stays NaN, as with `clamp`; with `lo > hi` the result is `hi`, not a panic.
pub const fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secs_are_cleaned_once() {
        assert_eq!(Secs::new(f64::NAN), Secs::ZERO);
        assert_eq!(Secs::new(-3.0), Secs::ZERO);
        assert_eq!(Secs::new(f64::NEG_INFINITY), Secs::ZERO);
        assert_eq!(Secs::new(f64::INFINITY), Secs::MAX);
        assert_eq!(Secs::new(1e300), Secs::MAX);
        assert_eq!(Secs::new(2.5).as_f64(), 2.5);
        assert_eq!(Secs::MAX.as_f64(), 1e12);
    }

    #[test]
    fn secs_arithmetic_saturates() {
        let (a, b) = (Secs::new(2.0), Secs::new(3.0));
        assert_eq!(a + b, Secs::new(5.0));
        assert_eq!(Secs::MAX + b, Secs::MAX);
        assert_eq!(a.saturating_sub(b), Secs::ZERO);
        assert_eq!(b.saturating_sub(a), Secs::new(1.0));
        assert_eq!(a.mul_f64(1.5), b);
        assert_eq!(a.mul_f64(f64::NAN), Secs::ZERO);
        assert_eq!(a.mul_f64(-1.0), Secs::ZERO);
        assert_eq!(a.mul_f64(f64::INFINITY), Secs::MAX);
        assert_eq!(Secs::ZERO.mul_f64(f64::INFINITY), Secs::ZERO);
        assert_eq!((a.min(b), a.max(b)), (a, b));
        assert!(a < b);
    }

    #[test]
    fn secs_print_as_their_number() {
        assert_eq!(Secs::new(60.0).to_string(), "60");
        assert_eq!(Secs::new(0.25).to_string(), "0.25");
        assert_eq!(format!("{:.3}", Secs::new(7.5)), "7.500");
        for x in [
            0.0,
            1e-7,
            0.1,
            0.3,
            1.0 / 3.0,
            2.5,
            3.5,
            0.125,
            59.999,
            1234.5678,
            1e12,
            123456789.125,
        ] {
            let s = Secs::new(x);
            assert_eq!(s.to_string(), format!("{x}"));
            for p in [0, 1, 3] {
                assert_eq!(format!("{s:.p$}"), format!("{x:.p$}"), "{x} .{p}");
            }
        }
    }

    #[test]
    fn instants() {
        let t = Instant::from_secs(10.0);
        assert_eq!(Instant::from_secs(f64::NAN), Instant::ZERO);
        assert_eq!(Instant::from_secs(-1.0), Instant::ZERO);
        assert_eq!(Instant::from_secs(f64::INFINITY), Instant::MAX);
        assert_eq!(t + Secs::new(2.5), Instant::from_secs(12.5));
        assert_eq!(Instant::from_secs(12.5) - t, Secs::new(2.5));
        assert_eq!(t - Instant::from_secs(12.5), Secs::ZERO);
        assert_eq!(t + Secs::MAX, Instant::MAX);
        assert_eq!(Instant::MAX - Instant::ZERO, Secs::MAX);
        assert!(t < t + Secs::new(0.001));
        assert_eq!(t.max(Instant::ZERO), t);
        assert_eq!(t.as_secs(), 10.0);
    }
}
