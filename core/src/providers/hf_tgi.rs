//! Hugging Face Text Generation Inference (docs/providers.md): native `/generate` and
//! `/generate_stream`, OpenAI-compatible `/v1/chat/completions` through the shared OpenAI codec,
//! `/info` and `/health` (what TGI shares with TEI is in [`super::shared::hf`]).
//!
//! `generate` arguments: docs/api.md's `prompt`, `maxTokens`, `temperature`, `topP`, `stop` (and
//! `topK`), TGI's documented parameter names, and a `parameters` object; they all go into
//! `parameters`. Anything else is refused by name: TGI would silently ignore it.

use super::openai::{chat_request, parse_chat, ChatStreamCodec, OpenAiCompat};
use super::shared::args::{model_or_default, object};
use super::shared::args::{put_args, Arg, Args, Check, Dest};
use super::shared::hf::{header_count, hf_errors, hf_request, origin, parse_health, parse_info};
use super::shared::read::{self, Fields};
use super::shared::replies::{chat_result, ChatReply};
use super::{
    join_url, named, usage_from, Built, Ctx, ModelRequest, Provider, ProviderInfo, Streamed, Unary,
};
use crate::codec::{Parsed, Reply, StreamCodec};
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::HttpRequest;
use crate::json::put;
use crate::json::{json, Map, Value};
use crate::providers::ops::{self, GENERATE, HEALTH, LIST_MODELS};
use crate::providers::unary_number;
use crate::providers::{
    bad_arg, fail, object_of, parser, parser_with, unboxed, unsupported_op, Call, Fail,
};

mod stream;

pub use stream::{GenerateStreamCodec, TokenEvents};

pub struct HfTgi;

pub static HF_TGI: HfTgi = HfTgi;

static INFO: ProviderInfo = ProviderInfo {
    name: "hf_tgi",
    default_base_url: "http://localhost:8080",
    default_model: "tgi",
    key_env: &["HF_API_KEY", "HF_API_TOKEN"],
    requires_key: false,
};

/// The chat route speaks OpenAI with `max_tokens`; TGI honours `stream_options.include_usage`.
static CHAT: OpenAiCompat = OpenAiCompat {
    info: &INFO,
    max_tokens_key: "max_tokens",
    stream_usage: true,
    embed_model: None,
};

/// TGI's `parameters` (docs/providers.md), accepted as top-level arguments too.
const PARAMETERS: &[&str] = &[
    "adapter_id",
    "best_of",
    "decoder_input_details",
    "details",
    "do_sample",
    "frequency_penalty",
    "grammar",
    "max_new_tokens",
    "repetition_penalty",
    "return_full_text",
    "seed",
    "stop",
    "temperature",
    "top_k",
    "top_n_tokens",
    "top_p",
    "truncate",
    "typical_p",
    "watermark",
];

impl Provider for HfTgi {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed((|| -> Result<Unary, Fail> {
            let config = ctx.config;
            let built: Built = match unary_number(op) {
                ops::CHAT => named(
                    chat_request(&CHAT, config, &v1(config), args, false)?,
                    parser(parse_tgi_chat),
                ),
                GENERATE => {
                    let (r, m) = generate_request(config, args, false)?;
                    let call = Call {
                        model: m.clone(),
                        ..Call::default()
                    };
                    let parse = |r: &_, id: &_, c: &Call| parse_generate(&c.model, r, id);
                    named((r, m), parser_with(parse, call))
                }
                LIST_MODELS => (get(config, "info"), None, parser(parse_info)),
                HEALTH => (get(config, "health"), None, parser(parse_health)),
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Unary::new(built, hf_errors))
        })())
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        unboxed((|| -> Result<Streamed, Fail> {
            let config = ctx.config;
            let (built, codec): (_, Box<dyn StreamCodec>) = match op {
                "chatStream" => (
                    chat_request(&CHAT, config, &v1(config), args, true)?,
                    Box::new(ChatStreamCodec::new()),
                ),
                "generateStream" => (
                    generate_request(config, args, true)?,
                    Box::new(GenerateStreamCodec::new()),
                ),
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Streamed::new(built, codec, hf_errors))
        })())
    }
}

/// Where the shared OpenAI codec's routes live: `<origin>/v1`.
fn v1(config: &Config) -> String {
    join_url(origin(config, &INFO), "v1")
}

fn get(config: &Config, path: &str) -> HttpRequest {
    hf_request(config, &INFO, "GET", path, None)
}

/// `POST /generate` or `/generate_stream`: `{inputs, parameters}`, always with `details: true`
/// (it carries the finish reason and the token counts).
pub fn generate_request(config: &Config, args: &Value, stream: bool) -> Result<ModelRequest, Fail> {
    let args = object(args, "generate(request)", "`prompt`")?;
    let prompt = match args.get("prompt") {
        Some(Value::String(p)) => p,
        _ => return Err(bad_arg("prompt", "is required: a string")),
    };
    // TGI serves one model: the name is not sent.
    let model = model_or_default(args, config, &INFO)?;
    let mut params = match args.get("parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(bad_arg("parameters", "must be an object")),
    };
    put_args(args, &GENERATE_ARGS, "", &mut Map::new(), &mut params)?;
    put(&mut params, "details", json!(true));
    // `parameters` moved in (`json!` would copy the map).
    let mut body = object_of("parameters", Value::Object(params));
    if let Value::Object(b) = &mut body {
        put(b, "inputs", json!(prompt));
    }
    let path = if stream {
        "generate_stream"
    } else {
        "generate"
    };
    let mut request = hf_request(config, &INFO, "POST", path, Some(&body));
    request.stream = stream;
    Ok((request, model))
}

/// Generate arguments besides `prompt`: these and [`PARAMETERS`] go into `parameters`; any
/// other is refused.
static GENERATE_ARGS: Args = Args {
    known: &[
        Arg("prompt", Dest::Skip, "", Check::Any),
        Arg("model", Dest::Skip, "", Check::Any),
        Arg("parameters", Dest::Skip, "", Check::Any),
        Arg("stream", Dest::Skip, "", Check::Any),
        Arg(
            "maxTokens",
            Dest::Section,
            "max_new_tokens",
            Check::Positive,
        ),
        Arg(
            "max_tokens",
            Dest::Section,
            "max_new_tokens",
            Check::Positive,
        ),
        Arg(
            "max_new_tokens",
            Dest::Section,
            "max_new_tokens",
            Check::Positive,
        ),
        Arg("temperature", Dest::Section, "temperature", Check::Number),
        Arg("topP", Dest::Section, "top_p", Check::Number),
        Arg("top_p", Dest::Section, "top_p", Check::Number),
        Arg("topK", Dest::Section, "top_k", Check::Positive),
        Arg("stop", Dest::Section, "stop", Check::Stop),
    ],
    listed: PARAMETERS,
    listed_into: Dest::Section,
    other: Some("is not a TGI generate parameter (use `parameters` for server options)"),
};

/// TGI's chat ids are empty strings: an empty id is no id (see [`parse_chat`]), so the
/// client's id is used.
fn parse_tgi_chat(reply: &Reply, client_id: &str) -> Result<Parsed, Fail> {
    parse_chat(INFO.name, reply, client_id)
}

/// A generation `{generated_text, details: {finish_reason, generated_tokens, input_length}}`.
struct Generated<'v> {
    text: &'v str,
    details: Details<'v>,
}

/// `details` (all absent when it is).
#[derive(Default)]
pub(super) struct Details<'v> {
    pub(super) finish_reason: Option<&'v str>,
    pub(super) generated_tokens: Option<u64>,
    pub(super) input_length: Option<u64>,
}

pub(super) fn details<'v>(d: Option<&'v Value>, f: Fields) -> Result<Details<'v>, Fail> {
    Ok(match d {
        Some(d) => Details {
            finish_reason: f.opt_string(d, "finish_reason")?,
            generated_tokens: f.opt_count(d, "generated_tokens")?,
            input_length: f.opt_count(d, "input_length")?,
        },
        None => Details::default(),
    })
}

fn generated<'v>(g: &'v Value, f: Fields) -> Result<Generated<'v>, Fail> {
    let text = f.string(g, "generated_text")?;
    let details = details(f.optional(g, "details")?, f)?;
    Ok(Generated { text, details })
}

/// `{generated_text, details}` (or the compat route's one-element array) to docs/api.md's result.
/// Prompt tokens come from `x-prompt-tokens`; TGI's replies carry no model name, so `model`
/// is the one the call named.
pub fn parse_generate(model: &str, reply: &Reply, client_id: &str) -> Result<Parsed, Fail> {
    const F: Fields = Fields {
        what: "the response is not a TGI generation",
    };
    let v = read::body(&reply.body, F.what)?;
    // Every element of the compat route's array must be a generation, as before; the first
    // is the answer.
    let g = match &v {
        Value::Array(items) => {
            let mut first = None;
            for g in items {
                let g = generated(g, F)?;
                if first.is_none() {
                    first = Some(g);
                }
            }
            first.ok_or_else(|| fail(ErrorType::DecodeError, "the response has no generation"))?
        }
        one => generated(one, F)?,
    };
    let prompt = header_count(&reply.headers, "x-prompt-tokens").or(g.details.input_length);
    let completion = g
        .details
        .generated_tokens
        .or_else(|| header_count(&reply.headers, "x-generated-tokens"));
    let reply_says = ChatReply {
        text: g.text,
        model: Some(model),
        finish_reason: g.details.finish_reason,
        usage: usage_from(prompt, completion),
        id: None,
    };
    Ok(chat_result(INFO.name, reply, client_id, reply_says))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_a_v1_suffix() {
        let config = Config {
            base_url: Some("https://x.endpoints.huggingface.cloud/v1/".into()),
            ..Config::default()
        };
        assert_eq!(
            origin(&config, &INFO),
            "https://x.endpoints.huggingface.cloud"
        );
        assert_eq!(v1(&config), "https://x.endpoints.huggingface.cloud/v1");
    }
}
