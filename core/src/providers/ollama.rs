//! Ollama native API with NDJSON streams (providers.md section 5).
//! Not implemented yet: every operation answers "not available".

use super::{unsupported, Ctx, Provider, ProviderInfo, Unary};
use crate::error::ApiError;
use crate::host::Headers;
use serde_json::Value;

pub struct Ollama;

pub static OLLAMA: Ollama = Ollama;

static INFO: ProviderInfo = ProviderInfo {
    name: "ollama",
    default_base_url: "http://localhost:11434",
    default_model: "llama3.2",
    key_env: &[],
    requires_key: false,
};

impl Provider for Ollama {
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
