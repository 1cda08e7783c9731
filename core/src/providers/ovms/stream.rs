//! OVMS streams: `/v3/completions` chunks, and the raw `{"error"}` line OVMS writes into a
//! stream without SSE framing.

use crate::classify::classify_stream_error;
use crate::codec::{Fed, StreamCodec};
use crate::error::ErrorType;
use crate::json::Value;
use crate::providers::shared::streaming::{AnyChunk, ChunkEvents, FramedCodec};
use crate::providers::{fail, Fail};
use crate::stats::Usage;
use crate::stream::{split_line, SseDecoder, MAX_LINE_BYTES};

/// `/v3/completions` SSE: `data: {text_completion chunk}` with the text at `choices[0].text`,
/// ending with `data: [DONE]` (see [`ChunkEvents`]).
pub type CompletionStreamCodec = FramedCodec<SseDecoder, ChunkEvents<AnyChunk>>;

/// OVMS reports a failure mid-stream by writing a raw `{"error": "..."}` with no SSE framing
/// (docs/providers.md). An SSE decoder would take it for an unknown field and drop it, so this
/// wrapper lifts any line that opens with `{` out of the byte stream before the SSE codec sees
/// it and turns it into the stream's error. Chunk-split safe: its state is one flag and the
/// raw line being collected. The wrapped codec is boxed, so this wrapper is compiled once for
/// both OVMS streams instead of once per codec.
pub struct RawErrorLines {
    inner: Box<dyn StreamCodec>,
    at_line_start: bool,
    raw: Option<Vec<u8>>,
}

impl RawErrorLines {
    pub fn new(inner: impl StreamCodec + 'static) -> RawErrorLines {
        RawErrorLines {
            inner: Box::new(inner),
            at_line_start: true,
            raw: None,
        }
    }

    fn raw_line(&self, line: &[u8]) -> Result<(), Fail> {
        if self.inner.done() {
            return Ok(()); // after the end marker nothing counts
        }
        let is_error = crate::json::from_slice::<Value>(line)
            .ok()
            .is_some_and(|v| v.get("error").is_some());
        Err(if is_error {
            Box::new(classify_stream_error(line))
        } else {
            fail(
                ErrorType::DecodeError,
                "the stream carried a line that is neither SSE nor an error object",
            )
        })
    }
}

impl RawErrorLines {
    /// Appends the items these bytes give; on an error, the items before it are appended too.
    fn feed_into(&mut self, bytes: &[u8], out: &mut Vec<String>) -> Result<(), Fail> {
        let mut rest = bytes;
        while !rest.is_empty() {
            if let Some(raw) = self.raw.as_mut() {
                match split_line(rest) {
                    Some((text, end)) => {
                        raw.extend_from_slice(text);
                        // Past the line end (`end` opens with it).
                        rest = end.split_first().map_or(end, |(_, after)| after);
                        let line = self.raw.take().unwrap_or_default();
                        self.at_line_start = true;
                        self.raw_line(&line)?;
                    }
                    None => {
                        raw.extend_from_slice(rest);
                        if raw.len() > MAX_LINE_BYTES {
                            return Err(fail(
                                ErrorType::DecodeError,
                                format!("a stream line exceeds {MAX_LINE_BYTES} bytes"),
                            ));
                        }
                        rest = &[];
                    }
                }
                continue;
            }
            let mut at_start = self.at_line_start;
            let mut cut = None;
            for (i, &b) in rest.iter().enumerate() {
                if at_start && b == b'{' {
                    cut = Some(i);
                    break;
                }
                at_start = b == b'\n' || b == b'\r';
            }
            self.at_line_start = at_start;
            // `cut` (if any) is an index into `rest`, so the split always succeeds.
            let (sse, raw_start) = match cut.and_then(|i| rest.split_at_checked(i)) {
                Some((sse, tail)) => (sse, Some(tail)),
                None => (rest, None),
            };
            if !sse.is_empty() {
                let fed = self.inner.feed(sse);
                out.extend(fed.items);
                if let Some(e) = fed.error {
                    return Err(Box::new(e));
                }
            }
            match raw_start {
                Some(tail) => {
                    self.raw = Some(Vec::new());
                    rest = tail;
                }
                None => rest = &[],
            }
        }
        Ok(())
    }
}

impl StreamCodec for RawErrorLines {
    fn reset(&mut self) {
        self.inner.reset();
        self.at_line_start = true;
        self.raw = None;
    }

    fn keep_text(&mut self, keep: bool) {
        self.inner.keep_text(keep);
    }

    fn feed(&mut self, bytes: &[u8]) -> Fed {
        let mut out = Vec::new();
        match self.feed_into(bytes, &mut out) {
            Ok(()) => Fed::items(out),
            Err(e) => Fed::failed(out, *e),
        }
    }

    fn finish(&mut self) -> Fed {
        if let Some(line) = self.raw.take() {
            if let Err(e) = self.raw_line(&line) {
                return Fed::failed(Vec::new(), *e);
            }
        }
        self.inner.finish()
    }

    fn text(&self) -> &str {
        self.inner.text()
    }

    fn usage(&self) -> Option<Usage> {
        self.inner.usage()
    }

    fn done(&self) -> bool {
        self.inner.done()
    }
}
