//! Ollama's NDJSON streams (`/api/chat`, `/api/generate` with `"stream": true`).

use super::{Chunk, Route};
use crate::classify::classify_stream_error;
use crate::error::ApiError;
use crate::providers::decode_error;
use crate::providers::shared::streaming::{FrameHandler, FramedCodec, StreamProgress};
use crate::stream::NdjsonDecoder;

/// NDJSON chat or generate lines: text fragments, then the `"done": true` line with the
/// counts; an `{"error": ...}` line after the 200 is the server's error. No `done` line means
/// the stream was cut.
#[derive(Clone)]
pub struct OllamaLines {
    pub route: Route,
}

pub type NdjsonCodec = FramedCodec<NdjsonDecoder, OllamaLines>;

impl FrameHandler for OllamaLines {
    type Frame = String;

    fn frame(&mut self, line: String, stream: &mut StreamProgress) -> Result<(), ApiError> {
        let c: Chunk = serde_json::from_slice(line.as_bytes())
            .map_err(|e| decode_error("a stream line is not an Ollama chunk", e))?;
        if c.error.is_some() {
            return Err(classify_stream_error(line.as_bytes()));
        }
        stream.delta(c.text(self.route).unwrap_or(""));
        if c.done {
            stream.usage = Some(c.usage());
            stream.finish_reason = c.done_reason.as_deref().map(str::to_string);
            stream.finish();
        }
        Ok(())
    }
}
