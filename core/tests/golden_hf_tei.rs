//! TEI golden tests (providers.md section 7): exact requests, response transcripts, error
//! shapes (`error_type` compared case-insensitively), and no panic on arbitrary bytes.

mod common;

use common::{body, ctx, reply, request_headers as headers};
use proptest::prelude::*;
use resilient_core::codec::Reply;
use resilient_core::config::Config;
use resilient_core::json::{json, Value};
use resilient_core::providers::{provider, Provider, Unary};
use resilient_core::secret::Secret;
use resilient_core::sim::Step;
use resilient_core::{ApiError, ErrorType};

fn tei() -> &'static dyn Provider {
    provider("hf_tei").unwrap()
}

fn unary(op: &str, args: Value) -> Result<Unary, ApiError> {
    tei().unary(op, &ctx(&Config::default()), &args)
}

fn parse(u: &Unary, hdrs: &[(&str, &str)], body: &str) -> Value {
    common::parse(u, hdrs, body).unwrap()
}

fn classify(u: &Unary, status: u16, body: &str) -> ApiError {
    common::classify(u, status, &[], body)
}

const RERANK_REQUEST: &str = r#"{"query": "What is Deep Learning?", "texts": ["Tomatoes are red.", "Deep Learning is a branch of ML."], "return_text": false}"#;

#[test]
fn golden_embed() {
    let u = unary("embed", json!({"input": ["What is Deep Learning?", "Hi"]})).unwrap();
    assert_eq!(u.model.as_deref(), Some("tei"));
    assert_eq!(u.request.method, "POST");
    assert_eq!(u.request.url, "http://localhost:8080/embed");
    assert_eq!(headers(&u.request), [("content-type", "application/json")]);
    assert!(!u.request.stream);
    assert_eq!(
        body(&u.request),
        json!({"inputs": ["What is Deep Learning?", "Hi"]})
    );
    let p = (u.parse)(
        &reply(
            200,
            &[("x-compute-tokens", "9")],
            "[[0.0123, -0.0456, 0.0789], [0.1, 0.2, 0.3]]",
        ),
        "client-1",
    )
    .unwrap();
    assert!(
        p.json
            .starts_with(r#"{"embeddings":[[0.0123, -0.0456, 0.0789],[0.1, 0.2, 0.3]]"#),
        "vectors are spliced verbatim: {}",
        p.json
    );
    let v: Value = resilient_core::json::from_str(&p.json).unwrap();
    assert_eq!(
        v,
        json!({
            "embeddings": [[0.0123, -0.0456, 0.0789], [0.1, 0.2, 0.3]], "model": "tei",
            "usage": {"prompt_tokens": 9, "completion_tokens": 0, "total_tokens": 9},
            "request_id": "client-1", "provider": "hf_tei"
        })
    );
    assert_eq!(p.usage.unwrap().prompt, 9);
}

#[test]
fn embed_options_key_and_base_url() {
    let config = Config {
        api_key: Some(Secret::new("tei-key")),
        base_url: Some("http://tei:80/v1".into()),
        ..Config::default()
    };
    let u = tei()
        .unary(
            "embed",
            &ctx(&config),
            &json!({"input": "hi", "model": "BAAI/bge-small-en-v1.5", "normalize": false, "truncate": true, "truncation_direction": "Left", "prompt_name": "query", "dimensions": 128}),
        )
        .unwrap();
    assert_eq!(u.request.url, "http://tei:80/embed");
    assert_eq!(u.model.as_deref(), Some("BAAI/bge-small-en-v1.5"));
    assert_eq!(
        headers(&u.request),
        [
            ("authorization", "Bearer tei-key"),
            ("content-type", "application/json")
        ]
    );
    assert_eq!(
        body(&u.request),
        json!({"inputs": "hi", "normalize": false, "truncate": true, "truncation_direction": "Left", "prompt_name": "query", "dimensions": 128})
    );
    let v = parse(&u, &[], "[[1.0]]");
    assert_eq!(
        (&v["model"], &v["embeddings"]),
        (&json!("BAAI/bge-small-en-v1.5"), &json!([[1.0]]))
    );
}

#[test]
fn golden_rerank() {
    let args: Value = resilient_core::json::from_str(RERANK_REQUEST).unwrap();
    let u = unary("rerank", args).unwrap();
    assert_eq!(u.request.url, "http://localhost:8080/rerank");
    assert_eq!(headers(&u.request), [("content-type", "application/json")]);
    assert_eq!(
        body(&u.request),
        resilient_core::json::from_str::<Value>(RERANK_REQUEST).unwrap()
    );
    assert_eq!(
        parse(
            &u,
            &[],
            r#"[{"index": 1, "score": 0.9981}, {"index": 0, "score": 0.0012}]"#
        ),
        json!([{"index": 1, "score": 0.9981}, {"index": 0, "score": 0.0012}])
    );
    // Best first even if the server's order were not; ties keep the server's order.
    let texts = json!(["a", "b", "c", "d"]);
    let u = unary("rerank", json!({"query": "q", "texts": texts})).unwrap();
    assert_eq!(
        body(&u.request),
        json!({"query": "q", "texts": ["a", "b", "c", "d"]})
    );
    let unsorted = r#"[{"index":0,"score":0.1},{"index":2,"score":0.7},{"index":3,"score":0.7},{"index":1,"score":-2.5}]"#;
    assert_eq!(
        parse(&u, &[], unsorted),
        json!([{"index": 2, "score": 0.7}, {"index": 3, "score": 0.7}, {"index": 0, "score": 0.1}, {"index": 1, "score": -2.5}])
    );
    let u = unary(
        "rerank",
        json!({"query": "q", "texts": texts, "topN": 2, "return_text": true, "raw_scores": true}),
    )
    .unwrap();
    assert_eq!(
        body(&u.request),
        json!({"query": "q", "texts": ["a", "b", "c", "d"], "return_text": true, "raw_scores": true})
    );
    assert_eq!(
        parse(
            &u,
            &[],
            r#"[{"index":1,"score":3.5,"text":"b"},{"index":0,"score":1.0,"text":"a"},{"index":2,"score":0.5,"text":"c"}]"#
        ),
        json!([{"index": 1, "score": 3.5, "text": "b"}, {"index": 0, "score": 1.0, "text": "a"}])
    );
    // An index outside the texts sent is a broken reply.
    let e = (u.parse)(&reply(200, &[], r#"[{"index":4,"score":1}]"#), "c").unwrap_err();
    assert_eq!(e.kind, ErrorType::DecodeError);
}

#[test]
fn golden_info_and_health() {
    let u = unary("listModels", json!({})).unwrap();
    assert_eq!(
        (u.request.method.as_str(), u.request.url.as_str()),
        ("GET", "http://localhost:8080/info")
    );
    assert!(u.request.body.is_none() && u.model.is_none());
    let v = parse(
        &u,
        &[],
        r#"{"model_id":"BAAI/bge-small-en-v1.5","model_sha":null,"model_dtype":"float16","model_type":{"embedding":{"pooling":"cls"}},"max_concurrent_requests":512,"max_input_length":512,"max_batch_tokens":16384,"max_client_batch_size":32,"auto_truncate":true,"tokenization_workers":4,"version":"1.8.0"}"#,
    );
    assert_eq!(v[0]["id"], "BAAI/bge-small-en-v1.5");
    assert_eq!(v[0]["model_type"]["embedding"]["pooling"], "cls");
    let h = unary("health", json!({})).unwrap();
    assert_eq!(h.request.url, "http://localhost:8080/health");
    assert_eq!(parse(&h, &[], ""), json!({"status": 200}));
}

#[test]
fn error_shapes() {
    let u = unary("embed", json!({"input": "x"})).unwrap();
    for (status, body, kind, retry) in [
        (
            429,
            r#"{"error": "Model is overloaded", "error_type": "Overloaded"}"#,
            ErrorType::Overloaded,
            true,
        ),
        (
            429,
            r#"{"error": "Model is overloaded", "error_type": "overloaded"}"#,
            ErrorType::Overloaded,
            true,
        ),
        (
            429,
            r#"{"message":"Model is overloaded","code":429,"type":"Overloaded"}"#,
            ErrorType::Overloaded,
            true,
        ),
        (
            422,
            r#"{"error":"Input validation error: `inputs` cannot be empty","error_type":"Validation"}"#,
            ErrorType::InvalidRequest,
            false,
        ),
        (
            422,
            r#"{"error":"batch size 64 > maximum allowed batch size 32","error_type":"VALIDATION"}"#,
            ErrorType::InvalidRequest,
            false,
        ),
        (
            413,
            r#"{"error":"batch size 64 > maximum allowed batch size 32","error_type":"validation"}"#,
            ErrorType::InvalidRequest,
            false,
        ),
        (
            413,
            "length limit exceeded",
            ErrorType::InvalidRequest,
            false,
        ),
        (
            422,
            r#"{"error":"Input validation error: `inputs` must have less than 512 tokens. Given: 700","error_type":"Validation"}"#,
            ErrorType::ContextLengthExceeded,
            false,
        ),
        (
            422,
            r#"{"error":"tokenizer error x","error_type":"Tokenizer"}"#,
            ErrorType::InvalidRequest,
            false,
        ),
        (
            400,
            r#"{"error":"`texts` cannot be empty","error_type":"Empty"}"#,
            ErrorType::InvalidRequest,
            false,
        ),
        (
            424,
            r#"{"error":"Inference failed","error_type":"Backend"}"#,
            ErrorType::ServerError,
            true,
        ),
        (
            424,
            r#"{"error":"model is not a re-ranker model","error_type":"Backend"}"#,
            ErrorType::InvalidRequest,
            false,
        ),
        (
            503,
            r#"{"error":"unhealthy","error_type":"Unhealthy"}"#,
            ErrorType::Overloaded,
            true,
        ),
        (401, "", ErrorType::AuthenticationError, false),
        (500, "", ErrorType::ServerError, true),
    ] {
        let e = classify(&u, status, body);
        assert_eq!((e.kind, e.should_retry), (kind, retry), "{status} {body}");
        assert_eq!(e.retry_delay, None);
    }
}

#[test]
fn bad_arguments_name_their_field() {
    for (op, args, field) in [
        ("embed", json!(["x"]), "embed(request)"),
        ("embed", json!({}), "input"),
        ("embed", json!({"input": []}), "input"),
        ("embed", json!({"input": [1, 2]}), "input"),
        ("embed", json!({"input": "x", "model": 2}), "model"),
        (
            "embed",
            json!({"input": "x", "normalise": true}),
            "normalise",
        ),
        ("rerank", json!(1), "rerank(request)"),
        ("rerank", json!({"texts": ["a"]}), "query"),
        ("rerank", json!({"query": "q"}), "texts"),
        ("rerank", json!({"query": "q", "texts": []}), "texts"),
        ("rerank", json!({"query": "q", "texts": ["a", 1]}), "texts"),
        (
            "rerank",
            json!({"query": "q", "texts": ["a"], "topN": 0}),
            "topN",
        ),
        (
            "rerank",
            json!({"query": "q", "texts": ["a"], "top_n": -1}),
            "top_n",
        ),
        (
            "rerank",
            json!({"query": "q", "texts": ["a"], "topN": "2"}),
            "topN",
        ),
        (
            "rerank",
            json!({"query": "q", "texts": ["a"], "documents": ["a"]}),
            "documents",
        ),
    ] {
        common::assert_refused(unary(op, args.clone()), &args, field);
    }
    for op in ["chat", "generate", "chatqna"] {
        assert_eq!(
            unary(op, json!({})).err().unwrap().kind,
            ErrorType::InvalidRequest
        );
    }
    let cfg = Config::default();
    assert!(tei().stream("chatStream", &ctx(&cfg), &json!({})).is_err());
}

#[test]
fn garbage_replies_are_decode_errors() {
    let embed = unary("embed", json!({"input": "x"})).unwrap();
    let rerank = unary("rerank", json!({"query": "q", "texts": ["a"]})).unwrap();
    let info = unary("listModels", json!({})).unwrap();
    for (u, body) in [
        (&embed, ""),
        (&embed, "{}"),
        (&embed, "[1, 2]"),
        (&embed, r#"{"data":[]}"#),
        (&rerank, "{}"),
        (&rerank, r#"[{"index":"0","score":1}]"#),
        (&rerank, r#"[{"index":-1,"score":1}]"#),
        (&info, "null"),
    ] {
        let e = (u.parse)(&reply(200, &[], body), "c").unwrap_err();
        assert_eq!(e.kind, ErrorType::DecodeError, "{body}");
    }
}

/// Through the pipeline: `Overloaded` is retried; a wrong-model 424 is final (one attempt).
#[test]
fn pipeline_overloaded_retried_wrong_model_final() {
    let run = |steps: Vec<Step>| {
        let u = unary("rerank", json!({"query": "q", "texts": ["a", "b"]})).unwrap();
        common::run_steps("hf_tei", u, steps)
    };
    let (r, n) = run(vec![
        Step::status(
            429,
            r#"{"error":"Model is overloaded","error_type":"Overloaded"}"#,
        ),
        Step::ok(r#"[{"index":1,"score":0.9},{"index":0,"score":0.1}]"#),
    ]);
    assert_eq!(
        r.unwrap().json,
        r#"[{"index":1,"score":0.9},{"index":0,"score":0.1}]"#
    );
    assert_eq!(n, 2);
    let (r, n) = run(vec![Step::status(
        424,
        r#"{"error":"model is not a re-ranker model","error_type":"Backend"}"#,
    )]);
    assert_eq!(r.unwrap_err().kind, ErrorType::InvalidRequest);
    assert_eq!(n, 1);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        for (op, args) in [
            ("embed", json!({"input": "x"})),
            ("rerank", json!({"query": "q", "texts": ["a", "b"], "topN": 1})),
            ("listModels", json!({})),
            ("health", json!({})),
        ] {
            let u = unary(op, args).unwrap();
            let r = Reply { status: 200, headers: vec![("x-compute-tokens".into(), String::from_utf8_lossy(&bytes).into_owned())], body: bytes.clone() };
            common::read_any(&u, &r, 424);
        }
    }

    #[test]
    fn arbitrary_rerank_lists_stay_sorted(scores in prop::collection::vec(-1e6f64..1e6, 1..20), top in 1usize..25) {
        let texts: Vec<String> = (0..scores.len()).map(|i| i.to_string()).collect();
        let u = unary("rerank", json!({"query": "q", "texts": texts, "topN": top})).unwrap();
        let list: Vec<Value> = scores.iter().enumerate().map(|(i, s)| json!({"index": i, "score": s})).collect();
        let out = parse(&u, &[], &Value::Array(list).to_string());
        let out = out.as_array().unwrap();
        prop_assert_eq!(out.len(), top.min(scores.len()));
        for w in out.windows(2) {
            prop_assert!(w[0]["score"].as_f64() >= w[1]["score"].as_f64());
        }
    }
}
