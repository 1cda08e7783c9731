//! Google Generative Language API (docs/providers.md): `chat` (`:generateContent`),
//! `chatStream` (`:streamGenerateContent?alt=sse`), `embed` (`:embedContent`, or
//! `:batchEmbedContents` for an array) and `listModels` (`GET /{version}/models`).
//! The key goes only in the `x-goog-api-key` header, never in the URL.

mod reply;

pub use reply::{errors, GeminiEvents, GeminiStreamCodec};

use super::shared::args::{
    bad_content, bad_message, chat_args, model_arg, model_or_default, object,
};
use super::shared::args::{put_args, Arg, Args, Check, Dest, EMBED_ARGS};
use super::shared::urls::encode_segment;
use super::{
    auth_request, base_url, chat_stream_only, join_url, named, push_pair, trim_end_slashes,
    trim_start_slashes, Built, Ctx, ModelRequest, Provider, ProviderInfo, Streamed, Unary,
};
use crate::config::Config;
use crate::error::ApiError;
use crate::host::{Headers, HttpRequest};
use crate::json::put;
use crate::json::{json, Map, Value};
use crate::providers::ops::{CHAT, EMBED, LIST_MODELS};
use crate::providers::unary_number;
use crate::providers::{
    bad_arg, object_of, parser, parser_with, unboxed, unsupported_op, Call, Fail,
};

pub struct Gemini;

pub static GEMINI: Gemini = Gemini;

static INFO: ProviderInfo = ProviderInfo {
    name: "gemini",
    default_base_url: "https://generativelanguage.googleapis.com",
    default_model: "gemini-2.0-flash",
    key_env: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    requires_key: true,
};

/// The path version when `apiVersion` is not set (the SDKs' default).
pub const DEFAULT_VERSION: &str = "v1beta";

/// The embedding model when `embed` names none (the current general-availability model).
pub const DEFAULT_EMBED_MODEL: &str = "gemini-embedding-001";

/// `models.list` pages at 50 by default; 1000 is the most it returns per page.
const MODELS_QUERY: &str = "models?pageSize=1000";

/// Chat arguments that belong in `generationConfig` (camelCase as the API spells them).
const GENERATION_FIELDS: &[&str] = &[
    "candidateCount",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseModalities",
    "thinkingConfig",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "speechConfig",
    "mediaResolution",
];

impl Provider for Gemini {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn auth_headers(&self, ctx: &Ctx) -> Headers {
        let mut h = Vec::new();
        if let Some(k) = &ctx.config.api_key {
            push_pair(&mut h, "x-goog-api-key", k.expose());
        }
        h
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed((|| -> Result<Unary, Fail> {
            let built: Built = match unary_number(op) {
                CHAT => {
                    let (request, model) = chat_request(ctx, args, false)?;
                    let call = Call {
                        model: model.clone(),
                        ..Call::default()
                    };
                    let parse = |r: &_, id: &_, c: &Call| reply::parse_chat(r, id, &c.model);
                    named((request, model), parser_with(parse, call))
                }
                EMBED => {
                    let (request, model, count) = embed_request(ctx, args)?;
                    let call = Call {
                        model: model.clone(),
                        batch: count,
                        ..Call::default()
                    };
                    let parse =
                        |r: &_, id: &_, c: &Call| reply::parse_embed(r, id, &c.model, c.batch);
                    named((request, model), parser_with(parse, call))
                }
                LIST_MODELS => {
                    let url = versioned_url(ctx.config, MODELS_QUERY);
                    let request = auth_request(self, ctx, "GET", url, None);
                    (request, None, parser(reply::parse_models))
                }
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Unary::new(built, errors))
        })())
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        let request = || chat_request(ctx, args, true);
        unboxed(chat_stream_only(
            &INFO,
            op,
            request,
            GeminiStreamCodec::new(),
            errors,
        ))
    }
}

/// `{base}/{apiVersion}/{path}`.
fn versioned_url(config: &Config, path: &str) -> String {
    let version = config.api_version.as_deref().unwrap_or(DEFAULT_VERSION);
    let version = trim_start_slashes(trim_end_slashes(version));
    join_url(base_url(config, &INFO), &format!("{version}/{path}"))
}

/// A model argument as the API names it (`models/<id>`, or `tunedModels/<id>`), and the same
/// name made safe for a URL path.
struct ModelName {
    name: String,
    path: String,
}

fn model_name(model: &str) -> Result<ModelName, Fail> {
    let (collection, id) = match (
        model.strip_prefix("models/"),
        model.strip_prefix("tunedModels/"),
    ) {
        (Some(id), _) => ("models", id),
        (None, Some(id)) => ("tunedModels", id),
        (None, None) => ("models", model),
    };
    if id.is_empty() {
        return Err(bad_arg(
            "model",
            "must name a model, e.g. 'gemini-2.0-flash'",
        ));
    }
    Ok(ModelName {
        name: format!("{collection}/{id}"),
        path: format!("{collection}/{}", encode_segment(id)),
    })
}

/// docs/api.md chat arguments to a `GenerateContentRequest`: `contents` with roles `user`/`model`,
/// system texts in `systemInstruction`, sampling options in `generationConfig`.
fn chat_request(ctx: &Ctx, args: &Value, stream: bool) -> Result<ModelRequest, Fail> {
    let (args, given) = chat_args(args)?;
    let mut system = Vec::new();
    if let Some(s) = args.get("system") {
        system.append(&mut parts(s, None)?);
    }
    let mut contents = Vec::with_capacity(given.len());
    for (i, m) in given.iter().enumerate() {
        let content = m
            .get("content")
            .ok_or_else(|| bad_message(i, "content", "is required"))?;
        let role = match m.get("role").and_then(Value::as_str) {
            Some("system") => {
                system.append(&mut parts(content, Some(i))?);
                continue;
            }
            Some("user") => "user",
            Some("assistant") => "model",
            _ => {
                return Err(bad_message(
                    i,
                    "role",
                    "must be 'system', 'user' or 'assistant'",
                ))
            }
        };
        let mut turn = object_of("parts", Value::Array(parts(content, Some(i))?));
        if let Value::Object(t) = &mut turn {
            put(t, "role", json!(role));
        }
        contents.push(turn);
    }
    if contents.is_empty() {
        return Err(bad_arg(
            "messages",
            "must contain at least one 'user' or 'assistant' message",
        ));
    }
    let model = model_or_default(args, ctx.config, &INFO)?;
    let name = model_name(&model)?;
    let mut body = Map::new();
    let mut generation = match args.get("generationConfig") {
        None => Map::new(),
        Some(Value::Object(g)) => g.clone(),
        Some(_) => return Err(bad_arg("generationConfig", "must be an object")),
    };
    put_args(args, &CHAT_ARGS, "", &mut body, &mut generation)?;
    put(&mut body, "contents", Value::Array(contents));
    if !system.is_empty() {
        put(
            &mut body,
            "systemInstruction",
            object_of("parts", Value::Array(system)),
        );
    }
    if !generation.is_empty() {
        put(&mut body, "generationConfig", Value::Object(generation));
    }
    let path = if stream {
        format!("{}:streamGenerateContent?alt=sse", name.path)
    } else {
        format!("{}:generateContent", name.path)
    };
    let url = versioned_url(ctx.config, &path);
    let mut req = auth_request(&GEMINI, ctx, "POST", url, Some(&Value::Object(body)));
    req.stream = stream;
    Ok((req, model))
}

/// Chat arguments besides the messages: these, then [`GENERATION_FIELDS`] into
/// `generationConfig`; the others are request fields (safetySettings, tools, toolConfig,
/// cachedContent, ...).
static CHAT_ARGS: Args = Args {
    known: &[
        Arg("messages", Dest::Skip, "", Check::Any),
        Arg("model", Dest::Skip, "", Check::Any),
        Arg("system", Dest::Skip, "", Check::Any),
        Arg("generationConfig", Dest::Skip, "", Check::Any),
        Arg("stream", Dest::Skip, "", Check::Any),
        Arg(
            "maxTokens",
            Dest::Section,
            "maxOutputTokens",
            Check::Positive,
        ),
        Arg(
            "max_tokens",
            Dest::Section,
            "maxOutputTokens",
            Check::Positive,
        ),
        Arg(
            "maxOutputTokens",
            Dest::Section,
            "maxOutputTokens",
            Check::Positive,
        ),
        Arg("temperature", Dest::Section, "temperature", Check::Number),
        Arg("topP", Dest::Section, "topP", Check::Number),
        Arg("top_p", Dest::Section, "topP", Check::Number),
        Arg("topK", Dest::Section, "topK", Check::Number),
        Arg("top_k", Dest::Section, "topK", Check::Number),
        Arg("stop", Dest::Section, "stopSequences", Check::Stop),
        Arg("stopSequences", Dest::Section, "stopSequences", Check::Stop),
        Arg(
            "stop_sequences",
            Dest::Section,
            "stopSequences",
            Check::Stop,
        ),
    ],
    listed: GENERATION_FIELDS,
    listed_into: Dest::Section,
    other: None,
};

/// Message content to Gemini `parts`: a string is one text part; in an array, strings and
/// `{type:"text", text}` become text parts and other objects are taken as Gemini parts.
fn parts(content: &Value, at: Option<usize>) -> Result<Vec<Value>, Fail> {
    let accepts = "must be a string or an array of parts";
    match content {
        Value::String(s) => Ok(vec![json!({ "text": s })]),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(match item {
                    Value::String(s) => json!({ "text": s }),
                    Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("text") => {
                        match o.get("text") {
                            Some(Value::String(s)) => json!({ "text": s }),
                            _ => return Err(bad_content(at, accepts)),
                        }
                    }
                    Value::Object(_) => item.clone(),
                    _ => return Err(bad_content(at, accepts)),
                });
            }
            Ok(out)
        }
        _ => Err(bad_content(at, accepts)),
    }
}

/// `embed({ input, model? })`: a string goes to `:embedContent`, an array to
/// `:batchEmbedContents` (each request repeats the model, as the API requires). Other
/// arguments (`taskType`, `title`, `outputDimensionality`) go in each request.
fn embed_request(ctx: &Ctx, args: &Value) -> Result<(HttpRequest, String, Option<usize>), Fail> {
    let args = object(args, "embed(request)", "`input`")?;
    let accepts = "is required: a string or a non-empty array of strings";
    let input = args.get("input").ok_or_else(|| bad_arg("input", accepts))?;
    let model = model_arg(args, DEFAULT_EMBED_MODEL)?;
    let name = model_name(&model)?;
    let mut extra = Map::new();
    put_args(args, &EMBED_ARGS, "", &mut extra, &mut Map::new())?;
    let one = |text: &str, with_model: bool| {
        let mut r = extra.clone();
        if with_model {
            put(&mut r, "model", json!(name.name));
        }
        put(&mut r, "content", json!({"parts": [{ "text": text }]}));
        Value::Object(r)
    };
    let (path, body, count) = match input {
        Value::String(s) => (format!("{}:embedContent", name.path), one(s, false), None),
        Value::Array(items) if !items.is_empty() => {
            let mut requests = Vec::with_capacity(items.len());
            for i in items {
                let s = i.as_str().ok_or_else(|| bad_arg("input", accepts))?;
                requests.push(one(s, true));
            }
            (
                format!("{}:batchEmbedContents", name.path),
                object_of("requests", Value::Array(requests)),
                Some(items.len()),
            )
        }
        _ => return Err(bad_arg("input", accepts)),
    };
    let url = versioned_url(ctx.config, &path);
    let req = auth_request(&GEMINI, ctx, "POST", url, Some(&body));
    Ok((req, model, count))
}
