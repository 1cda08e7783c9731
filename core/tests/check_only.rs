//! `providers::check_only`: a call that will wait as a record is checked when made and built
//! when admitted. The check must refuse exactly what the build refuses, with the same error,
//! and name the same model; only the body is left unwritten.

mod common;

use common::{ctx, json_tree, key_of};
use proptest::prelude::*;
use resilient_core::config::Config;
use resilient_core::json::{json, Value};
use resilient_core::providers::{check_only, provider, Unary, PROVIDERS, UNARY as OPS};
use resilient_core::secret::Secret;
use resilient_core::ApiError;

/// Arguments each operation accepts, for the changes below to start from.
fn valid(op: &str) -> Value {
    match op {
        "chat" => json!({"messages": [{"role": "user", "content": "hi"}]}),
        "chatqna" => json!({"messages": "hi"}),
        "embed" => json!({"input": ["a", "b"]}),
        "generate" => json!({"prompt": "hi"}),
        "rerank" => json!({"query": "q", "texts": ["a", "b"]}),
        "infer" | "batchInfer" | "predict" => json!({"inputs": [[1, 2]], "model": "m"}),
        "modelStatus" => json!({"model": "m"}),
        _ => json!({"bucket": "b", "key": "k/1", "uploadId": "u", "partNumber": 1,
                    "parts": [{"partNumber": 1, "etag": "e"}]}),
    }
}

fn config(name: &str) -> Config {
    Config {
        api_key: Some(Secret::new("sk-test")),
        access_key_id: (name == "s3_kit").then(|| "AKID".to_string()),
        secret_access_key: (name == "s3_kit").then(|| Secret::new("secret")),
        base_url: Some("http://127.0.0.1:9/v1".into()),
        ..Config::default()
    }
}

fn build(name: &str, config: &Config, op: &str, args: &Value) -> Result<Unary, ApiError> {
    provider(name).unwrap().unary(op, &ctx(config), args)
}

/// The check and the build agree: the same error, or the same model and, when the check built
/// a request at all (openai's chat stops at its last check), the same method, URL and headers.
fn agree(name: &str, op: &str, args: &Value) -> Result<(), TestCaseError> {
    let config = config(name);
    let checked = check_only(true, || build(name, &config, op, args));
    let built = build(name, &config, op, args);
    let at = format!("{name}.{op}({args})");
    match (checked, built) {
        (Err(c), Err(b)) => {
            prop_assert_eq!(c.kind, b.kind, "{}", at);
            prop_assert_eq!(c.message, b.message, "{}", at);
        }
        (Ok(c), Ok(b)) => {
            prop_assert_eq!(&c.model, &b.model, "{}", at);
            if !c.request.method.is_empty() {
                prop_assert_eq!(&c.request.method, &b.request.method, "{}", at);
                prop_assert_eq!(&c.request.url, &b.request.url, "{}", at);
                prop_assert_eq!(&c.request.headers, &b.request.headers, "{}", at);
                prop_assert_eq!(c.request.body.is_some(), b.request.body.is_some(), "{}", at);
            }
        }
        (c, b) => prop_assert!(
            false,
            "{at}: check {:?}, build {:?}",
            c.err().map(|e| e.message),
            b.err().map(|e| e.message)
        ),
    }
    Ok(())
}

#[test]
fn valid_arguments_pass_the_check_and_a_build_after_it_writes_its_body() {
    let config = config("openai");
    let args = valid("chat");
    let checked = check_only(true, || build("openai", &config, "chat", &args)).unwrap();
    assert!(
        checked.request.body.unwrap_or_default().is_empty(),
        "no body written"
    );
    let built = build("openai", &config, "chat", &args).unwrap();
    let body: Value =
        resilient_core::json::from_slice(built.request.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["messages"], args["messages"]);
    for name in PROVIDERS {
        for op in OPS {
            agree(name, op, &valid(op)).unwrap();
        }
    }
}

#[test]
fn bad_arguments_get_the_same_error_from_the_check() {
    let cases = [
        json!({}),
        json!({"messages": "not a list"}),
        json!({"messages": []}),
        json!({"messages": [{"role": "robot", "content": "x"}]}),
        json!({"messages": [{"role": "user"}]}),
        json!({"messages": [{"role": "user", "content": "x"}], "model": 3}),
        json!({"messages": [{"role": "user", "content": "x"}], "max_tokens": -1, "stop": 3}),
        json!({"input": 3}),
        json!({"prompt": null}),
        json!({"query": "q", "texts": "t"}),
        json!({"bucket": "", "key": "k"}),
        json!({"bucket": "b", "key": "k", "partNumber": 0}),
    ];
    for name in PROVIDERS {
        for op in OPS {
            for args in &cases {
                agree(name, op, args).unwrap();
            }
        }
    }
}

fn changed_arguments() -> impl Strategy<Value = (usize, Value)> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..5).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "(user|assistant|system|tool|[a-z]{0,4})".prop_map(Value::from),
    ];
    const KEYS: &[&str] = &[
        "messages",
        "model",
        "system",
        "role",
        "content",
        "input",
        "prompt",
        "max_tokens",
        "maxTokens",
        "temperature",
        "stop",
        "query",
        "texts",
        "topN",
        "inputs",
        "bucket",
        "key",
        "prefix",
        "uploadId",
        "partNumber",
        "parts",
        "options",
        "parameters",
        "stream",
    ];
    let changes = prop::collection::vec(
        (
            key_of(KEYS, "[a-z]{1,3}"),
            json_tree(leaf.boxed(), key_of(KEYS, "[a-z]{1,3}"), (3, 16, 3), 3),
        ),
        0..4,
    );
    (0..OPS.len(), changes).prop_map(|(op, changes)| {
        let mut args = valid(OPS[op]);
        if let Value::Object(m) = &mut args {
            for (k, v) in changes {
                m.insert(k, v);
            }
        }
        (op, args)
    })
}

proptest! {
    #[test]
    fn any_arguments_get_the_same_answer_from_the_check((op, args) in changed_arguments()) {
        for name in PROVIDERS {
            agree(name, OPS[op], &args)?;
        }
    }
}
