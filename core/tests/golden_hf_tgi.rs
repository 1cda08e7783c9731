//! TGI golden tests (providers.md section 6): exact requests, response transcripts, error
//! shapes, `/generate_stream` and `/v1/chat/completions` streams under any chunking, and no
//! panic on arbitrary bytes.

mod common;

use common::{body, ctx, items, reply, request_headers as headers};
use proptest::prelude::*;
use resilient_core::codec::Reply;
use resilient_core::config::Config;
use resilient_core::json::{json, Value};
use resilient_core::providers::{provider, Provider, Streamed, Unary};
use resilient_core::secret::Secret;
use resilient_core::sim::Step;
use resilient_core::{ApiError, ErrorType};

fn tgi() -> &'static dyn Provider {
    provider("hf_tgi").unwrap()
}

fn unary(op: &str, args: Value) -> Result<Unary, ApiError> {
    tgi().unary(op, &ctx(&Config::default()), &args)
}

fn stream(op: &str, args: Value) -> Result<Streamed, ApiError> {
    tgi().stream(op, &ctx(&Config::default()), &args)
}

fn parse(u: &Unary, hdrs: &[(&str, &str)], body: &str) -> Value {
    common::parse(u, hdrs, body).unwrap()
}

fn classify(u: &Unary, status: u16, body: &str) -> ApiError {
    common::classify(u, status, &[], body)
}

const GENERATE_REPLY: &str = r#"{"generated_text": " Deep learning is a subset of machine", "details": {"finish_reason": "length", "generated_tokens": 8, "seed": null, "prefill": [], "tokens": [{"id": 10650, "text": " Deep", "logprob": -0.5, "special": false}]}}"#;

const GENERATE_STREAM: &str = "data:{\"index\":1,\"token\":{\"id\":10650,\"text\":\" Deep\",\"logprob\":-0.5,\"special\":false},\"generated_text\":null,\"details\":null}\n\ndata:{\"index\":2,\"token\":{\"id\":6975,\"text\":\" learning\",\"logprob\":-0.2,\"special\":false},\"generated_text\":null,\"details\":null}\n\ndata:{\"index\":3,\"token\":{\"id\":2,\"text\":\"</s>\",\"logprob\":-0.1,\"special\":true},\"generated_text\":\" Deep learning\",\"details\":{\"finish_reason\":\"eos_token\",\"generated_tokens\":3,\"input_length\":6,\"seed\":null}}\n\n";

const GENERATE_STREAM_ERROR: &str = "data:{\"index\":1,\"token\":{\"id\":10650,\"text\":\" Deep\",\"logprob\":-0.5,\"special\":false},\"generated_text\":null,\"details\":null}\n\n: keep-alive\n\ndata:{\"error\":\"Request failed during generation: CUDA out of memory\",\"error_type\":\"generation\"}\n\n";

const CHAT_STREAM: &str = "data:{\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1,\"model\":\"m\",\"system_fingerprint\":\"3.0.0-native\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hé\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\r\n\r\ndata:{\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"llo\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\ndata:{\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\n\ndata:[DONE]\n\n";

const CHAT_STREAM_ERROR: &str = "data:{\"error\":{\"message\":\"Request failed during generation: CUDA out of memory\",\"http_status_code\":422}}\n\ndata:[DONE]\n\n";

#[test]
fn golden_generate_request() {
    let u = unary(
        "generate",
        json!({"prompt": "What is Deep Learning?", "maxTokens": 8}),
    )
    .unwrap();
    assert_eq!(u.model.as_deref(), Some("tgi"));
    assert_eq!(u.request.method, "POST");
    assert_eq!(u.request.url, "http://localhost:8080/generate");
    assert_eq!(headers(&u.request), [("content-type", "application/json")]);
    assert_eq!(
        body(&u.request),
        json!({"inputs": "What is Deep Learning?", "parameters": {"max_new_tokens": 8, "details": true}})
    );
}

#[test]
fn generate_parameters_and_key() {
    let config = Config {
        api_key: Some(Secret::new("hf_test")),
        base_url: Some("http://tgi:3000/".into()),
        model: Some("meta-llama/Llama-3.1-8B-Instruct".into()),
        ..Config::default()
    };
    let u = tgi()
        .unary(
            "generate",
            &ctx(&config),
            &json!({
                "prompt": "x", "temperature": 0.5, "topP": 0.9, "topK": 5, "stop": "\n",
                "seed": 3, "do_sample": true, "details": false,
                "parameters": {"repetition_penalty": 1.1, "temperature": 2.0}
            }),
        )
        .unwrap();
    assert_eq!(u.request.url, "http://tgi:3000/generate");
    assert_eq!(u.model.as_deref(), Some("meta-llama/Llama-3.1-8B-Instruct"));
    assert_eq!(
        headers(&u.request),
        [
            ("authorization", "Bearer hf_test"),
            ("content-type", "application/json")
        ]
    );
    assert_eq!(
        body(&u.request),
        json!({"inputs": "x", "parameters": {
            "repetition_penalty": 1.1, "temperature": 0.5, "top_p": 0.9, "top_k": 5,
            "stop": ["\n"], "seed": 3, "do_sample": true, "details": true
        }})
    );
}

#[test]
fn golden_generate_response() {
    let u = unary("generate", json!({"prompt": "What is Deep Learning?"})).unwrap();
    let hdrs = [("x-prompt-tokens", "6"), ("x-generated-tokens", "8")];
    let p = (u.parse)(&reply(200, &hdrs, GENERATE_REPLY), "client-1").unwrap();
    let v: Value = resilient_core::json::from_str(&p.json).unwrap();
    assert_eq!(
        v,
        json!({
            "text": " Deep learning is a subset of machine", "model": "tgi", "finish_reason": "length",
            "usage": {"prompt_tokens": 6, "completion_tokens": 8, "total_tokens": 14},
            "request_id": "client-1", "provider": "hf_tgi",
            "raw": resilient_core::json::from_str::<Value>(GENERATE_REPLY).unwrap()
        })
    );
    assert_eq!(p.usage.unwrap().total, 14);
    // The compat route's array form; no details, no headers.
    let v = parse(&u, &[], r#"[{"generated_text":"ok"}]"#);
    assert_eq!(
        (&v["text"], &v["finish_reason"]),
        (&json!("ok"), &Value::Null)
    );
    assert_eq!(v["usage"]["total_tokens"], 0);
}

#[test]
fn golden_generate_stream() {
    let mut s = stream(
        "generateStream",
        json!({"prompt": "What is Deep Learning?", "maxTokens": 3}),
    )
    .unwrap();
    assert!(s.request.stream);
    assert_eq!(s.request.url, "http://localhost:8080/generate_stream");
    assert_eq!(
        body(&s.request),
        json!({"inputs": "What is Deep Learning?", "parameters": {"max_new_tokens": 3, "details": true}})
    );
    assert_eq!(
        items(s.codec.as_mut(), &[GENERATE_STREAM.as_bytes()]).unwrap(),
        vec![
            json!({"delta": " Deep", "done": false}),
            json!({"delta": " learning", "done": false}),
            json!({"delta": "", "done": true, "finish_reason": "eos_token", "usage": {"prompt_tokens": 6, "completion_tokens": 3, "total_tokens": 9}}),
        ]
    );
    assert_eq!(s.codec.text(), " Deep learning");
}

/// The seed's defect: a present-but-null `generated_text` is not final.
#[test]
fn only_the_event_with_generated_text_is_final() {
    let mut s = stream("generateStream", json!({"prompt": "x"})).unwrap();
    let c = s.codec.as_mut();
    let first = GENERATE_STREAM.split("\n\n").next().unwrap().to_string() + "\n\n";
    assert_eq!(
        c.feed(first.as_bytes()).result().unwrap(),
        vec![r#"{"delta":" Deep","done":false}"#]
    );
    assert!(!c.done());
    // Cut after it: no final item (the pipeline reports stream_interrupted).
    assert!(c.finish().result().unwrap().is_empty());
    // A final event that is also a normal token (stopped by length) gives its text first.
    let last = "data:{\"index\":1,\"token\":{\"id\":5,\"text\":\"!\",\"special\":false},\"generated_text\":\"!\",\"details\":{\"finish_reason\":\"length\",\"generated_tokens\":1,\"input_length\":2}}";
    assert_eq!(
        items(c, &[last.as_bytes()]).unwrap(),
        vec![
            json!({"delta": "!", "done": false}),
            json!({"delta": "", "done": true, "finish_reason": "length", "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3}}),
        ]
    );
}

#[test]
fn generate_stream_errors() {
    let mut s = stream("generateStream", json!({"prompt": "x"})).unwrap();
    let c = s.codec.as_mut();
    let e = items(c, &[GENERATE_STREAM_ERROR.as_bytes()]).unwrap_err();
    assert_eq!(e.kind, ErrorType::ServerError);
    assert_eq!(
        e.message,
        "Request failed during generation: CUDA out of memory"
    );
    assert_eq!(c.text(), " Deep");
    for (event, kind) in [
        (
            r#"{"error":"Model is overloaded","error_type":"overloaded"}"#,
            ErrorType::Overloaded,
        ),
        (
            r#"{"error":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`","error_type":"validation"}"#,
            ErrorType::ContextLengthExceeded,
        ),
        (
            r#"{"error":"Input validation error: `temperature` must be strictly positive","error_type":"validation"}"#,
            ErrorType::InvalidRequest,
        ),
        (
            r#"{"error":"something odd","error_type":"new_kind"}"#,
            ErrorType::StreamInterrupted,
        ),
    ] {
        let text = format!("data:{event}\n\n");
        assert_eq!(
            items(c, &[text.as_bytes()]).unwrap_err().kind,
            kind,
            "{event}"
        );
    }
    assert_eq!(
        items(c, &[b"data:{nope\n\n"]).unwrap_err().kind,
        ErrorType::DecodeError
    );
}

#[test]
fn golden_chat_via_openai_route() {
    let u = unary(
        "chat",
        json!({"messages": [{"role": "user", "content": "Say hi"}], "maxTokens": 16}),
    )
    .unwrap();
    assert_eq!(u.request.url, "http://localhost:8080/v1/chat/completions");
    assert_eq!(headers(&u.request), [("content-type", "application/json")]);
    assert_eq!(
        body(&u.request),
        json!({"model": "tgi", "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 16})
    );
    let fixture = r#"{"object":"chat.completion","id":"","created":1,"model":"meta-llama/Llama-3.1-8B-Instruct","system_fingerprint":"3.0.0-native","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#;
    let v = parse(&u, &[], fixture);
    assert_eq!(
        (&v["text"], &v["model"], &v["finish_reason"], &v["provider"]),
        (
            &json!("Hi!"),
            &json!("meta-llama/Llama-3.1-8B-Instruct"),
            &json!("stop"),
            &json!("hf_tgi")
        )
    );
    assert_eq!(v["request_id"], "client-1", "an empty id is no id");
    assert_eq!(v["usage"]["total_tokens"], 11);
    assert_eq!(
        v["raw"],
        resilient_core::json::from_str::<Value>(fixture).unwrap()
    );
    let v = parse(&u, &[], &fixture.replace(r#""id":"""#, r#""id":"cmpl-1""#));
    assert_eq!(v["request_id"], "cmpl-1");
}

#[test]
fn golden_chat_stream() {
    let config = Config {
        base_url: Some("https://x.endpoints.huggingface.cloud/v1".into()),
        ..Config::default()
    };
    let mut s = tgi()
        .stream(
            "chatStream",
            &ctx(&config),
            &json!({"messages": [{"role": "user", "content": "x"}]}),
        )
        .unwrap();
    assert!(s.request.stream);
    assert_eq!(
        s.request.url,
        "https://x.endpoints.huggingface.cloud/v1/chat/completions"
    );
    assert_eq!(
        body(&s.request),
        json!({"model": "tgi", "messages": [{"role": "user", "content": "x"}], "stream": true, "stream_options": {"include_usage": true}})
    );
    assert_eq!(
        items(s.codec.as_mut(), &[CHAT_STREAM.as_bytes()]).unwrap(),
        vec![
            json!({"delta": "Hé", "done": false}),
            json!({"delta": "llo", "done": false}),
            json!({"delta": "", "done": true, "finish_reason": "stop", "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}}),
        ]
    );
    // The chat route's mid-stream error carries no type, only the status it stands for (422).
    let e = items(s.codec.as_mut(), &[CHAT_STREAM_ERROR.as_bytes()]).unwrap_err();
    assert_eq!(e.kind, ErrorType::InvalidRequest);
    assert_eq!(
        e.message,
        "Request failed during generation: CUDA out of memory"
    );
}

#[test]
fn golden_info_and_health() {
    let u = unary("listModels", json!({})).unwrap();
    assert_eq!(
        (u.request.method.as_str(), u.request.url.as_str()),
        ("GET", "http://localhost:8080/info")
    );
    assert!(u.request.body.is_none());
    let v = parse(
        &u,
        &[],
        r#"{"model_id":"bigscience/bloom-560m","model_sha":"e985","max_concurrent_requests":128,"max_input_tokens":1024,"max_total_tokens":2048,"version":"3.0.0"}"#,
    );
    assert_eq!(v[0]["id"], "bigscience/bloom-560m");
    assert_eq!(v[0]["max_total_tokens"], 2048);
    let h = unary("health", json!({})).unwrap();
    assert_eq!(
        (h.request.method.as_str(), h.request.url.as_str()),
        ("GET", "http://localhost:8080/health")
    );
    assert_eq!(parse(&h, &[], ""), json!({"status": 200}));
    assert_eq!(parse(&h, &[], r#"{"ok":true}"#), json!({"ok": true}));
    let e = classify(
        &h,
        503,
        r#"{"error":"unhealthy","error_type":"healthcheck"}"#,
    );
    assert_eq!((e.kind, e.should_retry), (ErrorType::Overloaded, true));
}

#[test]
fn error_shapes() {
    let u = unary("generate", json!({"prompt": "x"})).unwrap();
    for (status, body, kind, retry) in [
        (
            429,
            r#"{"error": "Model is overloaded", "error_type": "overloaded"}"#,
            ErrorType::Overloaded,
            true,
        ),
        (429, "", ErrorType::RateLimitExceeded, true),
        (
            424,
            r#"{"error":"Request failed during generation: boom","error_type":"generation"}"#,
            ErrorType::ServerError,
            true,
        ),
        (424, "", ErrorType::ServerError, true),
        (
            422,
            r#"{"error":"Input validation error: `top_p` must be > 0.0 and < 1.0","error_type":"validation"}"#,
            ErrorType::InvalidRequest,
            false,
        ),
        (
            422,
            r#"{"error":"Input validation error: `inputs` must have less than 1024 tokens. Given: 1500","error_type":"validation"}"#,
            ErrorType::ContextLengthExceeded,
            false,
        ),
        (
            422,
            r#"{"error":"Template error: x","error_type":"template_error"}"#,
            ErrorType::InvalidRequest,
            false,
        ),
        (
            500,
            r#"{"error":"Incomplete generation","error_type":"incomplete_generation"}"#,
            ErrorType::ServerError,
            true,
        ),
        (401, "", ErrorType::AuthenticationError, false),
        (413, "Payload Too Large", ErrorType::InvalidRequest, false),
    ] {
        let e = classify(&u, status, body);
        assert_eq!((e.kind, e.should_retry), (kind, retry), "{status} {body}");
        assert_eq!(e.status, Some(status));
    }
    assert_eq!(
        classify(
            &u,
            429,
            r#"{"error":"Model is overloaded","error_type":"overloaded"}"#
        )
        .message,
        "Model is overloaded"
    );
}

#[test]
fn bad_arguments_name_their_field() {
    for (args, field) in [
        (json!("x"), "generate(request)"),
        (json!({}), "prompt"),
        (json!({"prompt": ["x"]}), "prompt"),
        (json!({"prompt": "x", "maxTokens": 0}), "maxTokens"),
        (json!({"prompt": "x", "maxTokens": 1.5}), "maxTokens"),
        (json!({"prompt": "x", "temperature": "hot"}), "temperature"),
        (json!({"prompt": "x", "stop": 1}), "stop"),
        (json!({"prompt": "x", "parameters": []}), "parameters"),
        (json!({"prompt": "x", "model": 1}), "model"),
        (json!({"prompt": "x", "max_tokns": 5}), "max_tokns"),
    ] {
        common::assert_refused(unary("generate", args.clone()), &args, field);
    }
    let e = unary("chat", json!({"messages": []})).err().unwrap();
    assert!(e.message.contains("messages"));
    for op in ["embed", "rerank", "chatqna"] {
        assert_eq!(
            unary(op, json!({})).err().unwrap().kind,
            ErrorType::InvalidRequest
        );
    }
    assert!(stream("chatqnaStream", json!({})).is_err());
}

#[test]
fn garbage_replies_are_decode_errors() {
    let generate = unary("generate", json!({"prompt": "x"})).unwrap();
    let info = unary("listModels", json!({})).unwrap();
    let chat = unary(
        "chat",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    for (u, body) in [
        (&generate, ""),
        (&generate, "[]"),
        (&generate, r#"{"details":{}}"#),
        (&generate, r#"{"generated_text":1}"#),
        (&info, "[]"),
        (&info, r#"{"model_sha":"x"}"#),
        (&chat, r#"{"id":"","choices":[]}"#),
    ] {
        let e = (u.parse)(&reply(200, &[], body), "c").unwrap_err();
        assert_eq!(e.kind, ErrorType::DecodeError, "{body}");
    }
}

/// Through the pipeline: an overloaded 429 is retried, a 422 is not.
#[test]
fn pipeline_overloaded_retried_validation_final() {
    let run = |steps: Vec<Step>| {
        let u = unary("generate", json!({"prompt": "x"})).unwrap();
        common::run_steps("hf_tgi", u, steps)
    };
    let (r, n) = run(vec![
        Step::status(
            429,
            r#"{"error":"Model is overloaded","error_type":"overloaded"}"#,
        ),
        Step::ok(GENERATE_REPLY),
    ]);
    assert!(r.is_ok());
    assert_eq!(n, 2);
    let (r, n) = run(vec![Step::status(
        422,
        r#"{"error":"Input validation error: `top_p` must be > 0.0","error_type":"validation"}"#,
    )]);
    assert_eq!(r.unwrap_err().kind, ErrorType::InvalidRequest);
    assert_eq!(n, 1);
}

fn outcome(op: &str, args: Value, chunks: &[&[u8]]) -> Result<Vec<Value>, (ErrorType, String)> {
    common::outcome(stream(op, args).unwrap().codec.as_mut(), chunks)
}

proptest! {
    #[test]
    fn any_split_same_items(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let chat = json!({"messages": [{"role": "user", "content": "x"}]});
        let generate = json!({"prompt": "x"});
        for (op, args, transcript) in [
            ("generateStream", generate.clone(), GENERATE_STREAM),
            ("generateStream", generate, GENERATE_STREAM_ERROR),
            ("chatStream", chat.clone(), CHAT_STREAM),
            ("chatStream", chat, CHAT_STREAM_ERROR),
        ] {
            let (whole, parts) =
                common::whole_and_parts(transcript, &cuts, |c| outcome(op, args.clone(), c));
            prop_assert_eq!(parts, whole);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let _ = outcome("generateStream", json!({"prompt": "x"}), &refs);
        let all: Vec<u8> = chunks.concat();
        for (op, args) in [
            ("generate", json!({"prompt": "x"})),
            ("chat", json!({"messages": [{"role": "user", "content": "x"}]})),
            ("listModels", json!({})),
            ("health", json!({})),
        ] {
            let u = unary(op, args).unwrap();
            let r = Reply { status: 200, headers: vec![("x-prompt-tokens".into(), String::from_utf8_lossy(&all).into_owned())], body: all.clone() };
            common::read_any(&u, &r, 424);
        }
    }

    #[test]
    fn arbitrary_events_never_panic(events in prop::collection::vec("[{}\\[\\]\":,a-z0-9_ ]{0,48}", 0..8)) {
        let text: String = events.iter().map(|e| format!("data:{e}\n\n")).collect();
        let _ = outcome("generateStream", json!({"prompt": "x"}), &[text.as_bytes()]);
    }
}
