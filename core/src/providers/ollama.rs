//! Ollama native API (docs/providers.md): `/api/chat`, `/api/generate`, `/api/embed`,
//! `/api/tags`, with NDJSON streams that end at the `"done": true` line.
//!
//! Arguments: docs/api.md's `maxTokens`, `temperature`, `topP`, `stop` (plus `topK` and `seed`, and
//! their snake_case spellings) go into `options`, over the same keys of a caller's `options`
//! object. Every other argument (`format`, `keep_alive`, `tools`, `think`, ...) stays a top-level
//! field, as ollama-js sends it; nothing unknown is ever put into `options`.

use super::shared::args::{
    bad_message, model_arg, model_or_default, non_empty_messages, object, text_input,
};
use super::shared::args::{put_args, Arg, Args, Check, Dest, EMBED_ARGS};
use super::shared::read::{self, Fields};
use super::shared::replies::{chat_result, embeddings_result, ChatReply};
use super::{
    base_url, bearer_request, join_url, json_errors, named, trim_end_slashes, usage_from, Built,
    Ctx, ModelRequest, Provider, ProviderInfo, Streamed, Unary,
};
use crate::classify::parse_error_body;
use crate::codec::{Parsed, Reply};
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::json::put;
use crate::json::{self, json, Map, Value};
use crate::providers::ops::{CHAT, EMBED, GENERATE, LIST_MODELS};
use crate::providers::shared::replies::model_list;
use crate::providers::unary_number;
use crate::providers::{bad_arg, decode_fail, fail, parser, unboxed, unsupported_op, Fail, Read};
use crate::stats::Usage;
use std::borrow::Cow;

mod stream;

pub use stream::{NdjsonCodec, OllamaLines};

pub struct Ollama;

pub static OLLAMA: Ollama = Ollama;

static INFO: ProviderInfo = ProviderInfo {
    name: "ollama",
    default_base_url: "http://localhost:11434",
    default_model: "llama3.2",
    key_env: &[],
    requires_key: false,
};

/// `embed` without a model: the chat default is not an embedding model.
pub const EMBED_MODEL: &str = "nomic-embed-text";

/// Which text route: the text is `message.content` on `/api/chat`, `response` on `/api/generate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Chat,
    Generate,
}

impl Provider for Ollama {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed((|| -> Result<Unary, Fail> {
            let config = ctx.config;
            let n = unary_number(op);
            let built: Built = match n {
                CHAT | GENERATE => {
                    let (route, parse): (_, Read) = if n == CHAT {
                        (Route::Chat, |r, id| parse_text(Route::Chat, r, id))
                    } else {
                        (Route::Generate, |r, id| parse_text(Route::Generate, r, id))
                    };
                    named(text_request(config, route, args, false)?, parser(parse))
                }
                EMBED => named(embed_request(config, args)?, parser(parse_embed)),
                LIST_MODELS => {
                    let r = bearer_request(config, "GET", url(config, "api/tags"), None);
                    (r, None, parser(parse_tags))
                }
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Unary::new(built, json_errors))
        })())
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        unboxed((|| -> Result<Streamed, Fail> {
            let route = match op {
                "chatStream" => Route::Chat,
                "generateStream" => Route::Generate,
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            let (mut request, model) = text_request(ctx.config, route, args, true)?;
            request.stream = true;
            let codec = Box::new(NdjsonCodec::with(OllamaLines { route }));
            Ok(Streamed::new((request, model), codec, json_errors))
        })())
    }
}

/// A path on the server origin. The seed's `OLLAMA_API_URL` form (`.../api`) is accepted too.
fn url(config: &Config, path: &str) -> String {
    let base = trim_end_slashes(base_url(config, &INFO));
    join_url(base.strip_suffix("/api").unwrap_or(base), path)
}

/// docs/api.md chat messages (and `system`) to Ollama's: they are sent as the caller wrote them.
fn chat_messages(args: &Map<String, Value>) -> Result<Value, Fail> {
    let given = non_empty_messages(args)?;
    let mut out = Vec::with_capacity(given.len() + 1);
    if let Some(system) = args.get("system") {
        let s = system
            .as_str()
            .ok_or_else(|| bad_arg("system", "must be a string"))?;
        out.push(json!({"role": "system", "content": s}));
    }
    for (i, m) in given.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str);
        if !matches!(role, Some("system" | "user" | "assistant" | "tool")) {
            return Err(bad_message(
                i,
                "role",
                "must be 'system', 'user', 'assistant' or 'tool'",
            ));
        }
        // An assistant turn that only called tools may leave `content` out.
        let tool_turn = role == Some("assistant") && m.get("tool_calls").is_some();
        match m.get("content") {
            Some(Value::String(_)) => {}
            None if tool_turn => {}
            _ => return Err(bad_message(i, "content", "must be a string")),
        }
        out.push(m.clone());
    }
    Ok(Value::Array(out))
}

/// Chat and generate arguments besides the messages or prompt: these into `options`, the
/// others top-level fields.
static TEXT_ARGS: Args = Args {
    known: &[
        Arg("model", Dest::Skip, "", Check::Any),
        Arg("messages", Dest::Skip, "", Check::Any),
        Arg("prompt", Dest::Skip, "", Check::Any),
        Arg("options", Dest::Skip, "", Check::Any),
        Arg("stream", Dest::Skip, "", Check::Any),
        Arg("system", Dest::Skip, "", Check::Any),
        Arg("maxTokens", Dest::Section, "num_predict", Check::Integer),
        Arg("max_tokens", Dest::Section, "num_predict", Check::Integer),
        Arg("num_predict", Dest::Section, "num_predict", Check::Integer),
        Arg("temperature", Dest::Section, "temperature", Check::Number),
        Arg("topP", Dest::Section, "top_p", Check::Number),
        Arg("top_p", Dest::Section, "top_p", Check::Number),
        Arg("topK", Dest::Section, "top_k", Check::Integer),
        Arg("top_k", Dest::Section, "top_k", Check::Integer),
        Arg("seed", Dest::Section, "seed", Check::Integer),
        Arg("stop", Dest::Section, "stop", Check::Stop),
    ],
    listed: &[],
    listed_into: Dest::Body,
    other: None,
};

/// The `/api/chat` or `/api/generate` request; `stream` is always sent (both stream by default).
pub fn text_request(
    config: &Config,
    route: Route,
    args: &Value,
    stream: bool,
) -> Result<ModelRequest, Fail> {
    let (what, path) = match route {
        Route::Chat => ("chat(request)", "api/chat"),
        Route::Generate => ("generate(request)", "api/generate"),
    };
    let args = args
        .as_object()
        .ok_or_else(|| bad_arg(what, "must be an object"))?;
    let model = model_or_default(args, config, &INFO)?;
    let mut body = Map::new();
    put(&mut body, "model", json!(model));
    match route {
        Route::Chat => put(&mut body, "messages", chat_messages(args)?),
        Route::Generate => match args.get("prompt") {
            Some(Value::String(p)) => put(&mut body, "prompt", json!(p)),
            _ => return Err(bad_arg("prompt", "is required: a string")),
        },
    };
    let mut options = match args.get("options") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => {
            return Err(bad_arg(
                "options",
                "must be an object of Modelfile parameters",
            ))
        }
    };
    put_args(args, &TEXT_ARGS, "", &mut body, &mut options)?;
    // `system` became the first chat message; on /api/generate it is a field.
    if let (Route::Generate, Some(system)) = (route, args.get("system")) {
        put(&mut body, "system", system.clone());
    }
    if !options.is_empty() {
        put(&mut body, "options", Value::Object(options));
    }
    put(&mut body, "stream", json!(stream));
    let request = bearer_request(
        config,
        "POST",
        url(config, path),
        Some(&Value::Object(body)),
    );
    Ok((request, model))
}

/// One `/api/chat` or `/api/generate` object: the whole reply, or one NDJSON line (read
/// lazily: a line is scanned once, only the fields below are decoded).
pub(super) struct Chunk<'v> {
    model: Option<Cow<'v, str>>,
    /// `message.content` (`Some("")` for a message without content), if there is a message.
    message: Option<Cow<'v, str>>,
    response: Option<Cow<'v, str>>,
    pub(super) done: bool,
    pub(super) done_reason: Option<Cow<'v, str>>,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
    /// Any `error` value (a string natively, an object on the OpenAI-style routes).
    pub(super) error: bool,
}

impl<'v> Chunk<'v> {
    pub(super) fn read(text: &'v [u8], f: Fields) -> Result<Chunk<'v>, Fail> {
        let v = f.event(text)?;
        let message = match f.raw_object(&v, "message")? {
            Some(m) => Some(f.raw_string(&m, "content")?.unwrap_or_default()),
            None => None,
        };
        Ok(Chunk {
            model: f.raw_string(&v, "model")?,
            message,
            response: f.raw_string(&v, "response")?,
            done: f.raw_bool(&v, "done")?.unwrap_or(false),
            done_reason: f.raw_string(&v, "done_reason")?,
            prompt_eval_count: f.raw_count(&v, "prompt_eval_count")?,
            eval_count: f.raw_count(&v, "eval_count")?,
            error: f.raw(&v, "error").is_some(),
        })
    }

    pub(super) fn text(&self, route: Route) -> Option<&str> {
        match route {
            Route::Chat => self.message.as_deref(),
            Route::Generate => self.response.as_deref(),
        }
    }

    /// The server's own counts (absent counts are zero: Ollama omits zero values).
    pub(super) fn usage(&self) -> Usage {
        usage_from(self.prompt_eval_count, self.eval_count)
    }
}

/// A non-streamed chat or generate reply to docs/api.md's normalized result.
pub fn parse_text(route: Route, reply: &Reply, client_id: &str) -> Result<Parsed, Fail> {
    const F: Fields = Fields {
        what: "the response is not an Ollama reply",
    };
    let c = Chunk::read(&reply.body, F)?;
    if c.error {
        let message = parse_error_body(&reply.body).message;
        return Err(fail(
            ErrorType::ServerError,
            message.unwrap_or_else(|| "the server reported an error".into()),
        ));
    }
    let text = c.text(route).ok_or_else(|| {
        fail(
            ErrorType::DecodeError,
            "the response has no `message` or `response`",
        )
    })?;
    let reply_says = ChatReply {
        text,
        model: c.model.as_deref(),
        finish_reason: c.done_reason.as_deref(),
        usage: c.usage(),
        id: None,
    };
    Ok(chat_result(INFO.name, reply, client_id, reply_says))
}

/// `embed({ input, model? })` to `POST /api/embed`; other arguments are top-level fields
/// (`truncate`, `dimensions`, `keep_alive`, `options`).
pub fn embed_request(config: &Config, args: &Value) -> Result<ModelRequest, Fail> {
    let args = object(args, "embed(request)", "`input`")?;
    let input = text_input(args.get("input"))?;
    let model = model_arg(args, EMBED_MODEL)?;
    let mut body = Map::new();
    put(&mut body, "model", json!(model));
    put(&mut body, "input", input.clone());
    put_args(args, &EMBED_ARGS, "", &mut body, &mut Map::new())?;
    let request = bearer_request(
        config,
        "POST",
        url(config, "api/embed"),
        Some(&Value::Object(body)),
    );
    Ok((request, model))
}

/// `{model, embeddings, prompt_eval_count}`: the vectors are spliced in as the server wrote them.
pub fn parse_embed(reply: &Reply, client_id: &str) -> Result<Parsed, Fail> {
    let what = "the response is not an embedding reply";
    let f = Fields { what };
    let bad = |e: json::Error| decode_fail(what, e);
    let fields = f.event(&reply.body)?;
    let raw = json::raw_field(&fields, "embeddings").ok_or_else(|| f.missing("embeddings"))?;
    let vectors = json::raw_items(raw.as_bytes()).map_err(bad)?;
    let usage = usage_from(f.raw_count(&fields, "prompt_eval_count")?, None);
    let model = f.raw_string(&fields, "model")?;
    let model = model.as_deref();
    embeddings_result(INFO.name, reply, client_id, &vectors, model, usage)
}

/// `GET /api/tags` to `[{ id: name, ...the model's fields }]`.
pub fn parse_tags(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    const F: Fields = Fields {
        what: "the response is not a model list",
    };
    let v = read::body(&reply.body, F.what)?;
    model_list(F.array(&v, "models")?, tag_name)
}

/// A model's id: its `name` (else `model`).
fn tag_name(m: &Value) -> Result<Option<&str>, Fail> {
    const F: Fields = Fields {
        what: "the response is not a model list",
    };
    let m = F.object(m)?;
    m.get("name")
        .or_else(|| m.get("model"))
        .and_then(Value::as_str)
        .map(Some)
        .ok_or_else(|| fail(ErrorType::DecodeError, "a model has no `name`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_base_url_with_api_suffix() {
        let config = Config {
            base_url: Some("http://gpu:11434/api/".into()),
            ..Config::default()
        };
        assert_eq!(url(&config, "api/chat"), "http://gpu:11434/api/chat");
        assert_eq!(
            url(&Config::default(), "api/tags"),
            "http://localhost:11434/api/tags"
        );
    }
}
