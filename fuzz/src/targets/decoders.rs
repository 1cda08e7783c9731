//! The byte-level decoders: SSE and NDJSON framing, OPEA's Python bytes literals, S3's XML.

use super::input::chunkings;
use resilient_core::providers::opea::decode_bytes_repr;
use resilient_core::providers::s3_kit::xml::{self, decode_entities, Element, MAX_DEPTH};
use resilient_core::providers::shared::streaming::Framing;
use resilient_core::stream::{NdjsonDecoder, SseDecoder};
use std::fmt::Debug;

/// Decodes `chunks` with framing `D`: the frames, or `None` once a chunk is refused.
fn decode<D: Framing>(chunks: &[&[u8]]) -> Option<Vec<D::Frame>> {
    let mut d = D::default();
    let mut out = Vec::new();
    for c in chunks {
        d.feed_into(c, &mut out).ok()?;
    }
    out.extend(d.finish());
    Some(out)
}

/// The first byte seeds the chunking; the rest is the stream. Any chunking gives the same
/// frames; `check` looks at those of the whole stream.
fn same_for_any_chunking<D>(data: &[u8], what: &str, check: impl Fn(&[D::Frame]))
where
    D: Framing,
    D::Frame: PartialEq + Debug,
{
    let Some((&seed, bytes)) = data.split_first() else {
        return;
    };
    let whole = decode::<D>(&[bytes]);
    if let Some(frames) = &whole {
        check(frames);
    }
    for chunks in chunkings(bytes, u64::from(seed)) {
        assert_eq!(decode::<D>(&chunks), whole, "{what} depend on the chunking");
    }
}

/// SSE events are the same for any chunking.
pub fn sse(data: &[u8]) {
    same_for_any_chunking::<SseDecoder>(data, "SSE events", |_| {});
}

/// As [`sse`], for NDJSON lines; no line is blank.
pub fn ndjson(data: &[u8]) {
    same_for_any_chunking::<NdjsonDecoder>(data, "NDJSON lines", |lines| {
        assert!(lines
            .iter()
            .all(|l| !l.trim().is_empty() && !l.contains('\n')));
    });
}

/// Even first byte: the rest is a literal to decode (no panic; `None` only for a non-literal).
/// Odd: the rest is raw bytes, written as Python's `repr` would and decoded back unchanged.
pub fn bytes_repr(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let s = String::from_utf8_lossy(rest);
        let literal = s.starts_with("b'") || s.starts_with("b\"");
        assert_eq!(decode_bytes_repr(&s).is_some(), literal);
    } else {
        let repr = python_repr(rest);
        assert_eq!(decode_bytes_repr(&repr).as_deref(), Some(rest), "{repr}");
    }
}

/// `repr(bytes)` as CPython writes it: `'` quotes unless the bytes hold `'` and no `"`.
pub fn python_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if char::from(b) == quote => out.extend(['\\', quote]),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

/// The document parses or fails cleanly; a parsed tree respects the depth limit and survives
/// being written out and read again. Entity escaping round-trips any text.
pub fn xml(data: &[u8]) {
    let doc = String::from_utf8_lossy(data);
    assert_eq!(decode_entities(&escape(&doc)).as_deref(), Some(&*doc));
    let _ = decode_entities(&doc);
    if let Ok(root) = xml::parse(&doc) {
        assert!(depth(&root) <= MAX_DEPTH + 1, "deeper than MAX_DEPTH");
        // The reader takes odd names as they come, and an empty element at the deepest level
        // only as `<a/>`: only plain names within the limit can be written back.
        if !plain_names(&root) || depth(&root) > MAX_DEPTH {
            return;
        }
        let again = xml::parse(&write(&root));
        assert_eq!(again.as_ref(), Ok(&root), "{doc:?} read back differently");
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn plain_names(e: &Element) -> bool {
    let plain = |c: char| c.is_alphanumeric() || "-_.".contains(c);
    !e.name.is_empty() && e.name.chars().all(plain) && e.children.iter().all(plain_names)
}

fn depth(e: &Element) -> usize {
    1 + e.children.iter().map(depth).max().unwrap_or(0)
}

/// The element as XML: its text first, then its children (the reader joins an element's text
/// pieces, so this is the same tree).
fn write(e: &Element) -> String {
    let mut out = format!("<{}>{}", e.name, escape(&e.text));
    for c in &e.children {
        out.push_str(&write(c));
    }
    out.push_str(&format!("</{}>", e.name));
    out
}
