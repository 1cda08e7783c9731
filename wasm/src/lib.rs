//! The JavaScript surface of docs/api.md, over the core engine.

mod client;
mod convert;
mod host;
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
    core: ClientCore,
    name: &'static str,
}

#[wasm_bindgen]
impl Client {
    #[wasm_bindgen(constructor)]
    pub fn new(provider: String, options: JsValue) -> Result<Client, JsValue> {
        let name = PROVIDERS
            .iter()
            .copied()
            .find(|p| *p == provider)
            .ok_or_else(|| {
                convert::config_error(&format!(
                    "unknown provider '{provider}'; providers are {}",
                    PROVIDERS.join(", ")
                ))
            })?;
        Ok(Client {
            core: ClientCore::new(name, &options)?,
            name,
        })
    }

    #[wasm_bindgen(getter)]
    pub fn provider(&self) -> String {
        self.name.to_string()
    }

    pub fn chat(&self, request: JsValue) -> Promise {
        self.core.unary("chat", &request)
    }
    pub fn embed(&self, request: JsValue) -> Promise {
        self.core.unary("embed", &request)
    }
    #[wasm_bindgen(js_name = listModels)]
    pub fn list_models(&self, request: JsValue) -> Promise {
        self.core.unary("listModels", &request)
    }
    pub fn generate(&self, request: JsValue) -> Promise {
        self.core.unary("generate", &request)
    }
    pub fn rerank(&self, request: JsValue) -> Promise {
        self.core.unary("rerank", &request)
    }
    pub fn chatqna(&self, request: JsValue) -> Promise {
        self.core.unary("chatqna", &request)
    }
    pub fn infer(&self, request: JsValue) -> Promise {
        self.core.unary("infer", &request)
    }
    #[wasm_bindgen(js_name = batchInfer)]
    pub fn batch_infer(&self, request: JsValue) -> Promise {
        self.core.unary("batchInfer", &request)
    }
    pub fn status(&self, request: JsValue) -> Promise {
        self.core.unary("status", &request)
    }
    pub fn predict(&self, request: JsValue) -> Promise {
        self.core.unary("predict", &request)
    }
    #[wasm_bindgen(js_name = modelStatus)]
    pub fn model_status(&self, request: JsValue) -> Promise {
        self.core.unary("modelStatus", &request)
    }
    pub fn health(&self, request: JsValue) -> Promise {
        self.core.unary("health", &request)
    }
    #[wasm_bindgen(js_name = putObject)]
    pub fn put_object(&self, request: JsValue) -> Promise {
        self.core.unary("putObject", &request)
    }
    #[wasm_bindgen(js_name = getObject)]
    pub fn get_object(&self, request: JsValue) -> Promise {
        self.core.unary("getObject", &request)
    }
    #[wasm_bindgen(js_name = headObject)]
    pub fn head_object(&self, request: JsValue) -> Promise {
        self.core.unary("headObject", &request)
    }
    #[wasm_bindgen(js_name = deleteObject)]
    pub fn delete_object(&self, request: JsValue) -> Promise {
        self.core.unary("deleteObject", &request)
    }
    #[wasm_bindgen(js_name = listObjects)]
    pub fn list_objects(&self, request: JsValue) -> Promise {
        self.core.unary("listObjects", &request)
    }
    #[wasm_bindgen(js_name = createMultipartUpload)]
    pub fn create_multipart_upload(&self, request: JsValue) -> Promise {
        self.core.unary("createMultipartUpload", &request)
    }
    #[wasm_bindgen(js_name = uploadPart)]
    pub fn upload_part(&self, request: JsValue) -> Promise {
        self.core.unary("uploadPart", &request)
    }
    #[wasm_bindgen(js_name = completeMultipartUpload)]
    pub fn complete_multipart_upload(&self, request: JsValue) -> Promise {
        self.core.unary("completeMultipartUpload", &request)
    }
    #[wasm_bindgen(js_name = abortMultipartUpload)]
    pub fn abort_multipart_upload(&self, request: JsValue) -> Promise {
        self.core.unary("abortMultipartUpload", &request)
    }
    #[wasm_bindgen(js_name = listMultipartUploads)]
    pub fn list_multipart_uploads(&self, request: JsValue) -> Promise {
        self.core.unary("listMultipartUploads", &request)
    }
    #[wasm_bindgen(js_name = chatStream)]
    pub fn chat_stream(&self, request: JsValue) -> ChatStream {
        self.core.stream("chatStream", &request)
    }
    #[wasm_bindgen(js_name = generateStream)]
    pub fn generate_stream(&self, request: JsValue) -> ChatStream {
        self.core.stream("generateStream", &request)
    }
    #[wasm_bindgen(js_name = chatqnaStream)]
    pub fn chatqna_stream(&self, request: JsValue) -> ChatStream {
        self.core.stream("chatqnaStream", &request)
    }
    /// `getObject({ stream: true })`'s engine half (node-host/lib/s3.js; not documented API):
    /// the head object first, then the body's chunks as `Uint8Array`s.
    #[wasm_bindgen(js_name = getObjectStream)]
    pub fn get_object_stream(&self, request: JsValue) -> ChatStream {
        self.core.object_stream(&request)
    }
    #[wasm_bindgen(js_name = signGetObject)]
    pub fn sign_get_object(&self, request: JsValue) -> Result<JsValue, JsValue> {
        self.core.local("signGetObject", &request)
    }
    #[wasm_bindgen(js_name = presignUrl)]
    pub fn presign_url(&self, request: JsValue) -> Result<JsValue, JsValue> {
        self.core.local("presignUrl", &request)
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

/// The eleven provider names (the package exports them as `PROVIDERS`).
#[wasm_bindgen]
pub fn providers() -> Vec<JsValue> {
    PROVIDERS.iter().map(|p| JsValue::from_str(p)).collect()
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
