//! Every provider's reply parsers, stream codecs and error readers, reached through the same
//! `Provider` trait the engine uses. Input: the text form of `input::message`, whose selector
//! line names `provider operation` (or anything: a hash then picks one) and a number.

use super::input::{chunkings, message, number, word};
use resilient_core::classify::classify_http;
use resilient_core::codec::{Reply, StreamCodec};
use resilient_core::config::Config;
use resilient_core::json::Value;
use resilient_core::providers::{provider, Ctx, ErrorReader, Streamed, Unary};
use resilient_core::time::Secs;
use resilient_core::ErrorType;

/// Unary operations with arguments they accept (several where the arguments shape the parse).
pub const UNARY: &[(&str, &str, &str)] = &[
    ("openai", "chat", MSG),
    ("openai", "embed", r#"{"input":["a","b"]}"#),
    ("openai", "listModels", "{}"),
    ("groq", "chat", MSG),
    ("groq", "listModels", "{}"),
    ("claude", "chat", MSG),
    ("claude", "listModels", "{}"),
    ("gemini", "chat", MSG),
    ("gemini", "embed", r#"{"input":"hi"}"#),
    ("gemini", "embed", r#"{"input":["a","b"]}"#),
    ("gemini", "listModels", "{}"),
    ("ollama", "chat", MSG),
    ("ollama", "generate", r#"{"prompt":"hi"}"#),
    ("ollama", "embed", r#"{"input":["a","b"]}"#),
    ("ollama", "listModels", "{}"),
    ("hf_tgi", "chat", MSG),
    ("hf_tgi", "generate", r#"{"prompt":"hi"}"#),
    ("hf_tgi", "listModels", "{}"),
    ("hf_tgi", "health", "{}"),
    ("hf_tei", "embed", r#"{"input":["a","b"]}"#),
    ("hf_tei", "rerank", RERANK),
    ("hf_tei", "listModels", "{}"),
    ("hf_tei", "health", "{}"),
    ("llvm", "listModels", "{}"),
    ("llvm", "status", "{}"),
    ("llvm", "modelStatus", r#"{"model":"m"}"#),
    ("llvm", "infer", r#"{"input":"hi"}"#),
    ("llvm", "batchInfer", r#"{"inputs":["a","b"]}"#),
    ("opea", "chat", MSG),
    ("opea", "chatqna", MSG),
    ("opea", "embed", r#"{"input":["a","b"]}"#),
    ("opea", "rerank", RERANK),
    ("ovms", "chat", MSG),
    ("ovms", "generate", r#"{"prompt":"hi"}"#),
    ("ovms", "embed", r#"{"input":["a","b"]}"#),
    ("ovms", "rerank", RERANK),
    ("ovms", "listModels", "{}"),
    (
        "ovms",
        "infer",
        r#"{"model":"m","inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,2]}]}"#,
    ),
    ("ovms", "predict", r#"{"model":"m","instances":[1]}"#),
    ("ovms", "modelStatus", r#"{"model":"m"}"#),
    ("ovms", "health", "{}"),
    (
        "s3_kit",
        "putObject",
        r#"{"bucket":"b","key":"k","body":"x"}"#,
    ),
    ("s3_kit", "getObject", r#"{"bucket":"b","key":"k"}"#),
    ("s3_kit", "headObject", r#"{"bucket":"b","key":"k"}"#),
    ("s3_kit", "deleteObject", r#"{"bucket":"b","key":"k"}"#),
    ("s3_kit", "listObjects", r#"{"bucket":"b","maxKeys":5}"#),
];

/// Stream operations.
pub const STREAMS: &[(&str, &str, &str)] = &[
    ("openai", "chatStream", MSG),
    ("groq", "chatStream", MSG),
    ("claude", "chatStream", MSG),
    ("gemini", "chatStream", MSG),
    ("ollama", "chatStream", MSG),
    ("ollama", "generateStream", r#"{"prompt":"hi"}"#),
    ("hf_tgi", "chatStream", MSG),
    ("hf_tgi", "generateStream", r#"{"prompt":"hi"}"#),
    ("opea", "chatStream", MSG),
    ("opea", "chatqnaStream", MSG),
    ("ovms", "chatStream", MSG),
    ("ovms", "generateStream", r#"{"prompt":"hi"}"#),
];

/// Types only the engine's own machinery produces.
const ENGINE_ONLY: [ErrorType; 4] = [
    ErrorType::CircuitOpen,
    ErrorType::QueueFull,
    ErrorType::Cancelled,
    ErrorType::ConnectionError,
];

const MSG: &str = r#"{"messages":[{"role":"user","content":"hi"}]}"#;
const RERANK: &str = r#"{"query":"q","texts":["a","b","c"],"topN":2}"#;

/// The config an operation is built with: S3 needs credentials, the rest nothing.
pub fn config_for(name: &str) -> Config {
    let options = match name {
        "s3_kit" => {
            r#"{"accessKeyId":"AK","secretAccessKey":"SK","baseUrl":"http://127.0.0.1:9000"}"#
        }
        _ => "{}",
    };
    let options: Value = resilient_core::json::from_str(options).unwrap_or_default();
    Config::from_options(name, &options).unwrap_or_default()
}

pub fn ctx(config: &Config) -> Ctx<'_> {
    Ctx {
        unix_now: 1_735_689_600.0,
        ..Ctx::plain(config)
    }
}

/// The table row the selector names, else the one its hash picks.
pub fn pick<'a>(
    table: &'a [(&str, &str, &str)],
    selector: &str,
) -> &'a (&'a str, &'a str, &'a str) {
    let (name, op) = (word(selector, 0), word(selector, 1));
    let i = table
        .iter()
        .position(|(n, o, _)| *n == name && *o == op)
        .unwrap_or_else(|| (number(selector, 2) % table.len() as u64) as usize);
    &table[i]
}

fn build_unary(&(name, op, args): &(&str, &str, &str)) -> Unary {
    let args: Value = resilient_core::json::from_str(args).unwrap_or_default();
    let p = provider(name).unwrap_or_else(|| panic!("no provider {name}"));
    let built = p.unary(op, &ctx(&config_for(name)), &args);
    built.unwrap_or_else(|e| panic!("{name} {op} does not build: {}", e.message))
}

fn build_stream(&(name, op, args): &(&str, &str, &str)) -> Streamed {
    let args: Value = resilient_core::json::from_str(args).unwrap_or_default();
    let p = provider(name).unwrap_or_else(|| panic!("no provider {name}"));
    let built = p.stream(op, &ctx(&config_for(name)), &args);
    built.unwrap_or_else(|e| panic!("{name} {op} does not build: {}", e.message))
}

/// JSON by the grammar, as the core checks it and `JSON.parse` reads it (a number too large
/// for an f64, such as `1e999`, is valid JSON: JS reads it as Infinity).
fn is_json(text: &str) -> bool {
    resilient_core::json::check(text.as_bytes()).is_ok()
}

/// A 2xx reply to a unary operation: parsed (into JSON) or a typed error a server can cause
/// (a 200 carrying an error or a refusal is one).
pub fn reply(data: &[u8]) {
    let m = message(data);
    let row = pick(UNARY, &m.selector);
    let u = build_unary(row);
    let status = 200 + (number(&m.selector, 3) % 7) as u16;
    let reply = Reply {
        status,
        headers: m.headers,
        body: m.body.to_vec(),
    };
    match (u.parse)(&reply, "client-req-1") {
        Ok(parsed) => assert!(is_json(&parsed.json), "{row:?} result is not JSON"),
        Err(e) => assert!(!ENGINE_ONLY.contains(&e.kind), "{row:?}: {:?}", e.kind),
    }
}

/// A stream body under any chunking: the same items (each JSON), or the same error type after
/// the same text.
pub fn stream(data: &[u8]) {
    let m = message(data);
    let row = pick(STREAMS, &m.selector);
    let mut codec = build_stream(row).codec;
    let whole = drive(codec.as_mut(), &[m.body]);
    if let Ok(items) = &whole {
        assert!(items.iter().all(|i| is_json(i)), "{row:?} item is not JSON");
    }
    for chunks in chunkings(m.body, number(&m.selector, 2)) {
        assert_eq!(
            drive(codec.as_mut(), &chunks),
            whole,
            "{row:?} depends on chunking"
        );
    }
}

type Outcome = Result<Vec<String>, (ErrorType, String)>;

fn drive(codec: &mut dyn StreamCodec, chunks: &[&[u8]]) -> Outcome {
    codec.reset();
    let mut items = Vec::new();
    match feed_all(codec, chunks, &mut items) {
        Ok(()) => Ok(items),
        Err(e) => Err((e.kind, codec.text().to_string())),
    }
}

fn feed_all(
    codec: &mut dyn StreamCodec,
    chunks: &[&[u8]],
    items: &mut Vec<String>,
) -> Result<(), resilient_core::ApiError> {
    // Items decoded before an error are delivered too, whatever the chunking.
    for c in chunks {
        let fed = codec.feed(c);
        items.extend(fed.items);
        if let Some(e) = fed.error {
            return Err(e);
        }
    }
    let fed = codec.finish();
    items.extend(fed.items);
    fed.error.map_or(Ok(()), Err)
}

/// Selector `provider status`: that provider's error reader, then classification.
pub fn errors(data: &[u8]) {
    let m = message(data);
    let name = word(&m.selector, 0);
    let row = match UNARY.iter().find(|r| r.0 == name) {
        Some(row) => row,
        None => pick(UNARY, &m.selector),
    };
    let read: ErrorReader = build_unary(row).errors;
    let status = 400 + (number(&m.selector, 1) % 200) as u16;
    let body = read(status, m.body);
    if let Some(h) = body.hint.map(Secs::as_f64) {
        assert!(h.is_finite() && h >= 0.0, "{name}: body hint {h}");
    }
    let e = classify_http(status, &m.headers, &body, 1_735_689_600.0, Secs::new(60.0));
    super::signals::check_http_error(&e, status, 60.0);
}
