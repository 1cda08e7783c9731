//! Native decoding rates (a benchmark report, not a test):
//! `cargo run --release -p resilient-core --example decode_bench`

use resilient_core::stream_bench::{decode, ndjson_transcript, sse_transcript};
use std::time::Instant;

fn rate(kind: &str, data: &[u8], chunk: usize) -> (f64, usize) {
    // Warm up, then time enough rounds for a stable figure.
    decode(kind, data, chunk);
    let rounds = 20;
    let start = Instant::now();
    let mut frames = 0;
    for _ in 0..rounds {
        frames = decode(kind, data, chunk);
    }
    let secs = start.elapsed().as_secs_f64();
    ((data.len() * rounds) as f64 / secs / 1e6, frames)
}

fn main() {
    let sse = sse_transcript(50_000);
    let nd = ndjson_transcript(50_000);
    println!(
        "native decoding rates (MB/s), transcripts of {:.1} MB (SSE) and {:.1} MB (NDJSON)",
        sse.len() as f64 / 1e6,
        nd.len() as f64 / 1e6
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10}",
        "decoder", "chunk 64B", "chunk 4KB", "frames"
    );
    for (label, kind, data) in [
        ("SSE framing", "sse", &sse),
        ("NDJSON framing", "ndjson", &nd),
        ("SSE + OpenAI chat codec (items)", "openai", &sse),
    ] {
        let (small, _) = rate(kind, data, 64);
        let (large, frames) = rate(kind, data, 4096);
        println!("{label:<34} {small:>10.0} {large:>10.0} {frames:>10}");
    }
}
