//! OPEA microservices and the ChatQnA gateway (providers.md section 9).
//! Not implemented yet: every operation answers "not available".

use super::{unsupported, Ctx, Provider, ProviderInfo, Unary};
use crate::error::ApiError;
use crate::host::Headers;
use serde_json::Value;

pub struct Opea;

pub static OPEA: Opea = Opea;

static INFO: ProviderInfo = ProviderInfo {
    name: "opea",
    default_base_url: "http://localhost:8888",
    default_model: "Intel/neural-chat-7b-v3-3",
    key_env: &[],
    requires_key: false,
};

impl Provider for Opea {
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
