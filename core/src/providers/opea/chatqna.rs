//! The ChatQnA gateway's stream: each token as a Python bytes literal (`data: b'Hello'`),
//! decoded here into UTF-8 deltas, with `data: [DONE]` at the end.

use crate::error::ErrorType;
use crate::providers::shared::streaming::{
    drop_front, error_event, is_done_marker, AnyChunk, ChunkFormat, FrameHandler, FramedCodec,
    StreamProgress,
};
use crate::providers::{fail, Fail};
use crate::stream::{SseDecoder, SseEvent};

/// Decodes a Python bytes literal, `b'...'` or `b"..."` (Python picks `"` when the text holds a
/// `'`), with its escapes: `\xhh`, `\n`, `\r`, `\t`, `\\`, `\'`, `\"`, the rarer `\a \b \f \v`
/// and octal. `None` when `s` is not such a literal. A missing closing quote is tolerated: the
/// gateway's no-LLM fallback writes raw text between the quotes.
pub fn decode_bytes_repr(s: &str) -> Option<Vec<u8>> {
    let (quote, body) = match s.as_bytes() {
        [b'b', q @ (b'\'' | b'"'), body @ ..] => (*q, body),
        _ => return None,
    };
    let body = body.strip_suffix(&[quote]).unwrap_or(body);
    let mut out = Vec::with_capacity(body.len());
    // A position in `body` rather than a peekable iterator (whose instance is larger in the wasm).
    let at = |i: usize| body.get(i).copied();
    let mut i = 0;
    while let Some(b) = at(i) {
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let next = at(i);
        i += 1;
        match next {
            None => out.push(b'\\'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'a') => out.push(0x07),
            Some(b'b') => out.push(0x08),
            Some(b'f') => out.push(0x0c),
            Some(b'v') => out.push(0x0b),
            Some(c @ (b'\\' | b'\'' | b'"')) => out.push(c),
            Some(b'\n') => {} // a line continuation
            Some(b'x') => {
                // The digits' values (`hex` is `None` for any other byte).
                let hi = at(i).and_then(hex);
                let lo = hi.and(at(i + 1)).and_then(hex);
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    // Not an escape after all: keep what was written.
                    _ => {
                        out.extend_from_slice(b"\\x");
                        if let (Some(_), Some(h)) = (hi, at(i)) {
                            out.push(h);
                            i += 1;
                        }
                    }
                }
            }
            Some(c @ b'0'..=b'7') => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match at(i).filter(|d| (b'0'..=b'7').contains(d)) {
                        Some(d) => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        None => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            Some(c) => out.extend_from_slice(&[b'\\', c]),
        }
    }
    Some(out)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The longest complete UTF-8 text at the front of `pending`, removed from it. A character cut
/// between two tokens waits for its rest; invalid bytes become U+FFFD; `flush` also ends a cut
/// character that will never be completed.
fn take_text(pending: &mut Vec<u8>, flush: bool) -> String {
    let mut text = String::new();
    loop {
        let (valid, bad) = match std::str::from_utf8(pending) {
            Ok(s) => {
                text.push_str(s);
                pending.clear();
                return text;
            }
            Err(e) => (e.valid_up_to(), e.error_len()),
        };
        text.push_str(&crate::text::lossy(
            pending.get(..valid).unwrap_or_default(),
        ));
        match bad {
            Some(n) => {
                text.push('\u{fffd}');
                drop_front(pending, valid + n);
            }
            None if flush => {
                text.push('\u{fffd}');
                pending.clear();
                return text;
            }
            None => {
                drop_front(pending, valid);
                return text;
            }
        }
    }
}

/// The ChatQnA gateway's stream: `data: b'<token>'` events, `data: [DONE]` at the end (without
/// it the stream was cut: the gateway sends no other end marker). Events the gateway passes
/// through from an OpenAI-style LLM service (`data: {chunk}`) are read too; an `{"error"}`
/// payload or an `error` event is the stream's error.
#[derive(Clone, Default)]
pub struct ChatQnaEvents {
    /// Bytes of a UTF-8 character whose rest is in the next token.
    pending: Vec<u8>,
}

pub type ChatQnaStreamCodec = FramedCodec<SseDecoder, ChatQnaEvents>;

impl FrameHandler for ChatQnaEvents {
    fn frame(&mut self, ev: SseEvent, stream: &mut StreamProgress) -> Result<(), Fail> {
        error_event(&ev)?;
        let data = ev.data.trim();
        if is_done_marker(data) {
            stream.delta(&take_text(&mut self.pending, true));
            stream.finish();
            return Ok(());
        }
        if let Some(bytes) = decode_bytes_repr(data) {
            self.pending.extend_from_slice(&bytes);
            stream.delta(&take_text(&mut self.pending, false));
            return Ok(());
        }
        if data.starts_with("{") {
            let mut chunk = AnyChunk::parse(data)?;
            let mut delta = take_text(&mut self.pending, true);
            delta.push_str(&chunk.delta);
            chunk.delta = delta;
            stream.chunk(chunk);
            return Ok(());
        }
        Err(fail(
            ErrorType::DecodeError,
            "a ChatQnA stream event is neither a bytes literal b'...' nor JSON",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_literals_decode() {
        let d = |s: &str| decode_bytes_repr(s).map(|b| crate::text::lossy(&b).into_owned());
        assert_eq!(d("b'Hello'").as_deref(), Some("Hello"));
        assert_eq!(d("b' world'").as_deref(), Some(" world"));
        assert_eq!(d(r#"b"it's""#).as_deref(), Some("it's"));
        assert_eq!(d(r"b'a\'b\\c\nd\te'").as_deref(), Some("a'b\\c\nd\te"));
        assert_eq!(d(r"b'\xe2\x9c\x93 ok'").as_deref(), Some("✓ ok"));
        assert_eq!(d(r"b'\101\0'").as_deref(), Some("A\0"));
        assert_eq!(d(r"b'\q \xZ \x4'").as_deref(), Some(r"\q \xZ \x4"));
        assert_eq!(d("b'unterminated").as_deref(), Some("unterminated"));
        assert_eq!(d("b'").as_deref(), Some(""));
        assert_eq!(d("b'trailing\\").as_deref(), Some("trailing\\"));
        for not in ["", "b", "'x'", "Hello", "B'x'", "[DONE]"] {
            assert!(decode_bytes_repr(not).is_none(), "{not}");
        }
    }

    /// The decoder as it was written over a peekable iterator, the reference for the one above.
    fn decode_by_iterator(s: &str) -> Option<Vec<u8>> {
        let (quote, body) = match s.as_bytes() {
            [b'b', q @ (b'\'' | b'"'), body @ ..] => (*q, body),
            _ => return None,
        };
        let body = body.strip_suffix(&[quote]).unwrap_or(body);
        let mut out = Vec::new();
        let mut it = body.iter().copied().peekable();
        while let Some(b) = it.next() {
            if b != b'\\' {
                out.push(b);
                continue;
            }
            match it.next() {
                None => out.push(b'\\'),
                Some(b'n') => out.push(b'\n'),
                Some(b'r') => out.push(b'\r'),
                Some(b't') => out.push(b'\t'),
                Some(b'a') => out.push(0x07),
                Some(b'b') => out.push(0x08),
                Some(b'f') => out.push(0x0c),
                Some(b'v') => out.push(0x0b),
                Some(c @ (b'\\' | b'\'' | b'"')) => out.push(c),
                Some(b'\n') => {}
                Some(b'x') => {
                    let hi = it.next_if(u8::is_ascii_hexdigit);
                    let lo = hi.and_then(|_| it.next_if(u8::is_ascii_hexdigit));
                    match (hi.and_then(hex), lo.and_then(hex)) {
                        (Some(h), Some(l)) => out.push(h * 16 + l),
                        _ => {
                            out.extend_from_slice(b"\\x");
                            out.extend(hi);
                        }
                    }
                }
                Some(c @ b'0'..=b'7') => {
                    let mut v = u32::from(c - b'0');
                    for _ in 0..2 {
                        match it.next_if(|d| (b'0'..=b'7').contains(d)) {
                            Some(d) => v = v * 8 + u32::from(d - b'0'),
                            None => break,
                        }
                    }
                    out.push((v & 0xff) as u8);
                }
                Some(c) => out.extend_from_slice(&[b'\\', c]),
            }
        }
        Some(out)
    }

    proptest::proptest! {
        #[test]
        fn decodes_as_the_iterator_version(s in "b['\"]?[\\\\xX0-9a-fA-Fnrtabfv'\"\n8é ]{0,12}") {
            proptest::prop_assert_eq!(decode_bytes_repr(&s), decode_by_iterator(&s));
        }
    }

    #[test]
    fn utf8_waits_for_the_rest_of_a_character() {
        let mut p = vec![0xe2, 0x9c];
        assert_eq!(take_text(&mut p, false), "");
        p.push(0x93);
        assert_eq!(take_text(&mut p, false), "✓");
        let mut p = vec![b'a', 0xff, b'b', 0xe2];
        assert_eq!(take_text(&mut p, false), "a\u{fffd}b");
        assert_eq!(p, vec![0xe2]);
        assert_eq!(take_text(&mut p, true), "\u{fffd}");
        assert!(p.is_empty());
    }
}
