//! S3-compatible object storage signed with SigV4 (providers.md section 11).
//! Not implemented yet: every operation answers "not available".

use super::{unsupported, Ctx, Provider, ProviderInfo, Unary};
use crate::error::ApiError;
use crate::host::Headers;
use serde_json::Value;

pub struct S3Kit;

pub static S3_KIT: S3Kit = S3Kit;

static INFO: ProviderInfo = ProviderInfo {
    name: "s3_kit",
    default_base_url: "http://localhost:9000",
    default_model: "",
    key_env: &[],
    requires_key: false,
};

impl Provider for S3Kit {
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
