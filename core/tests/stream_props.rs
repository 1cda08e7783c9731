//! Any split of a stream transcript into chunks decodes to the same events, and no byte
//! sequence makes a decoder panic.

mod common;

use common::split;
use proptest::prelude::*;
use resilient_core::stream::{NdjsonDecoder, SseDecoder, SseEvent};

const OPENAI_SSE: &str = "data: {\"id\":\"chatcmpl-f2\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\ndata: {\"id\":\"chatcmpl-f2\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi ✓!\"},\"finish_reason\":null}]}\r\n\r\n: keep-alive\n\nevent: message_delta\ndata: {\"a\":\ndata: 1}\n\ndata: [DONE]\n\n";
const NDJSON: &str = "{\"message\":{\"content\":\"Hé\"},\"done\":false}\n{\"message\":{\"content\":\"llo\"},\"done\":false}\r\n\n{\"done\":true,\"eval_count\":2}";

fn sse(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut d = SseDecoder::new();
    let mut out = Vec::new();
    for c in chunks {
        out.extend(d.feed(c).unwrap());
    }
    out.extend(d.finish());
    out
}

fn ndjson(chunks: &[&[u8]]) -> Vec<String> {
    let mut d = NdjsonDecoder::new();
    let mut out = Vec::new();
    for c in chunks {
        out.extend(d.feed(c).unwrap());
    }
    out.extend(d.finish());
    out
}

proptest! {
    #[test]
    fn sse_any_split_same_events(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let whole = sse(&[OPENAI_SSE.as_bytes()]);
        prop_assert_eq!(whole.len(), 4);
        prop_assert_eq!(sse(&split(OPENAI_SSE.as_bytes(), &cuts)), whole);
    }

    #[test]
    fn ndjson_any_split_same_lines(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let whole = ndjson(&[NDJSON.as_bytes()]);
        prop_assert_eq!(whole.len(), 3);
        prop_assert_eq!(ndjson(&split(NDJSON.as_bytes(), &cuts)), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16)) {
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let _ = sse(&refs);
        let _ = ndjson(&refs);
    }
}

proptest! {
    /// The OpenAI stream codec yields the same items for any chunking of a transcript.
    #[test]
    fn openai_codec_any_split_same_items(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        use resilient_core::codec::StreamCodec;
        use resilient_core::providers::openai::ChatStreamCodec;
        let transcript = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hé\"}}]}\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo ✓\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\ndata: [DONE]\n\n";
        let run = |chunks: Vec<&[u8]>| {
            let mut c = ChatStreamCodec::new();
            let mut items = Vec::new();
            for ch in chunks {
                items.extend(c.feed(ch).result().unwrap());
            }
            items.extend(c.finish().result().unwrap());
            (items, c.text().to_string())
        };
        let whole = run(vec![transcript.as_bytes()]);
        prop_assert_eq!(whole.0.len(), 3);
        prop_assert_eq!(whole.1.as_str(), "Héllo ✓");
        prop_assert_eq!(run(split(transcript.as_bytes(), &cuts)), whole);
    }
}
