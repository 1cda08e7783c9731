//! Ollama golden tests (providers.md section 5): exact requests, response transcripts, error
//! shapes, NDJSON streams under any chunking, and no panic on arbitrary bytes.

mod common;

use common::{body, call, classify, ctx, drain, items, json_tree, request_headers as headers};
use common::{stream_call, stream_step};
use proptest::prelude::*;
use resilient_core::codec::Reply;
use resilient_core::config::Config;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::Engine;
use resilient_core::providers::{provider, Provider, Streamed, Unary};
use resilient_core::secret::Secret;
use resilient_core::sim::{Sim, Step};
use resilient_core::{ApiError, ErrorType};

fn ollama() -> &'static dyn Provider {
    provider("ollama").unwrap()
}

fn unary(op: &str, args: Value) -> Result<Unary, ApiError> {
    ollama().unary(op, &ctx(&Config::default()), &args)
}

fn stream(op: &str, args: Value) -> Result<Streamed, ApiError> {
    ollama().stream(op, &ctx(&Config::default()), &args)
}

fn reply(body: &str) -> Reply {
    common::reply(200, &[], body)
}

fn parse(u: &Unary, body: &str) -> Value {
    common::parse(u, &[], body).unwrap()
}

const CHAT_REPLY: &str = r#"{"model":"llama3.2","created_at":"2025-01-01T00:00:00.000000Z","message":{"role":"assistant","content":"Hi!"},"done":true,"done_reason":"stop","total_duration":512000000,"load_duration":2000000,"prompt_eval_count":26,"prompt_eval_duration":40000000,"eval_count":3,"eval_duration":60000000}"#;

const CHAT_STREAM: &str = "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.1Z\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.2Z\",\"message\":{\"role\":\"assistant\",\"content\":\"!\"},\"done\":false}\n{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.3Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"total_duration\":300000000,\"load_duration\":1000000,\"prompt_eval_count\":26,\"prompt_eval_duration\":40000000,\"eval_count\":2,\"eval_duration\":50000000}\n";

const GENERATE_STREAM: &str = "{\"model\":\"llama3.2\",\"created_at\":\"t\",\"response\":\"Hé\",\"done\":false}\r\n{\"model\":\"llama3.2\",\"created_at\":\"t\",\"response\":\"llo ✓\",\"done\":false}\n\n{\"model\":\"llama3.2\",\"created_at\":\"t\",\"response\":\"\",\"done\":true,\"done_reason\":\"length\",\"context\":[1,2],\"prompt_eval_count\":5,\"eval_count\":4}";

const MID_STREAM_ERROR: &str = "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.1Z\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n{\"error\":\"an error was encountered while running the model\"}\n";

#[test]
fn golden_chat_request() {
    let u = unary(
        "chat",
        json!({"model": "llama3.2", "messages": [{"role": "user", "content": "Say hi"}]}),
    )
    .unwrap();
    assert_eq!(u.model.as_deref(), Some("llama3.2"));
    assert_eq!(u.request.method, "POST");
    assert_eq!(u.request.url, "http://localhost:11434/api/chat");
    assert_eq!(headers(&u.request), [("content-type", "application/json")]);
    assert!(!u.request.stream);
    assert_eq!(
        body(&u.request),
        json!({"model": "llama3.2", "messages": [{"role": "user", "content": "Say hi"}], "stream": false})
    );
}

#[test]
fn chat_arguments_map_to_options_and_top_level_fields() {
    let u = unary(
        "chat",
        json!({
            "system": "be brief",
            "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": []}, {"role": "tool", "content": "42"}],
            "maxTokens": 64, "temperature": 0.2, "topP": 0.9, "topK": 40, "seed": 7, "stop": "\n",
            "options": {"num_ctx": 8192, "temperature": 1.0},
            "format": "json", "keep_alive": "10m", "think": false, "stream": true
        }),
    )
    .unwrap();
    assert_eq!(
        body(&u.request),
        json!({
            "model": "llama3.2",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "x"},
                {"role": "assistant", "tool_calls": []},
                {"role": "tool", "content": "42"}
            ],
            "options": {"num_ctx": 8192, "temperature": 0.2, "num_predict": 64, "top_p": 0.9, "top_k": 40, "seed": 7, "stop": ["\n"]},
            "format": "json", "keep_alive": "10m", "think": false, "stream": false
        })
    );
}

#[test]
fn key_base_url_and_model_from_config() {
    let config = Config {
        api_key: Some(Secret::new("ok-cloud")),
        base_url: Some("https://ollama.com/api".into()),
        model: Some("gpt-oss:120b".into()),
        headers: vec![("x-extra".into(), "1".into())],
        ..Config::default()
    };
    let u = ollama()
        .unary(
            "chat",
            &ctx(&config),
            &json!({"messages": [{"role": "user", "content": "x"}]}),
        )
        .unwrap();
    assert_eq!(u.request.url, "https://ollama.com/api/chat");
    assert_eq!(
        headers(&u.request),
        [
            ("authorization", "Bearer ok-cloud"),
            ("content-type", "application/json"),
            ("x-extra", "1")
        ]
    );
    assert_eq!(body(&u.request)["model"], "gpt-oss:120b");
}

#[test]
fn golden_chat_response() {
    let u = unary(
        "chat",
        json!({"messages": [{"role": "user", "content": "Say hi"}]}),
    )
    .unwrap();
    let p = (u.parse)(&reply(CHAT_REPLY), "client-1").unwrap();
    let v: Value = resilient_core::json::from_str(&p.json).unwrap();
    assert_eq!(
        v,
        json!({
            "text": "Hi!", "model": "llama3.2", "finish_reason": "stop",
            "usage": {"prompt_tokens": 26, "completion_tokens": 3, "total_tokens": 29},
            "request_id": "client-1", "provider": "ollama",
            "raw": resilient_core::json::from_str::<Value>(CHAT_REPLY).unwrap()
        })
    );
    let usage = p.usage.unwrap();
    assert_eq!((usage.prompt, usage.completion, usage.total), (26, 3, 29));
    let with_header = Reply {
        headers: vec![("x-request-id".into(), "req-9".into())],
        ..reply(CHAT_REPLY)
    };
    let v: Value =
        resilient_core::json::from_str(&(u.parse)(&with_header, "c").unwrap().json).unwrap();
    assert_eq!(v["request_id"], "req-9");
}

#[test]
fn golden_generate() {
    let u = unary(
        "generate",
        json!({"model": "llama3.2", "prompt": "Why?", "system": "terse", "maxTokens": 5, "raw": true}),
    )
    .unwrap();
    assert_eq!(u.request.url, "http://localhost:11434/api/generate");
    assert_eq!(
        body(&u.request),
        json!({"model": "llama3.2", "prompt": "Why?", "system": "terse", "raw": true, "options": {"num_predict": 5}, "stream": false})
    );
    let v = parse(
        &u,
        r#"{"model":"llama3.2","created_at":"t","response":"Because.","done":true,"done_reason":"stop","context":[1],"prompt_eval_count":4,"eval_count":2}"#,
    );
    assert_eq!(
        (&v["text"], &v["finish_reason"], &v["usage"]["total_tokens"]),
        (&json!("Because."), &json!("stop"), &json!(6))
    );
}

#[test]
fn golden_embed() {
    let u = unary("embed", json!({"model": "all-minilm", "input": ["a", "b"]})).unwrap();
    assert_eq!(u.request.url, "http://localhost:11434/api/embed");
    assert_eq!(
        body(&u.request),
        json!({"model": "all-minilm", "input": ["a", "b"]})
    );
    let v = parse(
        &u,
        r#"{"model": "all-minilm", "embeddings": [[0.01, -0.02], [0.03, 0.04]], "total_duration": 14000000, "load_duration": 1000000, "prompt_eval_count": 2}"#,
    );
    assert_eq!(
        v,
        json!({
            "embeddings": [[0.01, -0.02], [0.03, 0.04]], "model": "all-minilm",
            "usage": {"prompt_tokens": 2, "completion_tokens": 0, "total_tokens": 2},
            "request_id": "client-1", "provider": "ollama"
        })
    );
    let u = unary(
        "embed",
        json!({"input": "x", "truncate": false, "dimensions": 256}),
    )
    .unwrap();
    assert_eq!(
        body(&u.request),
        json!({"model": "nomic-embed-text", "input": "x", "truncate": false, "dimensions": 256})
    );
}

#[test]
fn golden_list_models() {
    let u = unary("listModels", json!({})).unwrap();
    assert_eq!(
        (u.request.method.as_str(), u.request.url.as_str()),
        ("GET", "http://localhost:11434/api/tags")
    );
    assert!(u.request.body.is_none() && u.model.is_none());
    let v = parse(
        &u,
        r#"{"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","modified_at":"2025-01-01T00:00:00Z","size":2019393189,"digest":"a80c","details":{"format":"gguf","family":"llama","families":["llama"],"parameter_size":"3.2B","quantization_level":"Q4_K_M"}}]}"#,
    );
    assert_eq!(v[0]["id"], "llama3.2:latest");
    assert_eq!(v[0]["details"]["family"], "llama");
    assert_eq!(v[0]["size"], 2019393189u64);
}

#[test]
fn golden_chat_stream() {
    let mut s = stream(
        "chatStream",
        json!({"messages": [{"role": "user", "content": "Say hi"}]}),
    )
    .unwrap();
    assert!(s.request.stream);
    assert_eq!(s.request.url, "http://localhost:11434/api/chat");
    assert_eq!(body(&s.request)["stream"], true);
    assert_eq!(
        items(s.codec.as_mut(), &[CHAT_STREAM.as_bytes()]).unwrap(),
        vec![
            json!({"delta": "Hi", "done": false}),
            json!({"delta": "!", "done": false}),
            json!({"delta": "", "done": true, "finish_reason": "stop", "usage": {"prompt_tokens": 26, "completion_tokens": 2, "total_tokens": 28}}),
        ]
    );
    assert_eq!(s.codec.text(), "Hi!");
    assert!(s.codec.done());
    assert_eq!(s.codec.usage().unwrap().total, 28);
}

#[test]
fn golden_generate_stream() {
    let mut s = stream("generateStream", json!({"prompt": "x"})).unwrap();
    assert_eq!(s.request.url, "http://localhost:11434/api/generate");
    assert!(s.request.stream && body(&s.request)["stream"] == true);
    assert_eq!(
        items(s.codec.as_mut(), &[GENERATE_STREAM.as_bytes()]).unwrap(),
        vec![
            json!({"delta": "Hé", "done": false}),
            json!({"delta": "llo ✓", "done": false}),
            json!({"delta": "", "done": true, "finish_reason": "length", "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}}),
        ]
    );
}

#[test]
fn stream_errors_and_cuts() {
    let mut s = stream(
        "chatStream",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    let c = s.codec.as_mut();
    let (first, rest) = MID_STREAM_ERROR.split_at(MID_STREAM_ERROR.find('\n').unwrap() + 1);
    assert_eq!(c.feed(first.as_bytes()).result().unwrap().len(), 1);
    let e = c.feed(rest.as_bytes()).result().unwrap_err();
    assert_eq!(e.kind, ErrorType::StreamInterrupted);
    assert_eq!(
        e.message,
        "an error was encountered while running the model"
    );
    assert_eq!(c.text(), "Hi");
    // Cut before the done line: no final item, so the pipeline reports stream_interrupted.
    c.reset();
    assert_eq!(c.text(), "");
    c.feed(first.as_bytes()).result().unwrap();
    assert!(c.finish().result().unwrap().is_empty() && !c.done());
    // A line that is not JSON is a decode error.
    assert_eq!(
        items(c, &[b"{nope\n"]).unwrap_err().kind,
        ErrorType::DecodeError
    );
    // Lines after the done line are ignored.
    let after = format!("{CHAT_STREAM}{{\"error\":\"late\"}}\n");
    assert_eq!(items(c, &[after.as_bytes()]).unwrap().len(), 3);
}

#[test]
fn error_shapes() {
    let u = unary(
        "chat",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    let e = classify(
        &u,
        404,
        &[],
        r#"{"error": "model \"nope\" not found, try pulling it first"}"#,
    );
    assert_eq!((e.kind, e.should_retry), (ErrorType::NotFound, false));
    assert_eq!(e.message, "model \"nope\" not found, try pulling it first");
    let e = classify(
        &u,
        503,
        &[],
        r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#,
    );
    assert_eq!((e.kind, e.should_retry), (ErrorType::Overloaded, true));
    let e = classify(
        &u,
        429,
        &[("retry-after", "3")],
        r#"{"error":"too many requests"}"#,
    );
    assert_eq!(
        (e.kind, e.should_retry, e.retry_delay),
        (ErrorType::RateLimitExceeded, true, Some(3.0))
    );
    let e = classify(
        &u,
        400,
        &[],
        r#"{"error":"\"llama3.2\" does not support tools"}"#,
    );
    assert_eq!((e.kind, e.should_retry), (ErrorType::InvalidRequest, false));
    let e = classify(
        &u,
        500,
        &[],
        r#"{"error":"llama runner process has terminated"}"#,
    );
    assert_eq!((e.kind, e.should_retry), (ErrorType::ServerError, true));
    let e = classify(&u, 502, &[], "");
    assert_eq!((e.kind, e.should_retry), (ErrorType::ServerError, true));
    // A 200 body that is an error is not a success.
    let err = (u.parse)(&reply(r#"{"error":"boom"}"#), "c").unwrap_err();
    assert_eq!(
        (err.kind, err.message.as_str()),
        (ErrorType::ServerError, "boom")
    );
}

#[test]
fn bad_arguments_name_their_field() {
    let msg = |m: &str| json!({"messages": [{"role": "user", "content": "x"}], m: "bad"});
    for (op, args, field) in [
        ("chat", json!("hi"), "chat(request)"),
        ("chat", json!({}), "messages"),
        ("chat", json!({"messages": []}), "messages"),
        (
            "chat",
            json!({"messages": [{"role": "robot", "content": "x"}]}),
            "messages[0].role",
        ),
        (
            "chat",
            json!({"messages": [{"role": "user", "content": [1]}]}),
            "messages[0].content",
        ),
        (
            "chat",
            json!({"messages": [{"role": "user"}]}),
            "messages[0].content",
        ),
        ("chat", json!({"messages": ["x"]}), "messages[0].role"),
        ("chat", msg("maxTokens"), "maxTokens"),
        ("chat", msg("temperature"), "temperature"),
        ("chat", msg("topP"), "topP"),
        (
            "chat",
            json!({"messages": [{"role": "user", "content": "x"}], "stop": [1]}),
            "stop",
        ),
        ("chat", msg("options"), "options"),
        (
            "chat",
            json!({"messages": [{"role": "user", "content": "x"}], "system": 1}),
            "system",
        ),
        (
            "chat",
            json!({"messages": [{"role": "user", "content": "x"}], "model": 3}),
            "model",
        ),
        ("generate", json!({}), "prompt"),
        ("generate", json!({"prompt": 1}), "prompt"),
        ("embed", json!({}), "input"),
        ("embed", json!({"input": []}), "input"),
        ("embed", json!({"input": [1]}), "input"),
        ("embed", json!({"input": "x", "model": ""}), "model"),
    ] {
        common::assert_refused(unary(op, args.clone()), &args, field);
    }
    for op in ["rerank", "health", "chatqna"] {
        assert_eq!(
            unary(op, json!({})).err().unwrap().kind,
            ErrorType::InvalidRequest
        );
    }
    assert!(stream("chatqnaStream", json!({})).is_err());
    assert!(stream("generateStream", json!({})).is_err());
}

#[test]
fn garbage_replies_are_decode_errors() {
    let chat = unary(
        "chat",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    let generate = unary("generate", json!({"prompt": "x"})).unwrap();
    let embed = unary("embed", json!({"input": "x"})).unwrap();
    let tags = unary("listModels", json!({})).unwrap();
    for (u, body) in [
        (&chat, ""),
        (&chat, "[]"),
        (&chat, r#"{"done":true}"#),
        (&chat, r#"{"message":{"content":5}}"#),
        (&generate, r#"{"message":{"content":"x"}}"#),
        (&embed, r#"{"embeddings":[1,2]}"#),
        (&embed, r#"{"embedding":[1,2]}"#),
        (&tags, r#"{"models":[{"size":1}]}"#),
        (&tags, r#"{"models":{}}"#),
    ] {
        let e = (u.parse)(&reply(body), "c").unwrap_err();
        assert_eq!(e.kind, ErrorType::DecodeError, "{body}");
    }
}

fn engine(sim: &Sim) -> Engine {
    common::engine(sim, "ollama", json!({"jitter": 0}))
}

/// Through the pipeline: "try pulling it first" fails once, unretried; "server busy" is retried.
#[test]
fn pipeline_not_found_once_busy_retried() {
    let sim = Sim::new();
    sim.transport.push(Step::status(
        404,
        r#"{"error":"model \"nope\" not found, try pulling it first"}"#,
    ));
    let e = engine(&sim);
    let u = unary(
        "chat",
        json!({"model": "nope", "messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    let err = sim
        .block_on(async move { e.execute(call(u)).await })
        .unwrap_err();
    assert_eq!((err.kind, err.attempts), (ErrorType::NotFound, 1));
    assert_eq!(sim.transport.count(), 1);

    let sim = Sim::new();
    sim.transport.push(Step::status(
        503,
        r#"{"error":"server busy, please try again."}"#,
    ));
    sim.transport.push(Step::ok(CHAT_REPLY));
    let e = engine(&sim);
    let u = unary(
        "chat",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    let ok = sim
        .block_on(async move { e.execute(call(u)).await })
        .unwrap();
    assert!(ok.json.contains("\"text\":\"Hi!\""));
    assert_eq!(sim.transport.count(), 2);
}

/// Through the pipeline: an error line after text is `stream_interrupted` with the partial text.
#[test]
fn pipeline_mid_stream_error_keeps_partial_text() {
    let sim = Sim::new();
    sim.transport.push(stream_step(
        MID_STREAM_ERROR
            .split_inclusive('\n')
            .map(|line| (1.0, line.as_bytes().to_vec()))
            .collect(),
    ));
    let e = engine(&sim);
    let s = stream(
        "chatStream",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    let (_, err) = sim.block_on(drain(e, stream_call(s)));
    let err = err.unwrap();
    assert_eq!(err.kind, ErrorType::StreamInterrupted);
    assert_eq!(err.partial_text.as_deref(), Some("Hi"));
}

fn outcome(op: &str, args: Value, chunks: &[&[u8]]) -> Result<Vec<Value>, (ErrorType, String)> {
    common::outcome(stream(op, args).unwrap().codec.as_mut(), chunks)
}

proptest! {
    #[test]
    fn any_split_same_items(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let chat = json!({"messages": [{"role": "user", "content": "x"}]});
        for (op, args, transcript) in [
            ("chatStream", chat.clone(), CHAT_STREAM),
            ("generateStream", json!({"prompt": "x"}), GENERATE_STREAM),
            ("chatStream", chat, MID_STREAM_ERROR),
        ] {
            let (whole, parts) =
                common::whole_and_parts(transcript, &cuts, |c| outcome(op, args.clone(), c));
            prop_assert_eq!(parts, whole);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let _ = outcome("chatStream", json!({"messages": [{"role": "user", "content": "x"}]}), &refs);
        let _ = outcome("generateStream", json!({"prompt": "x"}), &refs);
        let all: Vec<u8> = chunks.concat();
        for (op, args) in [
            ("chat", json!({"messages": [{"role": "user", "content": "x"}]})),
            ("generate", json!({"prompt": "x"})),
            ("embed", json!({"input": "x"})),
            ("listModels", json!({})),
        ] {
            let u = unary(op, args).unwrap();
            let r = Reply { status: 200, headers: vec![], body: all.clone() };
            common::read_any(&u, &r, 500);
        }
    }

    #[test]
    fn arbitrary_json_lines_never_panic(lines in prop::collection::vec("[{}\\[\\]\":,a-z0-9 ]{0,40}", 0..8)) {
        let text = lines.join("\n");
        let _ = outcome("chatStream", json!({"messages": [{"role": "user", "content": "x"}]}), &[text.as_bytes()]);
    }

    #[test]
    fn arbitrary_arguments_never_panic(v in arb_json()) {
        for op in ["chat", "generate", "embed", "listModels"] {
            let _ = unary(op, v.clone());
            let _ = unary(op, json!({"messages": [v.clone()], "prompt": v.clone(), "input": v.clone(), "stop": v.clone(), "options": v.clone()}));
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::from),
    ];
    let key = "(role|content|model|[a-z]{1,4})".boxed();
    json_tree(leaf.boxed(), key, (3, 24, 4), 4)
}
