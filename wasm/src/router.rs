//! The engine half of `createRouter` (node-host/lib/router.js makes the member calls): the
//! strategies, weights, latency window and fallback decisions of resilient_core::router, on
//! the host's monotonic clock.

use crate::convert::config_error;
use crate::host::JsClock;
use resilient_core::host::Clock;
use resilient_core::router::{parse_options, Failure, Health, Next, Router};
use resilient_core::time::Secs;
use resilient_core::ErrorType;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct RouterCore(Router);

#[wasm_bindgen]
impl RouterCore {
    /// `weights`: one per member (NaN for one that is not a number); `strategy` as given;
    /// `fallback_on` the names joined with commas (the host checked it is an array of
    /// strings). None: the defaults. Errors name the field.
    #[wasm_bindgen(constructor)]
    pub fn new(
        weights: &[f64],
        strategy: Option<String>,
        fallback_on: Option<String>,
    ) -> Result<RouterCore, JsValue> {
        parse_options(strategy.as_deref(), fallback_on.as_deref(), weights)
            .map(RouterCore)
            .map_err(|m| config_error(&m))
    }

    /// The members to try, in order, given each member's load and breaker answer as pairs
    /// (`[load, admits (1 or 0), ...]`); without them, the router's figures (see
    /// resilient_core::router::Router::stats). Numbers cross as `f64` slices each way (as in
    /// `new`): their glue lives in this class's JS, which an app without `createRouter` drops,
    /// where js-sys's `Float64Array` took imports every app loads. One export for the two,
    /// as each export costs a shim.
    pub fn read(&mut self, health: Option<Vec<f64>>) -> Vec<f64> {
        let Some(health) = health else {
            return self.0.stats(JsClock.now());
        };
        // Plain loops: collected iterator chains each instantiate their own code.
        let mut members: Vec<Health> = Vec::with_capacity(health.len() / 2);
        for pair in health.chunks_exact(2) {
            if let [load, admits] = pair {
                members.push(Health {
                    load: *load as u32,
                    admits: *admits != 0.0,
                });
            }
        }
        let plan = self.0.plan(JsClock.now(), &members);
        let mut out = Vec::with_capacity(plan.len());
        for i in plan {
            out.push(i as f64);
        }
        out
    }

    /// What became of a member's call (one export for the five, as each export costs a shim):
    /// started (0), passed over as unsupported (1), its stream broke after its first item (2),
    /// succeeded (3: `number` is the latency in seconds, to the first item for a stream) or
    /// failed (4: `kind` the error's type, `number` its retry delay, `more` whether another
    /// member remains, `limited` whether this one was asked not to retry). A failure answers
    /// 0: try the next member; 1: call this member again with its own retries; 2: fail.
    pub fn note(
        &mut self,
        member: u32,
        what: u8,
        number: Option<f64>,
        kind: Option<String>,
        more: bool,
        limited: bool,
    ) -> u8 {
        let m = member as usize;
        match what {
            0 => self.0.started(m),
            1 => self.0.skipped(m),
            2 => self.0.interrupted(m),
            // A latency that is not a number reads as NaN, as an f64 argument did.
            3 => self
                .0
                .succeeded(m, JsClock.now(), Secs::new(number.unwrap_or(f64::NAN))),
            _ => {
                // Not an ApiError (a TypeError from bad arguments, say): read as invalid_request.
                let kind = kind
                    .as_deref()
                    .and_then(ErrorType::parse)
                    .unwrap_or(ErrorType::InvalidRequest);
                let f = Failure {
                    kind,
                    retry_delay: number.map(Secs::new),
                    more,
                    limited,
                };
                return match self.0.failed(m, JsClock.now(), f) {
                    Next::Fallback => 0,
                    Next::Retry => 1,
                    Next::Stop => 2,
                };
            }
        }
        0
    }
}
