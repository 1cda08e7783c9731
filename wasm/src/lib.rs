//! The JavaScript surface of docs/api.md, over the core engine.

mod client;
mod convert;
mod host;
mod queued;
mod router;
mod signals;
mod stream;

pub use router::RouterCore;
pub use stream::ChatStream;

use client::ClientCore;
use js_sys::{Array, Function, Promise};
use resilient_core::providers::PROVIDERS;
use wasm_bindgen::prelude::*;

/// The client behind every provider class: `node-host/index.js` defines `OpenAI`, `Claude`, ...
/// as thin subclasses, so the wasm exports these members once, not once per provider.
#[wasm_bindgen]
pub struct Client {
    core: std::rc::Rc<ClientCore>,
}

#[wasm_bindgen]
impl Client {
    #[wasm_bindgen(constructor)]
    pub fn new(provider: String, options: JsValue) -> Result<Client, JsValue> {
        // The engine's provider table answers both questions: known, and which codec.
        let Some(found) = resilient_core::providers::provider(&provider) else {
            return Err(convert::config_error(&format!(
                "unknown provider '{provider}'; providers are {}",
                PROVIDERS.join(", ")
            )));
        };
        let core = std::rc::Rc::new(ClientCore::new(found, &options)?);
        ClientCore::install_records(&core);
        Ok(Client { core })
    }

    /// Unary operation number `op` of [`UNARY`] (node-host/lib/ops.js defines `chat`, `embed`,
    /// ... over it): one export instead of a shim per operation.
    #[wasm_bindgen(js_name = __unary)]
    pub fn unary(&self, op: u32, request: JsValue) -> Promise {
        self.core.unary(op, &request)
    }
    /// Streaming operation number `op` of [`STREAMS`]. The last, `getObjectStream`, is
    /// `getObject({ stream: true })`'s engine half (node-host/lib/s3.js; not documented API):
    /// the head object first, then the body's chunks as `Uint8Array`s.
    #[wasm_bindgen(js_name = __stream)]
    pub fn stream(&self, op: u32, request: JsValue) -> ChatStream {
        if op == OBJECT_STREAM {
            return self.core.object_stream(&request);
        }
        self.core.stream(op_name(&STREAMS, op), &request)
    }
    #[wasm_bindgen(js_name = makeRequest)]
    pub fn make_request(&self, endpoint_url: JsValue, data: JsValue, options: JsValue) -> Promise {
        self.core.make_request(&endpoint_url, &data, &options)
    }
    /// Observing member number `member` of [`QUERIES`] (node-host/lib/ops.js defines the
    /// methods and getters over it), or, from `QUERIES.len()` on, operation number
    /// `member - QUERIES.len()` of [`LOCAL`] (answered without a request): one export instead
    /// of a shim per member.
    #[wasm_bindgen(js_name = __query)]
    pub fn query(&self, member: u32, arg: JsValue) -> Result<JsValue, JsValue> {
        let core = &self.core;
        if let Some(op) = member.checked_sub(QUERIES.len() as u32) {
            return core.local(op_name(&LOCAL, op), &arg);
        }
        Ok(match member {
            0 => return core.get_stats(&arg),
            1 => core.generate_report(&arg),
            2 => core.endpoints(),
            3 => JsValue::from_bool(core.check_circuit_breaker()),
            4 => {
                core.reset_stats();
                JsValue::UNDEFINED
            }
            5 => core.store_attach(arg.unchecked_into()).into(),
            // Strings cross as JS strings made here, not as `String` (whose glue copies the
            // bytes out, then frees them with another call).
            6 => JsValue::from_str(core.circuit_state()),
            7 => JsValue::from(core.queue_length()),
            8 => JsValue::from(core.active_requests()),
            9 => JsValue::from_bool(core.queue_processing()),
            _ => JsValue::from_str(core.provider.info().name),
        })
    }
    #[wasm_bindgen(js_name = trackRequestResult)]
    pub fn track_request_result(
        &self,
        success: bool,
        error_type: Option<String>,
    ) -> Result<(), JsValue> {
        self.core.track_request_result(success, error_type)
    }
    pub fn on(&self, event: String, listener: Function) -> Result<JsValue, JsValue> {
        self.core.on(&event, listener)
    }
    /// The state-store hooks, driven by node-host/store.js (not documented API): attach
    /// (`storeAttach`, a `__query` member: the scopes to read come back), then sync: report
    /// store work, apply what the store holds, and take the writes queued since.
    #[wasm_bindgen(js_name = storeSync)]
    pub fn store_sync(&self, reads: u32, writes: u32, error: Option<String>, flat: Array) -> Array {
        self.core.store_sync(reads, writes, error, flat)
    }
}

impl Client {
    /// `getStats(options)`, for Rust callers (the wasm tests).
    pub fn get_stats(&self, options: JsValue) -> Result<JsValue, JsValue> {
        self.core.get_stats(&options)
    }
    /// `queueLength`, for Rust callers.
    pub fn queue_length(&self) -> u32 {
        self.core.queue_length()
    }
    /// `activeRequests`, for Rust callers.
    pub fn active_requests(&self) -> u32 {
        self.core.active_requests()
    }
    /// `chat(request)`, for Rust callers (the wasm tests).
    pub fn chat(&self, request: JsValue) -> Promise {
        self.unary(0, request)
    }
    /// `chatStream(request)`, for Rust callers.
    pub fn chat_stream(&self, request: JsValue) -> ChatStream {
        self.stream(0, request)
    }
}

/// The operations by number (node-host/lib/ops.js defines the JS methods in this order); a
/// queued record holds its operation as an index here too (a number crosses to JS for free).
pub(crate) use resilient_core::providers::UNARY;
const STREAMS: [&str; 4] = [
    "chatStream",
    "generateStream",
    "chatqnaStream",
    "getObjectStream",
];
const OBJECT_STREAM: u32 = 3;
/// The observing members by number, for `__query`: methods (`storeAttach` the state store's,
/// node-host/store.js), then getters (from `circuitState`).
/// `Client::query` matches the numbers; tests/node/ops.test.js holds ops.js to this table.
const QUERIES: [&str; 11] = [
    "getStats",
    "generateReport",
    "endpoints",
    "checkCircuitBreaker",
    "resetStats",
    "storeAttach",
    "circuitState",
    "queueLength",
    "activeRequests",
    "queueProcessing",
    "provider",
];
const LOCAL: [&str; 2] = ["signGetObject", "presignUrl"];

/// An unknown number names no operation: the provider refuses it as it does any unknown one.
pub(crate) fn op_name(ops: &[&'static str], op: u32) -> &'static str {
    ops.get(op as usize).copied().unwrap_or_default()
}

/// The eleven provider names (the package exports them as `PROVIDERS`). JS arrays, here and
/// in the store hooks, not `Vec<JsValue>`: its glue is a table of its own each way.
#[wasm_bindgen(unchecked_return_type = "string[]")]
pub fn providers() -> Array {
    let out = Array::new();
    for p in PROVIDERS {
        out.push(&JsValue::from_str(p));
    }
    out
}

/// The package version (semver).
#[wasm_bindgen(unchecked_return_type = "string")]
pub fn version() -> JsValue {
    JsValue::from_str(env!("CARGO_PKG_VERSION"))
}

/// The ApiError class, defined in js/support.js.
#[wasm_bindgen(js_name = apiErrorClass)]
pub fn api_error_class() -> JsValue {
    convert::api_error_class()
}

/// Benchmark aid (scripts/bench.sh; not part of the documented surface): a stream transcript
/// of `n` events, "sse" or "ndjson".
#[cfg(feature = "bench")]
#[wasm_bindgen(js_name = benchTranscript)]
pub fn bench_transcript(kind: &str, n: u32) -> Vec<u8> {
    use resilient_core::stream_bench::{ndjson_transcript, sse_transcript};
    match kind {
        "ndjson" => ndjson_transcript(n as usize),
        _ => sse_transcript(n as usize),
    }
}

/// Benchmark aid: decodes `data` in `chunk`-byte pieces; returns the frames decoded.
#[cfg(feature = "bench")]
#[wasm_bindgen(js_name = benchDecode)]
pub fn bench_decode(kind: &str, data: &[u8], chunk: u32) -> u32 {
    resilient_core::stream_bench::decode(kind, data, chunk as usize) as u32
}
