//! The JavaScript surface of API.md, over the core engine.

mod client;
mod convert;
mod host;
mod signals;
mod stream;

pub use stream::ChatStream;

use client::ClientCore;
use js_sys::{Function, Promise};
use resilient_core::providers::PROVIDERS;
use wasm_bindgen::prelude::*;

/// One JS class per provider, all with the same members (API.md "Calls" and "Observing").
macro_rules! provider_class {
    ($class:ident, $name:literal) => {
        #[wasm_bindgen]
        pub struct $class {
            core: ClientCore,
        }

        #[wasm_bindgen]
        impl $class {
            #[wasm_bindgen(constructor)]
            pub fn new(options: JsValue) -> Result<$class, JsValue> {
                Ok($class {
                    core: ClientCore::new($name, &options)?,
                })
            }
            #[wasm_bindgen(getter)]
            pub fn provider(&self) -> String {
                $name.to_string()
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
            #[wasm_bindgen(js_name = presignUrl)]
            pub fn presign_url(&self, request: JsValue) -> Result<JsValue, JsValue> {
                self.core.local("presignUrl", &request)
            }
            #[wasm_bindgen(js_name = makeRequest)]
            pub fn make_request(
                &self,
                endpoint_url: JsValue,
                data: JsValue,
                options: JsValue,
            ) -> Promise {
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
        }
    };
}

provider_class!(OpenAI, "openai");
provider_class!(Groq, "groq");
provider_class!(Claude, "claude");
provider_class!(Gemini, "gemini");
provider_class!(Ollama, "ollama");
provider_class!(HfTgi, "hf_tgi");
provider_class!(HfTei, "hf_tei");
provider_class!(Llvm, "llvm");
provider_class!(Opea, "opea");
provider_class!(Ovms, "ovms");
provider_class!(S3Kit, "s3_kit");

/// `createClient(name, options)`: the class for `name`, constructed with `options`.
#[wasm_bindgen(js_name = createClient)]
pub fn create_client(name: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let name = name.as_string().unwrap_or_default();
    match name.as_str() {
        "openai" => OpenAI::new(options).map(JsValue::from),
        "groq" => Groq::new(options).map(JsValue::from),
        "claude" => Claude::new(options).map(JsValue::from),
        "gemini" => Gemini::new(options).map(JsValue::from),
        "ollama" => Ollama::new(options).map(JsValue::from),
        "hf_tgi" => HfTgi::new(options).map(JsValue::from),
        "hf_tei" => HfTei::new(options).map(JsValue::from),
        "llvm" => Llvm::new(options).map(JsValue::from),
        "opea" => Opea::new(options).map(JsValue::from),
        "ovms" => Ovms::new(options).map(JsValue::from),
        "s3_kit" => S3Kit::new(options).map(JsValue::from),
        n => Err(convert::config_error(&format!(
            "createClient: unknown provider '{n}'; providers are {}",
            PROVIDERS.join(", ")
        ))),
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
