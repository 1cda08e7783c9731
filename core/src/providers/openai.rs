//! The OpenAI wire format, and the OpenAI-compatible family that shares it through presets
//! (one codec, no copied logic): OpenAI and Groq here; others reuse [`OpenAiCompat`].

use super::{
    bad_argument, base_url, join_url, json_errors, json_request, unsupported, usage_json, Ctx,
    Provider, ProviderInfo, ResultJson, Streamed, Unary,
};
use crate::classify::{classify_stream_error, request_id_header};
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::{Headers, HttpRequest};
use crate::pipeline::StreamCodec;
use crate::pipeline::{Parsed, Parser, Reply};
use crate::stats::Usage;
use crate::stream::{SseDecoder, SseEvent};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

/// A member of the OpenAI-compatible family.
pub struct OpenAiCompat {
    pub info: &'static ProviderInfo,
    /// What `maxTokens` becomes: `max_completion_tokens` for OpenAI, `max_tokens` elsewhere.
    pub max_tokens_key: &'static str,
    /// Ask for usage in streams (`stream_options.include_usage`).
    pub stream_usage: bool,
    /// The default embedding model, for servers that embed.
    pub embed_model: Option<&'static str>,
}

pub static OPENAI: OpenAiCompat = OpenAiCompat {
    info: &ProviderInfo {
        name: "openai",
        default_base_url: "https://api.openai.com/v1",
        default_model: "gpt-4o-mini",
        key_env: &["OPENAI_API_KEY"],
        requires_key: true,
    },
    max_tokens_key: "max_completion_tokens",
    stream_usage: true,
    embed_model: Some("text-embedding-3-small"),
};

pub static GROQ: OpenAiCompat = OpenAiCompat {
    info: &ProviderInfo {
        name: "groq",
        default_base_url: "https://api.groq.com/openai/v1",
        default_model: "llama-3.3-70b-versatile",
        key_env: &["GROQ_API_KEY"],
        requires_key: true,
    },
    max_tokens_key: "max_tokens",
    stream_usage: true,
    embed_model: None,
};

impl Provider for OpenAiCompat {
    fn info(&self) -> &'static ProviderInfo {
        self.info
    }

    fn auth_headers(&self, ctx: &Ctx) -> Headers {
        auth_headers(ctx.config)
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        let name = self.info.name;
        let (request, model, parse): (HttpRequest, Option<String>, Parser) = match op {
            "chat" => {
                let (r, m) = chat_request(self, ctx.config, args)?;
                (
                    r,
                    Some(m),
                    Box::new(move |reply, id| parse_chat(name, reply, id)),
                )
            }
            "embed" if self.embed_model.is_some() => {
                let (r, m) = embed_request(self, ctx.config, args)?;
                (
                    r,
                    Some(m),
                    Box::new(move |reply, id| parse_embed(name, reply, id)),
                )
            }
            "listModels" => (
                models_request(self, ctx.config),
                None,
                Box::new(parse_models),
            ),
            _ => return Err(unsupported(name, op)),
        };
        Ok(Unary {
            request,
            model,
            parse,
            errors: json_errors,
        })
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        if op != "chatStream" {
            return Err(unsupported(self.info.name, op));
        }
        let (request, model) = chat_stream_request(self, ctx.config, args)?;
        Ok(Streamed {
            request,
            model: Some(model),
            codec: Box::new(ChatStreamCodec::new()),
            errors: json_errors,
        })
    }
}

pub fn auth_headers(config: &Config) -> Vec<(String, String)> {
    match &config.api_key {
        Some(k) => vec![("authorization".into(), format!("Bearer {}", k.expose()))],
        None => Vec::new(),
    }
}

/// API.md chat arguments to an OpenAI `/chat/completions` body. Unknown arguments are passed
/// through as provider parameters.
pub fn chat_request(
    p: &OpenAiCompat,
    config: &Config,
    args: &Value,
) -> Result<(HttpRequest, String), ApiError> {
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
            .unwrap_or_else(|| p.info.default_model.to_string()),
    };
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(messages));
    for (k, v) in args {
        let key = match k.as_str() {
            "messages" | "model" | "system" => continue,
            "maxTokens" | "max_tokens" | "max_completion_tokens" => p.max_tokens_key,
            "topP" => "top_p",
            other => other,
        };
        if matches!(k.as_str(), "maxTokens" | "temperature" | "topP") && !v.is_number() {
            return Err(bad_argument(k, "must be a number"));
        }
        body.insert(key.to_string(), v.clone());
    }
    let url = join_url(base_url(config, p.info), "chat/completions");
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
pub fn parse_chat(
    provider: &'static str,
    reply: &Reply,
    client_request_id: &str,
) -> Result<Parsed, ApiError> {
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
        .or(c.id.as_deref().filter(|id| !id.is_empty()))
        .unwrap_or(client_request_id);
    let mut out = ResultJson::new(reply.body.len() + 256);
    out.str("text", text)
        .opt_str("model", c.model.as_deref())
        .opt_str("finish_reason", finish)
        .raw("usage", &usage_json(&usage))
        .str("request_id", request_id)
        .str("provider", provider)
        .raw_bytes("raw", &reply.body);
    Ok(Parsed {
        json: out.finish(),
        usage: Some(usage),
        bytes: None,
    })
}

/// `embed({ input, model? })`: `input` is a string or an array of strings.
pub fn embed_request(
    p: &OpenAiCompat,
    config: &Config,
    args: &Value,
) -> Result<(HttpRequest, String), ApiError> {
    let input = args
        .get("input")
        .filter(|i| {
            i.is_string()
                || i.as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
        })
        .ok_or_else(|| {
            bad_argument(
                "input",
                "is required: a string or a non-empty array of strings",
            )
        })?;
    let model = match args.get("model") {
        Some(Value::String(m)) => m.clone(),
        Some(_) => return Err(bad_argument("model", "must be a string")),
        None => p.embed_model.unwrap_or(p.info.default_model).to_string(),
    };
    let body = json!({"model": model, "input": input, "encoding_format": "float"});
    let url = join_url(base_url(config, p.info), "embeddings");
    let req = json_request(config, auth_headers(config), "POST", url, Some(&body), &[]);
    Ok((req, model))
}

#[derive(Deserialize)]
struct EmbeddingList<'a> {
    #[serde(borrow)]
    data: Vec<EmbeddingIn<'a>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<UsageIn>,
}

#[derive(Deserialize)]
struct EmbeddingIn<'a> {
    #[serde(default)]
    index: usize,
    #[serde(borrow)]
    embedding: &'a RawValue,
}

/// An embeddings list to `{ embeddings, model, usage, request_id, provider }`; the vectors are
/// spliced in as the server wrote them, in `index` order.
pub fn parse_embed(
    provider: &'static str,
    reply: &Reply,
    client_request_id: &str,
) -> Result<Parsed, ApiError> {
    let mut list: EmbeddingList = serde_json::from_slice(&reply.body).map_err(|e| {
        ApiError::new(
            ErrorType::DecodeError,
            format!("the response is not an embedding list: {e}"),
        )
    })?;
    list.data.sort_by_key(|d| d.index);
    if list
        .data
        .iter()
        .any(|d| !d.embedding.get().trim_start().starts_with('['))
    {
        return Err(ApiError::new(
            ErrorType::DecodeError,
            "an embedding is not an array of floats",
        ));
    }
    let mut vectors = String::with_capacity(reply.body.len());
    vectors.push('[');
    for (i, d) in list.data.iter().enumerate() {
        if i > 0 {
            vectors.push(',');
        }
        vectors.push_str(d.embedding.get());
    }
    vectors.push(']');
    let usage = list.usage.map(Usage::from).unwrap_or_default();
    let request_id = request_id_header(&reply.headers);
    let mut out = ResultJson::new(vectors.len() + 200);
    out.raw("embeddings", &vectors)
        .opt_str("model", list.model.as_deref())
        .raw("usage", &usage_json(&usage))
        .str(
            "request_id",
            request_id.as_deref().unwrap_or(client_request_id),
        )
        .str("provider", provider);
    Ok(Parsed {
        json: out.finish(),
        usage: Some(usage),
        bytes: None,
    })
}

/// `listModels()`: `GET /models`.
pub fn models_request(p: &OpenAiCompat, config: &Config) -> HttpRequest {
    let url = join_url(base_url(config, p.info), "models");
    json_request(config, auth_headers(config), "GET", url, None, &[])
}

#[derive(Deserialize)]
struct ModelList<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

/// The `data` array of a model list, verbatim: `[{ id, object, created, owned_by }]`.
pub fn parse_models(reply: &Reply, _client_request_id: &str) -> Result<Parsed, ApiError> {
    let list: ModelList = serde_json::from_slice(&reply.body).map_err(|e| {
        ApiError::new(
            ErrorType::DecodeError,
            format!("the response is not a model list: {e}"),
        )
    })?;
    if !list.data.get().trim_start().starts_with('[') {
        return Err(ApiError::new(
            ErrorType::DecodeError,
            "the model list `data` is not an array",
        ));
    }
    Ok(Parsed {
        json: list.data.get().to_string(),
        ..Parsed::default()
    })
}

/// The request for `chatStream`: the chat body with `stream` and usage asked for.
pub fn chat_stream_request(
    p: &OpenAiCompat,
    config: &Config,
    args: &Value,
) -> Result<(HttpRequest, String), ApiError> {
    let mut args = args.clone();
    if let Some(m) = args.as_object_mut() {
        m.insert("stream".into(), json!(true));
        if p.stream_usage {
            m.entry("stream_options")
                .or_insert_with(|| json!({"include_usage": true}));
        }
    }
    let (mut req, model) = chat_request(p, config, &args)?;
    req.stream = true;
    Ok((req, model))
}

#[derive(Deserialize)]
struct ChunkIn<'a> {
    #[serde(default, borrow)]
    choices: Vec<ChunkChoice<'a>>,
    usage: Option<UsageIn>,
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct ChunkChoice<'a> {
    #[serde(borrow)]
    delta: Option<Message<'a>>,
    #[serde(borrow)]
    finish_reason: Option<Cow<'a, str>>,
}

/// OpenAI-style SSE: `data: {chat.completion.chunk}` events, `data: [DONE]` at the end, and an
/// `error` event or an `{"error"}` chunk for a failure after the 200.
#[derive(Default)]
pub struct ChatStreamCodec {
    sse: SseDecoder,
    text: String,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    done: bool,
}

impl ChatStreamCodec {
    pub fn new() -> ChatStreamCodec {
        ChatStreamCodec::default()
    }

    fn event(&mut self, ev: SseEvent, out: &mut Vec<String>) -> Result<(), ApiError> {
        if self.done {
            return Ok(());
        }
        if ev.event.as_deref() == Some("error") {
            return Err(classify_stream_error(ev.data.as_bytes()));
        }
        if ev.data.trim() == "[DONE]" {
            out.push(self.final_item());
            return Ok(());
        }
        let chunk: ChunkIn = serde_json::from_str(&ev.data).map_err(|e| {
            ApiError::new(
                ErrorType::DecodeError,
                format!("a stream event is not a chat.completion.chunk: {e}"),
            )
        })?;
        if chunk.error.is_some() {
            return Err(classify_stream_error(ev.data.as_bytes()));
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(u.into());
        }
        if let Some(choice) = chunk.choices.first() {
            let delta = choice
                .delta
                .as_ref()
                .and_then(|d| d.content.as_deref())
                .unwrap_or("");
            if !delta.is_empty() {
                self.text.push_str(delta);
                let mut item = ResultJson::new(delta.len() + 32);
                item.str("delta", delta).raw("done", "false");
                out.push(item.finish());
            }
            if let Some(f) = &choice.finish_reason {
                self.finish_reason = Some(f.to_string());
            }
        }
        Ok(())
    }

    fn final_item(&mut self) -> String {
        self.done = true;
        let mut item = ResultJson::new(128);
        item.str("delta", "")
            .raw("done", "true")
            .opt_str("finish_reason", self.finish_reason.as_deref());
        match &self.usage {
            Some(u) => item.raw("usage", &usage_json(u)),
            None => item.raw("usage", "null"),
        };
        item.finish()
    }
}

impl StreamCodec for ChatStreamCodec {
    fn reset(&mut self) {
        *self = ChatStreamCodec::default();
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, ApiError> {
        let events = self
            .sse
            .feed(bytes)
            .map_err(|e| ApiError::new(ErrorType::DecodeError, e.0))?;
        let mut out = Vec::new();
        for ev in events {
            self.event(ev, &mut out)?;
        }
        Ok(out)
    }

    fn finish(&mut self) -> Result<Vec<String>, ApiError> {
        let mut out = Vec::new();
        for ev in self.sse.finish() {
            self.event(ev, &mut out)?;
        }
        // A server that closes right after the finishing chunk, without `[DONE]`, finished.
        if !self.done && self.finish_reason.is_some() {
            out.push(self.final_item());
        }
        Ok(out)
    }

    fn text(&self) -> &str {
        &self.text
    }

    fn usage(&self) -> Option<Usage> {
        self.usage
    }

    fn done(&self) -> bool {
        self.done
    }
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
            &OPENAI,
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
        let p = parse_chat("openai", &reply, "client-1").unwrap();
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
        let v: Value =
            serde_json::from_str(&parse_chat("openai", &bare, "client-1").unwrap().json).unwrap();
        assert_eq!(v["request_id"], "chatcmpl-fixture1");
    }

    #[test]
    fn system_and_params_and_bad_arguments() {
        let (req, _) = chat_request(
            &OPENAI,
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
            let e = chat_request(&OPENAI, &cfg(), &args).unwrap_err();
            assert_eq!(e.kind, ErrorType::InvalidRequest);
            assert!(
                e.message.contains(field),
                "{} should name {field}",
                e.message
            );
        }
    }

    #[test]
    fn golden_embeddings() {
        let (req, model) = embed_request(
            &OPENAI,
            &cfg(),
            &json!({"model": "text-embedding-3-small", "input": ["a", "b"]}),
        )
        .unwrap();
        assert_eq!(model, "text-embedding-3-small");
        assert_eq!(req.url, "https://api.openai.com/v1/embeddings");
        let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "float"})
        );
        let fixture = r#"{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.3,0.4]},{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}"#;
        let reply = Reply {
            status: 200,
            headers: vec![],
            body: fixture.as_bytes().to_vec(),
        };
        let v: Value =
            serde_json::from_str(&parse_embed("openai", &reply, "c1").unwrap().json).unwrap();
        assert_eq!(v["embeddings"], json!([[0.1, -0.2], [0.3, 0.4]]));
        assert_eq!(
            v["usage"],
            json!({"prompt_tokens": 2, "completion_tokens": 0, "total_tokens": 2})
        );
        assert_eq!(
            (v["request_id"].as_str(), v["provider"].as_str()),
            (Some("c1"), Some("openai"))
        );
        for bad in [
            json!({}),
            json!({"input": []}),
            json!({"input": [1]}),
            json!({"input": "x", "model": 3}),
        ] {
            assert_eq!(
                embed_request(&OPENAI, &cfg(), &bad).unwrap_err().kind,
                ErrorType::InvalidRequest
            );
        }
    }

    #[test]
    fn golden_models() {
        let req = models_request(&OPENAI, &cfg());
        assert_eq!(
            (req.method.as_str(), req.url.as_str()),
            ("GET", "https://api.openai.com/v1/models")
        );
        assert!(req.body.is_none());
        let fixture = r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"openai"}]}"#;
        let reply = Reply {
            status: 200,
            headers: vec![],
            body: fixture.as_bytes().to_vec(),
        };
        let v: Value = serde_json::from_str(&parse_models(&reply, "c").unwrap().json).unwrap();
        assert_eq!(v[0]["id"], "gpt-4o-mini");
        let bad = Reply {
            status: 200,
            headers: vec![],
            body: br#"{"data":{}}"#.to_vec(),
        };
        assert_eq!(
            parse_models(&bad, "c").unwrap_err().kind,
            ErrorType::DecodeError
        );
    }

    /// providers.md section 1 streaming fixture, with usage.
    const STREAM: &str = "data: {\"id\":\"chatcmpl-f2\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-f2\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi!\"},\"finish_reason\":null}],\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-f2\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-f2\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\ndata: [DONE]\n\n";

    fn stream_items(chunks: &[&[u8]]) -> Result<Vec<Value>, ApiError> {
        let mut c = ChatStreamCodec::new();
        let mut items = Vec::new();
        for ch in chunks {
            items.extend(c.feed(ch)?);
        }
        items.extend(c.finish()?);
        Ok(items
            .iter()
            .map(|i| serde_json::from_str(i).unwrap())
            .collect())
    }

    #[test]
    fn golden_stream() {
        let items = stream_items(&[STREAM.as_bytes()]).unwrap();
        assert_eq!(
            items,
            vec![
                json!({"delta": "Hi!", "done": false}),
                json!({"delta": "", "done": true, "finish_reason": "stop", "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}}),
            ]
        );
        let (req, _) = chat_stream_request(
            &OPENAI,
            &cfg(),
            &json!({"messages": [{"role": "user", "content": "x"}]}),
        )
        .unwrap();
        let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            (body["stream"].clone(), body["stream_options"].clone()),
            (json!(true), json!({"include_usage": true}))
        );
        assert!(req.stream);
    }

    #[test]
    fn stream_errors_mid_stream() {
        let first = STREAM
            .split("\n\n")
            .take(2)
            .collect::<Vec<_>>()
            .join("\n\n")
            + "\n\n";
        let err_event = "event: error\ndata: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":\"server_is_overloaded\"}}\n\n";
        let mut c = ChatStreamCodec::new();
        assert_eq!(c.feed(first.as_bytes()).unwrap().len(), 1);
        let e = c.feed(err_event.as_bytes()).unwrap_err();
        assert_eq!(e.kind, ErrorType::Overloaded);
        assert_eq!(c.text(), "Hi!");
        let data_err = "data: {\"error\":{\"message\":\"boom\"}}\n\n";
        assert_eq!(
            stream_items(&[data_err.as_bytes()]).unwrap_err().kind,
            ErrorType::StreamInterrupted
        );
        assert_eq!(
            stream_items(&[b"data: {nope\n\n"]).unwrap_err().kind,
            ErrorType::DecodeError
        );
        // Cut before [DONE] and before any finish_reason: nothing final is produced.
        let mut c = ChatStreamCodec::new();
        c.feed(first.as_bytes()).unwrap();
        assert!(c.finish().unwrap().is_empty() && !c.done());
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
            let err = parse_chat("openai", &reply, "c").unwrap_err();
            assert_eq!(err.kind, ErrorType::DecodeError, "{body}");
        }
        let no_id = r#"{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]}"#;
        let reply = Reply {
            status: 200,
            headers: vec![],
            body: no_id.as_bytes().to_vec(),
        };
        let v: Value =
            serde_json::from_str(&parse_chat("openai", &reply, "client-9").unwrap().json).unwrap();
        assert_eq!(v["request_id"], "client-9");
        assert!(v["model"].is_null());
    }
}
