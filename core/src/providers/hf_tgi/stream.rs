//! TGI's native token stream (`POST /generate_stream`).

use super::errors::hf_stream_error;
use super::Details;
use crate::error::{ApiError, ErrorType};
use crate::pipeline::StreamCodec;
use crate::providers::{usage_json, ResultJson};
use crate::stats::Usage;
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
#[derive(Default)]
pub struct GenerateStreamCodec {
    sse: SseDecoder,
    text: String,
    usage: Option<Usage>,
    done: bool,
}

impl GenerateStreamCodec {
    fn event(&mut self, ev: SseEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        let data = ev.data.trim();
        if self.done || data.is_empty() || data == "[DONE]" {
            return Ok(());
        }
        let e: StreamEvent = serde_json::from_str(data).map_err(|e| {
            ApiError::new(
                ErrorType::DecodeError,
                format!("a stream event is not a TGI token event: {e}"),
            )
        })?;
        if e.error.is_some() {
            return Err(hf_stream_error(data.as_bytes()));
        }
        if let Some(t) = e
            .token
            .as_ref()
            .filter(|t| !t.special && !t.text.is_empty())
        {
            self.text.push_str(&t.text);
            let mut item = ResultJson::new(t.text.len() + 32);
            item.str("delta", &t.text).raw("done", "false");
            out.push(item.finish());
        }
        if e.generated_text.is_some() {
            self.done = true;
            let details = e.details.as_ref();
            self.usage = details.map(|d| {
                let prompt = d.input_length.unwrap_or(0);
                let completion = d.generated_tokens.unwrap_or(0);
                Usage {
                    prompt,
                    completion,
                    total: prompt.saturating_add(completion),
                }
            });
            let mut item = ResultJson::new(160);
            item.str("delta", "").raw("done", "true").opt_str(
                "finish_reason",
                details.and_then(|d| d.finish_reason.as_deref()),
            );
            match &self.usage {
                Some(u) => item.raw("usage", &usage_json(u)),
                None => item.raw("usage", "null"),
            };
            out.push(item.finish());
        }
        Ok(())
    }
}

impl StreamCodec for GenerateStreamCodec {
    fn reset(&mut self) {
        *self = GenerateStreamCodec::default();
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
        self.usage
    }

    fn done(&self) -> bool {
        self.done
    }
}
