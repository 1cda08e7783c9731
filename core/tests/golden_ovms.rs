//! OVMS (providers.md section 10): exact requests for every operation on the three APIs,
//! response, error and stream transcripts (including the raw `{"error"}` line mid-stream),
//! chunk-split and garbage properties, and a stream through the pipeline.

mod common;

use common::JSON;
use common::{assert_request, body_of, drain, drive, items, parse, stream_call, stream_step};
use proptest::prelude::*;
use resilient_core::codec::{Reply, StreamCodec};
use resilient_core::config::Config;
use resilient_core::json::{json, Value};
use resilient_core::pipeline::Engine;
use resilient_core::providers::openai::ChatStreamCodec;
use resilient_core::providers::ovms::RawErrorLines;
use resilient_core::providers::{Streamed, Unary};
use resilient_core::sim::Sim;
use resilient_core::{ApiError, ErrorType};

fn cfg() -> Config {
    common::keyed("ovms-key")
}

fn build(config: &Config, op: &str, args: Value) -> Result<Unary, ApiError> {
    common::unary("ovms", config, op, args)
}

fn build_stream(config: &Config, op: &str, args: Value) -> Result<Streamed, ApiError> {
    common::stream("ovms", config, op, args)
}

const AUTH: (&str, &str) = ("authorization", "Bearer ovms-key");

fn classify(u: &Unary, status: u16, body: &str) -> ApiError {
    common::classify(u, status, &[], body)
}

const CHAT_RESPONSE: &str = r#"{"choices": [{"finish_reason": "stop", "index": 0, "logprobs": null, "message": {"content": "Hi! How can I help?", "role": "assistant"}}],
   "created": 1735689600, "model": "llama3", "object": "chat.completion", "usage": {"completion_tokens": 6, "prompt_tokens": 9, "total_tokens": 15}}"#;

/// providers.md section 10 chat stream fixture.
const CHAT_STREAM: &str = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null},\"finish_reason\":null}],\"created\":1735689600,\"model\":\"llama3\",\"object\":\"chat.completion.chunk\"}\n\ndata: {\"choices\":[{\"index\":0,\"logprobs\":null,\"delta\":{\"content\":\"Hi!\"},\"finish_reason\":\"stop\"}],\"created\":1735689600,\"model\":\"llama3\",\"object\":\"chat.completion.chunk\"}\n\ndata: [DONE]\n\n";

/// A chat stream that fails after its first token with OVMS's raw, unframed error.
const CHAT_STREAM_ERROR: &str = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hé\"},\"finish_reason\":null}],\"object\":\"chat.completion.chunk\"}\n\n{\"error\": \"Mediapipe execution failed. MP status - INTERNAL\"}";

const GEN_STREAM: &str = "data: {\"choices\":[{\"index\":0,\"text\":\"You are\",\"finish_reason\":null,\"logprobs\":null}],\"created\":1,\"model\":\"llama3\",\"object\":\"text_completion\"}\n\ndata: {\"choices\":[{\"index\":0,\"text\":\" testing ✓\",\"finish_reason\":\"length\",\"logprobs\":null}],\"created\":1,\"model\":\"llama3\",\"object\":\"text_completion\"}\r\n\r\ndata: {\"choices\":[],\"created\":1,\"model\":\"llama3\",\"object\":\"text_completion\",\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3,\"total_tokens\":7}}\n\ndata: [DONE]\n\n";

#[test]
fn golden_chat() {
    let u = build(
        &cfg(),
        "chat",
        json!({"model": "llama3", "messages": [{"role": "user", "content": "hello"}], "stream": false, "maxTokens": 16}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8000/v3/chat/completions",
        &[AUTH, JSON],
        Some(
            json!({"model": "llama3", "messages": [{"role": "user", "content": "hello"}], "stream": false, "max_tokens": 16}),
        ),
    );
    let v = parse(&u, &[], CHAT_RESPONSE).unwrap();
    assert_eq!(v["text"], "Hi! How can I help?");
    assert_eq!(v["model"], "llama3");
    assert_eq!(v["finish_reason"], "stop");
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15})
    );
    // OVMS sends no id: the client's own id.
    assert_eq!(v["request_id"], "client-1");
    assert_eq!(v["provider"], "ovms");
    assert_eq!(
        v["raw"],
        resilient_core::json::from_str::<Value>(CHAT_RESPONSE).unwrap()
    );
    // The client's `model` (the seed's `ovms_model`) when the call names none.
    let c = Config::from_options(
        "ovms",
        &json!({"ovms_model": "qwen", "ovms_api_url": "http://ovms:8001"}),
    )
    .unwrap();
    let u = build(
        &c,
        "chat",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://ovms:8001/v3/chat/completions",
        &[JSON],
        Some(json!({"model": "qwen", "messages": [{"role": "user", "content": "x"}]})),
    );
}

#[test]
fn golden_chat_stream() {
    let mut s = build_stream(
        &cfg(),
        "chatStream",
        json!({"model": "llama3", "messages": [{"role": "user", "content": "hello"}]}),
    )
    .unwrap();
    assert!(s.request.stream);
    assert_eq!(s.request.url, "http://localhost:8000/v3/chat/completions");
    assert_eq!(
        body_of(&s.request),
        Some(
            json!({"model": "llama3", "messages": [{"role": "user", "content": "hello"}], "stream": true, "stream_options": {"include_usage": true}})
        )
    );
    assert_eq!(
        items(s.codec.as_mut(), &[CHAT_STREAM.as_bytes()]).unwrap(),
        vec![
            json!({"delta": "Hi!", "done": false}),
            json!({"delta": "", "done": true, "finish_reason": "stop", "usage": null}),
        ]
    );
    assert!(s.codec.done());
    // The raw error line mid-stream.
    let e = items(s.codec.as_mut(), &[CHAT_STREAM_ERROR.as_bytes()]).unwrap_err();
    assert_eq!(e.kind, ErrorType::StreamInterrupted);
    assert_eq!(
        e.message,
        "Mediapipe execution failed. MP status - INTERNAL"
    );
    assert_eq!(s.codec.text(), "Hé");
    // Cut before any end (after the role chunk): nothing final.
    let cut = &CHAT_STREAM[..CHAT_STREAM.find("\n\n").unwrap() + 2];
    assert_eq!(items(s.codec.as_mut(), &[cut.as_bytes()]).unwrap().len(), 0);
    assert!(!s.codec.done());
}

#[test]
fn golden_generate() {
    let u = build(
        &cfg(),
        "generate",
        json!({"model": "llama3", "prompt": "This is a test", "maxTokens": 8, "topP": 0.9, "stream": true}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8000/v3/completions",
        &[AUTH, JSON],
        Some(
            json!({"model": "llama3", "prompt": "This is a test", "max_tokens": 8, "top_p": 0.9, "stream": false}),
        ),
    );
    let body = r#"{"id":"cmpl-1","choices":[{"finish_reason":"stop","index":0,"logprobs":null,"text":"You are testing me!"}],"created":1716825108,"model":"llama3","object":"text_completion","usage":{"completion_tokens":14,"prompt_tokens":17,"total_tokens":31}}"#;
    let v = parse(&u, &[], body).unwrap();
    assert_eq!(
        (
            &v["text"],
            &v["finish_reason"],
            &v["model"],
            &v["request_id"]
        ),
        (
            &json!("You are testing me!"),
            &json!("stop"),
            &json!("llama3"),
            &json!("cmpl-1")
        )
    );
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 17, "completion_tokens": 14, "total_tokens": 31})
    );
    assert_eq!(
        v["raw"],
        resilient_core::json::from_str::<Value>(body).unwrap()
    );
    let v = parse(&u, &[("x-request-id", "hdr-1")], body).unwrap();
    assert_eq!(v["request_id"], "hdr-1");
    for bad in ["", "{}", r#"{"choices":[]}"#, r#"{"choices":[{"text":5}]}"#] {
        assert_eq!(
            parse(&u, &[], bad).unwrap_err().kind,
            ErrorType::DecodeError,
            "{bad}"
        );
    }
}

#[test]
fn golden_generate_stream() {
    let mut s = build_stream(
        &cfg(),
        "generateStream",
        json!({"prompt": "This is a test"}),
    )
    .unwrap();
    assert!(s.request.stream);
    assert_eq!(s.request.url, "http://localhost:8000/v3/completions");
    assert_eq!(
        body_of(&s.request),
        Some(
            json!({"model": "default", "prompt": "This is a test", "stream": true, "stream_options": {"include_usage": true}})
        )
    );
    assert_eq!(s.model.as_deref(), Some("default"));
    assert_eq!(
        items(s.codec.as_mut(), &[GEN_STREAM.as_bytes()]).unwrap(),
        vec![
            json!({"delta": "You are", "done": false}),
            json!({"delta": " testing ✓", "done": false}),
            json!({"delta": "", "done": true, "finish_reason": "length", "usage": {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7}}),
        ]
    );
    assert_eq!(s.codec.text(), "You are testing ✓");
    // A raw error after the first token; an `{"error"}` data chunk; a broken chunk.
    let first = GEN_STREAM.split("\n\n").next().unwrap().to_string() + "\n\n";
    let raw = format!("{first}{{\"error\": \"Server is not ready\"}}\n");
    let e = items(s.codec.as_mut(), &[raw.as_bytes()]).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorType::StreamInterrupted, "Server is not ready")
    );
    assert_eq!(s.codec.text(), "You are");
    let data_err = format!(
        "{first}data: {{\"error\": {{\"message\": \"busy\", \"type\": \"overloaded\"}}}}\n\n"
    );
    assert_eq!(
        items(s.codec.as_mut(), &[data_err.as_bytes()])
            .unwrap_err()
            .kind,
        ErrorType::Overloaded
    );
    assert_eq!(
        items(s.codec.as_mut(), &[b"data: {nope\n\n"])
            .unwrap_err()
            .kind,
        ErrorType::DecodeError
    );
    // Closed right after the finishing chunk without [DONE]: finished.
    let no_done = GEN_STREAM.replace("data: [DONE]\n\n", "");
    let got = items(s.codec.as_mut(), &[no_done.as_bytes()]).unwrap();
    assert_eq!(got.last().unwrap()["done"], true);
}

#[test]
fn golden_embed_rerank_models() {
    let c = Config {
        model: Some("bge".into()),
        ..cfg()
    };
    let u = build(&c, "embed", json!({"input": ["a", "b"]})).unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8000/v3/embeddings",
        &[AUTH, JSON],
        Some(json!({"model": "bge", "input": ["a", "b"], "encoding_format": "float"})),
    );
    let body = r#"{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.3]},{"object":"embedding","index":0,"embedding":[0.1]}],"model":"bge","usage":{"prompt_tokens":2,"total_tokens":2}}"#;
    let v = parse(&u, &[], body).unwrap();
    assert_eq!(v["embeddings"], json!([[0.1], [0.3]]));
    assert_eq!(v["provider"], "ovms");

    let u = build(
        &cfg(),
        "rerank",
        json!({"model": "BAAI/bge-reranker-large", "query": "Hello", "texts": ["Welcome", "Farewell", "Hi"]}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8000/v3/rerank",
        &[AUTH, JSON],
        Some(
            json!({"model": "BAAI/bge-reranker-large", "query": "Hello", "documents": ["Welcome", "Farewell", "Hi"]}),
        ),
    );
    let body = r#"{"results": [{"index": 0, "relevance_score": 0.38}, {"index": 1, "relevance_score": 0.005}, {"index": 2, "relevance_score": 0.9}]}"#;
    assert_eq!(
        parse(&u, &[], body).unwrap(),
        json!([{"index": 2, "score": 0.9}, {"index": 0, "score": 0.38}, {"index": 1, "score": 0.005}])
    );
    assert_eq!(
        parse(
            &u,
            &[],
            r#"{"results": [{"index": 3, "relevance_score": 1.0}]}"#
        )
        .unwrap_err()
        .kind,
        ErrorType::DecodeError
    );
    let u = build(
        &cfg(),
        "rerank",
        json!({"model": "r", "query": "q", "texts": ["a", "b", "c"], "topN": 1}),
    )
    .unwrap();
    assert_eq!(body_of(&u.request).unwrap()["top_n"], 1);
    assert_eq!(
        parse(&u, &[], body).unwrap(),
        json!([{"index": 2, "score": 0.9}])
    );

    let u = build(&cfg(), "listModels", json!({})).unwrap();
    assert_request(&u, "GET", "http://localhost:8000/v3/models", &[AUTH], None);
    let list = r#"{"object":"list","data":[{"id":"llama3","object":"model","created":1,"owned_by":"OVMS"}]}"#;
    assert_eq!(parse(&u, &[], list).unwrap()[0]["id"], "llama3");
}

#[test]
fn golden_kserve() {
    let u = build(
        &cfg(),
        "infer",
        json!({"model": "resnet", "id": "req-1", "inputs": [{"name": "0", "shape": [1, 3], "datatype": "FP32", "data": [0.1, 0.2, 0.3]}]}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8000/v2/models/resnet/infer",
        &[AUTH, JSON],
        Some(
            json!({"id": "req-1", "inputs": [{"name": "0", "shape": [1, 3], "datatype": "FP32", "data": [0.1, 0.2, 0.3]}]}),
        ),
    );
    let body = r#"{"model_name": "resnet", "model_version": "1", "id": "req-1", "outputs": [{"name": "1463", "shape": [1, 2], "datatype": "FP32", "data": [0.9, 0.1]}]}"#;
    assert_eq!(
        parse(&u, &[], body).unwrap(),
        resilient_core::json::from_str::<Value>(body).unwrap()
    );
    let u = build(
        &cfg(),
        "infer",
        json!({"model": "m/x", "version": 3, "inputs": [{"name": "a"}], "outputs": [{"name": "b"}], "parameters": {"p": 1}}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8000/v2/models/m%2Fx/versions/3/infer",
        &[AUTH, JSON],
        Some(
            json!({"parameters": {"p": 1}, "inputs": [{"name": "a"}], "outputs": [{"name": "b"}]}),
        ),
    );
    let u = build(&cfg(), "health", json!({})).unwrap();
    assert_request(
        &u,
        "GET",
        "http://localhost:8000/v2/health/ready",
        &[AUTH],
        None,
    );
    assert_eq!(parse(&u, &[], "").unwrap(), json!({"ready": true}));
    assert_eq!(parse(&u, &[], "{}").unwrap(), json!({"ready": true}));
}

#[test]
fn golden_tf_serving() {
    let u = build(
        &cfg(),
        "predict",
        json!({"model": "resnet", "instances": [[0.1, 0.2, 0.3]]}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8000/v1/models/resnet:predict",
        &[AUTH, JSON],
        Some(json!({"instances": [[0.1, 0.2, 0.3]]})),
    );
    assert_eq!(
        parse(&u, &[], r#"{"predictions": [[0.9, 0.1]]}"#).unwrap(),
        json!({"predictions": [[0.9, 0.1]]})
    );
    // The version goes in the URL, never in the body (seed defect 29).
    let u = build(
        &cfg(),
        "predict",
        json!({"model": "resnet", "version": "2", "inputs": {"x": [1]}, "signature_name": "serving_default"}),
    )
    .unwrap();
    assert_request(
        &u,
        "POST",
        "http://localhost:8000/v1/models/resnet/versions/2:predict",
        &[AUTH, JSON],
        Some(json!({"inputs": {"x": [1]}, "signature_name": "serving_default"})),
    );
    let u = build(&cfg(), "modelStatus", json!({"model": "resnet"})).unwrap();
    assert_request(
        &u,
        "GET",
        "http://localhost:8000/v1/models/resnet",
        &[AUTH],
        None,
    );
    let status = r#"{"model_version_status": [{"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}"#;
    assert_eq!(
        parse(&u, &[], status).unwrap()["model_version_status"][0]["state"],
        "AVAILABLE"
    );
    let u = build(
        &cfg(),
        "modelStatus",
        json!({"model": "resnet", "version": 1}),
    )
    .unwrap();
    assert_eq!(
        u.request.url,
        "http://localhost:8000/v1/models/resnet/versions/1"
    );
    // The client's model serves when the call names none.
    let c = Config {
        model: Some("bert".into()),
        ..cfg()
    };
    let u = build(&c, "predict", json!({"instances": [1]})).unwrap();
    assert_eq!(
        u.request.url,
        "http://localhost:8000/v1/models/bert:predict"
    );
}

#[test]
fn bad_arguments_name_the_field() {
    for (op, args, field) in [
        ("predict", json!({"instances": [1]}), "model"),
        ("predict", json!({"model": "m"}), "instances"),
        (
            "predict",
            json!({"model": "m", "instances": [1], "inputs": [1]}),
            "instances",
        ),
        (
            "predict",
            json!({"model": "m", "instances": [1], "version": "v1"}),
            "version",
        ),
        (
            "predict",
            json!({"model": "m", "instances": [1], "signature_name": 1}),
            "signature_name",
        ),
        (
            "predict",
            json!({"model": "m", "instances": [1], "data": 1}),
            "data",
        ),
        ("infer", json!({"model": "m"}), "inputs"),
        ("infer", json!({"model": "m", "inputs": [1]}), "inputs"),
        (
            "infer",
            json!({"model": "m", "inputs": [{}], "outputs": {}}),
            "outputs",
        ),
        (
            "infer",
            json!({"model": "m", "inputs": [{}], "id": 1}),
            "id",
        ),
        (
            "infer",
            json!({"model": "m", "inputs": [{}], "parameters": 1}),
            "parameters",
        ),
        ("infer", json!({"model": "m", "input": [{}]}), "input"),
        ("modelStatus", json!({}), "model"),
        ("modelStatus", json!({"model": 5}), "model"),
        ("generate", json!({}), "prompt"),
        ("generate", json!({"prompt": 1}), "prompt"),
        (
            "generate",
            json!({"prompt": "x", "maxTokens": "9"}),
            "maxTokens",
        ),
        ("generate", json!({"prompt": "x", "model": ""}), "model"),
        ("rerank", json!({"texts": ["a"]}), "query"),
        ("rerank", json!({"query": "q", "texts": []}), "texts"),
        (
            "rerank",
            json!({"query": "q", "texts": ["a"], "topN": 0}),
            "topN",
        ),
        (
            "rerank",
            json!({"query": "q", "texts": ["a"], "top_n": 1}),
            "top_n",
        ),
        ("chat", json!({"messages": []}), "messages"),
        ("embed", json!({"input": []}), "input"),
        ("health", json!({"x": 1}), "x"),
        ("chatqna", json!({}), "not available for ovms"),
    ] {
        common::assert_refused(build(&cfg(), op, args), op, field);
    }
    let e = build_stream(&cfg(), "chatqnaStream", json!({}))
        .err()
        .unwrap();
    assert!(e.message.contains("not available for ovms"));
}

#[test]
fn error_transcripts() {
    let u = build(
        &cfg(),
        "chat",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    let e = classify(
        &u,
        404,
        r#"{"error": "Model with requested name is not found"}"#,
    );
    assert_eq!(
        (e.kind, e.should_retry, e.message.as_str()),
        (
            ErrorType::NotFound,
            false,
            "Model with requested name is not found"
        )
    );
    // A bad or missing key comes back as an unmapped status: the message decides.
    let e = classify(
        &u,
        500,
        r#"{"error": "Unauthorized request due to invalid or missing api-key"}"#,
    );
    assert_eq!(
        (e.kind, e.should_retry),
        (ErrorType::AuthenticationError, false)
    );
    let e = classify(&u, 503, r#"{"error": "Server is not ready"}"#);
    assert_eq!((e.kind, e.should_retry), (ErrorType::Overloaded, true));
    let e = classify(&u, 500, r#"{"error": "Mediapipe execution failed"}"#);
    assert_eq!((e.kind, e.should_retry), (ErrorType::ServerError, true));
    for status in [400, 406, 412] {
        let e = classify(&u, status, r#"{"error": "Invalid JSON in request body"}"#);
        assert_eq!(
            (e.kind, e.should_retry),
            (ErrorType::InvalidRequest, false),
            "{status}"
        );
    }
    assert!(!format!("{e:?}").contains("ovms-key"));
}

fn run(op: &str, chunks: &[&[u8]]) -> (Result<Vec<Value>, ApiError>, String) {
    let args = match op {
        "generateStream" => json!({"prompt": "p"}),
        _ => json!({"messages": [{"role": "user", "content": "x"}]}),
    };
    let mut s = build_stream(&cfg(), op, args).unwrap();
    common::run_codec(s.codec.as_mut(), chunks)
}

proptest! {
    #[test]
    fn any_split_same_items(cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        for (op, transcript) in [
            ("chatStream", CHAT_STREAM),
            ("chatStream", CHAT_STREAM_ERROR),
            ("generateStream", GEN_STREAM),
        ] {
            let (whole, parts) = common::whole_and_parts(transcript, &cuts, |c| run(op, c));
            prop_assert_eq!(&parts.1, &whole.1);
            match (parts.0, whole.0) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(a), Err(b)) => prop_assert_eq!((a.kind, a.message), (b.kind, b.message)),
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let _ = run("chatStream", &refs);
        let _ = run("generateStream", &refs);
        let body = chunks.concat();
        for (op, args) in [
            ("chat", json!({"messages": [{"role": "user", "content": "x"}]})),
            ("generate", json!({"prompt": "p"})),
            ("embed", json!({"input": "x"})),
            ("rerank", json!({"query": "q", "texts": ["a"]})),
            ("listModels", json!({})),
            ("infer", json!({"model": "m", "inputs": [{}]})),
            ("predict", json!({"model": "m", "instances": []})),
            ("health", json!({})),
        ] {
            let u = build(&cfg(), op, args).unwrap();
            let reply = Reply { status: 200, headers: vec![], body: body.clone() };
            common::read_any(&u, &reply, 500);
        }
    }
}

/// Through the pipeline: the raw error after the first token is `stream_interrupted` with the
/// partial text, not retried.
#[test]
fn pipeline_stream_with_raw_error() {
    let sim = Sim::new();
    let config =
        Config::from_options("ovms", &json!({"ovms_api_url": "http://ovms:8000"})).unwrap();
    let e = Engine::new("ovms", config.clone(), sim.host());
    let (first, rest) = CHAT_STREAM_ERROR.split_at(CHAT_STREAM_ERROR.find("\n\n").unwrap() + 2);
    sim.transport.push(stream_step(vec![
        (0.0, first.as_bytes().to_vec()),
        (0.5, rest.as_bytes().to_vec()),
    ]));
    let s = build_stream(
        &config,
        "chatStream",
        json!({"messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    let (got, err) = sim.block_on(drain(e, stream_call(s)));
    assert_eq!(got, vec![json!({"delta": "Hé", "done": false})]);
    let err = err.unwrap();
    assert_eq!(err.kind, ErrorType::StreamInterrupted);
    assert!(!err.should_retry);
    assert_eq!(err.partial_text.as_deref(), Some("Hé"));
    assert_eq!(sim.transport.count(), 1);
    assert_eq!(
        sim.transport.sent()[0].request.url,
        "http://ovms:8000/v3/chat/completions"
    );
}

/// OVMS's raw `{"error"}` line, lifted out of the SSE stream wherever it stands.
#[test]
fn raw_error_line_is_the_stream_error_at_any_position() {
    let ok = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n";
    for tail in [
        "{\"error\": \"Mediapipe execution failed\"}",
        "{\"error\": \"Mediapipe execution failed\"}\n",
        "{\"error\": \"Mediapipe execution failed\"}\r\n\r\n",
    ] {
        let mut c = RawErrorLines::new(ChatStreamCodec::new());
        let body = format!("{ok}{tail}");
        let e = drive(&mut c, &[body.as_bytes()]).unwrap_err();
        assert_eq!(e.kind, ErrorType::StreamInterrupted, "{tail:?}");
        assert_eq!(e.message, "Mediapipe execution failed");
        assert_eq!(c.text(), "Hi");
    }
    // A `{` inside a data line is not a raw line.
    let mut c = RawErrorLines::new(ChatStreamCodec::new());
    let good = format!("{ok}data: [DONE]\n\n");
    assert_eq!(drive(&mut c, &[good.as_bytes()]).unwrap().len(), 2);
    // Anything after the end marker is ignored; a non-error raw line is a decode error.
    let mut c = RawErrorLines::new(ChatStreamCodec::new());
    let after = format!("{good}{{\"error\":\"late\"}}");
    assert_eq!(drive(&mut c, &[after.as_bytes()]).unwrap().len(), 2);
    let mut c = RawErrorLines::new(ChatStreamCodec::new());
    assert_eq!(
        drive(&mut c, &[b"{\"x\":1}\n"]).unwrap_err().kind,
        ErrorType::DecodeError
    );
    // reset forgets a half-collected raw line.
    let mut c = RawErrorLines::new(ChatStreamCodec::new());
    c.feed(b"{\"error\":").result().unwrap();
    c.reset();
    assert_eq!(drive(&mut c, &[good.as_bytes()]).unwrap().len(), 2);
}
