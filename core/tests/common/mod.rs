//! What the provider test files share: configs and contexts, building operations, requests and
//! replies, stream drivers and chunk splitting, and calls through the engine on the simulated
//! host. Each file uses a part of it.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::strategy::Union;
use resilient_core::classify::classify_http;
use resilient_core::codec::{Parsed, Reply, StreamCodec};
use resilient_core::config::Config;
use resilient_core::host::HttpRequest;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::{ActiveStream, Call, Engine, Read, Route};
use resilient_core::providers::{provider, Ctx, Streamed, Unary};
use resilient_core::queue::Priority;
use resilient_core::secret::Secret;
use resilient_core::sim::{Sim, Step};
use resilient_core::time::Secs;
use resilient_core::{ApiError, ErrorType};

pub const JSON: (&str, &str) = ("content-type", "application/json");

// ---- configs and operations ----

/// A config with an API key and nothing else.
pub fn keyed(key: &str) -> Config {
    Config {
        api_key: Some(Secret::new(key)),
        ..Config::default()
    }
}

/// A config with a base URL and nothing else.
pub fn based(url: &str) -> Config {
    Config {
        base_url: Some(url.into()),
        ..Config::default()
    }
}

/// What a codec is given besides the arguments: no clock, not a browser, no bytes.
pub fn ctx(config: &Config) -> Ctx<'_> {
    Ctx::plain(config)
}

/// Unary operation `op` of provider `name`.
pub fn unary(name: &str, config: &Config, op: &str, args: Value) -> Result<Unary, ApiError> {
    provider(name).unwrap().unary(op, &ctx(config), &args)
}

/// Stream operation `op` of provider `name`.
pub fn stream(name: &str, config: &Config, op: &str, args: Value) -> Result<Streamed, ApiError> {
    provider(name).unwrap().stream(op, &ctx(config), &args)
}

// ---- requests and replies ----

/// Header pairs as a request or reply carries them.
pub fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A request's headers as `&str` pairs.
pub fn request_headers(req: &HttpRequest) -> Vec<(&str, &str)> {
    req.headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// A request's JSON body, if it has one.
pub fn body_of(req: &HttpRequest) -> Option<Value> {
    req.body
        .as_deref()
        .map(|b| resilient_core::json::from_slice(b).unwrap())
}

/// A request's JSON body.
pub fn body(req: &HttpRequest) -> Value {
    body_of(req).expect("a body")
}

/// Method, URL, headers and JSON body of `u`'s request, compared exactly.
pub fn assert_request(
    u: &Unary,
    method: &str,
    url: &str,
    headers_sent: &[(&str, &str)],
    body: Option<Value>,
) {
    assert_eq!(
        (u.request.method.as_str(), u.request.url.as_str()),
        (method, url)
    );
    assert_eq!(u.request.headers, headers(headers_sent));
    assert_eq!(body_of(&u.request), body);
}

pub fn reply(status: u16, headers_sent: &[(&str, &str)], body: &str) -> Reply {
    Reply {
        status,
        headers: headers(headers_sent),
        body: body.as_bytes().to_vec(),
    }
}

/// What `u`'s parser makes of a 200 reply (the client's request id is `client-1`).
pub fn parse(u: &Unary, headers_sent: &[(&str, &str)], body: &str) -> Result<Value, ApiError> {
    (u.parse)(&reply(200, headers_sent, body), "client-1")
        .map(|p| resilient_core::json::from_str(&p.json).unwrap())
}

/// `u`'s parser and error reader on this reply (for properties: neither may panic).
pub fn read_any(u: &Unary, r: &Reply, status: u16) {
    let _ = (u.parse)(r, "c");
    let _ = (u.errors)(status, &r.body);
}

/// What the pipeline makes of an error reply: `u`'s reader, then the shared table.
pub fn classify(u: &Unary, status: u16, headers_sent: &[(&str, &str)], body: &str) -> ApiError {
    let read = (u.errors)(status, body.as_bytes());
    classify_http(status, &headers(headers_sent), &read, 0.0, Secs::new(60.0))
}

/// `r` is refused as `invalid_request`, with a message that names `field` (`what` says which
/// call, when the test fails).
pub fn assert_refused<T>(r: Result<T, ApiError>, what: impl std::fmt::Display, field: &str) {
    let e = r.err().unwrap_or_else(|| panic!("{what} accepted"));
    assert_eq!(e.kind, ErrorType::InvalidRequest, "{what}");
    assert!(
        e.message.contains(field),
        "{what}: {} should name {field}",
        e.message
    );
}

// ---- streams ----

/// Cuts `bytes` at the given positions (taken modulo its length, sorted, deduplicated).
pub fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut prev = 0;
    for c in cuts {
        out.push(&bytes[prev..c]);
        prev = c;
    }
    out.push(&bytes[prev..]);
    out
}

/// `run` on the whole transcript, and on the transcript cut at `cuts`: `(whole, parts)`.
pub fn whole_and_parts<T>(transcript: &str, cuts: &[usize], run: impl Fn(&[&[u8]]) -> T) -> (T, T) {
    let bytes = transcript.as_bytes();
    (run(&[bytes]), run(&split(bytes, cuts)))
}

/// Feeds the chunks to `codec`, then ends the body: the items, as JSON.
pub fn drive(codec: &mut dyn StreamCodec, chunks: &[&[u8]]) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::new();
    for c in chunks {
        out.extend(codec.feed(c).result()?);
    }
    out.extend(codec.finish().result()?);
    Ok(out
        .iter()
        .map(|i| resilient_core::json::from_str(i).unwrap())
        .collect())
}

/// [`drive`] from a fresh start (the codec is reset first).
pub fn items(codec: &mut dyn StreamCodec, chunks: &[&[u8]]) -> Result<Vec<Value>, ApiError> {
    codec.reset();
    drive(codec, chunks)
}

/// [`items`], and the text the codec delivered.
pub fn run_codec(
    codec: &mut dyn StreamCodec,
    chunks: &[&[u8]],
) -> (Result<Vec<Value>, ApiError>, String) {
    let got = items(codec, chunks);
    (got, codec.text().to_string())
}

/// [`items`], or the error's type and the text delivered before it.
pub fn outcome(
    codec: &mut dyn StreamCodec,
    chunks: &[&[u8]],
) -> Result<Vec<Value>, (ErrorType, String)> {
    match run_codec(codec, chunks) {
        (Ok(items), _) => Ok(items),
        (Err(e), text) => Err((e.kind, text)),
    }
}

// ---- through the engine ----

/// An engine for provider `name` with these options, on the simulated host.
/// Calls made in this order while one holds the only slot (tag, priority) ...
pub const PRIORITY_ARRIVALS: [(&str, Priority); 7] = [
    ("first", Priority::Normal),
    ("l1", Priority::Low),
    ("n1", Priority::Normal),
    ("h1", Priority::High),
    ("n2", Priority::Normal),
    ("h2", Priority::High),
    ("l2", Priority::Low),
];
/// ... are sent in this one: by priority, then by arrival.
pub const PRIORITY_ADMITTED: [&str; 7] = ["first", "h1", "h2", "n1", "n2", "l1", "l2"];

pub fn engine(sim: &Sim, name: &'static str, options: Value) -> Engine {
    let config = Config::from_options(name, &options).unwrap();
    Engine::new(name, config, sim.host())
}

/// A plain call to `method url` whose result is the reply body as it came (normal priority,
/// no timeout, deadline or cancel).
pub fn echo_call(method: &str, url: &str) -> Call {
    Call {
        request: HttpRequest {
            method: method.into(),
            url: url.into(),
            ..HttpRequest::default()
        },
        model: Some("m".into()),
        priority: Priority::Normal,
        timeout: None,
        deadline: None,
        max_retries: None,
        cancel: None,
        read: Read::Unary(Box::new(|r, _| {
            Ok(Parsed {
                json: String::from_utf8_lossy(&r.body).into_owned(),
                ..Parsed::default()
            })
        })),
        errors: resilient_core::providers::json_errors,
        route: Route::default(),
    }
}

/// An OpenAI chat stream to `url`, read by its codec.
pub fn chat_stream_call(url: &str) -> Call {
    let mut call = echo_call("POST", url);
    call.request.stream = true;
    call.read = Read::Stream(Box::new(
        resilient_core::providers::openai::ChatStreamCodec::new(),
    ));
    call
}

/// An OpenAI stream chunk carrying `text`.
pub fn delta(text: &str) -> Vec<u8> {
    format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}},\"finish_reason\":null}}]}}\n\n")
        .into_bytes()
}

/// The end of an OpenAI stream: the finishing chunk, then `[DONE]`.
pub fn end() -> Vec<u8> {
    b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n".to_vec()
}

/// `u` as a call of normal priority, without timeout or cancel.
pub fn call(u: Unary) -> Call {
    Call::unary(u)
}

/// `s` as a stream call of normal priority, without timeout or cancel.
pub fn stream_call(s: Streamed) -> Call {
    Call {
        request: s.request,
        model: s.model,
        priority: Priority::Normal,
        timeout: None,
        deadline: None,
        max_retries: None,
        cancel: None,
        read: Read::Stream(s.codec),
        errors: s.errors,
        route: Route::default(),
    }
}

/// A streamed reply whose chunks arrive after the given delays, then ends.
pub fn stream_step(chunks: Vec<(f64, Vec<u8>)>) -> Step {
    Step::Stream {
        chunks,
        stall_after: false,
        fail_after: false,
    }
}

/// `u` through an engine for `name` (no jitter) whose transport answers with `steps`: the
/// result and the number of requests sent.
pub fn run_steps(
    name: &'static str,
    u: Unary,
    steps: Vec<Step>,
) -> (Result<Parsed, ApiError>, usize) {
    let sim = Sim::new();
    for s in steps {
        sim.transport.push(s);
    }
    let e = engine(&sim, name, json!({"jitter": 0}));
    let r = sim.block_on(async move { e.execute(call(u)).await });
    (r, sim.transport.count())
}

/// Opens a stream and reads every item: the items (JSON) and the error that ended it, if any.
pub async fn drain(e: Engine, call: Call) -> (Vec<Value>, Option<ApiError>) {
    let mut s: ActiveStream = match e.open_stream(call).await {
        Ok(s) => s,
        Err(err) => return (vec![], Some(err)),
    };
    let mut items = vec![];
    while let Some(next) = s.next().await {
        match next {
            Ok(i) => items.push(resilient_core::json::from_str(&i).unwrap()),
            Err(err) => return (items, Some(err)),
        }
    }
    (items, None)
}

// ---- properties ----

/// JSON values grown from `leaf`, `depth` levels deep (`size` and `branch` as in
/// `prop_recursive`), with arrays of up to 3 items and objects of up to `entries - 1` keys
/// drawn from `key`.
pub fn json_tree(
    leaf: BoxedStrategy<Value>,
    key: BoxedStrategy<String>,
    (depth, size, branch): (u32, u32, u32),
    entries: usize,
) -> impl Strategy<Value = Value> {
    leaf.prop_recursive(depth, size, branch, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..entries)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One of `keys` or a key matching `other`, each alternative as likely (as `prop_oneof!`).
pub fn key_of(keys: &'static [&'static str], other: &'static str) -> BoxedStrategy<String> {
    let named = keys.iter().map(|k| Just(k.to_string()).boxed());
    Union::new(named.chain(std::iter::once(other.boxed()))).boxed()
}
