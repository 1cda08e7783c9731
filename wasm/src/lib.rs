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
use js_sys::{Function, Promise};
use resilient_core::providers::PROVIDERS;
use wasm_bindgen::prelude::*;

/// The client behind every provider class: `node-host/index.js` defines `OpenAI`, `Claude`, ...
/// as thin subclasses, so the wasm exports these members once, not once per provider.
#[wasm_bindgen]
pub struct Client {
    core: std::rc::Rc<ClientCore>,
    name: &'static str,
}

#[wasm_bindgen]
impl Client {
    #[wasm_bindgen(constructor)]
    pub fn new(provider: String, options: JsValue) -> Result<Client, JsValue> {
        let mut found = None;
        for p in PROVIDERS {
            if p == provider {
                found = Some(p);
                break;
            }
        }
        let Some(name) = found else {
            return Err(convert::config_error(&format!(
                "unknown provider '{provider}'; providers are {}",
                PROVIDERS.join(", ")
            )));
        };
        let core = std::rc::Rc::new(ClientCore::new(name, &options)?);
        ClientCore::install_records(&core);
        Ok(Client { core, name })
    }

    #[wasm_bindgen(getter)]
    pub fn provider(&self) -> String {
        self.name.to_string()
    }

    /// Unary operation number `op` of [`UNARY`] (node-host/lib/ops.js defines `chat`, `embed`,
    /// ... over it): one export instead of a shim per operation.
    #[wasm_bindgen(js_name = __unary)]
    pub fn unary(&self, op: u32, request: JsValue) -> Promise {
        self.core.unary(op, &request)
    }
    /// Streaming operation number `op` of [`STREAMS`].
    #[wasm_bindgen(js_name = __stream)]
    pub fn stream(&self, op: u32, request: JsValue) -> ChatStream {
        self.core.stream(op_name(&STREAMS, op), &request)
    }
    /// `getObject({ stream: true })`'s engine half (node-host/lib/s3.js; not documented API):
    /// the head object first, then the body's chunks as `Uint8Array`s.
    #[wasm_bindgen(js_name = getObjectStream)]
    pub fn get_object_stream(&self, request: JsValue) -> ChatStream {
        self.core.object_stream(&request)
    }
    /// Operation number `op` of [`LOCAL`], answered without a request.
    #[wasm_bindgen(js_name = __local)]
    pub fn local(&self, op: u32, request: JsValue) -> Result<JsValue, JsValue> {
        self.core.local(op_name(&LOCAL, op), &request)
    }
    #[wasm_bindgen(js_name = makeRequest)]
    pub fn make_request(&self, endpoint_url: JsValue, data: JsValue, options: JsValue) -> Promise {
        self.core.make_request(&endpoint_url, &data, &options)
    }
    #[wasm_bindgen(js_name = getStats)]
    pub fn get_stats(&self, options: JsValue) -> Result<JsValue, JsValue> {
        self.core.get_stats(&options)
    }
    #[wasm_bindgen(js_name = resetStats)]
    pub fn reset_stats(&self) {
        self.core.reset_stats()
    }
    #[wasm_bindgen(js_name = checkCircuitBreaker)]
    pub fn check_circuit_breaker(&self) -> bool {
        self.core.check_circuit_breaker()
    }
    #[wasm_bindgen(js_name = trackRequestResult)]
    pub fn track_request_result(
        &self,
        success: bool,
        error_type: Option<String>,
    ) -> Result<(), JsValue> {
        self.core.track_request_result(success, error_type)
    }
    #[wasm_bindgen(js_name = generateReport)]
    pub fn generate_report(&self, options: JsValue) -> JsValue {
        self.core.generate_report(&options)
    }
    #[wasm_bindgen(getter, js_name = circuitState)]
    pub fn circuit_state(&self) -> String {
        self.core.circuit_state()
    }
    #[wasm_bindgen(getter, js_name = queueLength)]
    pub fn queue_length(&self) -> u32 {
        self.core.queue_length()
    }
    #[wasm_bindgen(getter, js_name = activeRequests)]
    pub fn active_requests(&self) -> u32 {
        self.core.active_requests()
    }
    #[wasm_bindgen(getter, js_name = queueProcessing)]
    pub fn queue_processing(&self) -> bool {
        self.core.queue_processing()
    }
    pub fn on(&self, event: String, listener: Function) -> Result<JsValue, JsValue> {
        self.core.on(&event, listener)
    }
    pub fn endpoints(&self) -> JsValue {
        self.core.endpoints()
    }
    /// The state-store hooks, driven by node-host/store.js (not documented API): attach (the
    /// scopes to read come back), then sync: report store work, apply what the store holds, and
    /// take the writes queued since.
    #[wasm_bindgen(js_name = storeAttach)]
    pub fn store_attach(&self, notify: Function) -> Vec<JsValue> {
        self.core.store_attach(notify)
    }
    #[wasm_bindgen(js_name = storeSync)]
    pub fn store_sync(
        &self,
        reads: u32,
        writes: u32,
        error: Option<String>,
        flat: Vec<JsValue>,
    ) -> Vec<JsValue> {
        self.core.store_sync(reads, writes, error, flat)
    }
}

impl Client {
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
const STREAMS: [&str; 3] = ["chatStream", "generateStream", "chatqnaStream"];
const LOCAL: [&str; 2] = ["signGetObject", "presignUrl"];

/// An unknown number names no operation: the provider refuses it as it does any unknown one.
pub(crate) fn op_name(ops: &[&'static str], op: u32) -> &'static str {
    ops.get(op as usize).copied().unwrap_or_default()
}

/// The eleven provider names (the package exports them as `PROVIDERS`).
#[wasm_bindgen]
pub fn providers() -> Vec<JsValue> {
    let mut out = Vec::with_capacity(PROVIDERS.len());
    for p in PROVIDERS {
        out.push(JsValue::from_str(p));
    }
    out
}

/// The package version (semver).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
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
