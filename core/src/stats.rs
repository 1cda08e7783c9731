//! Counters, bounded histograms, and the `getStats` / `generateReport` shapes of docs/api.md.
//!
//! Everything here has a fixed upper size: histograms are fixed bucket arrays and the
//! per-model table holds at most [`MAX_MODELS`] names. Times are supplied by the caller as
//! [`Secs`], and reported as seconds (`f64`) in the JSON.

use crate::error::ErrorType;
use crate::json::{json, Map, Value};
use crate::time::{clamp, Secs};

/// Lower edge of the first log bucket; smaller samples share one underflow bucket.
const LOW: f64 = 1e-4;
/// 8 decades (1e-4 s to 1e4 s) at 100 buckets per decade: each bucket is 2.33% wide.
const PER_DECADE: f64 = 100.0;
const LOG_BUCKETS: usize = 800;
/// Underflow `[0, LOW)`, the log buckets, then overflow `[1e4 s, ...)`.
const BUCKETS: usize = LOG_BUCKETS + 2;

/// At most this many distinct model names are tracked; later names count under [`OTHER`].
pub const MAX_MODELS: usize = 256;
pub const OTHER: &str = "other";
/// Longer model names are cut (at a char boundary) so the table's memory stays bounded.
const MAX_MODEL_NAME: usize = 256;
/// `errors_by_type` key of a manual failure reported without a type.
const UNKNOWN: &str = "unknown";
/// Slots of `Stats::errors`: one per error type (`ErrorType as usize`), then [`UNKNOWN`].
const ERROR_SLOTS: usize = ErrorType::ALL.len() + 1;

/// Bounded histogram of non-negative seconds: fixed log-spaced buckets plus exact
/// min, max, sum and count. Memory never grows with the number of samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    pub fn new() -> Self {
        Histogram {
            buckets: vec![0; BUCKETS],
            count: 0,
            sum: 0.0,
            min: 0.0,
            max: 0.0,
        }
    }

    pub fn record(&mut self, secs: Secs) {
        let v = secs.as_f64();
        if let Some(b) = self.buckets.get_mut(bucket_of(v)) {
            *b = b.saturating_add(1);
        }
        if self.count == 0 {
            (self.min, self.max) = (v, v);
        } else {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        self.count = self.count.saturating_add(1);
        self.sum += v;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// 0.0 when empty, as are `max` and `avg`.
    pub fn min(&self) -> f64 {
        self.min
    }

    pub fn max(&self) -> f64 {
        self.max
    }

    pub fn avg(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }

    /// Nearest-rank quantile (the `ceil(q * count)`-th smallest sample), estimated as the
    /// middle of its bucket, so within one bucket's width of the true value, and clamped to
    /// `[min, max]`. The extreme ranks are exact. `q` is clamped to `[0, 1]`; NaN reads as 0.5.
    /// 0.0 when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let q = if q.is_nan() { 0.5 } else { clamp(q, 0.0, 1.0) };
        // Float to int casts saturate, so the rank is always in 1..=count.
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == 1 {
            return self.min;
        }
        if rank == self.count {
            return self.max;
        }
        let mut seen = 0u64;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen = seen.saturating_add(n);
            if seen >= rank {
                return clamp(bucket_middle(i).unwrap_or(self.max), self.min, self.max);
            }
        }
        self.max
    }

    /// `{min, max, avg, count}`.
    pub fn summary(&self) -> Value {
        json!({ "min": self.min(), "max": self.max(), "avg": self.avg(), "count": self.count })
    }

    #[cfg(test)]
    fn bucket_len(&self) -> (usize, usize) {
        (self.buckets.len(), self.buckets.capacity())
    }
}

fn bucket_of(v: f64) -> usize {
    if v < LOW {
        return 0;
    }
    // v >= LOW, so the log is >= 0; the cast saturates and the min keeps it in range.
    let i = ((v / LOW).log10() * PER_DECADE).floor() as usize;
    i.saturating_add(1).min(BUCKETS - 1)
}

/// Geometric middle of a bucket; `None` for the unbounded overflow bucket.
fn bucket_middle(i: usize) -> Option<f64> {
    match i {
        0 => Some(LOW / 2.0),
        i if i <= LOG_BUCKETS => Some(LOW * ten_to((i as f64 - 0.5) / PER_DECADE)),
        _ => None,
    }
}

/// `10^y` for `0 < y < 8` (the buckets' middles), bit for bit what `10f64.powf(y)` gives in the
/// wasm: compiler_builtins' `pow` (FreeBSD's e_pow.c) with `x = 10` folded in. Its `log2(x)`
/// part is then the two constants `T1 + T2`, and only the `2^(y * log2 10)` part is left; the
/// general `pow` was ~0.8 kB of the gzipped wasm for this one caller. The range drops pow's
/// special cases (no integer or half-integer `y`, no overflow, no subnormal result); a test
/// holds every bucket's middle to `libm::pow`, the same code.
fn ten_to(y: f64) -> f64 {
    // log2(10) in two pieces, as e_pow.c computes them for x = 10 (T1 has 32 trailing zeros).
    const T1: f64 = f64::from_bits(0x400a_934f_0000_0000);
    const T2: f64 = f64::from_bits(0x3e72_f346_e2bf_9206);
    const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e);
    const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93);
    const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c);
    const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1);
    const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0);
    const LG2: f64 = f64::from_bits(0x3fe6_2e42_fefa_39ef);
    const LG2_H: f64 = f64::from_bits(0x3fe6_2e43_0000_0000);
    const LG2_L: f64 = f64::from_bits(0xbe20_5c61_0ca8_6c39);
    let low_cleared = |x: f64| f64::from_bits(x.to_bits() & 0xffff_ffff_0000_0000);
    // y * log2(10) = p_h + p_l, split as e_pow.c does
    let y1 = low_cleared(y);
    let p_l = (y - y1) * T1 + y * T2;
    let mut p_h = y1 * T1;
    let j = ((p_l + p_h).to_bits() >> 32) as i32;
    // 2^(p_h + p_l) = 2^n * 2^(rest), n the nearest integer when the sum is over 0.5
    let mut n: i32 = 0;
    if j > 0x3fe0_0000 {
        let k = (j >> 20) - 0x3ff;
        n = j + (0x0010_0000 >> (k + 1));
        let k = (n >> 20) - 0x3ff;
        p_h -= f64::from_bits(u64::from((n & !(0x000f_ffff >> k)) as u32) << 32);
        n = ((n & 0x000f_ffff) | 0x0010_0000) >> (20 - k);
    }
    let t = low_cleared(p_l + p_h);
    let u = t * LG2_H;
    let v = (p_l - (t - p_h)) * LG2 + t * LG2_L;
    let z = u + v;
    let w = v - (z - u);
    let t = z * z;
    let t1 = z - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let r = (z * t1) / (t1 - 2.0) - (w + z * w);
    let z = 1.0 - (r - z);
    // times 2^n: n added to the exponent (e_pow.c's high word plus n << 20)
    f64::from_bits(z.to_bits().wrapping_add(u64::from(n as u32) << 52))
}

/// Token counts, as providers report them.
#[derive(Default, Clone, Copy, Debug, PartialEq)]
pub struct Usage {
    pub prompt: u64,
    pub completion: u64,
    pub total: u64,
}

/// How one logical call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Final {
    Success,
    Failed(ErrorType),
    Cancelled,
    /// Refused before reaching the transport (`circuit_open`, `queue_full`).
    Rejected(ErrorType),
}

impl Final {
    /// `Failed(cancelled)` is a cancellation and `Failed(circuit_open | queue_full)` a
    /// rejection, so every call lands in exactly one counter whatever the caller passed.
    fn normalized(self) -> Final {
        match self {
            Final::Failed(ErrorType::Cancelled) => Final::Cancelled,
            Final::Failed(t) if t.is_rejection() => Final::Rejected(t),
            f => f,
        }
    }
}

/// Live queue figures, supplied by the caller of [`Stats::snapshot`].
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueSnapshot {
    pub length: u64,
    pub active: u64,
    pub peak_length: u64,
    pub peak_active: u64,
}

/// Breaker figures, supplied by the caller of [`Stats::report`].
#[derive(Clone, Debug)]
pub struct BreakerSnapshot {
    pub state: &'static str,
    pub failure_count: u32,
    pub failure_threshold: u32,
    pub reset_timeout: Secs,
    pub trips: u64,
}

#[derive(Clone, Debug, Default)]
struct ModelStats {
    requests: u64,
    successful: u64,
    failed: u64,
    latency_sum: f64,
    latency_count: u64,
}

impl ModelStats {
    fn avg(&self) -> f64 {
        if self.latency_count == 0 {
            0.0
        } else {
            self.latency_sum / self.latency_count as f64
        }
    }
}

/// Counters of settled calls. The total is derived, never stored, so
/// `total = successful + failed + cancelled + rejected` always holds.
///
/// `errors_by_type` counts every call that did not succeed once, by its final type
/// (`cancelled` for cancellations, `circuit_open` / `queue_full` for rejections, `unknown` for
/// a manual failure with no type), so its values sum to `failed + cancelled + rejected`.
/// Latency covers every settled call except rejections, which never reached the transport.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    successful: u64,
    failed: u64,
    cancelled: u64,
    rejected: u64,
    retried: u64,
    trips: u64,
    /// By type, [`ERROR_SLOTS`]; a fixed array, not a map: no map code in the wasm for it.
    errors: [u64; ERROR_SLOTS],
    /// The sorted vector map JSON objects use: no `BTreeMap` node code in the wasm.
    models: Map<String, ModelStats>,
    tokens: Usage,
    latency: Histogram,
    queue_wait: Histogram,
    backoff: Histogram,
}

fn bump(n: &mut u64) {
    *n = n.saturating_add(1);
}

impl Stats {
    pub fn new() -> Self {
        Self::default()
    }

    /// One logical call has ended. `latency`: seconds from submission to settlement (ignored
    /// for rejections). `model`: for `requests_by_model` and the report's `models`, where
    /// `failed` counts `Failed` outcomes only (cancels and rejections count in `requests`).
    pub fn record_final(
        &mut self,
        outcome: Final,
        model: Option<&str>,
        latency: Secs,
        usage: Option<Usage>,
    ) {
        let outcome = outcome.normalized();
        self.count(outcome);
        let latency = match outcome {
            Final::Rejected(_) => None,
            _ => Some(latency),
        };
        if let Some(l) = latency {
            self.latency.record(l);
        }
        if let Some(name) = model {
            let m = self.model_entry(name);
            bump(&mut m.requests);
            match outcome {
                Final::Success => bump(&mut m.successful),
                Final::Failed(_) => bump(&mut m.failed),
                Final::Cancelled | Final::Rejected(_) => {}
            }
            if let Some(l) = latency {
                m.latency_sum += l.as_f64();
                bump(&mut m.latency_count);
            }
        }
        if let Some(u) = usage {
            let t = &mut self.tokens;
            t.prompt = t.prompt.saturating_add(u.prompt);
            t.completion = t.completion.saturating_add(u.completion);
            t.total = t.total.saturating_add(u.total);
        }
    }

    /// One retry scheduled after `delay`.
    pub fn record_retry(&mut self, delay: Secs) {
        bump(&mut self.retried);
        self.backoff.record(delay);
    }

    pub fn record_queue_wait(&mut self, secs: Secs) {
        self.queue_wait.record(secs);
    }

    pub fn record_trip(&mut self) {
        bump(&mut self.trips);
    }

    /// The seed's `trackRequestResult`: one call's result with no timing. A typed failure is
    /// counted like `record_final(Failed(t))`; an untyped one as failed under `unknown`.
    pub fn manual(&mut self, success: bool, error: Option<ErrorType>) {
        match (success, error) {
            (true, _) => self.count(Final::Success),
            (false, Some(t)) => self.count(Final::Failed(t).normalized()),
            (false, None) => {
                bump(&mut self.failed);
                self.bump_error(ErrorType::ALL.len());
            }
        }
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }

    pub fn total(&self) -> u64 {
        self.successful
            .saturating_add(self.failed)
            .saturating_add(self.cancelled)
            .saturating_add(self.rejected)
    }

    pub fn successful(&self) -> u64 {
        self.successful
    }

    pub fn failed(&self) -> u64 {
        self.failed
    }

    pub fn cancelled(&self) -> u64 {
        self.cancelled
    }

    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// Retries scheduled (a call retried twice counts twice).
    pub fn retried(&self) -> u64 {
        self.retried
    }

    /// docs/api.md's `getStats()` shape; the queue part lives elsewhere and is supplied.
    pub fn snapshot(&self, queue: QueueSnapshot) -> Value {
        let mut by_model = Map::new();
        for (k, m) in &self.models {
            by_model.insert(k.clone(), json!(m.requests));
        }
        json!({
            "total_requests": self.total(),
            "successful_requests": self.successful,
            "failed_requests": self.failed,
            "retried_requests": self.retried,
            "cancelled_requests": self.cancelled,
            "rejected_requests": self.rejected,
            "average_response_time": self.latency.avg(),
            "requests_by_model": by_model,
            "errors_by_type": self.errors_json(),
            "circuit_breaker_trips": self.trips,
            "queue": {
                "length": queue.length,
                "active": queue.active,
                "peak_length": queue.peak_length,
                "peak_active": queue.peak_active,
            },
            "latency": {
                "p50": self.latency.quantile(0.5),
                "p90": self.latency.quantile(0.9),
                "p99": self.latency.quantile(0.99),
            },
            "tokens": {
                "prompt": self.tokens.prompt,
                "completion": self.tokens.completion,
                "total": self.tokens.total,
            },
        })
    }

    /// docs/api.md's `generateReport()` shape. Rates are percent in `[0, 100]` and 0 with no
    /// calls; `retry_rate` is capped at 100 since a call can be retried more than once.
    pub fn report(&self, breaker: BreakerSnapshot, include_details: bool) -> Value {
        let total = self.total();
        let mut models = Map::new();
        for (k, m) in &self.models {
            let v = json!({
                "requests": m.requests,
                "successful": m.successful,
                "failed": m.failed,
                "average_response_time": m.avg(),
            });
            models.insert(k.clone(), v);
        }
        let mut out = json!({
            "summary": {
                "total_requests": total,
                "success_rate": percent(self.successful, total),
                "average_response_time": self.latency.avg(),
                "retry_rate": percent(self.retried, total),
            },
            "models": models,
            "errors": self.errors_json(),
            "circuit_breaker": {
                "state": breaker.state,
                "failure_count": breaker.failure_count,
                "failure_threshold": breaker.failure_threshold,
                "reset_timeout": breaker.reset_timeout.as_f64(),
                "trips": breaker.trips,
            },
        });
        if include_details {
            if let Some(obj) = out.as_object_mut() {
                let details = json!({
                    "queue_wait_times": self.queue_wait.summary(),
                    "backoff_delays": self.backoff.summary(),
                    "latency": self.latency.summary(),
                });
                obj.insert("details".to_owned(), details);
            }
        }
        out
    }

    /// Moves one settled call into exactly one of the four counters.
    fn count(&mut self, outcome: Final) {
        let error = match outcome {
            Final::Success => {
                bump(&mut self.successful);
                return;
            }
            Final::Failed(t) => {
                bump(&mut self.failed);
                t
            }
            Final::Cancelled => {
                bump(&mut self.cancelled);
                ErrorType::Cancelled
            }
            Final::Rejected(t) => {
                bump(&mut self.rejected);
                t
            }
        };
        self.bump_error(error as usize);
    }

    fn bump_error(&mut self, slot: usize) {
        if let Some(n) = self.errors.get_mut(slot) {
            bump(n);
        }
    }

    fn model_entry(&mut self, name: &str) -> &mut ModelStats {
        let name = truncate(name, MAX_MODEL_NAME);
        let key = if self.models.len() < MAX_MODELS || self.models.contains_key(name) {
            name
        } else {
            OTHER
        };
        // The key is copied only when it is new (an allocation a call, twice, otherwise).
        self.models.slot(key)
    }

    fn errors_json(&self) -> Map<String, Value> {
        // Inserts, not `collect()`: each collect into a map compiles a sort of its own.
        // Types that never failed a call are absent, as they were from the map this replaced.
        let mut errors = Map::new();
        for (i, &n) in self.errors.iter().enumerate() {
            if n > 0 {
                let name = ErrorType::ALL.get(i).map_or(UNKNOWN, |t| t.as_str());
                errors.insert(name.to_owned(), json!(n));
            }
        }
        errors
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 100.0).min(100.0)
    }
}

fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_SECS: f64 = Secs::MAX.as_f64();

    #[test]
    fn histogram_empty_is_zero() {
        let h = Histogram::new();
        assert_eq!((h.min(), h.max(), h.avg(), h.count()), (0.0, 0.0, 0.0, 0));
        assert_eq!(h.quantile(0.5), 0.0);
        assert_eq!(
            h.summary(),
            json!({"min": 0.0, "max": 0.0, "avg": 0.0, "count": 0})
        );
    }

    #[test]
    fn histogram_takes_cleaned_input() {
        // NaN, negatives and infinities are cleaned by `Secs` before they get here.
        let mut h = Histogram::new();
        h.record(Secs::new(-3.0));
        h.record(Secs::new(f64::INFINITY));
        h.record(Secs::new(2.0));
        assert_eq!(h.count(), 3);
        assert_eq!((h.min(), h.max()), (0.0, MAX_SECS));
        assert!(h.avg().is_finite());
        assert!(h.quantile(f64::NAN).is_finite());
        assert_eq!(h.quantile(-1.0), 0.0);
        assert_eq!(h.quantile(2.0), MAX_SECS);
    }

    #[test]
    fn histogram_quantiles_are_close() {
        let mut h = Histogram::new();
        for i in 1..=1000 {
            h.record(Secs::new(i as f64 / 1000.0));
        }
        assert_eq!(h.min(), 0.001);
        assert_eq!(h.max(), 1.0);
        assert!((h.avg() - 0.5005).abs() < 1e-9);
        for (q, want) in [(0.5, 0.5), (0.9, 0.9), (0.99, 0.99)] {
            let got = h.quantile(q);
            assert!((got - want).abs() <= want * 0.024, "q{q}: {got} vs {want}");
        }
    }

    #[test]
    fn bucket_edges() {
        assert_eq!(bucket_of(0.0), 0);
        assert_eq!(bucket_of(LOW / 2.0), 0);
        assert_eq!(bucket_of(LOW), 1);
        assert_eq!(bucket_of(9_999.0), LOG_BUCKETS);
        assert_eq!(bucket_of(1e4), BUCKETS - 1);
        assert_eq!(bucket_of(MAX_SECS), BUCKETS - 1);
        assert_eq!(bucket_middle(BUCKETS - 1), None);
    }

    /// Every bucket's middle, bit for bit as the general `pow` gave it: `libm::pow` is the code
    /// the wasm's `f64::powf` links (compiler_builtins' copy of e_pow.c).
    #[test]
    fn bucket_middles_are_pows() {
        for i in 1..=LOG_BUCKETS {
            let y = (i as f64 - 0.5) / PER_DECADE;
            assert_eq!(
                ten_to(y).to_bits(),
                libm::pow(10.0, y).to_bits(),
                "bucket {i}"
            );
            let old = LOW * libm::pow(10.0, y);
            assert_eq!(bucket_middle(i).map(f64::to_bits), Some(old.to_bits()));
        }
    }

    proptest::proptest! {
        /// Over the whole range `ten_to` serves (and a little past it), not only the middles.
        #[test]
        fn ten_to_is_pow(y in 0.001f64..8.5) {
            proptest::prop_assert_eq!(ten_to(y).to_bits(), libm::pow(10.0, y).to_bits());
        }
    }

    #[test]
    fn histogram_memory_is_bounded() {
        let mut h = Histogram::new();
        let before = h.bucket_len();
        for i in 0..1_000_000u64 {
            h.record(Secs::new((i % 10_007) as f64 * 1.37e-3));
        }
        assert_eq!(h.count(), 1_000_000);
        assert_eq!(h.bucket_len(), before);
        assert_eq!(before.0, BUCKETS);
    }

    #[test]
    fn models_are_bounded_and_names_cut() {
        let mut s = Stats::new();
        for i in 0..1000 {
            s.record_final(Final::Success, Some(&format!("m{i}")), Secs::new(0.1), None);
        }
        s.record_final(Final::Success, Some("m0"), Secs::new(0.1), None);
        assert_eq!(s.models.len(), MAX_MODELS + 1);
        assert_eq!(s.models.get("m0").map(|m| m.requests), Some(2));
        assert_eq!(s.models.get(OTHER).map(|m| m.requests), Some(1000 - 256));

        let mut s = Stats::new();
        let long = "é".repeat(1000);
        s.record_final(Final::Success, Some(&long), Secs::new(0.1), None);
        let key = s.models.keys().next().cloned().unwrap_or_default();
        assert!(key.len() <= MAX_MODEL_NAME && !key.is_empty());
    }

    #[test]
    fn each_error_type_counts_under_its_own_name() {
        for t in ErrorType::ALL {
            let mut s = Stats::new();
            s.manual(false, Some(t));
            s.manual(false, Some(t));
            let mut want = Map::new();
            want.insert(t.as_str().to_owned(), json!(2));
            assert_eq!(s.errors_json(), want, "{t:?}");
        }
        let mut s = Stats::new();
        s.manual(false, None);
        s.record_final(Final::Failed(ErrorType::Timeout), None, Secs::ZERO, None);
        let mut want = Map::new();
        want.insert("timeout".to_owned(), json!(1));
        want.insert(UNKNOWN.to_owned(), json!(1));
        assert_eq!(s.errors_json(), want);
    }

    #[test]
    fn failed_with_local_types_is_normalized() {
        let mut s = Stats::new();
        s.record_final(
            Final::Failed(ErrorType::Cancelled),
            None,
            Secs::new(1.0),
            None,
        );
        s.record_final(
            Final::Failed(ErrorType::QueueFull),
            None,
            Secs::new(1.0),
            None,
        );
        s.manual(false, Some(ErrorType::CircuitOpen));
        assert_eq!((s.failed(), s.cancelled(), s.rejected()), (0, 1, 2));
        // Rejections carry no latency.
        assert_eq!(s.latency.count(), 1);
    }
}
