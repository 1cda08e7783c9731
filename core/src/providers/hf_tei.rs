//! Hugging Face Text Embeddings Inference (providers.md section 7): native `/embed` (bare
//! `[[f32]]`) and `/rerank`, `/info`, `/health`. The OpenAI-style `/v1/embeddings` is not used:
//! `/embed` takes TEI's own options (`normalize`, `truncate`, ...) and every TEI version has it.
//!
//! Arguments other than API.md's and TEI's documented fields are refused by name: TEI would
//! silently ignore them.

use super::hf_tgi::{hf_errors, model_name, origin, parse_health, parse_info};
use super::openai::auth_headers;
use super::{
    bad_argument, join_url, json_request, unsupported, usage_json, Ctx, Provider, ProviderInfo,
    ResultJson, Unary,
};
use crate::classify::request_id_header;
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::{header, Headers, HttpRequest};
use crate::pipeline::{Parsed, Parser, Reply};
use crate::stats::Usage;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

pub struct HfTei;

pub static HF_TEI: HfTei = HfTei;

static INFO: ProviderInfo = ProviderInfo {
    name: "hf_tei",
    default_base_url: "http://localhost:8080",
    default_model: "tei",
    key_env: &["HF_API_KEY", "HF_API_TOKEN"],
    requires_key: false,
};

/// `/embed` fields passed through as given.
const EMBED_FIELDS: &[&str] = &[
    "normalize",
    "truncate",
    "truncation_direction",
    "prompt_name",
    "dimensions",
];

/// `/rerank` fields passed through as given.
const RERANK_FIELDS: &[&str] = &[
    "raw_scores",
    "return_text",
    "truncate",
    "truncation_direction",
];

impl Provider for HfTei {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    /// A bearer only when a key is configured (`--api-key`; TEI compares it byte for byte).
    fn auth_headers(&self, ctx: &Ctx) -> Headers {
        auth_headers(ctx.config)
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        let config = ctx.config;
        let (request, model, parse): (HttpRequest, Option<String>, Parser) = match op {
            "embed" => {
                let (r, m) = embed_request(config, args)?;
                let name = m.clone();
                (
                    r,
                    Some(m),
                    Box::new(move |reply, id| parse_embed(&name, reply, id)),
                )
            }
            "rerank" => {
                let (r, m, texts, top_n) = rerank_request(config, args)?;
                (
                    r,
                    Some(m),
                    Box::new(move |reply, _| parse_rerank(reply, texts, top_n)),
                )
            }
            "listModels" => (get(config, "info"), None, Box::new(parse_info)),
            "health" => (get(config, "health"), None, Box::new(parse_health)),
            _ => return Err(unsupported(INFO.name, op)),
        };
        Ok(Unary {
            request,
            model,
            parse,
            errors: hf_errors,
        })
    }
}

fn get(config: &Config, path: &str) -> HttpRequest {
    let url = join_url(origin(config, &INFO), path);
    json_request(config, auth_headers(config), "GET", url, None, &[])
}

fn post(config: &Config, path: &str, body: Map<String, Value>) -> HttpRequest {
    let url = join_url(origin(config, &INFO), path);
    json_request(
        config,
        auth_headers(config),
        "POST",
        url,
        Some(&Value::Object(body)),
        &[],
    )
}

fn object<'a>(
    args: &'a Value,
    what: &str,
    needs: &str,
) -> Result<&'a Map<String, Value>, ApiError> {
    args.as_object()
        .ok_or_else(|| bad_argument(what, &format!("must be an object with {needs}")))
}

fn strings(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
}

/// `embed({ input, model? })` to `POST /embed {inputs}`. The model only labels the result
/// and the stats: TEI serves one model.
pub fn embed_request(config: &Config, args: &Value) -> Result<(HttpRequest, String), ApiError> {
    let args = object(args, "embed(request)", "`input`")?;
    let input = args
        .get("input")
        .filter(|i| i.is_string() || strings(i))
        .ok_or_else(|| {
            bad_argument(
                "input",
                "is required: a string or a non-empty array of strings",
            )
        })?;
    let model = model_name(args, config, &INFO)?;
    let mut body = Map::new();
    body.insert("inputs".into(), input.clone());
    for (k, v) in args {
        match k.as_str() {
            "input" | "model" => {}
            f if EMBED_FIELDS.contains(&f) => {
                body.insert(k.clone(), v.clone());
            }
            other => {
                return Err(bad_argument(
                    other,
                    "is not an embed argument (TEI accepts input, model, normalize, truncate, truncation_direction, prompt_name, dimensions)",
                ))
            }
        }
    }
    Ok((post(config, "embed", body), model))
}

/// A bare `[[f32, ...], ...]`, spliced in as the server wrote it; tokens from
/// `x-compute-tokens`.
pub fn parse_embed(model: &str, reply: &Reply, client_id: &str) -> Result<Parsed, ApiError> {
    let rows: Vec<&RawValue> = serde_json::from_slice(&reply.body).map_err(|e| {
        ApiError::new(
            ErrorType::DecodeError,
            format!("the response is not a list of embeddings: {e}"),
        )
    })?;
    if rows.iter().any(|r| !r.get().starts_with('[')) {
        return Err(ApiError::new(
            ErrorType::DecodeError,
            "an embedding is not an array of floats",
        ));
    }
    let mut vectors = String::with_capacity(reply.body.len());
    vectors.push('[');
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            vectors.push(',');
        }
        vectors.push_str(r.get());
    }
    vectors.push(']');
    let tokens = header(&reply.headers, "x-compute-tokens")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let usage = Usage {
        prompt: tokens,
        completion: 0,
        total: tokens,
    };
    let request_id = request_id_header(&reply.headers);
    let mut out = ResultJson::new(vectors.len() + 200);
    out.raw("embeddings", &vectors)
        .str("model", model)
        .raw("usage", &usage_json(&usage))
        .str("request_id", request_id.as_deref().unwrap_or(client_id))
        .str("provider", INFO.name);
    Ok(Parsed {
        json: out.finish(),
        usage: Some(usage),
        bytes: None,
    })
}

/// `rerank({ query, texts, model?, topN? })` to `POST /rerank {query, texts}`; also returns
/// the number of texts and `topN` for the parser.
pub fn rerank_request(
    config: &Config,
    args: &Value,
) -> Result<(HttpRequest, String, usize, Option<usize>), ApiError> {
    let args = object(args, "rerank(request)", "`query` and `texts`")?;
    let query = args
        .get("query")
        .filter(|q| q.is_string())
        .ok_or_else(|| bad_argument("query", "is required: a string"))?;
    let texts = args
        .get("texts")
        .filter(|t| strings(t))
        .ok_or_else(|| bad_argument("texts", "is required: a non-empty array of strings"))?;
    let count = texts.as_array().map_or(0, Vec::len);
    let model = model_name(args, config, &INFO)?;
    let mut top_n = None;
    let mut body = Map::new();
    body.insert("query".into(), query.clone());
    body.insert("texts".into(), texts.clone());
    for (k, v) in args {
        match k.as_str() {
            "query" | "texts" | "model" => {}
            "topN" | "top_n" => match v.as_u64() {
                Some(n) if n > 0 => top_n = Some(usize::try_from(n).unwrap_or(usize::MAX)),
                _ => return Err(bad_argument(k, "must be a positive integer")),
            },
            f if RERANK_FIELDS.contains(&f) => {
                body.insert(k.clone(), v.clone());
            }
            other => {
                return Err(bad_argument(
                    other,
                    "is not a rerank argument (TEI accepts query, texts, model, topN, raw_scores, return_text, truncate, truncation_direction)",
                ))
            }
        }
    }
    Ok((post(config, "rerank", body), model, count, top_n))
}

#[derive(Deserialize)]
struct Rank {
    index: usize,
    score: f64,
    text: Option<String>,
}

/// `[{index, score, text?}]` sorted best first (again: the order is part of our contract, not
/// only TEI's), cut to `topN`. An index outside the texts sent is a broken reply.
pub fn parse_rerank(reply: &Reply, texts: usize, top_n: Option<usize>) -> Result<Parsed, ApiError> {
    let mut ranks: Vec<Rank> = serde_json::from_slice(&reply.body).map_err(|e| {
        ApiError::new(
            ErrorType::DecodeError,
            format!("the response is not a rerank list: {e}"),
        )
    })?;
    if ranks.iter().any(|r| r.index >= texts) {
        return Err(ApiError::new(
            ErrorType::DecodeError,
            "a rerank index is outside the texts sent",
        ));
    }
    ranks.sort_by(|a, b| b.score.total_cmp(&a.score));
    ranks.truncate(top_n.unwrap_or(usize::MAX));
    let list: Vec<Value> = ranks
        .into_iter()
        .map(|r| match r.text {
            Some(t) => json!({"index": r.index, "score": r.score, "text": t}),
            None => json!({"index": r.index, "score": r.score}),
        })
        .collect();
    Ok(Parsed {
        json: Value::Array(list).to_string(),
        ..Parsed::default()
    })
}
