//! Ollama's NDJSON streams (`/api/chat`, `/api/generate` with `"stream": true`).

use super::{Chunk, Route};
use crate::classify::classify_stream_error;
use crate::providers::shared::read::Fields;
use crate::providers::shared::streaming::{FrameHandler, FramedCodec, StreamProgress};
use crate::providers::Fail;
use crate::stream::{NdjsonDecoder, SseEvent};

/// NDJSON chat or generate lines: text fragments, then the `"done": true` line with the
/// counts; an `{"error": ...}` line after the 200 is the server's error. No `done` line means
/// the stream was cut.
#[derive(Clone)]
pub struct OllamaLines {
    pub route: Route,
}

pub type NdjsonCodec = FramedCodec<NdjsonDecoder, OllamaLines>;

impl FrameHandler for OllamaLines {
    fn frame(&mut self, line: SseEvent, stream: &mut StreamProgress) -> Result<(), Fail> {
        let line = line.data;
        const F: Fields = Fields {
            what: "a stream line is not an Ollama chunk",
        };
        let c = Chunk::read(line.as_bytes(), F)?;
        if c.error {
            return Err(Box::new(classify_stream_error(line.as_bytes())));
        }
        stream.delta(c.text(self.route).unwrap_or(""));
        if c.done {
            stream.usage = Some(c.usage());
            stream.finish_reason = c.done_reason.map(|r| r.into_owned());
            stream.finish();
        }
        Ok(())
    }
}
