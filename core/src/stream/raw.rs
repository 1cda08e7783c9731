//! Raw bytes as a stream (`getObject({ stream: true })`), read through the engine like any
//! stream: the first item is the response head, each later item stands for one chunk, whose
//! bytes the host takes with `take_bytes` (they never become text). The last item is an empty
//! one with no bytes.

use crate::codec::{Fed, StreamCodec};
use crate::error::{ApiError, ErrorType};
use crate::host::{header, Headers};
use crate::stats::Usage;
use std::collections::VecDeque;

#[derive(Default)]
pub struct RawCodec {
    /// The retries the host may spend resuming the body (reported in the head).
    retries: u32,
    /// The head, until the first read delivers it.
    head: Option<String>,
    chunks: VecDeque<Vec<u8>>,
    /// Content-Length when the bytes arrive as sent (no Content-Encoding).
    declared: Option<u64>,
    received: u64,
    ended: bool,
}

impl RawCodec {
    pub fn new(retries: u32) -> RawCodec {
        RawCodec {
            retries,
            ..RawCodec::default()
        }
    }

    /// The head as the first items of a read (none once delivered): pushed, as collecting the
    /// option compiles a from-iterator function of its own.
    fn head_item(&mut self) -> Vec<String> {
        let mut items = Vec::new();
        if let Some(h) = self.head.take() {
            items.push(h);
        }
        items
    }
}

impl StreamCodec for RawCodec {
    fn reset(&mut self) {
        *self = RawCodec::new(self.retries);
    }
    fn keep_text(&mut self, _keep: bool) {}
    fn head(&mut self, status: u16, headers: &Headers) -> Result<(), ApiError> {
        let length = header(headers, "content-length").and_then(|l| l.trim().parse::<u64>().ok());
        if header(headers, "content-encoding").is_none() {
            self.declared = length;
        }
        // "status\0maxRetries\0content-length\0content-type\0etag\0checksum" (header values
        // hold no NUL); node-host/lib/s3.js reads it. Text, not JSON: no JSON code for it here.
        let h = |name| header(headers, name).unwrap_or_default();
        self.head = Some(format!(
            "{status}\0{}\0{}\0{}\0{}\0{}",
            self.retries,
            length.map(crate::text::decimal).unwrap_or_default(),
            h("content-type"),
            h("etag"),
            h("x-amz-checksum-sha256"),
        ));
        Ok(())
    }
    fn feed(&mut self, bytes: &[u8]) -> Fed {
        let mut items = self.head_item();
        if !bytes.is_empty() {
            self.received += bytes.len() as u64;
            self.chunks.push_back(bytes.to_vec());
            items.push(String::new());
        }
        Fed::items(items)
    }
    fn finish(&mut self) -> Fed {
        self.ended = true;
        if let Some(n) = self.declared.filter(|n| self.received < *n) {
            let e = ApiError::new(
                ErrorType::StreamInterrupted,
                format!("the body ended after {} of its {n} bytes", self.received),
            );
            return Fed::failed(self.head_item(), e);
        }
        // The head of an empty body, or the empty last item.
        Fed::items(vec![self.head.take().unwrap_or_default()])
    }
    fn text(&self) -> &str {
        ""
    }
    fn usage(&self) -> Option<Usage> {
        None
    }
    fn done(&self) -> bool {
        self.ended
    }
    fn take_bytes(&mut self) -> Option<Vec<u8>> {
        self.chunks.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::headers_of;

    #[test]
    fn head_first_then_one_item_per_chunk_then_an_empty_last() {
        let mut c = RawCodec::new(3);
        c.head(
            200,
            &headers_of(&[("content-length", "5"), ("etag", "\"e\"")]),
        )
        .unwrap();
        let fed = c.feed(b"abc");
        assert_eq!(fed.items.len(), 2);
        assert_eq!(fed.items[0], "200\u{0}3\u{0}5\u{0}\u{0}\"e\"\u{0}");
        assert_eq!(fed.items[1], "");
        assert_eq!(c.take_bytes().unwrap(), b"abc");
        assert_eq!(c.feed(b"de").items, vec![String::new()]);
        assert!(!c.done());
        let end = c.finish();
        assert_eq!(end.items, vec![String::new()]);
        assert!(end.error.is_none());
        assert!(c.done());
        assert_eq!(c.take_bytes().unwrap(), b"de");
        assert_eq!(c.take_bytes(), None);
    }

    #[test]
    fn an_empty_body_gives_its_head_and_a_short_one_fails() {
        let mut c = RawCodec::new(0);
        c.head(200, &headers_of(&[("content-length", "0")]))
            .unwrap();
        let fed = c.finish();
        assert_eq!(fed.items.len(), 1);
        assert!(fed.items[0].starts_with("200\u{0}"));
        assert!(fed.error.is_none());

        c.reset();
        c.head(206, &headers_of(&[("content-length", "10")]))
            .unwrap();
        c.feed(b"1234");
        let e = c.finish().error.unwrap();
        assert_eq!(e.kind, ErrorType::StreamInterrupted);
        assert!(e.message.contains("4 of its 10"), "{}", e.message);
        // With a Content-Encoding the length is not the decoded one: not checked.
        c.reset();
        let h = headers_of(&[("content-length", "10"), ("content-encoding", "gzip")]);
        c.head(200, &h).unwrap();
        c.feed(b"1234");
        assert!(c.finish().error.is_none());
    }
}
