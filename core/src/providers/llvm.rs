//! The seed's self-hosted model server (providers.md section 8).
//! Not implemented yet: every operation answers "not available".

use super::{unsupported, Ctx, Provider, ProviderInfo, Unary};
use crate::error::ApiError;
use crate::host::Headers;
use serde_json::Value;

pub struct Llvm;

pub static LLVM: Llvm = Llvm;

static INFO: ProviderInfo = ProviderInfo {
    name: "llvm",
    default_base_url: "http://localhost:8000",
    default_model: "default",
    key_env: &["LLVM_API_KEY"],
    requires_key: false,
};

impl Provider for Llvm {
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
