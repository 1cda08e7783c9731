//! The engine half of `createRouter` (node-host/lib/router.js makes the member calls): the
//! strategies, weights, latency window and fallback decisions of resilient_core::router, on
//! the host's monotonic clock.

use crate::convert::config_error;
use crate::host::JsClock;
use js_sys::Float64Array;
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
        weights: Float64Array,
        strategy: Option<String>,
        fallback_on: Option<String>,
    ) -> Result<RouterCore, JsValue> {
        parse_options(
            strategy.as_deref(),
            fallback_on.as_deref(),
            &weights.to_vec(),
        )
        .map(RouterCore)
        .map_err(|m| config_error(&m))
    }

    /// The members to try, in order, given each member's load and breaker answer as pairs
    /// (`[load, admits (1 or 0), ...]`). Numbers cross in `Float64Array`s each way (as in
    /// `new` and `stats`): js-sys copies them with no glue of wasm-bindgen's own.
    pub fn plan(&mut self, health: Float64Array) -> Float64Array {
        let health = health.to_vec();
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
        Float64Array::from(out.as_slice())
    }

    /// A member's call started (0), was passed over as unsupported (1) or its stream broke
    /// after its first item (2): one export for the three, as each export costs a shim.
    pub fn mark(&mut self, member: u32, what: u8) {
        let m = member as usize;
        match what {
            0 => self.0.started(m),
            1 => self.0.skipped(m),
            _ => self.0.interrupted(m),
        }
    }

    /// `latency` in seconds (to the first item for a stream).
    pub fn succeeded(&mut self, member: u32, latency: f64) {
        self.0
            .succeeded(member as usize, JsClock.now(), Secs::new(latency));
    }

    /// 0: try the next member; 1: call this member again with its own retries; 2: fail.
    pub fn failed(
        &mut self,
        member: u32,
        kind: Option<String>,
        retry_delay: Option<f64>,
        more: bool,
        limited: bool,
    ) -> u8 {
        // Not an ApiError (a TypeError from bad arguments, say): read as invalid_request.
        let kind = kind
            .as_deref()
            .and_then(ErrorType::parse)
            .unwrap_or(ErrorType::InvalidRequest);
        let f = Failure {
            kind,
            retry_delay: retry_delay.map(Secs::new),
            more,
            limited,
        };
        match self.0.failed(member as usize, JsClock.now(), f) {
            Next::Fallback => 0,
            Next::Retry => 1,
            Next::Stop => 2,
        }
    }

    /// See resilient_core::router::Router::stats.
    pub fn stats(&mut self) -> Float64Array {
        Float64Array::from(self.0.stats(JsClock.now()).as_slice())
    }
}
