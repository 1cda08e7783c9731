//! SSE and NDJSON decoders that give the same events for any split of the bytes into chunks.
//! Lines are cut at byte level, so a UTF-8 character split across chunks is never damaged.

mod raw;
pub use raw::RawCodec;

/// A line longer than this is refused: a stream that never ends a line must not eat memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// An SSE event whose `data:` lines add up to more than this is refused: a server that never
/// sends the blank line closing an event must not eat memory either.
pub const MAX_EVENT_BYTES: usize = MAX_LINE_BYTES;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

/// Cuts `bytes` before the first `\n` or `\r`: the line, and the rest starting with that line
/// end. `None` when there is no line end. Never panics (the stream decoders' hot path).
#[inline]
pub(crate) fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = bytes.iter().position(|&b| b == b'\n' || b == b'\r')?;
    bytes.split_at_checked(i)
}

/// Splits bytes into lines ending in `\n`, `\r\n` or `\r`, across chunk boundaries.
#[derive(Default)]
struct Lines {
    buf: Vec<u8>,
    /// The last chunk ended in `\r`: a `\n` opening the next chunk belongs to that line end.
    after_cr: bool,
}

impl Lines {
    fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<String>) -> Result<(), DecodeError> {
        if self.after_cr {
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
            self.after_cr = false;
        }
        while let Some((line, end)) = split_line(bytes) {
            self.buf.extend_from_slice(line);
            out.push(crate::text::lossy(&self.buf).into_owned());
            self.buf.clear();
            bytes = match end {
                [b'\n', rest @ ..] | [b'\r', b'\n', rest @ ..] => rest,
                // A `\n` opening the next chunk would belong to this line end.
                [b'\r'] => {
                    self.after_cr = true;
                    &[]
                }
                [_, rest @ ..] => rest,
                [] => end, // never: `end` opens with the line end
            };
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > MAX_LINE_BYTES {
            return Err(DecodeError(format!(
                "a stream line exceeds {MAX_LINE_BYTES} bytes"
            )));
        }
        Ok(())
    }

    /// The unterminated last line, if any.
    fn finish(&mut self) -> Option<String> {
        self.after_cr = false;
        if self.buf.is_empty() {
            return None;
        }
        let line = crate::text::lossy(&self.buf).into_owned();
        self.buf.clear();
        Some(line)
    }
}

/// One server-sent event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `None` means the default "message".
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// The WHATWG event-stream rules: `field: value` (one leading space stripped, so TGI's
/// `data:{...}` parses too), `:` comments, several `data:` lines joined, dispatch on a blank line.
#[derive(Default)]
pub struct SseDecoder {
    lines: Lines,
    event: Option<String>,
    /// The `data:` lines so far, joined with `\n` as they come (no `join` at dispatch).
    data: String,
    /// The size of `data`, bounded by [`MAX_EVENT_BYTES`]; 0 until a line of this event.
    data_bytes: usize,
    has_data: bool,
}

impl SseDecoder {
    pub fn new() -> SseDecoder {
        SseDecoder::default()
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, DecodeError> {
        let mut events = Vec::new();
        self.feed_into(bytes, &mut events).map(|()| events)
    }

    /// Appends the events these bytes complete to `events`; on an error, the events completed
    /// before it are still appended (they were valid and may be delivered).
    pub fn feed_into(
        &mut self,
        bytes: &[u8],
        events: &mut Vec<SseEvent>,
    ) -> Result<(), DecodeError> {
        let mut lines = Vec::new();
        let cut = self.lines.feed(bytes, &mut lines);
        for line in lines {
            self.line(&line, events)?;
        }
        cut
    }

    /// End of the byte stream: an event not yet closed by a blank line is still delivered
    /// (servers that close the connection right after the last `data:` line lose nothing).
    pub fn finish(&mut self) -> Vec<SseEvent> {
        let mut events = Vec::new();
        if let Some(line) = self.lines.finish() {
            // The last line is bounded by the line limit, so the event stays bounded too.
            let _ = self.line(&line, &mut events);
        }
        self.dispatch(&mut events);
        events
    }

    fn line(&mut self, line: &str, events: &mut Vec<SseEvent>) -> Result<(), DecodeError> {
        if line.is_empty() {
            self.dispatch(events);
            return Ok(());
        }
        if line.starts_with(":") {
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(" ").unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                let first = self.data_bytes == 0;
                self.data_bytes += value.len() + 1;
                if self.data_bytes > MAX_EVENT_BYTES {
                    self.data.clear();
                    self.data_bytes = 0;
                    return Err(DecodeError(format!(
                        "a stream event exceeds {MAX_EVENT_BYTES} bytes"
                    )));
                }
                if !first {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_string()),
            _ => {} // id, retry and unknown fields do not change what we deliver
        }
        Ok(())
    }

    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        if self.has_data {
            events.push(SseEvent {
                event: self.event.take(),
                data: std::mem::take(&mut self.data),
            });
        }
        self.event = None;
        self.data.clear();
        self.data_bytes = 0;
        self.has_data = false;
    }
}

/// Newline-delimited JSON: one value per line, blank lines skipped.
#[derive(Default)]
pub struct NdjsonDecoder {
    lines: Lines,
}

impl NdjsonDecoder {
    pub fn new() -> NdjsonDecoder {
        NdjsonDecoder::default()
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, DecodeError> {
        let mut lines = Vec::new();
        self.feed_into(bytes, &mut lines).map(|()| lines)
    }

    /// Appends the lines these bytes complete; on an error, the lines before it still are.
    pub fn feed_into(&mut self, bytes: &[u8], out: &mut Vec<String>) -> Result<(), DecodeError> {
        let mut lines = Vec::new();
        let cut = self.lines.feed(bytes, &mut lines);
        out.extend(lines.into_iter().filter(|l| !l.trim().is_empty()));
        cut
    }

    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(l) = self.lines.finish().filter(|l| !l.trim().is_empty()) {
            out.push(l);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(d.feed(c).unwrap());
        }
        out.extend(d.finish());
        out
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_string),
            data: data.to_string(),
        }
    }

    #[test]
    fn sse_fields_comments_and_joins() {
        let text = b": keep-alive\n\nevent: message_start\ndata: {\"a\":1}\n\ndata:{\"tgi\":true}\n\ndata: one\ndata: two\n\nid: 7\nretry: 10\ndata: [DONE]\n\n";
        assert_eq!(
            sse_all(&[text]),
            vec![
                ev(Some("message_start"), "{\"a\":1}"),
                ev(None, "{\"tgi\":true}"),
                ev(None, "one\ntwo"),
                ev(None, "[DONE]"),
            ]
        );
    }

    #[test]
    fn sse_line_endings_and_splits() {
        let crlf = b"data: a\r\n\r\ndata: b\r\rdata: c\n\n";
        let want = vec![ev(None, "a"), ev(None, "b"), ev(None, "c")];
        assert_eq!(sse_all(&[crlf]), want);
        // A \r\n split between chunks is one line end, not two.
        assert_eq!(
            sse_all(&[b"data: a\r", b"\n\r", b"\ndata: b\r", b"\r", b"data: c\n\n"]),
            want
        );
    }

    #[test]
    fn sse_event_without_blank_line_at_eof() {
        assert_eq!(sse_all(&[b"data: last"]), vec![ev(None, "last")]);
        assert_eq!(sse_all(&[b"event: ping\n\n"]), vec![]);
    }

    #[test]
    fn utf8_split_across_chunks() {
        let text = "data: héllo wörld ✓\n\n".as_bytes();
        for i in 0..text.len() {
            assert_eq!(
                sse_all(&[&text[..i], &text[i..]]),
                vec![ev(None, "héllo wörld ✓")]
            );
        }
    }

    #[test]
    fn ndjson_lines() {
        let mut d = NdjsonDecoder::new();
        let mut out = d.feed(b"{\"a\":1}\n\n{\"b\"").unwrap();
        out.extend(d.feed(b":2}\r\n{\"c\":3}").unwrap());
        out.extend(d.finish());
        assert_eq!(out, vec!["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
    }

    #[test]
    fn an_endless_event_is_refused_and_earlier_events_kept() {
        let mut d = SseDecoder::new();
        let mut events = Vec::new();
        d.feed_into(b"data: first\n\n", &mut events).unwrap();
        let line = format!("data: {}\n", "x".repeat(1024 * 1024));
        let mut failed = false;
        for _ in 0..20 {
            if d.feed_into(line.as_bytes(), &mut events).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "data lines without a blank line must be bounded");
        assert_eq!(events, vec![ev(None, "first")]);
    }

    #[test]
    fn events_before_a_refused_line_are_kept() {
        let mut d = NdjsonDecoder::new();
        let mut out = Vec::new();
        let mut chunk = b"{\"a\":1}\n".to_vec();
        chunk.extend(vec![b'x'; MAX_LINE_BYTES + 1]);
        assert!(d.feed_into(&chunk, &mut out).is_err());
        assert_eq!(out, vec!["{\"a\":1}"]);
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut d = NdjsonDecoder::new();
        let chunk = vec![b'x'; 1024 * 1024];
        let mut failed = false;
        for _ in 0..20 {
            if d.feed(&chunk).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }
}
