//! Decoding-rate measurement shared by the native example and the wasm export (a benchmark
//! aid, not used by the client): builds a realistic stream transcript and decodes it in chunks.

use crate::codec::StreamCodec;
use crate::providers::openai::ChatStreamCodec;
use crate::stream::{NdjsonDecoder, SseDecoder};

/// An OpenAI-style SSE transcript of `events` chunk events, then `[DONE]`.
pub fn sse_transcript(events: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..events {
        s.push_str("data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token ");
        s.push_str(&i.to_string());
        s.push_str(" \"},\"finish_reason\":null}],\"usage\":null}\n\n");
    }
    s.push_str("data: [DONE]\n\n");
    s.into_bytes()
}

/// An Ollama-style NDJSON transcript of `lines` lines.
pub fn ndjson_transcript(lines: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..lines {
        s.push_str("{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"token ");
        s.push_str(&i.to_string());
        s.push_str(" \"},\"done\":false}\n");
    }
    s.into_bytes()
}

/// Decodes `data` in `chunk`-byte pieces; returns how many frames (or items) came out.
/// `kind`: "sse" (framing only), "ndjson" (framing only), "openai" (SSE + the OpenAI codec).
pub fn decode(kind: &str, data: &[u8], chunk: usize) -> usize {
    let chunk = chunk.max(1);
    let mut n = 0;
    match kind {
        "sse" => {
            let mut d = SseDecoder::new();
            for c in data.chunks(chunk) {
                n += d.feed(c).map(|e| e.len()).unwrap_or(0);
            }
            n += d.finish().len();
        }
        "ndjson" => {
            let mut d = NdjsonDecoder::new();
            for c in data.chunks(chunk) {
                n += d.feed(c).map(|e| e.len()).unwrap_or(0);
            }
            n += d.finish().len();
        }
        _ => {
            let mut d = ChatStreamCodec::new();
            for c in data.chunks(chunk) {
                n += d.feed(c).items.len();
            }
            n += d.finish().items.len();
        }
    }
    n
}
