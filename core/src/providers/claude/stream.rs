//! Anthropic's named-event SSE stream (providers.md section 3, "Streaming").

use super::{decode, error_fields, error_kind, usage_from, UsageIn};
use crate::error::{ApiError, ErrorType};
use crate::pipeline::StreamCodec;
use crate::providers::{usage_json, ResultJson};
use crate::stats::Usage;
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
/// `message_stop`; `event: error` is a failure after the 200.
#[derive(Default)]
pub struct ClaudeStreamCodec {
    sse: SseDecoder,
    text: String,
    finish_reason: Option<String>,
    prompt: Option<u64>,
    completion: Option<u64>,
    done: bool,
}

impl ClaudeStreamCodec {
    pub fn new() -> ClaudeStreamCodec {
        ClaudeStreamCodec::default()
    }

    fn event(&mut self, ev: SseEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        if self.done {
            return Ok(());
        }
        let named = ev.event.as_deref().unwrap_or("");
        match named {
            "ping" | "content_block_start" | "content_block_stop" => return Ok(()),
            "error" => return Err(stream_error(&ev.data)),
            "" | "message_start" | "content_block_delta" | "message_delta" | "message_stop" => {}
            // Event types added later are skipped, as the SDK does.
            _ => return Ok(()),
        }
        let e: EventIn = serde_json::from_str(&ev.data)
            .map_err(|err| decode("a stream event is not JSON", err))?;
        let kind = match named {
            "" => e.kind.as_deref().unwrap_or(""),
            n => n,
        };
        match kind {
            "message_start" => {
                if let Some(u) = e.message.and_then(|m| m.usage) {
                    self.prompt = u.input_tokens.or(self.prompt);
                    self.completion = u.output_tokens.or(self.completion);
                }
            }
            "content_block_delta" => {
                let delta = e
                    .delta
                    .as_ref()
                    .filter(|d| d.kind.as_deref() == Some("text_delta"))
                    .and_then(|d| d.text.as_deref())
                    .unwrap_or("");
                if !delta.is_empty() {
                    self.text.push_str(delta);
                    let mut item = ResultJson::new(delta.len() + 32);
                    item.str("delta", delta).raw("done", "false");
                    out.push(item.finish());
                }
            }
            "message_delta" => {
                if let Some(r) = e.delta.as_ref().and_then(|d| d.stop_reason.as_deref()) {
                    self.finish_reason = Some(r.to_string());
                }
                // Cumulative counts: the latest value replaces the earlier one.
                if let Some(u) = e.usage {
                    self.prompt = u.input_tokens.or(self.prompt);
                    self.completion = u.output_tokens.or(self.completion);
                }
            }
            "message_stop" => out.push(self.final_item()),
            "error" => return Err(stream_error(&ev.data)),
            _ => {}
        }
        Ok(())
    }

    fn final_item(&mut self) -> String {
        self.done = true;
        let mut item = ResultJson::new(128);
        item.str("delta", "")
            .raw("done", "true")
            .opt_str("finish_reason", self.finish_reason.as_deref());
        match self.usage() {
            Some(u) => item.raw("usage", &usage_json(&u)),
            None => item.raw("usage", "null"),
        };
        item.finish()
    }
}

impl StreamCodec for ClaudeStreamCodec {
    fn reset(&mut self) {
        *self = ClaudeStreamCodec::default();
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, ApiError> {
        let events = self
            .sse
            .feed(bytes)
            .map_err(|e| ApiError::new(ErrorType::DecodeError, e.0))?;
        let mut out = Vec::new();
        for ev in events {
            self.event(ev, &mut out)?;
        }
        Ok(out)
    }

    /// Only `message_stop` ends the stream: a body cut before it yields nothing final.
    fn finish(&mut self) -> Result<Vec<String>, ApiError> {
        let mut out = Vec::new();
        for ev in self.sse.finish() {
            self.event(ev, &mut out)?;
        }
        Ok(out)
    }

    fn text(&self) -> &str {
        &self.text
    }

    fn usage(&self) -> Option<Usage> {
        (self.prompt.is_some() || self.completion.is_some())
            .then(|| usage_from(self.prompt, self.completion))
    }

    fn done(&self) -> bool {
        self.done
    }
}
