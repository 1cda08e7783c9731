//! OpenAI chat completions (the OpenAI-compatible family grows from here).

use super::{
    bad_argument, base_url, info, join_url, json_request, usage_json, ProviderInfo, ResultJson,
};
use crate::classify::request_id_header;
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::HttpRequest;
use crate::pipeline::{Parsed, Reply};
use crate::stats::Usage;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

fn provider() -> &'static ProviderInfo {
    info("openai").expect("openai is in the table")
}

pub fn auth_headers(config: &Config) -> Vec<(String, String)> {
    match &config.api_key {
        Some(k) => vec![("authorization".into(), format!("Bearer {}", k.expose()))],
        None => Vec::new(),
    }
}

/// API.md chat arguments to an OpenAI `/chat/completions` body. Unknown arguments are passed
/// through as provider parameters.
pub fn chat_request(config: &Config, args: &Value) -> Result<(HttpRequest, String), ApiError> {
    let args = args
        .as_object()
        .ok_or_else(|| bad_argument("chat(request)", "must be an object with `messages`"))?;
    let mut body = Map::new();
    let mut messages = Vec::new();
    if let Some(system) = args.get("system") {
        let s = system
            .as_str()
            .ok_or_else(|| bad_argument("system", "must be a string"))?;
        messages.push(json!({"role": "system", "content": s}));
    }
    let given = args
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_argument("messages", "is required: an array of { role, content }"))?;
    if given.is_empty() {
        return Err(bad_argument("messages", "must not be empty"));
    }
    for (i, m) in given.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str);
        if !matches!(
            role,
            Some("system" | "user" | "assistant" | "developer" | "tool")
        ) {
            return Err(bad_argument(
                &format!("messages[{i}].role"),
                "must be 'system', 'user' or 'assistant'",
            ));
        }
        if m.get("content").is_none() {
            return Err(bad_argument(
                &format!("messages[{i}].content"),
                "is required",
            ));
        }
        messages.push(m.clone());
    }
    let model = match args.get("model") {
        Some(Value::String(m)) => m.clone(),
        Some(_) => return Err(bad_argument("model", "must be a string")),
        None => config
            .model
            .clone()
            .unwrap_or_else(|| provider().default_model.to_string()),
    };
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(messages));
    for (k, v) in args {
        let key = match k.as_str() {
            "messages" | "model" | "system" => continue,
            "maxTokens" | "max_tokens" => "max_completion_tokens",
            "topP" => "top_p",
            other => other,
        };
        if matches!(key, "max_completion_tokens" | "temperature" | "top_p") && !v.is_number() {
            return Err(bad_argument(k, "must be a number"));
        }
        body.insert(key.to_string(), v.clone());
    }
    let url = join_url(base_url(config, provider()), "chat/completions");
    let req = json_request(
        config,
        auth_headers(config),
        "POST",
        url,
        Some(&Value::Object(body)),
        &[],
    );
    Ok((req, model))
}

#[derive(Deserialize, Default)]
struct UsageIn {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    total_tokens: Option<u64>,
}

impl From<UsageIn> for Usage {
    fn from(u: UsageIn) -> Usage {
        Usage {
            prompt: u.prompt_tokens,
            completion: u.completion_tokens,
            total: u
                .total_tokens
                .unwrap_or(u.prompt_tokens + u.completion_tokens),
        }
    }
}

#[derive(Deserialize)]
struct WithUsage {
    usage: Option<UsageIn>,
}

/// The OpenAI-style `usage` of any JSON body, if it has one.
pub fn usage_of(body: &[u8]) -> Option<Usage> {
    serde_json::from_slice::<WithUsage>(body)
        .ok()?
        .usage
        .map(Usage::from)
}

#[derive(Deserialize)]
struct Completion<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    choices: Vec<Choice<'a>>,
    usage: Option<UsageIn>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(borrow)]
    message: Option<Message<'a>>,
    #[serde(borrow)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
}

/// A `chat.completion` body to API.md's normalized result.
pub fn parse_chat(reply: &Reply, client_request_id: &str) -> Result<Parsed, ApiError> {
    let c: Completion = serde_json::from_slice(&reply.body).map_err(|e| {
        ApiError::new(
            ErrorType::DecodeError,
            format!("the response is not a chat completion: {e}"),
        )
    })?;
    let choice = c
        .choices
        .first()
        .ok_or_else(|| ApiError::new(ErrorType::DecodeError, "the response has no `choices[0]`"))?;
    let text = choice
        .message
        .as_ref()
        .and_then(|m| m.content.as_deref())
        .unwrap_or("");
    let finish = choice.finish_reason.as_deref();
    if finish == Some("content_filter") && text.is_empty() {
        return Err(ApiError::new(
            ErrorType::ContentFilter,
            "the reply was withheld by the content filter",
        ));
    }
    let usage = c.usage.map(Usage::from).unwrap_or_default();
    let header_id = request_id_header(&reply.headers);
    let request_id = header_id
        .as_deref()
        .or(c.id.as_deref())
        .unwrap_or(client_request_id);
    let mut out = ResultJson::new(reply.body.len() + 256);
    out.str("text", text)
        .opt_str("model", c.model.as_deref())
        .opt_str("finish_reason", finish)
        .raw("usage", &usage_json(&usage))
        .str("request_id", request_id)
        .str("provider", "openai")
        .raw_bytes("raw", &reply.body);
    Ok(Parsed {
        json: out.finish(),
        usage: Some(usage),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn cfg() -> Config {
        Config {
            api_key: Some(Secret::new("sk-test")),
            ..Config::default()
        }
    }

    /// providers.md section 1 fixture: the exact request.
    #[test]
    fn golden_chat_request() {
        let (req, model) = chat_request(
            &cfg(),
            &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}], "maxTokens": 16}),
        )
        .unwrap();
        assert_eq!(model, "gpt-4o-mini");
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "https://api.openai.com/v1/chat/completions");
        assert_eq!(
            req.headers,
            vec![
                ("authorization".to_string(), "Bearer sk-test".to_string()),
                ("content-type".to_string(), "application/json".to_string()),
            ]
        );
        let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}], "max_completion_tokens": 16})
        );
    }

    #[test]
    fn golden_chat_response() {
        let body = r#"{"id":"chatcmpl-fixture1","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#;
        let reply = Reply {
            status: 200,
            headers: vec![("x-request-id".into(), "req_fixture_1".into())],
            body: body.as_bytes().to_vec(),
        };
        let p = parse_chat(&reply, "client-1").unwrap();
        let v: Value = serde_json::from_str(&p.json).unwrap();
        assert_eq!(v["text"], "Hi!");
        assert_eq!(v["model"], "gpt-4o-mini-2024-07-18");
        assert_eq!(v["finish_reason"], "stop");
        assert_eq!(
            v["usage"],
            json!({"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11})
        );
        assert_eq!(v["request_id"], "req_fixture_1");
        assert_eq!(v["provider"], "openai");
        assert_eq!(v["raw"], serde_json::from_str::<Value>(body).unwrap());
        assert_eq!(
            p.usage,
            Some(Usage {
                prompt: 9,
                completion: 2,
                total: 11
            })
        );
        // Without the header, the body's id.
        let bare = Reply {
            headers: vec![],
            ..reply
        };
        let v: Value = serde_json::from_str(&parse_chat(&bare, "client-1").unwrap().json).unwrap();
        assert_eq!(v["request_id"], "chatcmpl-fixture1");
    }

    #[test]
    fn system_and_params_and_bad_arguments() {
        let (req, _) = chat_request(
            &cfg(),
            &json!({"system": "be brief", "messages": [{"role": "user", "content": "x"}], "topP": 0.5, "seed": 7}),
        )
        .unwrap();
        let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body["messages"][0],
            json!({"role": "system", "content": "be brief"})
        );
        assert_eq!(body["top_p"], 0.5);
        assert_eq!(body["seed"], 7);
        assert_eq!(body["model"], "gpt-4o-mini");
        for (args, field) in [
            (json!({}), "messages"),
            (json!({"messages": []}), "messages"),
            (
                json!({"messages": [{"role": "robot", "content": "x"}]}),
                "messages[0].role",
            ),
            (
                json!({"messages": [{"role": "user"}]}),
                "messages[0].content",
            ),
            (
                json!({"messages": [{"role": "user", "content": "x"}], "maxTokens": "9"}),
                "maxTokens",
            ),
            (json!("hi"), "chat(request)"),
        ] {
            let e = chat_request(&cfg(), &args).unwrap_err();
            assert_eq!(e.kind, ErrorType::InvalidRequest);
            assert!(
                e.message.contains(field),
                "{} should name {field}",
                e.message
            );
        }
    }

    #[test]
    fn garbage_replies_are_decode_errors() {
        let bodies = [
            "",
            "{",
            "[]",
            r#"{"choices":[]}"#,
            "\u{0}",
            r#"{"choices":[{"message":{"content":5}}]}"#,
        ];
        for body in bodies {
            let reply = Reply {
                status: 200,
                headers: vec![],
                body: body.as_bytes().to_vec(),
            };
            let err = parse_chat(&reply, "c").unwrap_err();
            assert_eq!(err.kind, ErrorType::DecodeError, "{body}");
        }
        let no_id = r#"{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]}"#;
        let reply = Reply {
            status: 200,
            headers: vec![],
            body: no_id.as_bytes().to_vec(),
        };
        let v: Value = serde_json::from_str(&parse_chat(&reply, "client-9").unwrap().json).unwrap();
        assert_eq!(v["request_id"], "client-9");
        assert!(v["model"].is_null());
    }
}
