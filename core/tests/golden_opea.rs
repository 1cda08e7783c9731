//! OPEA (providers.md section 9): exact requests for chat, embeddings, reranking and the
//! ChatQnA gateway; response, error and stream transcripts (the bytes-repr stream included);
//! chunk-split and garbage properties; a ChatQnA stream through the pipeline.

mod common;

use common::{based as base, body_of, drain, items, split, stream_call, stream_step, JSON};
use proptest::prelude::*;
use resilient_core::codec::Reply;
use resilient_core::config::Config;
use resilient_core::host::HttpRequest;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::Engine;
use resilient_core::providers::{Streamed, Unary};
use resilient_core::sim::Sim;
use resilient_core::{ApiError, ErrorType};

fn build(config: &Config, op: &str, args: Value) -> Result<Unary, ApiError> {
    common::unary("opea", config, op, args)
}

fn build_stream(config: &Config, op: &str, args: Value) -> Result<Streamed, ApiError> {
    common::stream("opea", config, op, args)
}

fn assert_request(req: &HttpRequest, method: &str, url: &str, body: Value) {
    assert_eq!((req.method.as_str(), req.url.as_str()), (method, url));
    assert_eq!(req.headers, common::headers(&[JSON]));
    assert_eq!(body_of(req), Some(body));
}

fn parse(u: &Unary, body: &str) -> Result<Value, ApiError> {
    common::parse(u, &[], body)
}

fn classify(u: &Unary, status: u16, body: &str) -> ApiError {
    common::classify(u, status, &[], body)
}

fn delta(d: &str) -> Value {
    json!({"delta": d, "done": false})
}

fn last() -> Value {
    json!({"delta": "", "done": true, "finish_reason": null, "usage": null})
}

/// providers.md section 9 ChatQnA stream fixture.
const QNA_STREAM: &str = "data: b'OPEA'\n\ndata: b' is'\n\ndata: b' great'\n\ndata: [DONE]\n\n";

/// Escapes, a `"`-quoted literal, and a UTF-8 character cut between two tokens.
const QNA_ESCAPES: &str = "data: b'caf\\xc3\\xa9 \\xe2\\x9c'\r\n\r\ndata: b'\\x93\\n'\n\ndata: b\"it's \\\\ok\"\n\ndata: [DONE]\n\n";

const CHAT_STREAM: &str = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"OPEA\"},\"finish_reason\":null}]}\n\ndata: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" rocks\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

#[test]
fn golden_chat() {
    let u = build(
        &base("http://localhost:9000"),
        "chat",
        json!({"model": "Intel/neural-chat-7b-v3-3", "messages": [{"role": "user", "content": "What is OPEA?"}], "maxTokens": 32, "stream": false}),
    )
    .unwrap();
    assert_request(
        &u.request,
        "POST",
        "http://localhost:9000/v1/chat/completions",
        json!({"model": "Intel/neural-chat-7b-v3-3", "messages": [{"role": "user", "content": "What is OPEA?"}], "max_tokens": 32, "stream": false}),
    );
    let body = r#"{"id": "chatcmpl-opea1", "object": "chat.completion", "created": 1735689600, "model": "Intel/neural-chat-7b-v3-3",
   "choices": [{"index": 0, "message": {"role": "assistant", "content": "OPEA is an open platform for enterprise AI."}, "finish_reason": "stop"}],
   "usage": {"prompt_tokens": 12, "completion_tokens": 10, "total_tokens": 22}}"#;
    let v = parse(&u, body).unwrap();
    assert_eq!(v["text"], "OPEA is an open platform for enterprise AI.");
    assert_eq!(v["request_id"], "chatcmpl-opea1");
    assert_eq!(v["provider"], "opea");
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 12, "completion_tokens": 10, "total_tokens": 22})
    );
    // The seed's `opea_endpoint` ends in /v1 already: not doubled. The default model applies.
    let c = Config::from_options(
        "opea",
        &json!({"opea_endpoint": "http://localhost:8000/v1"}),
    )
    .unwrap();
    let u = build(
        &c,
        "chat",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    assert_request(
        &u.request,
        "POST",
        "http://localhost:8000/v1/chat/completions",
        json!({"model": "Intel/neural-chat-7b-v3-3", "messages": [{"role": "user", "content": "x"}]}),
    );
    let models = build(&c, "listModels", json!({})).unwrap();
    assert_eq!(models.request.method, "GET");
    assert_eq!(models.request.url, "http://localhost:8000/v1/models");
    let reply = Reply {
        status: 200,
        headers: vec![],
        body: br#"{"object":"list","data":[{"id":"Intel/neural-chat-7b-v3-3","object":"model"}]}"#
            .to_vec(),
    };
    let v: Value =
        resilient_core::json::from_str(&(models.parse)(&reply, "c").unwrap().json).unwrap();
    assert_eq!(v[0]["id"], "Intel/neural-chat-7b-v3-3");
}

#[test]
fn golden_chat_stream() {
    let mut s = build_stream(
        &Config::default(),
        "chatStream",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    assert!(s.request.stream);
    assert_request(
        &s.request,
        "POST",
        "http://localhost:8888/v1/chat/completions",
        json!({"model": "Intel/neural-chat-7b-v3-3", "messages": [{"role": "user", "content": "x"}], "stream": true}),
    );
    assert_eq!(
        items(s.codec.as_mut(), &[CHAT_STREAM.as_bytes()]).unwrap(),
        vec![
            delta("OPEA"),
            delta(" rocks"),
            json!({"delta": "", "done": true, "finish_reason": "stop", "usage": null})
        ]
    );
    // The microservice just ends the body on a failure: nothing final, the pipeline reports it.
    let first = &CHAT_STREAM[..CHAT_STREAM.find("\n\n").unwrap() + 2];
    assert_eq!(
        items(s.codec.as_mut(), &[first.as_bytes()]).unwrap(),
        vec![delta("OPEA")]
    );
    assert!(!s.codec.done());
}

#[test]
fn golden_chatqna() {
    let u = build(
        &Config::default(),
        "chatqna",
        json!({"messages": [{"role": "user", "content": "What is OPEA?"}], "maxTokens": 64, "k": 2}),
    )
    .unwrap();
    assert_request(
        &u.request,
        "POST",
        "http://localhost:8888/v1/chatqna",
        json!({"messages": [{"role": "user", "content": "What is OPEA?"}], "max_tokens": 64, "k": 2, "stream": false}),
    );
    assert_eq!(u.model.as_deref(), Some("chatqna"));
    let body = r#"{"id":"chatcmpl-qna1","object":"chat.completion","created":1735689600,"model":"chatqna","choices":[{"index":0,"message":{"role":"assistant","content":"OPEA is great"},"finish_reason":"stop"}],"usage":{"prompt_tokens":0,"total_tokens":0,"completion_tokens":0}}"#;
    let v = parse(&u, body).unwrap();
    assert_eq!(
        (
            &v["text"],
            &v["model"],
            &v["finish_reason"],
            &v["request_id"]
        ),
        (
            &json!("OPEA is great"),
            &json!("chatqna"),
            &json!("stop"),
            &json!("chatcmpl-qna1")
        )
    );
    // The gateway's plain-string conversation; a model only when chosen.
    let u = build(
        &Config::default(),
        "chatqna",
        json!({"messages": "What is OPEA?", "model": "m", "stream": false}),
    )
    .unwrap();
    assert_eq!(
        body_of(&u.request),
        Some(json!({"messages": "What is OPEA?", "model": "m", "stream": false}))
    );
    let s = build_stream(
        &Config::default(),
        "chatqnaStream",
        json!({"messages": "hi"}),
    )
    .unwrap();
    assert!(s.request.stream);
    assert_request(
        &s.request,
        "POST",
        "http://localhost:8888/v1/chatqna",
        json!({"messages": "hi", "stream": true}),
    );
}

#[test]
fn golden_chatqna_stream() {
    let mut s = build_stream(
        &Config::default(),
        "chatqnaStream",
        json!({"messages": "q"}),
    )
    .unwrap();
    let c = s.codec.as_mut();
    assert_eq!(
        items(c, &[QNA_STREAM.as_bytes()]).unwrap(),
        vec![delta("OPEA"), delta(" is"), delta(" great"), last()]
    );
    assert_eq!(c.text(), "OPEA is great");
    assert_eq!(
        items(c, &[QNA_ESCAPES.as_bytes()]).unwrap(),
        vec![delta("café "), delta("✓\n"), delta("it's \\ok"), last()]
    );
    // A character never completed is replaced at [DONE].
    assert_eq!(
        items(c, &[b"data: b'x\\xe2'\n\ndata: [DONE]\n\n"]).unwrap(),
        vec![delta("x"), delta("\u{fffd}"), last()]
    );
    // Chunks an OpenAI-style LLM service passes through the gateway.
    let passed = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    assert_eq!(
        items(c, &[passed.as_bytes()]).unwrap(),
        vec![
            delta("Hi"),
            json!({"delta": "", "done": true, "finish_reason": "stop", "usage": null})
        ]
    );
    // Errors inside the stream.
    let err = "data: b'OPEA'\n\ndata: {\"error\": {\"message\": \"backend overloaded\", \"code\": \"overloaded\"}}\n\n";
    let e = items(c, &[err.as_bytes()]).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorType::Overloaded, "backend overloaded")
    );
    assert_eq!(c.text(), "OPEA");
    let e = items(
        c,
        &[b"data: b'a'\n\nevent: error\ndata: {\"detail\": \"x\"}\n\n"],
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorType::StreamInterrupted);
    assert_eq!(
        items(c, &[b"data: hello\n\n"]).unwrap_err().kind,
        ErrorType::DecodeError
    );
    assert_eq!(
        items(c, &[b"data: {oops\n\n"]).unwrap_err().kind,
        ErrorType::DecodeError
    );
    // Cut before [DONE]: the items so far, nothing final.
    assert_eq!(
        items(c, &[b"data: b'OPEA'\n\ndata: b' is"]).unwrap(),
        vec![delta("OPEA"), delta(" is")]
    );
    assert!(!c.done());
}

#[test]
fn golden_embed() {
    let u = build(&Config::default(), "embed", json!({"input": "hello"})).unwrap();
    assert_request(
        &u.request,
        "POST",
        "http://localhost:8888/v1/embeddings",
        json!({"model": "BAAI/bge-base-en-v1.5", "input": "hello", "encoding_format": "float"}),
    );
    let body = r#"{"object":"list","model":"BAAI/bge-base-en-v1.5","data":[{"index":0,"object":"embedding","embedding":[0.1,-0.2]}],"usage":{"prompt_tokens":1,"total_tokens":1}}"#;
    let v = parse(&u, body).unwrap();
    assert_eq!(v["embeddings"], json!([[0.1, -0.2]]));
    assert_eq!(
        (v["provider"].as_str(), v["request_id"].as_str()),
        (Some("opea"), Some("client-1"))
    );
}

#[test]
fn golden_rerank() {
    let u = build(
        &base("http://localhost:8000"),
        "rerank",
        json!({"query": "capital of France", "texts": ["Paris is the capital.", "Bananas are yellow."], "topN": 1}),
    )
    .unwrap();
    // The documents go as { text } objects (the TEI integration reads `.text`).
    assert_request(
        &u.request,
        "POST",
        "http://localhost:8000/v1/reranking",
        json!({"input": "capital of France", "retrieved_docs": [{"text": "Paris is the capital."}, {"text": "Bananas are yellow."}], "top_n": 1}),
    );
    assert_eq!(
        parse(
            &u,
            r#"{"reranked_docs": [{"text": "Paris is the capital.", "score": 0.97}]}"#
        )
        .unwrap(),
        json!([{"index": 0, "score": 0.97}])
    );
    // All texts unless topN; duplicates keep their own index; best first.
    let u = build(
        &Config::default(),
        "rerank",
        json!({"query": "q", "texts": ["a", "b", "a"], "model": "ignored"}),
    )
    .unwrap();
    assert_eq!(body_of(&u.request).unwrap()["top_n"], 3);
    assert!(body_of(&u.request).unwrap().get("model").is_none());
    let body = r#"{"reranked_docs": [{"text": "a", "score": 0.2}, {"text": "b", "score": 0.1}, {"text": "a", "score": 0.9}]}"#;
    assert_eq!(
        parse(&u, body).unwrap(),
        json!([{"index": 2, "score": 0.9}, {"index": 0, "score": 0.2}, {"index": 1, "score": 0.1}])
    );
    for bad in [
        r#"{"reranked_docs": [{"text": "zzz", "score": 1}]}"#,
        r#"{"reranked_docs": [{"text": "b"}, {"text": "b"}]}"#,
        r#"{"docs": []}"#,
        "",
    ] {
        assert_eq!(
            parse(&u, bad).unwrap_err().kind,
            ErrorType::DecodeError,
            "{bad}"
        );
    }
}

#[test]
fn bad_arguments_name_the_field() {
    let c = Config::default();
    for (op, args, field) in [
        ("chat", json!({}), "messages"),
        (
            "chat",
            json!({"messages": [{"role": "bot", "content": "x"}]}),
            "messages[0].role",
        ),
        ("chatqna", json!({}), "messages"),
        ("chatqna", json!({"messages": ""}), "messages"),
        ("chatqna", json!({"messages": "x", "system": "s"}), "system"),
        (
            "chatqna",
            json!({"messages": "x", "stream": true}),
            "stream",
        ),
        ("chatqna", json!([1]), "chatqna(request)"),
        ("embed", json!({"input": 5}), "input"),
        ("rerank", json!({"query": "q"}), "texts"),
        (
            "rerank",
            json!({"query": "q", "texts": ["a"], "topN": -1}),
            "topN",
        ),
        (
            "rerank",
            json!({"query": "q", "texts": ["a"], "top_n": 1}),
            "top_n",
        ),
        ("generate", json!({"prompt": "x"}), "not available for opea"),
        ("predict", json!({}), "not available for opea"),
    ] {
        common::assert_refused(build(&c, op, args), op, field);
    }
    let e = build_stream(
        &c,
        "chatqnaStream",
        json!({"messages": "x", "stream": false}),
    )
    .err()
    .unwrap();
    assert!(e.message.contains("stream"));
}

#[test]
fn error_transcripts() {
    let u = build(&Config::default(), "chatqna", json!({"messages": "x"})).unwrap();
    let e = classify(
        &u,
        422,
        r#"{"detail": [{"loc": ["body", "messages"], "msg": "Field required", "type": "missing"}]}"#,
    );
    assert_eq!(
        (e.kind, e.should_retry, e.message.as_str()),
        (
            ErrorType::InvalidRequest,
            false,
            "body.messages: Field required"
        )
    );
    let e = classify(&u, 500, r#"{"detail": "OVMS backend failed"}"#);
    assert_eq!(
        (e.kind, e.should_retry, e.message.as_str()),
        (ErrorType::ServerError, true, "OVMS backend failed")
    );
    let e = classify(&u, 500, "Internal Server Error");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorType::ServerError, "Internal Server Error")
    );
    let e = classify(
        &u,
        400,
        r#"{"object": "error", "message": "prompt too long", "code": 40303}"#,
    );
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorType::ContextLengthExceeded, "prompt too long")
    );
    let e = classify(
        &u,
        429,
        r#"{"object": "error", "message": "busy", "code": 42903}"#,
    );
    assert_eq!((e.kind, e.should_retry), (ErrorType::Overloaded, true));
    let e = classify(&u, 503, "");
    assert_eq!((e.kind, e.should_retry), (ErrorType::Overloaded, true));
    let e = classify(
        &u,
        400,
        r#"{"error": {"message": "bad", "code": "context_length_exceeded"}}"#,
    );
    assert_eq!(e.kind, ErrorType::ContextLengthExceeded);
}

fn run(op: &str, chunks: &[&[u8]]) -> (Result<Vec<Value>, ApiError>, String) {
    let mut s = build_stream(
        &Config::default(),
        op,
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    common::run_codec(s.codec.as_mut(), chunks)
}

proptest! {
    #[test]
    fn any_split_same_items(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        for (op, transcript) in [
            ("chatqnaStream", QNA_STREAM),
            ("chatqnaStream", QNA_ESCAPES),
            ("chatStream", CHAT_STREAM),
        ] {
            let whole = run(op, &[transcript.as_bytes()]);
            prop_assert!(whole.0.is_ok());
            prop_assert_eq!(run(op, &split(transcript.as_bytes(), &cuts)).0.unwrap(), whole.0.unwrap());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let _ = run("chatqnaStream", &refs);
        let _ = run("chatStream", &refs);
        let body = chunks.concat();
        for (op, args) in [
            ("chat", json!({"messages": "x"})),
            ("chatqna", json!({"messages": "x"})),
            ("embed", json!({"input": "x"})),
            ("rerank", json!({"query": "q", "texts": ["a", "a"]})),
        ] {
            let Ok(u) = build(&Config::default(), op, args) else { continue };
            let reply = Reply { status: 200, headers: vec![], body: body.clone() };
            common::read_any(&u, &reply, 422);
        }
    }

    #[test]
    fn arbitrary_bytes_literals_never_panic(s in "b['\"][ -~\\\\]{0,24}['\"]?") {
        let mut s2 = build_stream(&Config::default(), "chatqnaStream", json!({"messages": "q"})).unwrap();
        let _ = items(s2.codec.as_mut(), &[format!("data: {s}\n\ndata: [DONE]\n\n").as_bytes()]);
    }
}

/// Through the pipeline: a ChatQnA stream whose tokens arrive in separate chunks.
#[test]
fn pipeline_chatqna_stream() {
    let sim = Sim::new();
    let config =
        Config::from_options("opea", &json!({"opea_endpoint": "http://qna:8888"})).unwrap();
    let e = Engine::new("opea", config.clone(), sim.host());
    let chunks = QNA_STREAM
        .split_inclusive("\n\n")
        .map(|c| (0.1, c.as_bytes().to_vec()))
        .collect();
    sim.transport.push(stream_step(chunks));
    let s = build_stream(
        &config,
        "chatqnaStream",
        json!({"messages": "What is OPEA?"}),
    )
    .unwrap();
    let (got, err) = sim.block_on(drain(e, stream_call(s)));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        got,
        vec![delta("OPEA"), delta(" is"), delta(" great"), last()]
    );
    assert_eq!(
        sim.transport.sent()[0].request.url,
        "http://qna:8888/v1/chatqna"
    );
}
