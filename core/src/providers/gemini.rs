//! Google Generative Language API (providers.md section 4).
//! Not implemented yet: every operation answers "not available".

use super::{unsupported, Ctx, Provider, ProviderInfo, Unary};
use crate::error::ApiError;
use crate::host::Headers;
use serde_json::Value;

pub struct Gemini;

pub static GEMINI: Gemini = Gemini;

static INFO: ProviderInfo = ProviderInfo {
    name: "gemini",
    default_base_url: "https://generativelanguage.googleapis.com",
    default_model: "gemini-2.0-flash",
    key_env: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    requires_key: true,
};

impl Provider for Gemini {
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
