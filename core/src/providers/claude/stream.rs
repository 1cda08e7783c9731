//! Anthropic's named-event SSE stream (docs/providers.md).

use super::{error_fields, error_kind, UsageIn};
use crate::error::{ApiError, ErrorType};
use crate::providers::shared::streaming::{FrameHandler, FramedCodec, StreamProgress};
use crate::providers::{decode_error, usage_from};
use crate::stream::{SseDecoder, SseEvent};
use serde::Deserialize;
use std::borrow::Cow;

/// An `event: error` inside a 200 stream: its own type, else `stream_interrupted`.
fn stream_error(data: &str) -> ApiError {
    let Some((kind, message)) = error_fields(data.as_bytes()) else {
        return ApiError::new(
            ErrorType::StreamInterrupted,
            "the server reported an error in the stream",
        );
    };
    let t = error_kind(&kind, &message).unwrap_or(match kind.as_str() {
        "api_error" => ErrorType::ServerError,
        "invalid_request_error" => ErrorType::InvalidRequest,
        _ => ErrorType::StreamInterrupted,
    });
    let message = if message.is_empty() { kind } else { message };
    ApiError::new(t, message)
}

#[derive(Deserialize)]
struct EventIn<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    message: Option<StartIn>,
    #[serde(borrow)]
    delta: Option<DeltaIn<'a>>,
    usage: Option<UsageIn>,
}

#[derive(Deserialize)]
struct StartIn {
    usage: Option<UsageIn>,
}

#[derive(Deserialize)]
struct DeltaIn<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    stop_reason: Option<Cow<'a, str>>,
}

/// Anthropic's named SSE events: text from `content_block_delta`/`text_delta`, input usage from
/// `message_start`, stop reason and output usage from `message_delta`, the end at
/// `message_stop` (only there: a body cut before it yields nothing final); `event: error` is a
/// failure after the 200.
#[derive(Clone, Default)]
pub struct ClaudeEvents {
    prompt: Option<u64>,
    completion: Option<u64>,
}

pub type ClaudeStreamCodec = FramedCodec<SseDecoder, ClaudeEvents>;

impl ClaudeEvents {
    /// Cumulative counts: the latest value replaces the earlier one.
    fn count(&mut self, usage: Option<UsageIn>, stream: &mut StreamProgress) {
        if let Some(u) = usage {
            self.prompt = u.input_tokens.or(self.prompt);
            self.completion = u.output_tokens.or(self.completion);
        }
        stream.usage = (self.prompt.is_some() || self.completion.is_some())
            .then(|| usage_from(self.prompt, self.completion));
    }
}

impl FrameHandler for ClaudeEvents {
    type Frame = SseEvent;

    fn frame(&mut self, ev: SseEvent, stream: &mut StreamProgress) -> Result<(), ApiError> {
        let named = ev.event.as_deref().unwrap_or("");
        match named {
            "ping" | "content_block_start" | "content_block_stop" => return Ok(()),
            "error" => return Err(stream_error(&ev.data)),
            "" | "message_start" | "content_block_delta" | "message_delta" | "message_stop" => {}
            // Event types added later are skipped, as the SDK does.
            _ => return Ok(()),
        }
        let e: EventIn = serde_json::from_slice(ev.data.as_bytes())
            .map_err(|err| decode_error("a stream event is not JSON", err))?;
        let kind = match named {
            "" => e.kind.as_deref().unwrap_or(""),
            n => n,
        };
        match kind {
            "message_start" => self.count(e.message.and_then(|m| m.usage), stream),
            "content_block_delta" => {
                let delta = e
                    .delta
                    .as_ref()
                    .filter(|d| d.kind.as_deref() == Some("text_delta"))
                    .and_then(|d| d.text.as_deref())
                    .unwrap_or("");
                stream.delta(delta);
            }
            "message_delta" => {
                if let Some(r) = e.delta.as_ref().and_then(|d| d.stop_reason.as_deref()) {
                    stream.finish_reason = Some(r.to_string());
                }
                self.count(e.usage, stream);
            }
            "message_stop" => stream.finish(),
            "error" => return Err(stream_error(&ev.data)),
            _ => {}
        }
        Ok(())
    }
}
