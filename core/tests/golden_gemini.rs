//! Gemini (Generative Language API) golden tests: exact requests, response and error
//! transcripts (providers.md section 4 fixtures first), the sentinel-less stream, properties.

mod common;

use common::{
    call, ctx, drain, headers, json_tree, key_of, reply, split, stream_call, stream_step,
};
use proptest::prelude::*;
use resilient_core::codec::{Reply, StreamCodec};
use resilient_core::config::Config;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::Engine;
use resilient_core::providers::gemini::{GeminiStreamCodec, GEMINI};
use resilient_core::providers::{Provider, Unary};
use resilient_core::sim::{Sim, Step};
use resilient_core::{ApiError, ErrorType};

const KEY: &str = "AIza-test";

fn cfg() -> Config {
    common::keyed(KEY)
}

fn unary(op: &str, args: Value) -> Result<Unary, ApiError> {
    GEMINI.unary(op, &ctx(&cfg()), &args)
}

fn body(u: &Unary) -> Value {
    common::body(&u.request)
}

fn chat_args() -> Value {
    json!({"messages": [{"role": "user", "content": "Say hi"}]})
}

fn parsed(u: &Unary, body: &str) -> Result<Value, ApiError> {
    common::parse(u, &[], body)
}

fn classify(status: u16, body: &str) -> ApiError {
    common::classify(&unary("chat", chat_args()).unwrap(), status, &[], body)
}

const JSON_HEADERS: [(&str, &str); 2] = [
    ("x-goog-api-key", KEY),
    ("content-type", "application/json"),
];

// ---- requests ----

/// providers.md section 4 fixture, exactly.
#[test]
fn golden_chat_request() {
    let u = unary(
        "chat",
        json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "Say hi"}], "maxTokens": 16, "temperature": 0.2}),
    )
    .unwrap();
    assert_eq!(u.model.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(u.request.method, "POST");
    assert_eq!(
        u.request.url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(u.request.headers, headers(&JSON_HEADERS));
    assert_eq!(
        body(&u),
        json!({"contents": [{"role": "user", "parts": [{"text": "Say hi"}]}],
               "generationConfig": {"maxOutputTokens": 16, "temperature": 0.2}})
    );
}

#[test]
fn roles_system_instruction_and_generation_config() {
    let u = unary(
        "chat",
        json!({
            "system": "S0",
            "messages": [
                {"role": "system", "content": "S1"},
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "a"},
                {"role": "user", "content": ["look", {"type": "text", "text": "here"},
                    {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}]}],
            "topP": 0.9, "top_k": 3, "stop": "END", "seed": 7, "responseMimeType": "application/json",
            "generationConfig": {"candidateCount": 1, "maxOutputTokens": 5},
            "maxTokens": 50,
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
            "stream": true,
        }),
    )
    .unwrap();
    assert_eq!(
        body(&u),
        json!({
            "contents": [
                {"role": "user", "parts": [{"text": "q"}]},
                {"role": "model", "parts": [{"text": "a"}]},
                {"role": "user", "parts": [{"text": "look"}, {"text": "here"},
                    {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}]}],
            "systemInstruction": {"parts": [{"text": "S0"}, {"text": "S1"}]},
            "generationConfig": {"candidateCount": 1, "maxOutputTokens": 50, "topP": 0.9, "topK": 3,
                "stopSequences": ["END"], "seed": 7, "responseMimeType": "application/json"},
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        })
    );
    let b = body(
        &unary(
            "chat",
            json!({"messages": [{"role": "user", "content": "x"}], "stop_sequences": ["a"]}),
        )
        .unwrap(),
    );
    assert_eq!(b["generationConfig"], json!({"stopSequences": ["a"]}));
    // Nothing asked: no generationConfig, no systemInstruction, no model in the body.
    let b = body(&unary("chat", chat_args()).unwrap());
    assert_eq!(
        b,
        json!({"contents": [{"role": "user", "parts": [{"text": "Say hi"}]}]})
    );
}

#[test]
fn model_names_versions_and_base_url() {
    let url = |model: &str| {
        unary(
            "chat",
            json!({"model": model, "messages": [{"role": "user", "content": "x"}]}),
        )
        .unwrap()
        .request
        .url
    };
    let base = "https://generativelanguage.googleapis.com/v1beta";
    assert_eq!(
        url("models/gemini-2.5-pro"),
        format!("{base}/models/gemini-2.5-pro:generateContent")
    );
    assert_eq!(
        url("tunedModels/my-tune-1"),
        format!("{base}/tunedModels/my-tune-1:generateContent")
    );
    assert_eq!(
        url("a b/c?key=x"),
        format!("{base}/models/a%20b%2Fc%3Fkey%3Dx:generateContent")
    );
    let config = Config {
        api_version: Some("v1".into()),
        base_url: Some("http://127.0.0.1:9/".into()),
        model: Some("gemini-x".into()),
        headers: headers(&[("x-goog-api-client", "test/1")]),
        ..cfg()
    };
    let u = GEMINI.unary("chat", &ctx(&config), &chat_args()).unwrap();
    assert_eq!(
        u.request.url,
        "http://127.0.0.1:9/v1/models/gemini-x:generateContent"
    );
    assert_eq!(
        u.request.headers,
        headers(&[
            JSON_HEADERS[0],
            JSON_HEADERS[1],
            ("x-goog-api-client", "test/1")
        ])
    );
    // The default model.
    assert_eq!(
        url_default(),
        format!("{base}/models/gemini-2.0-flash:generateContent")
    );
}

fn url_default() -> String {
    unary("chat", chat_args()).unwrap().request.url
}

#[test]
fn the_key_is_only_in_the_header() {
    let mut requests = vec![
        unary("chat", chat_args()).unwrap().request,
        unary("embed", json!({"input": "a"})).unwrap().request,
        unary("embed", json!({"input": ["a", "b"]}))
            .unwrap()
            .request,
        unary("listModels", json!({})).unwrap().request,
    ];
    requests.push(
        GEMINI
            .stream("chatStream", &ctx(&cfg()), &chat_args())
            .unwrap()
            .request,
    );
    for r in requests {
        assert!(!r.url.contains(KEY) && !r.url.contains("key="), "{}", r.url);
        let b = String::from_utf8(r.body.unwrap_or_default()).unwrap();
        assert!(!b.contains(KEY));
        assert_eq!(
            r.headers[0],
            ("x-goog-api-key".to_string(), KEY.to_string())
        );
    }
    assert!(GEMINI.auth_headers(&ctx(&Config::default())).is_empty());
}

#[test]
fn bad_arguments_name_the_field() {
    let x = json!([{"role": "user", "content": "x"}]);
    let cases = [
        (json!(1), "chat(request)"),
        (json!({}), "messages"),
        (json!({"messages": []}), "messages"),
        (
            json!({"messages": [{"role": "system", "content": "s"}]}),
            "messages",
        ),
        (
            json!({"messages": [{"role": "model", "content": "x"}]}),
            "messages[0].role",
        ),
        (
            json!({"messages": [{"role": "user"}]}),
            "messages[0].content",
        ),
        (
            json!({"messages": [{"role": "user", "content": null}]}),
            "messages[0].content",
        ),
        (
            json!({"messages": [{"role": "user", "content": [3]}]}),
            "messages[0].content",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "text"}]}]}),
            "messages[0].content",
        ),
        (json!({"messages": x, "maxTokens": -1}), "maxTokens"),
        (json!({"messages": x, "topP": "high"}), "topP"),
        (json!({"messages": x, "stop": {}}), "stop"),
        (json!({"messages": x, "system": 1}), "system"),
        (json!({"messages": x, "model": 1}), "model"),
        (json!({"messages": x, "model": "models/"}), "model"),
        (
            json!({"messages": x, "generationConfig": []}),
            "generationConfig",
        ),
    ];
    for (args, field) in cases {
        common::assert_refused(unary("chat", args.clone()), &args, &format!("`{field}`"));
    }
    for args in [
        json!({}),
        json!({"input": []}),
        json!({"input": [1]}),
        json!({"input": 2}),
        json!(null),
    ] {
        let e = unary("embed", args.clone())
            .err()
            .unwrap_or_else(|| panic!("{args} accepted"));
        assert_eq!(e.kind, ErrorType::InvalidRequest);
    }
    assert!(unary("rerank", json!({})).is_err());
}

#[test]
fn golden_stream_request() {
    let s = GEMINI
        .stream("chatStream", &ctx(&cfg()), &json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "Say hi"}]}))
        .unwrap();
    assert!(s.request.stream);
    assert_eq!(
        s.request.url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
    assert_eq!(s.request.headers, headers(&JSON_HEADERS));
    let b: Value = resilient_core::json::from_slice(s.request.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        b,
        json!({"contents": [{"role": "user", "parts": [{"text": "Say hi"}]}]})
    );
}

/// providers.md section 4 batch fixture, exactly.
#[test]
fn golden_embed() {
    let u = unary(
        "embed",
        json!({"model": "text-embedding-004", "input": ["a", "b"]}),
    )
    .unwrap();
    assert_eq!(u.request.method, "POST");
    assert_eq!(
        u.request.url,
        "https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:batchEmbedContents"
    );
    assert_eq!(u.request.headers, headers(&JSON_HEADERS));
    assert_eq!(
        body(&u),
        json!({"requests": [
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "a"}]}},
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "b"}]}}]})
    );
    let v = parsed(
        &u,
        r#"{"embeddings": [{"values": [0.1, 0.2]}, {"values": [0.3, 0.4]}]}"#,
    )
    .unwrap();
    assert_eq!(
        v,
        json!({"embeddings": [[0.1, 0.2], [0.3, 0.4]], "model": "text-embedding-004",
               "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
               "request_id": "client-1", "provider": "gemini"})
    );
    // A count that does not match the inputs is not silently accepted.
    assert_eq!(
        parsed(&u, r#"{"embeddings": [{"values": [0.1]}]}"#)
            .unwrap_err()
            .kind,
        ErrorType::DecodeError
    );
}

#[test]
fn golden_embed_single() {
    let u = unary(
        "embed",
        json!({"input": "hello", "taskType": "RETRIEVAL_QUERY", "outputDimensionality": 2}),
    )
    .unwrap();
    assert_eq!(u.model.as_deref(), Some("gemini-embedding-001"));
    assert_eq!(
        u.request.url,
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:embedContent"
    );
    assert_eq!(
        body(&u),
        json!({"content": {"parts": [{"text": "hello"}]}, "taskType": "RETRIEVAL_QUERY", "outputDimensionality": 2})
    );
    let v = parsed(&u, r#"{"embedding": {"values": [0.5, -0.25]}}"#).unwrap();
    assert_eq!(v["embeddings"], json!([[0.5, -0.25]]));
    for bad in [
        "{}",
        r#"{"embedding": {"values": 3}}"#,
        r#"{"embeddings": []}"#,
        "[]",
    ] {
        assert_eq!(
            parsed(&u, bad).unwrap_err().kind,
            ErrorType::DecodeError,
            "{bad}"
        );
    }
}

#[test]
fn golden_models() {
    let u = unary("listModels", json!({})).unwrap();
    assert_eq!(u.request.method, "GET");
    assert_eq!(
        u.request.url,
        "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000"
    );
    assert_eq!(u.request.headers, headers(&[JSON_HEADERS[0]]));
    assert!(u.request.body.is_none());
    let list = r#"{"models": [{"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash", "inputTokenLimit": 1048576, "supportedGenerationMethods": ["generateContent"]}], "nextPageToken": "n"}"#;
    assert_eq!(
        parsed(&u, list).unwrap(),
        json!([{"id": "gemini-2.5-flash", "name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash",
                "inputTokenLimit": 1048576, "supportedGenerationMethods": ["generateContent"]}])
    );
    assert_eq!(parsed(&u, "{}").unwrap(), json!([]));
    for bad in [
        "[]",
        r#"{"models": {}}"#,
        r#"{"models": [1]}"#,
        r#"{"models": [{"displayName": "x"}]}"#,
        "",
    ] {
        assert_eq!(
            parsed(&u, bad).unwrap_err().kind,
            ErrorType::DecodeError,
            "{bad}"
        );
    }
}

// ---- responses ----

const FIXTURE_BODY: &str = r#"{"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi!"}]}, "finishReason": "STOP", "index": 0}], "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5}, "modelVersion": "gemini-2.5-flash", "responseId": "resp-fixture-1"}"#;

#[test]
fn golden_chat_response() {
    let u = unary("chat", chat_args()).unwrap();
    let p = (u.parse)(&reply(200, &[], FIXTURE_BODY), "client-1").unwrap();
    let v: Value = resilient_core::json::from_str(&p.json).unwrap();
    assert_eq!(
        v,
        json!({"text": "Hi!", "model": "gemini-2.5-flash", "finish_reason": "STOP",
               "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
               "request_id": "resp-fixture-1", "provider": "gemini",
               "raw": resilient_core::json::from_str::<Value>(FIXTURE_BODY).unwrap()})
    );
    let usage = p.usage.unwrap();
    assert_eq!((usage.prompt, usage.completion, usage.total), (3, 2, 5));
    // A request-id header wins over the body's id.
    let with = (u.parse)(&reply(200, &[("x-request-id", "hdr-1")], FIXTURE_BODY), "c").unwrap();
    assert_eq!(
        resilient_core::json::from_str::<Value>(&with.json).unwrap()["request_id"],
        "hdr-1"
    );
}

#[test]
fn parts_thoughts_and_thinking_usage() {
    let u = unary("chat", chat_args()).unwrap();
    let b = r#"{"candidates": [{"content": {"parts": [{"text": "plan", "thought": true}, {"text": "A"}, {"functionCall": {"name": "f"}}, {"text": "B"}]}, "finishReason": "MAX_TOKENS"}],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2, "thoughtsTokenCount": 10, "totalTokenCount": 16}}"#;
    let v = parsed(&u, b).unwrap();
    assert_eq!(
        (v["text"].as_str(), v["finish_reason"].as_str()),
        (Some("AB"), Some("MAX_TOKENS"))
    );
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 4, "completion_tokens": 12, "total_tokens": 16})
    );
    // No modelVersion or responseId: the model asked for and the client's id.
    assert_eq!(
        (v["model"].as_str(), v["request_id"].as_str()),
        (Some("gemini-2.0-flash"), Some("client-1"))
    );
}

#[test]
fn safety_blocks_on_a_200_are_content_filter() {
    let u = unary("chat", chat_args()).unwrap();
    let blocked = r#"{"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []}, "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5}}"#;
    let e = parsed(&u, blocked).unwrap_err();
    assert_eq!((e.kind, e.should_retry), (ErrorType::ContentFilter, false));
    assert!(e.message.contains("SAFETY"));
    let stopped =
        r#"{"candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": []}]}"#;
    assert_eq!(
        parsed(&u, stopped).unwrap_err().kind,
        ErrorType::ContentFilter
    );
    let prohibited =
        r#"{"candidates": [{"content": {"parts": []}, "finishReason": "PROHIBITED_CONTENT"}]}"#;
    assert_eq!(
        parsed(&u, prohibited).unwrap_err().kind,
        ErrorType::ContentFilter
    );
    // Text was produced before the stop: the caller gets it with the reason.
    let partial =
        r#"{"candidates": [{"content": {"parts": [{"text": "So"}]}, "finishReason": "SAFETY"}]}"#;
    assert_eq!(parsed(&u, partial).unwrap()["finish_reason"], "SAFETY");
}

#[test]
fn garbage_replies_are_decode_errors() {
    let u = unary("chat", chat_args()).unwrap();
    for b in [
        "",
        "{",
        "[]",
        "null",
        "{}",
        r#"{"candidates": []}"#,
        r#"{"candidates": {}}"#,
        r#"{"candidates": [{"content": {"parts": [{"text": 1}]}}]}"#,
    ] {
        assert_eq!(
            parsed(&u, b).unwrap_err().kind,
            ErrorType::DecodeError,
            "{b}"
        );
    }
}

// ---- errors ----

/// providers.md section 4 fixture: a per-minute quota with RetryInfo.
const RATE_429: &str = r#"{"error": {"code": 429, "message": "You exceeded your current quota. Please retry in 26.5s.", "status": "RESOURCE_EXHAUSTED",
  "details": [
    {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"}, "quotaValue": "10"}]},
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26.5s"}]}}"#;

fn google_error(code: u16, status: &str, message: &str) -> String {
    json!({"error": {"code": code, "message": message, "status": status}}).to_string()
}

#[test]
fn golden_rate_limit_with_retry_info() {
    let e = classify(429, RATE_429);
    assert_eq!(
        (e.kind, e.should_retry, e.retry_delay),
        (ErrorType::RateLimitExceeded, true, Some(26.5))
    );
    assert!(e.message.starts_with("You exceeded your current quota"));
}

#[test]
fn a_per_day_quota_is_quota_exceeded() {
    let daily = RATE_429.replace(
        "GenerateRequestsPerMinutePerProjectPerModel",
        "GenerateRequestsPerDayPerProjectPerModel",
    );
    let e = classify(429, &daily);
    assert_eq!((e.kind, e.should_retry), (ErrorType::QuotaExceeded, false));
    assert_eq!(e.retry_delay, Some(26.5), "the hint is still reported");
    // A hint longer than maxRetryAfter also fails fast.
    let long = RATE_429.replace("26.5s\"}", "3600s\"}");
    assert_eq!(classify(429, &long).kind, ErrorType::QuotaExceeded);
}

#[test]
fn error_status_table() {
    let key = r#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}"#;
    let table: Vec<(u16, String, ErrorType, bool)> = vec![
        (400, google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload"), ErrorType::InvalidRequest, false),
        (400, google_error(400, "FAILED_PRECONDITION", "User location is not supported"), ErrorType::InvalidRequest, false),
        (400, key.to_string(), ErrorType::AuthenticationError, false),
        (400, google_error(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."), ErrorType::ContextLengthExceeded, false),
        (401, google_error(401, "UNAUTHENTICATED", "no"), ErrorType::AuthenticationError, false),
        (402, google_error(402, "RESOURCE_EXHAUSTED", "credits depleted"), ErrorType::QuotaExceeded, false),
        (403, google_error(403, "PERMISSION_DENIED", "no"), ErrorType::PermissionDenied, false),
        (404, google_error(404, "NOT_FOUND", "models/x is not found"), ErrorType::NotFound, false),
        (429, google_error(429, "RESOURCE_EXHAUSTED", "Resource exhausted"), ErrorType::RateLimitExceeded, true),
        (500, google_error(500, "INTERNAL", "An internal error has occurred"), ErrorType::ServerError, true),
        (503, google_error(503, "UNAVAILABLE", "The model is overloaded."), ErrorType::Overloaded, true),
        (504, google_error(504, "DEADLINE_EXCEEDED", "Deadline expired"), ErrorType::ServerError, true),
        (502, "<html>Bad Gateway</html>".to_string(), ErrorType::ServerError, true),
    ];
    for (status, b, want, retry) in table {
        let e = classify(status, &b);
        assert_eq!((e.kind, e.should_retry), (want, retry), "{status} {b}");
        assert_eq!(e.status, Some(status));
    }
}

// ---- streams ----

/// providers.md section 4 streaming fixture: no sentinel, the connection closes.
const STREAM: &str = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hi\"}]},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":1,\"totalTokenCount\":4},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"resp-fx-2\"}\n\ndata: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"!\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":5},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"resp-fx-2\"}\n\n";

fn run_codec(chunks: &[&[u8]]) -> Result<(Vec<Value>, String), ApiError> {
    let (items, text) = common::run_codec(&mut GeminiStreamCodec::new(), chunks);
    items.map(|items| (items, text))
}

fn fixture_items() -> Vec<Value> {
    vec![
        json!({"delta": "Hi", "done": false}),
        json!({"delta": "!", "done": false}),
        json!({"delta": "", "done": true, "finish_reason": "STOP",
               "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}),
    ]
}

const FIRST: &str = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hi\"}]},\"index\":0}]}\n\n";

#[test]
fn golden_stream() {
    let mut c = GeminiStreamCodec::new();
    let items = c.feed(STREAM.as_bytes()).result().unwrap();
    assert_eq!(
        items.len(),
        2,
        "the final item waits for the end of the body"
    );
    assert!(!c.done());
    let last = c.finish().result().unwrap();
    assert_eq!(last.len(), 1);
    assert!(c.done());
    assert_eq!(
        run_codec(&[STREAM.as_bytes()]).unwrap(),
        (fixture_items(), "Hi!".to_string())
    );
    // \r\r and \r\n\r\n separators, as js-genai accepts.
    for sep in ["\r\r", "\r\n\r\n"] {
        let t = STREAM.replace("\n\n", sep);
        assert_eq!(run_codec(&[t.as_bytes()]).unwrap().0, fixture_items());
    }
}

#[test]
fn a_stream_cut_before_a_finish_reason_has_no_final_item() {
    let mut c = GeminiStreamCodec::new();
    assert_eq!(c.feed(FIRST.as_bytes()).result().unwrap().len(), 1);
    assert!(c.finish().result().unwrap().is_empty());
    assert!(!c.done());
    // reset forgets the attempt.
    c.reset();
    assert_eq!((c.text(), c.usage()), ("", None));
}

#[test]
fn mid_stream_errors_have_their_type() {
    let table = [
        (
            google_error(503, "UNAVAILABLE", "The model is overloaded."),
            ErrorType::Overloaded,
        ),
        (
            google_error(500, "INTERNAL", "boom"),
            ErrorType::ServerError,
        ),
        (
            google_error(429, "RESOURCE_EXHAUSTED", "slow"),
            ErrorType::RateLimitExceeded,
        ),
        (
            google_error(400, "INVALID_ARGUMENT", "bad"),
            ErrorType::InvalidRequest,
        ),
        (
            json!({"error": {"message": "odd"}}).to_string(),
            ErrorType::StreamInterrupted,
        ),
    ];
    for (err, want) in &table {
        // As an SSE event.
        let mut c = GeminiStreamCodec::new();
        c.feed(FIRST.as_bytes()).result().unwrap();
        let e = c
            .feed(format!("data: {err}\n\n").as_bytes())
            .result()
            .unwrap_err();
        assert_eq!(e.kind, *want, "{err}");
        assert_eq!(c.text(), "Hi");
        // As a raw pretty-printed body without SSE framing, then the connection closes.
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(err).unwrap())
                .unwrap();
        let mut c = GeminiStreamCodec::new();
        c.feed(FIRST.as_bytes()).result().unwrap();
        assert!(c.feed(pretty.as_bytes()).result().unwrap().is_empty());
        assert_eq!(c.finish().result().unwrap_err().kind, *want, "raw {err}");
    }
    // The hint in a mid-stream RESOURCE_EXHAUSTED is kept.
    let e =
        run_codec(&[format!("data: {}\n\n", RATE_429.replace('\n', "")).as_bytes()]).unwrap_err();
    assert_eq!(
        (e.kind, e.retry_delay, e.status),
        (ErrorType::RateLimitExceeded, Some(26.5), None),
        "the HTTP status was 200"
    );
    assert_eq!(
        run_codec(&[b"data: {nope\n\n"]).unwrap_err().kind,
        ErrorType::DecodeError
    );
}

#[test]
fn stream_safety_blocks() {
    let blocked = "data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"}}\n\n";
    assert_eq!(
        run_codec(&[blocked.as_bytes()]).unwrap_err().kind,
        ErrorType::ContentFilter
    );
    let stopped = "data: {\"candidates\":[{\"finishReason\":\"SAFETY\",\"index\":0}]}\n\n";
    assert_eq!(
        run_codec(&[stopped.as_bytes()]).unwrap_err().kind,
        ErrorType::ContentFilter
    );
    // After text: the stream ends with the reason.
    let t = format!("{FIRST}{stopped}");
    let (items, _) = run_codec(&[t.as_bytes()]).unwrap();
    assert_eq!(items.last().unwrap()["finish_reason"], "SAFETY");
}

#[test]
fn usage_only_chunk_after_the_finish_reason_counts() {
    let t = format!(
        "{STREAM}data: {{\"usageMetadata\":{{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":6}}}}\n\n"
    );
    let (items, _) = run_codec(&[t.as_bytes()]).unwrap();
    assert_eq!(items.last().unwrap()["usage"]["total_tokens"], 6);
}

// ---- through the pipeline ----

#[test]
fn retry_info_is_slept_then_ok() {
    let sim = Sim::new();
    let hinted = RATE_429.replace("26.5s\"}", "2s\"}");
    sim.transport.push(Step::status(429, &hinted));
    sim.transport.push(Step::ok(FIXTURE_BODY));
    let config = cfg();
    let e = Engine::new("gemini", config.clone(), sim.host());
    let u = GEMINI.unary("chat", &ctx(&config), &chat_args()).unwrap();
    let out = sim
        .block_on(async move { e.execute(call(u)).await })
        .unwrap();
    assert_eq!(
        resilient_core::json::from_str::<Value>(&out.json).unwrap()["text"],
        "Hi!"
    );
    let sent = sim.transport.sent();
    assert_eq!(
        (sent.len(), sent[1].at),
        (2, 2.0),
        "RetryInfo's 2 s, without jitter"
    );
}

#[test]
fn a_stream_that_closes_after_its_finish_reason_succeeds() {
    let sim = Sim::new();
    let mid = STREAM.find("\n\n").unwrap() + 2;
    sim.transport.push(stream_step(vec![
        (0.0, STREAM.as_bytes()[..mid].to_vec()),
        (1.0, STREAM.as_bytes()[mid..].to_vec()),
    ]));
    let config = cfg();
    let e = Engine::new("gemini", config.clone(), sim.host());
    let s = GEMINI
        .stream("chatStream", &ctx(&config), &chat_args())
        .unwrap();
    let (items, err) = sim.block_on(drain(e.clone(), stream_call(s)));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(items, fixture_items());
    assert_eq!(e.stats()["successful_requests"], 1);
    assert_eq!(e.stats()["tokens"]["total"], 5);
}

// ---- properties ----

proptest! {
    #[test]
    fn any_split_same_items(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let crlf = STREAM.replace("\n\n", "\r\n\r\n").replace("Hi", "Hé ✓");
        for t in [STREAM.to_string(), crlf] {
            let whole = run_codec(&[t.as_bytes()]).unwrap();
            prop_assert_eq!(whole.0.len(), 3);
            prop_assert_eq!(run_codec(&split(t.as_bytes(), &cuts)).unwrap(), whole);
        }
    }

    #[test]
    fn mid_stream_error_any_split(cuts in prop::collection::vec(any::<usize>(), 0..20), raw in any::<bool>()) {
        let err = google_error(503, "UNAVAILABLE", "The model is overloaded.");
        let err = if raw {
            serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&err).unwrap()).unwrap()
        } else {
            format!("data: {err}\n\n")
        };
        let t = format!("{FIRST}{err}");
        let r = run_codec(&split(t.as_bytes(), &cuts));
        prop_assert_eq!(r.err().map(|e| e.kind), Some(ErrorType::Overloaded));
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..12)) {
        let _ = run_codec(&chunks.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let all: Vec<u8> = chunks.concat();
        let r = Reply { status: 200, headers: vec![], body: all.clone() };
        for (op, args) in [("chat", chat_args()), ("listModels", json!({})), ("embed", json!({"input": "a"})), ("embed", json!({"input": ["a", "b"]}))] {
            let u = unary(op, args).unwrap();
            common::read_any(&u, &r, 429);
        }
    }

    #[test]
    fn arbitrary_json_values_never_panic(v in arb_json()) {
        let text = v.to_string();
        for (op, args) in [("chat", chat_args()), ("listModels", json!({})), ("embed", json!({"input": ["a"]}))] {
            let u = unary(op, args).unwrap();
            common::read_any(&u, &reply(200, &[], &text), 429);
        }
        let _ = run_codec(&[format!("data: {text}\n\n").as_bytes()]);
        let _ = run_codec(&[text.as_bytes()]);
        let _ = unary("chat", v.clone());
        let _ = unary("embed", json!({"input": v.clone(), "model": v.clone()}));
        let _ = unary("chat", json!({"messages": [v.clone()], "system": v.clone(), "stop": v.clone(), "generationConfig": v}));
    }
}

/// Small JSON values with the keys this codec reads.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[A-Za-z_/ ]{0,8}".prop_map(Value::from),
    ];
    const KEYS: &[&str] = &[
        "candidates",
        "content",
        "parts",
        "text",
        "error",
        "details",
        "violations",
        "quotaId",
        "status",
        "code",
        "models",
        "name",
        "embedding",
        "embeddings",
        "values",
        "promptFeedback",
        "finishReason",
        "usageMetadata",
        "role",
    ];
    json_tree(leaf.boxed(), key_of(KEYS, "[a-z]{1,4}"), (4, 32, 6), 5)
}
