//! Anthropic Messages API (providers.md section 3).
//! Not implemented yet: every operation answers "not available".

use super::{unsupported, Ctx, Provider, ProviderInfo, Unary};
use crate::error::ApiError;
use crate::host::Headers;
use serde_json::Value;

pub struct Claude;

pub static CLAUDE: Claude = Claude;

static INFO: ProviderInfo = ProviderInfo {
    name: "claude",
    default_base_url: "https://api.anthropic.com",
    default_model: "claude-3-5-haiku-latest",
    key_env: &["ANTHROPIC_API_KEY"],
    requires_key: true,
};

impl Provider for Claude {
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
