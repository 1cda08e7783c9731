//! OpenVINO Model Server: /v3 OpenAI-style, KServe v2, TF-Serving (providers.md section 10).
//! Not implemented yet: every operation answers "not available".

use super::{unsupported, Ctx, Provider, ProviderInfo, Unary};
use crate::error::ApiError;
use crate::host::Headers;
use serde_json::Value;

pub struct Ovms;

pub static OVMS: Ovms = Ovms;

static INFO: ProviderInfo = ProviderInfo {
    name: "ovms",
    default_base_url: "http://localhost:8000",
    default_model: "default",
    key_env: &["OVMS_API_KEY"],
    requires_key: false,
};

impl Provider for Ovms {
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
