//! OpenVINO Model Server (docs/providers.md). The base URL is the origin; three APIs
//! live under it:
//! - OpenAI-compatible `/v3/*`: chat, completions (`generate`), embeddings, rerank, models;
//! - KServe v2: `infer` (`/v2/models/{m}/infer`) and `health` (`/v2/health/ready`);
//! - TF-Serving (releases up to v2026.2.1): `predict` and `modelStatus` under `/v1/models/{m}`.

mod stream;

pub use stream::{CompletionStreamCodec, RawErrorLines};

use super::openai::{
    ask_stream, chat_request, embed_request, models_request, parse_chat, parse_choices,
    parse_embed, ChatStreamCodec, OpenAiCompat,
};
use super::shared::args::{fields, model_or_default, object};
use super::shared::args::{put_args, Arg, Args, Check, Dest};
use super::shared::replies::{parse_models, server_json};
use super::shared::rerank::{parse_ranks, rerank_args, RankReply, RerankArgs};
use super::shared::urls::encode_segment;
use super::{
    base_url, bearer_request, join_url, named, Built, Ctx, ModelRequest, Provider, ProviderInfo,
    Streamed, Unary,
};
use crate::classify::{parse_error_body, ErrorBody};
use crate::codec::{Parsed, Reply, StreamCodec};
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::HttpRequest;
use crate::json::put;
use crate::json::{json, Map, Value};
use crate::providers::ops::{
    CHAT, EMBED, GENERATE, HEALTH, INFER, LIST_MODELS, MODEL_STATUS, PREDICT, RERANK,
};
use crate::providers::unary_number;
use crate::providers::{
    bad_arg, object_of, parser, parser_with, unboxed, unsupported_op, Call, Fail,
};
use crate::text::contains;

pub struct Ovms;

pub static OVMS: Ovms = Ovms;

static INFO: ProviderInfo = ProviderInfo {
    name: "ovms",
    default_base_url: "http://localhost:8000",
    default_model: "default",
    key_env: &["OVMS_API_KEY"],
    requires_key: false,
};

/// The `/v3` routes are the OpenAI wire format; the shared codec builds them.
static COMPAT: OpenAiCompat = OpenAiCompat {
    info: &INFO,
    max_tokens_key: "max_tokens",
    // Honoured by continuous-batching pipelines (the usage chunk), accepted by the others.
    stream_usage: true,
    // `embed` without a `model` uses the client's `model` option, as every other call does.
    embed_model: None,
};

impl Provider for Ovms {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed((|| -> Result<Unary, Fail> {
            let config = ctx.config;
            let v3 = &v3_base(config);
            let built: Built = match unary_number(op) {
                CHAT => named(
                    chat_request(&COMPAT, config, v3, args, false)?,
                    parser(parse_ovms_chat),
                ),
                GENERATE => named(
                    completion_request(config, args, false)?,
                    parser(parse_completion),
                ),
                EMBED => named(
                    embed_request(&COMPAT, config, v3, args)?,
                    parser(|r, id| parse_embed(INFO.name, r, id)),
                ),
                RERANK => {
                    let (r, m, n, top) = rerank_request(config, args)?;
                    let call = Call {
                        n,
                        top,
                        ..Call::default()
                    };
                    let parse = |r: &_, _: &_, c: &Call| parse_ranks(r, &RANKS, c.n, c.top);
                    named((r, m), parser_with(parse, call))
                }
                LIST_MODELS => {
                    let _ = fields(op, args, &[])?;
                    (models_request(config, v3), None, parser(parse_models))
                }
                INFER => named(kserve_infer(config, args)?, parser(server_json)),
                HEALTH => {
                    let _ = fields(op, args, &[])?;
                    let r = get(config, "v2/health/ready".into());
                    (r, None, parser(parse_health))
                }
                PREDICT => named(tfs_predict(config, args)?, parser(server_json)),
                MODEL_STATUS => {
                    let a = fields(op, args, &["model", "version"])?;
                    let m = required_model(a, config)?;
                    let r = get(config, model_path("v1", &m, a)?);
                    named((r, m), parser(server_json))
                }
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Unary::new(built, ovms_errors))
        })())
    }

    fn stream(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Streamed, ApiError> {
        unboxed((|| -> Result<Streamed, Fail> {
            let config = ctx.config;
            let (built, codec): (_, Box<dyn StreamCodec>) = match op {
                "chatStream" => (
                    chat_request(&COMPAT, config, &v3_base(config), args, true)?,
                    Box::new(RawErrorLines::new(ChatStreamCodec::new())),
                ),
                "generateStream" => (
                    completion_request(config, args, true)?,
                    Box::new(RawErrorLines::new(CompletionStreamCodec::new())),
                ),
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Streamed::new(built, codec, ovms_errors))
        })())
    }
}

fn parse_ovms_chat(reply: &Reply, client_request_id: &str) -> Result<Parsed, Fail> {
    parse_chat(INFO.name, reply, client_request_id)
}

/// The base URL with `/v3` appended, for the shared OpenAI-style builders.
fn v3_base(config: &Config) -> String {
    join_url(base_url(config, &INFO), "v3")
}

/// Only `/v3` checks the key, but it goes on every request (the seed's GETs went without).
fn get(config: &Config, path: String) -> HttpRequest {
    bearer_request(
        config,
        "GET",
        join_url(base_url(config, &INFO), &path),
        None,
    )
}

fn post(config: &Config, path: &str, body: &Value) -> HttpRequest {
    bearer_request(
        config,
        "POST",
        join_url(base_url(config, &INFO), path),
        Some(body),
    )
}

/// KServe and TF-Serving address a served model by name: the call's or the client's, never a
/// guessed one.
fn required_model(args: &Map<String, Value>, config: &Config) -> Result<String, Fail> {
    match (args.get("model"), &config.model) {
        (Some(Value::String(m)), _) if !m.is_empty() => Ok(m.clone()),
        (Some(_), _) => Err(bad_arg("model", "must be a non-empty string")),
        (None, Some(m)) => Ok(m.clone()),
        (None, None) => Err(bad_arg(
            "model",
            "is required: the served model's name (or set the client's `model` option)",
        )),
    }
}

/// `{api}/models/{m}` or `{api}/models/{m}/versions/{v}` (`v1`: TF-Serving, `v2`: KServe).
fn model_path(api: &str, model: &str, args: &Map<String, Value>) -> Result<String, Fail> {
    let mut path = format!("{api}/models/{}", encode_segment(model));
    if let Some(v) = version(args)? {
        path.push_str("/versions/");
        path.push_str(&v);
    }
    Ok(path)
}

/// A model version: a whole number, given as a number or a string of digits.
fn version(args: &Map<String, Value>) -> Result<Option<String>, Fail> {
    let bad = || bad_arg("version", "must be a whole version number such as 1");
    match args.get("version") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|v| Some(crate::text::decimal(v)))
            .ok_or_else(bad),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(s.clone()))
        }
        Some(_) => Err(bad()),
    }
}

/// `predict({ model, instances | inputs, version?, signature_name? })`: the version goes in the
/// URL, never in the body (the seed put it in the body).
fn tfs_predict(config: &Config, args: &Value) -> Result<ModelRequest, Fail> {
    let a = fields(
        "predict",
        args,
        &["model", "version", "instances", "inputs", "signature_name"],
    )?;
    let model = required_model(a, config)?;
    let mut body = Map::new();
    match (a.get("instances"), a.get("inputs")) {
        (Some(i), None) => put(&mut body, "instances", i.clone()),
        (None, Some(i)) => put(&mut body, "inputs", i.clone()),
        _ => {
            return Err(bad_arg(
                "instances",
                "is required: the rows to predict on (or `inputs` in column format, not both)",
            ))
        }
    };
    if let Some(s) = a.get("signature_name") {
        if !s.is_string() {
            return Err(bad_arg("signature_name", "must be a string"));
        }
        put(&mut body, "signature_name", s.clone());
    }
    let mut path = model_path("v1", &model, a)?;
    path.push_str(":predict");
    Ok((post(config, &path, &Value::Object(body)), model))
}

/// `infer({ model, inputs, outputs?, version?, id?, parameters? })` on KServe v2.
fn kserve_infer(config: &Config, args: &Value) -> Result<ModelRequest, Fail> {
    let a = fields(
        "infer",
        args,
        &["model", "version", "inputs", "outputs", "id", "parameters"],
    )?;
    let model = required_model(a, config)?;
    let inputs = a
        .get("inputs")
        .filter(|v| {
            v.as_array()
                .is_some_and(|l| !l.is_empty() && l.iter().all(Value::is_object))
        })
        .ok_or_else(|| {
            bad_arg(
                "inputs",
                "is required: an array of { name, shape, datatype, data }",
            )
        })?;
    let mut body = Map::new();
    if let Some(id) = a.get("id") {
        if !id.is_string() {
            return Err(bad_arg("id", "must be a string"));
        }
        put(&mut body, "id", id.clone());
    }
    if let Some(p) = a.get("parameters") {
        if !p.is_object() {
            return Err(bad_arg("parameters", "must be an object"));
        }
        put(&mut body, "parameters", p.clone());
    }
    put(&mut body, "inputs", inputs.clone());
    if let Some(o) = a.get("outputs") {
        if !o.as_array().is_some_and(|l| l.iter().all(Value::is_object)) {
            return Err(bad_arg("outputs", "must be an array of { name }"));
        }
        put(&mut body, "outputs", o.clone());
    }
    let mut path = model_path("v2", &model, a)?;
    path.push_str("/infer");
    Ok((post(config, &path, &Value::Object(body)), model))
}

/// `/v2/health/ready` answers with its status only: any 2xx is ready (anything else is an
/// error from the pipeline).
fn parse_health(_reply: &Reply, _client_request_id: &str) -> Result<Parsed, Fail> {
    Ok(Parsed {
        json: r#"{"ready":true}"#.into(),
        ..Parsed::default()
    })
}

/// `generate({ prompt, model?, maxTokens?, temperature?, topP?, stop?, ...params })` as a
/// `/v3/completions` body.
fn completion_request(config: &Config, args: &Value, stream: bool) -> Result<ModelRequest, Fail> {
    let a = object(args, "generate(request)", "`prompt`")?;
    let prompt = a
        .get("prompt")
        .filter(|p| p.is_string())
        .ok_or_else(|| bad_arg("prompt", "is required: a string"))?;
    let model = model_or_default(a, config, &INFO)?;
    let mut body = Map::new();
    put(&mut body, "model", json!(model));
    put(&mut body, "prompt", prompt.clone());
    put_args(a, &COMPLETION_ARGS, "", &mut body, &mut Map::new())?;
    // The caller's `stream` would break the reply's framing: the operation decides it.
    match stream {
        true => ask_stream(&mut body, true),
        false => put(&mut body, "stream", Value::Bool(false)),
    }
    let mut req = post(config, "v3/completions", &Value::Object(body));
    req.stream = stream;
    Ok((req, model))
}

/// Completion arguments besides `prompt`: sent as given, but for these.
static COMPLETION_ARGS: Args = Args {
    known: &[
        Arg("prompt", Dest::Skip, "", Check::Any),
        Arg("model", Dest::Skip, "", Check::Any),
        Arg("stream", Dest::Skip, "", Check::Any),
        Arg("maxTokens", Dest::Body, "max_tokens", Check::Number),
        Arg("max_tokens", Dest::Body, "max_tokens", Check::Any),
        Arg("temperature", Dest::Body, "temperature", Check::Number),
        Arg("topP", Dest::Body, "top_p", Check::Number),
    ],
    listed: &[],
    listed_into: Dest::Body,
    other: None,
};

/// A `text_completion` body to docs/api.md's chat-shaped result (`choices[0].text`).
fn parse_completion(reply: &Reply, client_request_id: &str) -> Result<Parsed, Fail> {
    parse_choices(INFO.name, reply, client_request_id, true)
}

/// `rerank({ query, texts, model?, topN? })` as a Cohere-style `/v3/rerank` body; also returns
/// the text count and `topN` for the parser.
fn rerank_request(
    config: &Config,
    args: &Value,
) -> Result<(HttpRequest, String, usize, Option<usize>), Fail> {
    let RerankArgs {
        all,
        query,
        texts,
        top_n,
    } = rerank_args(args)?;
    // `model` from the call, else the client's (the seed's `ovms_model`), else `default`.
    let model = model_or_default(all, config, &INFO)?;
    let mut body = object_of("documents", Value::Array(texts.clone()));
    if let Value::Object(b) = &mut body {
        put(b, "model", json!(model));
        put(b, "query", json!(query));
    }
    if let (Some(n), Some(b)) = (top_n, body.as_object_mut()) {
        put(b, "top_n", json!(n));
    }
    Ok((post(config, "v3/rerank", &body), model, texts.len(), top_n))
}

/// `{results: [{index, relevance_score}]}`.
static RANKS: RankReply = RankReply {
    what: "the response is not a rerank result",
    list: Some("results"),
    score: "relevance_score",
    text: false,
    past_texts: "a rerank result points past the texts sent",
    ties_by_index: true,
};

/// OVMS bodies are `{"error": "<status message>"}`. A missing or wrong key is reported with a
/// status that is not 401 (the status has no HTTP mapping), so the message decides.
pub fn ovms_errors(_status: u16, body: &[u8]) -> ErrorBody {
    let mut e = parse_error_body(body);
    let auth = e.message.as_deref().is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        contains(&m, "unauthorized request") || contains(&m, "missing api-key")
    });
    if auth {
        e.kind = Some(ErrorType::AuthenticationError);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_whole_numbers() {
        let v = |x: Value| version(json!({ "version": x }).as_object().unwrap());
        assert_eq!(v(json!(2)).unwrap().as_deref(), Some("2"));
        assert_eq!(v(json!("17")).unwrap().as_deref(), Some("17"));
        for bad in [json!(-1), json!(1.5), json!("1a"), json!(""), json!([])] {
            assert_eq!(v(bad).unwrap_err().kind, ErrorType::InvalidRequest);
        }
    }
}
