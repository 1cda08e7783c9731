//! Anthropic's named-event SSE stream (docs/providers.md).

use super::{error_fields, error_kind, usage_in, UsageIn};
use crate::error::ErrorType;
use crate::providers::shared::read::Fields;
use crate::providers::shared::streaming::{FrameHandler, FramedCodec, StreamProgress};
use crate::providers::usage_from;
use crate::providers::{fail, Fail};
use crate::stream::{SseDecoder, SseEvent};

/// An `event: error` inside a 200 stream: its own type, else `stream_interrupted`.
fn stream_error(data: &str) -> Fail {
    let Some((kind, message)) = error_fields(data.as_bytes()) else {
        return fail(
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
    fail(t, message)
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
    fn frame(&mut self, ev: SseEvent, stream: &mut StreamProgress) -> Result<(), Fail> {
        let named = ev.event.as_deref().unwrap_or("");
        match named {
            "ping" | "content_block_start" | "content_block_stop" => return Ok(()),
            "error" => return Err(stream_error(&ev.data)),
            "" | "message_start" | "content_block_delta" | "message_delta" | "message_stop" => {}
            // Event types added later are skipped, as the SDK does.
            _ => return Ok(()),
        }
        const F: Fields = Fields {
            what: "a stream event is not JSON",
        };
        let e = F.event(ev.data.as_bytes())?;
        // every field is checked, whatever the event, as a derived reader of the event did
        let start_usage = match F.raw_object(&e, "message")? {
            Some(m) => usage_in(&m, F)?,
            None => None,
        };
        let (delta_kind, text, stop) = match F.raw_object(&e, "delta")? {
            Some(d) => (
                F.raw_string(&d, "type")?,
                F.raw_string(&d, "text")?,
                F.raw_string(&d, "stop_reason")?,
            ),
            None => (None, None, None),
        };
        let usage = usage_in(&e, F)?;
        let own_type = F.raw_string(&e, "type")?;
        let kind = match named {
            "" => own_type.as_deref().unwrap_or(""),
            n => n,
        };
        match kind {
            "message_start" => self.count(start_usage, stream),
            "content_block_delta" => {
                let text = text.filter(|_| delta_kind.as_deref() == Some("text_delta"));
                stream.delta(text.as_deref().unwrap_or(""));
            }
            "message_delta" => {
                if let Some(r) = stop {
                    stream.finish_reason = Some(r.into_owned());
                }
                self.count(usage, stream);
            }
            "message_stop" => stream.finish(),
            "error" => return Err(stream_error(&ev.data)),
            _ => {}
        }
        Ok(())
    }
}
