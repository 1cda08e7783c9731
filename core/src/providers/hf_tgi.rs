//! Hugging Face Text Generation Inference (providers.md section 6).
//! Not implemented yet: every operation answers "not available".

use super::{unsupported, Ctx, Provider, ProviderInfo, Unary};
use crate::error::ApiError;
use crate::host::Headers;
use serde_json::Value;

pub struct HfTgi;

pub static HF_TGI: HfTgi = HfTgi;

static INFO: ProviderInfo = ProviderInfo {
    name: "hf_tgi",
    default_base_url: "http://localhost:8080",
    default_model: "tgi",
    key_env: &["HF_API_KEY", "HF_API_TOKEN"],
    requires_key: false,
};

impl Provider for HfTgi {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn auth_headers(&self, _ctx: &Ctx) -> Headers {
        Vec::new()
    }

    fn unary(&self, op: &str, _ctx: &Ctx, _args: &Value) -> Result<Unary, ApiError> {
        Err(unsupported(INFO.name, op))
    }
}
