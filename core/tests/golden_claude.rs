//! Claude (Anthropic Messages API) golden tests: exact requests, response and error
//! transcripts (providers.md section 3 fixtures first), stream framings, and properties.

mod common;

use common::{call, ctx, headers, json_tree, key_of, reply, split};
use proptest::prelude::*;
use resilient_core::codec::{Reply, StreamCodec};
use resilient_core::config::Config;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::Engine;
use resilient_core::providers::claude::{ClaudeStreamCodec, CLAUDE};
use resilient_core::providers::{Ctx, Provider, Unary};
use resilient_core::sim::{Sim, Step};
use resilient_core::{ApiError, ErrorType};

fn cfg() -> Config {
    common::keyed("sk-ant-test")
}

fn unary(op: &str, args: Value) -> Result<Unary, ApiError> {
    CLAUDE.unary(op, &ctx(&cfg()), &args)
}

fn chat_args() -> Value {
    json!({"messages": [{"role": "user", "content": "Say hi"}]})
}

/// What the pipeline makes of an error reply: the codec's reader, then the shared table.
fn classify(status: u16, h: &[(&str, &str)], body: &str) -> ApiError {
    common::classify(&unary("chat", chat_args()).unwrap(), status, h, body)
}

// ---- requests ----

/// providers.md section 3 fixture, exactly.
#[test]
fn golden_chat_request() {
    let u = unary(
        "chat",
        json!({"model": "claude-sonnet-4-5", "maxTokens": 64, "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hi"}]}),
    )
    .unwrap();
    assert_eq!(u.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(u.request.method, "POST");
    assert_eq!(u.request.url, "https://api.anthropic.com/v1/messages");
    assert_eq!(
        u.request.headers,
        headers(&[
            ("x-api-key", "sk-ant-test"),
            ("anthropic-version", "2023-06-01"),
            ("content-type", "application/json"),
        ])
    );
    assert!(!u.request.stream);
    assert_eq!(
        common::body(&u.request),
        json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "system": "Be brief.",
               "messages": [{"role": "user", "content": "Say hi"}]})
    );
}

#[test]
fn browser_header_version_base_url_and_extra_headers() {
    let config = Config {
        api_version: Some("2024-01-01".into()),
        base_url: Some("http://127.0.0.1:9/".into()),
        headers: headers(&[("anthropic-beta", "x-1")]),
        model: Some("claude-x".into()),
        ..cfg()
    };
    let c = Ctx {
        browser: true,
        ..ctx(&config)
    };
    let u = CLAUDE.unary("chat", &c, &chat_args()).unwrap();
    assert_eq!(u.request.url, "http://127.0.0.1:9/v1/messages");
    assert_eq!(
        u.request.headers,
        headers(&[
            ("x-api-key", "sk-ant-test"),
            ("anthropic-version", "2024-01-01"),
            ("anthropic-dangerous-direct-browser-access", "true"),
            ("content-type", "application/json"),
            ("anthropic-beta", "x-1"),
        ])
    );
    assert_eq!(common::body(&u.request)["model"], "claude-x");
    assert_eq!(u.model.as_deref(), Some("claude-x"));
}

#[test]
fn defaults_params_and_system_lifting() {
    let u = unary(
        "chat",
        json!({
            "system": "S0",
            "messages": [
                {"role": "system", "content": "S1"},
                {"role": "user", "content": "q", "name": "dropped"},
                {"role": "assistant", "content": [{"type": "text", "text": "a"}]},
                {"role": "system", "content": [{"type": "text", "text": "S2", "cache_control": {"type": "ephemeral"}}]},
                {"role": "user", "content": "q2"}],
            "temperature": 0.2, "topP": 0.9, "topK": 5, "stop": "END",
            "metadata": {"user_id": "u1"}, "stream": true,
        }),
    )
    .unwrap();
    assert_eq!(
        common::body(&u.request),
        json!({
            "model": "claude-3-5-haiku-latest",
            "max_tokens": 1024,
            "system": [
                {"type": "text", "text": "S0"},
                {"type": "text", "text": "S1"},
                {"type": "text", "text": "S2", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": [{"type": "text", "text": "a"}]},
                {"role": "user", "content": "q2"}],
            "temperature": 0.2, "top_p": 0.9, "top_k": 5, "stop_sequences": ["END"],
            "metadata": {"user_id": "u1"},
        })
    );
    // No system at all: no `system` key; snake_case spellings accepted.
    let u = unary(
        "chat",
        json!({"messages": [{"role": "user", "content": "x"}], "max_tokens": 7, "stop_sequences": ["a", "b"]}),
    )
    .unwrap();
    let b = common::body(&u.request);
    assert!(b.get("system").is_none());
    assert_eq!(
        (b["max_tokens"].clone(), b["stop_sequences"].clone()),
        (json!(7), json!(["a", "b"]))
    );
}

#[test]
fn bad_arguments_name_the_field() {
    let cases = [
        (json!("hi"), "chat(request)"),
        (json!({}), "messages"),
        (json!({"messages": []}), "messages"),
        (
            json!({"messages": [{"role": "system", "content": "only"}]}),
            "messages",
        ),
        (
            json!({"messages": [{"role": "tool", "content": "x"}]}),
            "messages[0].role",
        ),
        (
            json!({"messages": [{"role": "user"}]}),
            "messages[0].content",
        ),
        (
            json!({"messages": [{"role": "user", "content": 5}]}),
            "messages[0].content",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x"}], "maxTokens": "9"}),
            "maxTokens",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x"}], "maxTokens": 0}),
            "maxTokens",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x"}], "maxTokens": 1.5}),
            "maxTokens",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}),
            "temperature",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x"}], "stop": [1]}),
            "stop",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x"}], "system": 3}),
            "system",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x"}], "model": ""}),
            "model",
        ),
    ];
    for (args, field) in cases {
        common::assert_refused(unary("chat", args.clone()), &args, &format!("`{field}`"));
    }
    for op in ["embed", "rerank", "generate"] {
        assert_eq!(
            unary(op, json!({})).err().map(|e| e.kind),
            Some(ErrorType::InvalidRequest)
        );
    }
    assert!(CLAUDE
        .stream("generateStream", &ctx(&cfg()), &json!({}))
        .is_err());
}

#[test]
fn golden_stream_request() {
    let s = CLAUDE
        .stream(
            "chatStream",
            &ctx(&cfg()),
            &json!({"messages": [{"role": "user", "content": "Say hi"}], "maxTokens": 64}),
        )
        .unwrap();
    assert!(s.request.stream);
    assert_eq!(s.request.url, "https://api.anthropic.com/v1/messages");
    let b: Value = resilient_core::json::from_slice(s.request.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        b,
        json!({"model": "claude-3-5-haiku-latest", "max_tokens": 64, "stream": true,
               "messages": [{"role": "user", "content": "Say hi"}]})
    );
}

#[test]
fn golden_models() {
    let u = unary("listModels", json!({})).unwrap();
    assert_eq!(u.request.method, "GET");
    assert_eq!(
        u.request.url,
        "https://api.anthropic.com/v1/models?limit=1000"
    );
    assert_eq!(
        u.request.headers,
        headers(&[
            ("x-api-key", "sk-ant-test"),
            ("anthropic-version", "2023-06-01")
        ])
    );
    assert!(u.request.body.is_none());
    let list = r#"{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5","last_id":"claude-sonnet-4-5"}"#;
    let p = (u.parse)(&reply(200, &[], list), "c").unwrap();
    let v: Value = resilient_core::json::from_str(&p.json).unwrap();
    assert_eq!(
        v,
        json!([{"type": "model", "id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5", "created_at": "2025-09-29T00:00:00Z"}])
    );
}

#[test]
fn no_key_sends_no_key_header() {
    let config = Config::default();
    let h = CLAUDE.auth_headers(&ctx(&config));
    assert_eq!(h, headers(&[("anthropic-version", "2023-06-01")]));
}

// ---- responses ----

const FIXTURE_BODY: &str = r#"{"id":"msg_fixture01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":4,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#;

#[test]
fn golden_chat_response() {
    let u = unary("chat", chat_args()).unwrap();
    let r = reply(
        200,
        &[
            ("request-id", "req_fixture01"),
            ("anthropic-ratelimit-requests-remaining", "999"),
        ],
        FIXTURE_BODY,
    );
    let p = (u.parse)(&r, "client-1").unwrap();
    let v: Value = resilient_core::json::from_str(&p.json).unwrap();
    assert_eq!(
        v,
        json!({"text": "Hi!", "model": "claude-sonnet-4-5", "finish_reason": "end_turn",
               "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16},
               "request_id": "req_fixture01", "provider": "claude",
               "raw": resilient_core::json::from_str::<Value>(FIXTURE_BODY).unwrap()})
    );
    let usage = p.usage.unwrap();
    assert_eq!((usage.prompt, usage.completion, usage.total), (12, 4, 16));
    // Without the header: the body's id; without either: the client's.
    let v: Value = resilient_core::json::from_str(
        &(u.parse)(&reply(200, &[], FIXTURE_BODY), "c").unwrap().json,
    )
    .unwrap();
    assert_eq!(v["request_id"], "msg_fixture01");
    let bare = r#"{"content":[{"type":"text","text":"x"}],"stop_reason":null}"#;
    let v: Value = resilient_core::json::from_str(
        &(u.parse)(&reply(200, &[], bare), "client-9").unwrap().json,
    )
    .unwrap();
    assert_eq!(
        (v["request_id"].as_str(), v["model"].is_null()),
        (Some("client-9"), true)
    );
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0})
    );
}

#[test]
fn every_text_block_is_joined() {
    let u = unary("chat", chat_args()).unwrap();
    let b = r#"{"id":"msg_2","model":"m","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"Part one. "},{"type":"tool_use","id":"t","name":"f","input":{}},{"type":"text","text":"Part two."}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2}}"#;
    let v: Value =
        resilient_core::json::from_str(&(u.parse)(&reply(200, &[], b), "c").unwrap().json).unwrap();
    assert_eq!(v["text"], "Part one. Part two.");
    assert_eq!(v["finish_reason"], "tool_use");
}

#[test]
fn refusal_without_text_is_content_filter() {
    let u = unary("chat", chat_args()).unwrap();
    let b = r#"{"id":"msg_3","model":"m","content":[],"stop_reason":"refusal","usage":{"input_tokens":1,"output_tokens":0}}"#;
    let e = (u.parse)(&reply(200, &[], b), "c").unwrap_err();
    assert_eq!((e.kind, e.should_retry), (ErrorType::ContentFilter, false));
}

#[test]
fn garbage_replies_are_decode_errors() {
    let u = unary("chat", chat_args()).unwrap();
    for b in [
        "",
        "{",
        "[]",
        "null",
        r#"{"content":{}}"#,
        r#"{"content":[{"type":"text","text":5}]}"#,
        r#"{"id":"x"}"#,
    ] {
        let e = (u.parse)(&reply(200, &[], b), "c").unwrap_err();
        assert_eq!(e.kind, ErrorType::DecodeError, "{b}");
    }
    let m = unary("listModels", json!({})).unwrap();
    for b in ["", r#"{"data":{}}"#, "[]"] {
        assert_eq!(
            (m.parse)(&reply(200, &[], b), "c").unwrap_err().kind,
            ErrorType::DecodeError
        );
    }
}

// ---- errors ----

fn anthropic_error(kind: &str, message: &str) -> String {
    json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_b"})
        .to_string()
}

#[test]
fn golden_error_fixtures() {
    // providers.md: 529 overloaded_error.
    let e = classify(
        529,
        &[("request-id", "req_fixture03")],
        r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_fixture03"}"#,
    );
    assert_eq!(
        (e.kind, e.should_retry, e.status),
        (ErrorType::Overloaded, true, Some(529))
    );
    assert_eq!(
        (e.message.as_str(), e.request_id.as_deref()),
        ("Overloaded", Some("req_fixture03"))
    );
    assert!(e.kind.counts_for_breaker());
    // providers.md: 429 rate_limit_error with retry-after 17.
    let e = classify(
        429,
        &[
            ("retry-after", "17"),
            ("anthropic-ratelimit-tokens-reset", "2025-02-24T22:26:00Z"),
        ],
        r#"{"type": "error", "error": {"type": "rate_limit_error", "message": "Number of request tokens has exceeded your per-minute rate limit"}, "request_id": "req_fixture04"}"#,
    );
    assert_eq!(
        (e.kind, e.should_retry, e.retry_delay),
        (ErrorType::RateLimitExceeded, true, Some(17.0))
    );
    assert!(!e.kind.counts_for_breaker());
}

#[test]
fn error_type_table() {
    let table = [
        (
            400,
            "invalid_request_error",
            "messages: field required",
            ErrorType::InvalidRequest,
            false,
        ),
        (
            400,
            "invalid_request_error",
            "prompt is too long: 208310 tokens > 200000 maximum",
            ErrorType::ContextLengthExceeded,
            false,
        ),
        (
            401,
            "authentication_error",
            "invalid x-api-key",
            ErrorType::AuthenticationError,
            false,
        ),
        (
            402,
            "billing_error",
            "credit",
            ErrorType::QuotaExceeded,
            false,
        ),
        (
            403,
            "permission_error",
            "no",
            ErrorType::PermissionDenied,
            false,
        ),
        (
            404,
            "not_found_error",
            "model: x",
            ErrorType::NotFound,
            false,
        ),
        (
            413,
            "request_too_large",
            "too big",
            ErrorType::InvalidRequest,
            false,
        ),
        (
            429,
            "rate_limit_error",
            "slow down",
            ErrorType::RateLimitExceeded,
            true,
        ),
        (
            500,
            "api_error",
            "Internal server error",
            ErrorType::ServerError,
            true,
        ),
        (
            504,
            "timeout_error",
            "Request timeout",
            ErrorType::Timeout,
            true,
        ),
        (
            529,
            "overloaded_error",
            "Overloaded",
            ErrorType::Overloaded,
            true,
        ),
        // An unknown type leaves the status to decide.
        (503, "some_new_error", "x", ErrorType::Overloaded, true),
    ];
    for (status, kind, message, want, retry) in table {
        let e = classify(status, &[], &anthropic_error(kind, message));
        assert_eq!((e.kind, e.should_retry), (want, retry), "{status} {kind}");
        assert_eq!(e.message, message);
    }
    // A long hint fails fast; x-should-retry overrides; Cloudflare's HTML 413.
    let e = classify(
        429,
        &[("retry-after", "3600")],
        &anthropic_error("rate_limit_error", "x"),
    );
    assert_eq!((e.kind, e.should_retry), (ErrorType::QuotaExceeded, false));
    assert!(
        !classify(
            529,
            &[("x-should-retry", "false")],
            &anthropic_error("overloaded_error", "x")
        )
        .should_retry
    );
    let e = classify(
        413,
        &[],
        "<html><body>413 Request Entity Too Large</body></html>",
    );
    assert_eq!(e.kind, ErrorType::InvalidRequest);
    assert!(e.message.contains("413"));
}

// ---- streams ----

/// providers.md section 3 streaming fixture.
const STREAM: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_fixture02\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}\n\nevent: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":4}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

fn run_codec(chunks: &[&[u8]]) -> Result<(Vec<Value>, String), ApiError> {
    let (items, text) = common::run_codec(&mut ClaudeStreamCodec::new(), chunks);
    items.map(|items| (items, text))
}

fn fixture_items() -> Vec<Value> {
    vec![
        json!({"delta": "Hi", "done": false}),
        json!({"delta": "!", "done": false}),
        json!({"delta": "", "done": true, "finish_reason": "end_turn",
               "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}}),
    ]
}

#[test]
fn golden_stream() {
    let (items, text) = run_codec(&[STREAM.as_bytes()]).unwrap();
    assert_eq!(items, fixture_items());
    assert_eq!(text, "Hi!");
    // The stream codec handed out by the provider is the same.
    let mut s = CLAUDE
        .stream("chatStream", &ctx(&cfg()), &chat_args())
        .unwrap();
    let mut got = s.codec.feed(STREAM.as_bytes()).result().unwrap();
    got.extend(s.codec.finish().result().unwrap());
    assert_eq!(got.len(), 3);
    assert!(s.codec.done());
}

#[test]
fn stream_input_usage_from_message_delta_and_other_blocks_ignored() {
    let t = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n\
event: some_future_event\ndata: not json\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"input_tokens\":6,\"output_tokens\":9}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"after the end\"}}\n\n";
    let (items, text) = run_codec(&[t.as_bytes()]).unwrap();
    assert_eq!(text, "ok");
    assert_eq!(
        items,
        vec![
            json!({"delta": "ok", "done": false}),
            json!({"delta": "", "done": true, "finish_reason": "max_tokens",
                   "usage": {"prompt_tokens": 6, "completion_tokens": 9, "total_tokens": 15}}),
        ]
    );
}

fn first_events(n: usize) -> String {
    STREAM
        .split("\n\n")
        .take(n)
        .collect::<Vec<_>>()
        .join("\n\n")
        + "\n\n"
}

#[test]
fn stream_error_events_have_their_type() {
    let before = first_events(4); // message_start .. the "Hi" delta
    let table = [
        ("overloaded_error", ErrorType::Overloaded),
        ("rate_limit_error", ErrorType::RateLimitExceeded),
        ("api_error", ErrorType::ServerError),
        ("timeout_error", ErrorType::Timeout),
        ("invalid_request_error", ErrorType::InvalidRequest),
        ("brand_new_error", ErrorType::StreamInterrupted),
    ];
    for (kind, want) in table {
        let mut c = ClaudeStreamCodec::new();
        assert_eq!(c.feed(before.as_bytes()).result().unwrap().len(), 1);
        let ev = format!(
            "event: error\ndata: {}\n\n",
            anthropic_error(kind, "Overloaded")
        );
        let e = c.feed(ev.as_bytes()).result().unwrap_err();
        assert_eq!(e.kind, want, "{kind}");
        assert_eq!(e.message, "Overloaded");
        assert_eq!(c.text(), "Hi");
    }
    // An error event whose data is not the documented shape, and one without an event name.
    assert_eq!(
        run_codec(&[b"event: error\ndata: oops\n\n"])
            .unwrap_err()
            .kind,
        ErrorType::StreamInterrupted
    );
    let unnamed = format!("data: {}\n\n", anthropic_error("overloaded_error", "x"));
    assert_eq!(
        run_codec(&[unnamed.as_bytes()]).unwrap_err().kind,
        ErrorType::Overloaded
    );
    assert_eq!(
        run_codec(&[b"event: content_block_delta\ndata: {nope\n\n"])
            .unwrap_err()
            .kind,
        ErrorType::DecodeError
    );
}

#[test]
fn a_stream_cut_before_message_stop_has_no_final_item() {
    // Even after message_delta: only message_stop ends an Anthropic stream.
    let mut c = ClaudeStreamCodec::new();
    let items = c.feed(first_events(7).as_bytes()).result().unwrap();
    assert_eq!(items.len(), 2);
    assert!(c.finish().result().unwrap().is_empty());
    assert!(!c.done());
    // A final event without its trailing blank line still ends the stream.
    let cut = STREAM.trim_end();
    assert_eq!(run_codec(&[cut.as_bytes()]).unwrap().0, fixture_items());
    // reset forgets the previous attempt.
    let mut c = ClaudeStreamCodec::new();
    c.feed(first_events(4).as_bytes()).result().unwrap();
    c.reset();
    assert_eq!((c.text(), c.usage()), ("", None));
}

// ---- through the pipeline ----

#[test]
fn overloaded_then_ok_through_the_engine() {
    let sim = Sim::new();
    sim.transport.push(
        Step::status(529, &anthropic_error("overloaded_error", "Overloaded"))
            .header("request-id", "req_1"),
    );
    sim.transport
        .push(Step::ok(FIXTURE_BODY).header("request-id", "req_2"));
    let config = Config {
        jitter: 0.0,
        ..cfg()
    };
    let e = Engine::new("claude", config.clone(), sim.host());
    let u = CLAUDE.unary("chat", &ctx(&config), &chat_args()).unwrap();
    let out = sim
        .block_on(async move { e.execute(call(u)).await })
        .unwrap();
    let v: Value = resilient_core::json::from_str(&out.json).unwrap();
    assert_eq!(
        (v["text"].as_str(), v["request_id"].as_str()),
        (Some("Hi!"), Some("req_2"))
    );
    let sent = sim.transport.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].at, 1.0, "one computed backoff (no hint)");
}

// ---- properties ----

proptest! {
    #[test]
    fn any_split_same_items(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let crlf = STREAM.replace('\n', "\r\n").replace("Hi", "Hé ✓");
        for t in [STREAM.to_string(), crlf] {
            let whole = run_codec(&[t.as_bytes()]).unwrap();
            prop_assert_eq!(whole.0.len(), 3);
            prop_assert_eq!(run_codec(&split(t.as_bytes(), &cuts)).unwrap(), whole);
        }
    }

    #[test]
    fn mid_stream_error_any_split(cuts in prop::collection::vec(any::<usize>(), 0..20)) {
        let t = first_events(4) + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let chunks = split(t.as_bytes(), &cuts);
        let mut c = ClaudeStreamCodec::new();
        let mut err = None;
        for ch in chunks {
            if let Err(e) = c.feed(ch).result() {
                err = Some(e);
                break;
            }
        }
        prop_assert_eq!(err.map(|e| e.kind), Some(ErrorType::Overloaded));
        prop_assert_eq!(c.text(), "Hi");
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..12)) {
        let mut c = ClaudeStreamCodec::new();
        for ch in &chunks {
            if c.feed(ch).result().is_err() {
                break;
            }
        }
        let _ = c.finish().result();
        let all: Vec<u8> = chunks.concat();
        let r = reply(200, &[], "");
        let r = Reply { body: all.clone(), ..r };
        for op in ["chat", "listModels"] {
            let u = unary(op, chat_args()).unwrap();
            common::read_any(&u, &r, 500);
        }
    }

    #[test]
    fn arbitrary_json_values_never_panic(v in arb_json()) {
        let text = v.to_string();
        let u = unary("chat", chat_args()).unwrap();
        common::read_any(&u, &reply(200, &[], &text), 400);
        let _ = run_codec(&[format!("event: message_delta\ndata: {text}\n\n").as_bytes()]);
        let _ = run_codec(&[format!("event: error\ndata: {text}\n\n").as_bytes()]);
        let _ = unary("chat", v.clone());
        let _ = unary("chat", json!({"messages": [v.clone()], "system": v.clone(), "stop": v}));
    }
}

/// Small JSON values with the keys this codec reads.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z_ ]{0,8}".prop_map(Value::from),
    ];
    const KEYS: &[&str] = &[
        "type",
        "error",
        "content",
        "text",
        "usage",
        "delta",
        "message",
        "input_tokens",
        "role",
        "stop_reason",
    ];
    json_tree(leaf.boxed(), key_of(KEYS, "[a-z]{1,4}"), (4, 32, 6), 5)
}
