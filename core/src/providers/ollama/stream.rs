//! Ollama's NDJSON streams (`/api/chat`, `/api/generate` with `"stream": true`).

use super::{decode_error, Chunk, Route};
use crate::classify::classify_stream_error;
use crate::error::{ApiError, ErrorType};
use crate::pipeline::StreamCodec;
use crate::providers::{usage_json, ResultJson};
use crate::stats::Usage;
use crate::stream::NdjsonDecoder;

/// NDJSON chat or generate stream: text fragments, then the `"done": true` line with the
/// counts; an `{"error": ...}` line after the 200 is the server's error.
pub struct NdjsonCodec {
    route: Route,
    lines: NdjsonDecoder,
    text: String,
    usage: Option<Usage>,
    done: bool,
}

impl NdjsonCodec {
    pub fn new(route: Route) -> NdjsonCodec {
        NdjsonCodec {
            route,
            lines: NdjsonDecoder::new(),
            text: String::new(),
            usage: None,
            done: false,
        }
    }

    fn line(&mut self, line: &str, out: &mut Vec<String>) -> Result<(), ApiError> {
        if self.done {
            return Ok(());
        }
        let c: Chunk = serde_json::from_str(line)
            .map_err(|e| decode_error("a stream line is not an Ollama chunk", e))?;
        if c.error.is_some() {
            return Err(classify_stream_error(line.as_bytes()));
        }
        let delta = c.text(self.route).unwrap_or("");
        if !delta.is_empty() {
            self.text.push_str(delta);
            let mut item = ResultJson::new(delta.len() + 32);
            item.str("delta", delta).raw("done", "false");
            out.push(item.finish());
        }
        if c.done {
            let usage = c.usage();
            self.usage = Some(usage);
            self.done = true;
            let mut item = ResultJson::new(160);
            item.str("delta", "")
                .raw("done", "true")
                .opt_str("finish_reason", c.done_reason.as_deref())
                .raw("usage", &usage_json(&usage));
            out.push(item.finish());
        }
        Ok(())
    }
}

impl StreamCodec for NdjsonCodec {
    fn reset(&mut self) {
        *self = NdjsonCodec::new(self.route);
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, ApiError> {
        let lines = self
            .lines
            .feed(bytes)
            .map_err(|e| ApiError::new(ErrorType::DecodeError, e.0))?;
        let mut out = Vec::new();
        for line in lines {
            self.line(&line, &mut out)?;
        }
        Ok(out)
    }

    /// A last line without its newline still counts; no `done` line means the stream was cut.
    fn finish(&mut self) -> Result<Vec<String>, ApiError> {
        let mut out = Vec::new();
        for line in self.lines.finish() {
            self.line(&line, &mut out)?;
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
