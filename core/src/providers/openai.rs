//! The OpenAI wire format, and the OpenAI-compatible family that shares it through presets
//! (one codec, no copied logic): OpenAI and Groq here; others reuse [`OpenAiCompat`].

use super::shared::args::{
    bad_message, non_empty_messages, object, put_args, text_input, Arg, Args, Check, Dest,
};
use super::shared::read::{self, Fields};
use super::shared::replies::{
    chat_result, embeddings_result, parse_models, raw_embedding_list, read_openai_usage, usage_of,
    ChatReply,
};
use super::shared::streaming::{parse_chunk, Chunk, ChunkEvents, ChunkFormat, FramedCodec};
use super::{
    base_url, bearer_request, chat_stream_only, join_url, json_errors, named, Built, Ctx,
    ModelRequest, Provider, ProviderInfo, Streamed, Unary,
};
use crate::codec::{Parsed, Reply};
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::HttpRequest;
use crate::json::put;
use crate::json::{json, Map, Value};
use crate::providers::ops::{CHAT, EMBED, LIST_MODELS};
use crate::providers::unary_number;
use crate::providers::{bad_arg, fail, parser, parser_with, unboxed, unsupported_op, Call, Fail};
use crate::stream::SseDecoder;

/// A member of the OpenAI-compatible family.
pub struct OpenAiCompat {
    pub info: &'static ProviderInfo,
    /// What `maxTokens` becomes: `max_completion_tokens` for OpenAI, `max_tokens` elsewhere.
    pub max_tokens_key: &'static str,
    /// Ask for usage in streams (`stream_options.include_usage`).
    pub stream_usage: bool,
    /// The default embedding model, for servers that embed; `None`: the client's `model`
    /// option, else the provider's default model (a server that embeds with what it serves).
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

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed((|| -> Result<Unary, Fail> {
            let name = self.info.name;
            let config = ctx.config;
            let base = base_url(config, self.info);
            let built: Built = match unary_number(op) {
                CHAT => named(
                    chat_request(self, config, base, args, false)?,
                    parser_with(|r, id, c| parse_chat(c.provider, r, id), by(name)),
                ),
                EMBED if self.embed_model.is_some() => named(
                    embed_request(self, config, base, args)?,
                    parser_with(|r, id, c| parse_embed(c.provider, r, id), by(name)),
                ),
                LIST_MODELS => (models_request(config, base), None, parser(parse_models)),
                _ => return Err(unsupported_op(name, op)),
            };
            Ok(Unary::new(built, json_errors))
        })())
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        let config = ctx.config;
        let request = || chat_request(self, config, base_url(config, self.info), args, true);
        unboxed(chat_stream_only(
            self.info,
            op,
            request,
            ChatStreamCodec::new(),
            json_errors,
        ))
    }
}

/// A reader's [`Call`] that names the provider.
fn by(provider: &'static str) -> Call {
    Call {
        provider,
        ..Call::default()
    }
}

/// docs/api.md chat arguments to an OpenAI `/chat/completions` body. Unknown arguments are passed
/// through as provider parameters. `base` is where the member's OpenAI routes live (the base
/// URL, or a route prefix under it such as `/v1`). A `stream` request (`chatStream`) asks for
/// the stream and, for members that have it, its usage (a caller's `stream_options` stays).
pub fn chat_request(
    p: &OpenAiCompat,
    config: &Config,
    base: &str,
    args: &Value,
    stream: bool,
) -> Result<ModelRequest, Fail> {
    let args = object(args, "chat(request)", "`messages`")?;
    let mut body = Map::new();
    let mut messages = Vec::new();
    if let Some(system) = args.get("system") {
        let s = system
            .as_str()
            .ok_or_else(|| bad_arg("system", "must be a string"))?;
        messages.push(json!({"role": "system", "content": s}));
    }
    let given = non_empty_messages(args)?;
    let checking = super::checking();
    for (i, m) in given.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str);
        if !matches!(
            role,
            Some("system" | "user" | "assistant" | "developer" | "tool")
        ) {
            return Err(bad_message(
                i,
                "role",
                "must be 'system', 'user' or 'assistant'",
            ));
        }
        if m.get("content").is_none() {
            return Err(bad_message(i, "content", "is required"));
        }
        // A check writes no body: copying the messages for one was a quarter of its cost.
        if !checking {
            messages.push(m.clone());
        }
    }
    let model = match args.get("model") {
        Some(Value::String(m)) => m.clone(),
        Some(_) => return Err(bad_arg("model", "must be a string")),
        None => config
            .model
            .clone()
            .unwrap_or_else(|| p.info.default_model.to_string()),
    };
    // A check writes no body (put_args still runs for its checks).
    if !checking {
        put(&mut body, "model", json!(model));
        put(&mut body, "messages", Value::Array(messages));
    }
    put_args(
        args,
        &CHAT_ARGS,
        p.max_tokens_key,
        &mut body,
        &mut Map::new(),
    )?;
    if checking {
        // A check ends with its last check: the URL and headers cannot fail, and a check's
        // request is never sent (building them was a third of a queued call's check).
        return Ok((HttpRequest::default(), model));
    }
    if stream {
        ask_stream(&mut body, p.stream_usage);
    }
    let url = join_url(base, "chat/completions");
    let mut req = bearer_request(config, "POST", url, Some(&Value::Object(body)));
    req.stream = stream;
    Ok((req, model))
}

/// Chat arguments besides `messages`, `model` and `system`: sent as given, but for these.
static CHAT_ARGS: Args = Args {
    known: &[
        Arg("messages", Dest::Skip, "", Check::Any),
        Arg("model", Dest::Skip, "", Check::Any),
        Arg("system", Dest::Skip, "", Check::Any),
        Arg("maxTokens", Dest::BodyMax, "", Check::Number),
        Arg("max_tokens", Dest::BodyMax, "", Check::Any),
        Arg("max_completion_tokens", Dest::BodyMax, "", Check::Any),
        Arg("temperature", Dest::Body, "temperature", Check::Number),
        Arg("topP", Dest::Body, "top_p", Check::Number),
    ],
    listed: &[],
    listed_into: Dest::Body,
    other: None,
};

/// A `chat.completion` body to docs/api.md's normalized result.
pub fn parse_chat(
    provider: &'static str,
    reply: &Reply,
    client_request_id: &str,
) -> Result<Parsed, Fail> {
    parse_choices(provider, reply, client_request_id, false)
}

/// A `chat.completion` (`completion` false: `choices[0].message.content`, a `usage` that must
/// be well formed, an empty id is none, a withheld reply is `content_filter`) or a
/// `text_completion` body (`completion` true: `choices[0].text`, any `usage` accepted and
/// read by [`usage_of`]) to docs/api.md's chat result. `choices` may be absent (no first
/// choice); every choice is checked. One function for both, so the reading is compiled once.
#[inline(never)]
pub fn parse_choices(
    provider: &'static str,
    reply: &Reply,
    client_request_id: &str,
    completion: bool,
) -> Result<Parsed, Fail> {
    let f = Fields {
        what: match completion {
            true => "the response is not a text completion",
            false => "the response is not a chat completion",
        },
    };
    let v = read::body(&reply.body, f.what)?;
    let id = f.opt_string(&v, "id")?;
    let model = f.opt_string(&v, "model")?;
    // An absent list reads as empty; a null one is as wrong as any other non-array.
    let choices = match f.object(&v)?.get("choices") {
        None => &[][..],
        Some(_) => f.array(&v, "choices")?,
    };
    let mut first = None;
    for c in choices {
        let text = match completion {
            true => f.opt_string(c, "text")?,
            false => match f.optional(c, "message")? {
                Some(m) => f.opt_string(m, "content")?,
                None => None,
            },
        };
        let finish = f.opt_string(c, "finish_reason")?;
        first = first.or(Some((text, finish)));
    }
    let (text, finish) =
        first.ok_or_else(|| fail(ErrorType::DecodeError, "the response has no `choices[0]`"))?;
    let usage = match completion {
        true => usage_of(&reply.body),
        false => read_openai_usage(&v, f)?,
    };
    let text = text.unwrap_or("");
    if !completion && finish == Some("content_filter") && text.is_empty() {
        return Err(fail(
            ErrorType::ContentFilter,
            "the reply was withheld by the content filter",
        ));
    }
    let reply_says = ChatReply {
        text,
        model,
        finish_reason: finish,
        usage: usage.unwrap_or_default(),
        id: id.filter(|id| completion || !id.is_empty()),
    };
    Ok(chat_result(provider, reply, client_request_id, reply_says))
}

/// `embed({ input, model? })`: `input` is a string or an array of strings.
pub fn embed_request(
    p: &OpenAiCompat,
    config: &Config,
    base: &str,
    args: &Value,
) -> Result<ModelRequest, Fail> {
    let input = text_input(args.get("input"))?;
    let model = match args.get("model") {
        Some(Value::String(m)) => m.clone(),
        Some(_) => return Err(bad_arg("model", "must be a string")),
        None => match p.embed_model {
            Some(m) => m.to_string(),
            None => config
                .model
                .clone()
                .unwrap_or_else(|| p.info.default_model.to_string()),
        },
    };
    let body = json!({"model": model, "input": input, "encoding_format": "float"});
    let url = join_url(base, "embeddings");
    let req = bearer_request(config, "POST", url, Some(&body));
    Ok((req, model))
}

/// An embeddings list to `{ embeddings, model, usage, request_id, provider }`; the vectors are
/// spliced in as the server wrote them, in `index` order.
pub fn parse_embed(
    provider: &'static str,
    reply: &Reply,
    client_request_id: &str,
) -> Result<Parsed, Fail> {
    let list = raw_embedding_list(&reply.body, "the response is not an embedding list")?;
    let (vectors, model, usage) = (list.vectors, list.model.as_deref(), list.usage);
    embeddings_result(provider, reply, client_request_id, &vectors, model, usage)
}

/// `listModels()`: `GET /models`.
pub fn models_request(config: &Config, base: &str) -> HttpRequest {
    let url = join_url(base, "models");
    bearer_request(config, "GET", url, None)
}

/// `stream: true` in an OpenAI-style body and, when `usage`, `stream_options.include_usage`
/// (unless the caller gave `stream_options` of their own).
pub fn ask_stream(body: &mut Map<String, Value>, usage: bool) {
    put(body, "stream", Value::Bool(true));
    if usage && !body.contains_key("stream_options") {
        put(body, "stream_options", json!({"include_usage": true}));
    }
}

/// `chat.completion.chunk` payloads: the text at `choices[0].delta.content`.
pub struct ChatChunk;

impl ChunkFormat for ChatChunk {
    fn parse(data: &str) -> Result<Chunk, Fail> {
        parse_chunk(data, false)
    }
}

/// OpenAI-style SSE of `chat.completion.chunk` events (see [`ChunkEvents`]).
pub type ChatStreamCodec = FramedCodec<SseDecoder, ChunkEvents<ChatChunk>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::StreamCodec;
    use crate::secret::Secret;
    use crate::stats::Usage;

    /// OpenAI's default base URL (the tests' config sets none).
    const BASE: &str = "https://api.openai.com/v1";

    fn cfg() -> Config {
        Config {
            api_key: Some(Secret::new("sk-test")),
            ..Config::default()
        }
    }

    /// The documented chat request and reply, as fixtures: the exact request.
    #[test]
    fn golden_chat_request() {
        let (req, model) = chat_request(
            &OPENAI,
            &cfg(),
            BASE,
            &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}], "maxTokens": 16}),
            false,
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
        let body: Value = crate::json::from_slice(req.body.as_deref().unwrap()).unwrap();
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
        let v: Value = crate::json::from_str(&p.json).unwrap();
        assert_eq!(v["text"], "Hi!");
        assert_eq!(v["model"], "gpt-4o-mini-2024-07-18");
        assert_eq!(v["finish_reason"], "stop");
        assert_eq!(
            v["usage"],
            json!({"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11})
        );
        assert_eq!(v["request_id"], "req_fixture_1");
        assert_eq!(v["provider"], "openai");
        assert_eq!(v["raw"], crate::json::from_str::<Value>(body).unwrap());
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
            crate::json::from_str(&parse_chat("openai", &bare, "client-1").unwrap().json).unwrap();
        assert_eq!(v["request_id"], "chatcmpl-fixture1");
    }

    #[test]
    fn system_and_params_and_bad_arguments() {
        let (req, _) = chat_request(
            &OPENAI,
            &cfg(),
            BASE,
            &json!({"system": "be brief", "messages": [{"role": "user", "content": "x"}], "topP": 0.5, "seed": 7}),
            false,
        )
        .unwrap();
        let body: Value = crate::json::from_slice(req.body.as_deref().unwrap()).unwrap();
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
            let e = chat_request(&OPENAI, &cfg(), BASE, &args, false).unwrap_err();
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
            BASE,
            &json!({"model": "text-embedding-3-small", "input": ["a", "b"]}),
        )
        .unwrap();
        assert_eq!(model, "text-embedding-3-small");
        assert_eq!(req.url, "https://api.openai.com/v1/embeddings");
        let body: Value = crate::json::from_slice(req.body.as_deref().unwrap()).unwrap();
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
            crate::json::from_str(&parse_embed("openai", &reply, "c1").unwrap().json).unwrap();
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
                embed_request(&OPENAI, &cfg(), BASE, &bad).unwrap_err().kind,
                ErrorType::InvalidRequest
            );
        }
    }

    #[test]
    fn golden_models() {
        let req = models_request(&cfg(), BASE);
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
        let v: Value = crate::json::from_str(&parse_models(&reply, "c").unwrap().json).unwrap();
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

    /// The documented streaming reply, with usage, as a fixture.
    const STREAM: &str = "data: {\"id\":\"chatcmpl-f2\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-f2\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi!\"},\"finish_reason\":null}],\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-f2\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-f2\",\"object\":\"chat.completion.chunk\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\ndata: [DONE]\n\n";

    fn stream_items(chunks: &[&[u8]]) -> Result<Vec<Value>, Fail> {
        let mut c = ChatStreamCodec::new();
        let mut items = Vec::new();
        for ch in chunks {
            items.extend(c.feed(ch).result()?);
        }
        items.extend(c.finish().result()?);
        Ok(items
            .iter()
            .map(|i| crate::json::from_str(i).unwrap())
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
        let (req, _) = chat_request(
            &OPENAI,
            &cfg(),
            BASE,
            &json!({"messages": [{"role": "user", "content": "x"}]}),
            true,
        )
        .unwrap();
        let body: Value = crate::json::from_slice(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            (body["stream"].clone(), body["stream_options"].clone()),
            (json!(true), json!({"include_usage": true}))
        );
        assert!(req.stream);
    }

    #[test]
    fn groq_usage_and_errors_in_x_groq() {
        let mut c = ChatStreamCodec::new();
        let last = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"x_groq\":{\"id\":\"req_1\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4,\"total_tokens\":9}}}\n\ndata: [DONE]\n\n";
        let items = c.feed(last.as_bytes()).result().unwrap();
        let v: Value = crate::json::from_str(items.last().unwrap()).unwrap();
        assert_eq!(
            v["usage"],
            json!({"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9})
        );
        let mut c = ChatStreamCodec::new();
        let stopped = "data: {\"choices\":[],\"x_groq\":{\"error\":\"stream stopped early\"}}\n\n";
        let e = c.feed(stopped.as_bytes()).result().unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorType::StreamInterrupted, "stream stopped early")
        );
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
        assert_eq!(c.feed(first.as_bytes()).result().unwrap().len(), 1);
        let e = c.feed(err_event.as_bytes()).result().unwrap_err();
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
        c.feed(first.as_bytes()).result().unwrap();
        assert!(c.finish().result().unwrap().is_empty() && !c.done());
    }

    #[test]
    fn a_completion_is_read_as_the_derived_reader_did() {
        let reply = |body: &str| Reply {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        };
        let body = r#"{"id":"i","model":"m","choices":[{"text":"a"},{}]}"#;
        let v: Value =
            crate::json::from_str(&parse_choices("ovms", &reply(body), "c", true).unwrap().json)
                .unwrap();
        assert_eq!(
            (&v["text"], &v["model"], &v["request_id"]),
            (&json!("a"), &json!("m"), &json!("i"))
        );
        // No choices (absent or empty) is no `choices[0]`; null, a bad later choice or a
        // wrongly typed id is a broken reply.
        for bad in [
            r#"{}"#,
            r#"{"choices":[]}"#,
            r#"{"choices":null}"#,
            r#"{"choices":[{"text":"a"},{"text":1}]}"#,
            r#"{"id":5,"choices":[{}]}"#,
        ] {
            let e = parse_choices("ovms", &reply(bad), "c", true).unwrap_err();
            assert_eq!(e.kind, ErrorType::DecodeError, "{bad}");
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
            crate::json::from_str(&parse_chat("openai", &reply, "client-9").unwrap().json).unwrap();
        assert_eq!(v["request_id"], "client-9");
        assert!(v["model"].is_null());
    }
}
