//! TGI's native token stream (`POST /generate_stream`).

use super::Details;
use crate::error::ApiError;
use crate::providers::shared::hf::hf_stream_error;
use crate::providers::shared::streaming::{
    is_done_marker, FrameHandler, FramedCodec, StreamProgress,
};
use crate::providers::{decode_error, usage_from};
use crate::stream::{SseDecoder, SseEvent};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
struct StreamEvent<'a> {
    #[serde(borrow)]
    token: Option<Token<'a>>,
    #[serde(borrow)]
    generated_text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    details: Option<Details<'a>>,
    error: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Token<'a> {
    #[serde(borrow)]
    text: Cow<'a, str>,
    #[serde(default)]
    special: bool,
}

/// `/generate_stream`: SSE token events; only the event with a non-null `generated_text` is
/// final (there is no `[DONE]`); `data:{"error":..., "error_type":...}` is a mid-stream error.
/// Special tokens (`</s>`) are not text.
#[derive(Clone, Default)]
pub struct TokenEvents;

pub type GenerateStreamCodec = FramedCodec<SseDecoder, TokenEvents>;

impl FrameHandler for TokenEvents {
    type Frame = SseEvent;

    fn frame(&mut self, ev: SseEvent, stream: &mut StreamProgress) -> Result<(), ApiError> {
        let data = ev.data.trim();
        if data.is_empty() || is_done_marker(data) {
            return Ok(());
        }
        let e: StreamEvent = serde_json::from_slice(data.as_bytes())
            .map_err(|e| decode_error("a stream event is not a TGI token event", e))?;
        if e.error.is_some() {
            return Err(hf_stream_error(data.as_bytes()));
        }
        if let Some(t) = e.token.as_ref().filter(|t| !t.special) {
            stream.delta(&t.text);
        }
        if e.generated_text.is_some() {
            let details = e.details.as_ref();
            stream.usage = details.map(|d| usage_from(d.input_length, d.generated_tokens));
            stream.finish_reason = details
                .and_then(|d| d.finish_reason.as_deref())
                .map(str::to_string);
            stream.finish();
        }
        Ok(())
    }
}
