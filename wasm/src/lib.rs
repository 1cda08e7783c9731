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
use js_sys::{Array, Promise};
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
            return Err(convert::config_error_of(
                "unknown provider '",
                &provider,
                "'; providers are ",
                &resilient_core::text::join(&PROVIDERS, ", "),
            ));
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
    /// Observing member number `member` of [`QUERIES`] (node-host/lib/ops.js defines the
    /// methods and getters over it); from `QUERIES.len()` on, operation number
    /// `member - QUERIES.len()` of [`LOCAL`] (answered without a request); after those, member
    /// `member - QUERIES.len() - LOCAL.len()` of [`CALLS`], whose arguments are `arg`, `b` and
    /// `c` as ops.js passes them: one export instead of a shim per member.
    #[wasm_bindgen(js_name = __query)]
    pub fn query(
        &self,
        member: u32,
        arg: JsValue,
        b: JsValue,
        c: JsValue,
    ) -> Result<JsValue, JsValue> {
        let core = &self.core;
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
            10 => JsValue::from_str(core.provider.info().name),
            LOCAL_AT..CALLS_AT => return core.local(op_name(&LOCAL, member - LOCAL_AT), &arg),
            // `on(event, listener)`.
            ON => return core.on(&text(&arg), b.unchecked_into()),
            // `trackRequestResult(success, errorType)`: ops.js passes `success` as the boolean
            // the i32 it was read as made.
            TRACK => {
                core.track_request_result(arg.as_bool().unwrap_or_default(), optional_text(&b))?;
                JsValue::UNDEFINED
            }
            // `makeRequest(endpointUrl, data, options)`.
            MAKE_REQUEST => core.make_request(&arg, &b, &c).into(),
            // `storeSync(reads, writes, error, flat)`: reads and writes as ops.js made them
            // integers >= 0; the arguments after the first come as `[writes, error]` in `b`.
            _ => {
                let rest: Array = b.unchecked_into();
                core.store_sync(
                    number(&arg),
                    number(&rest.get(0)),
                    optional_text(&rest.get(1)),
                    c.unchecked_into(),
                )
                .into()
            }
        })
    }
}

/// A string argument as the `String` glue read it: a non-string reads as empty.
fn text(v: &JsValue) -> String {
    v.as_string().unwrap_or_default()
}

/// An optional string argument (`Option<String>`'s glue: null and undefined are none).
fn optional_text(v: &JsValue) -> Option<String> {
    (!v.is_null_or_undefined()).then(|| text(v))
}

/// A u32 argument ops.js made an integer in range (`>>> 0`).
fn number(v: &JsValue) -> u32 {
    v.as_f64().unwrap_or_default() as u32
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
/// `__query`'s members after LOCAL's, with up to three arguments (ops.js defines them; the
/// numbers below follow this order, which tests/node/ops.test.js holds ops.js to).
#[allow(dead_code)]
const CALLS: [&str; 4] = ["on", "trackRequestResult", "makeRequest", "storeSync"];
const LOCAL_AT: u32 = QUERIES.len() as u32;
const CALLS_AT: u32 = LOCAL_AT + LOCAL.len() as u32;
const ON: u32 = CALLS_AT;
const TRACK: u32 = CALLS_AT + 1;
const MAKE_REQUEST: u32 = CALLS_AT + 2;

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
