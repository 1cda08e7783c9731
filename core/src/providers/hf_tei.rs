//! Hugging Face Text Embeddings Inference (docs/providers.md): native `/embed` (bare
//! `[[f32]]`) and `/rerank`, `/info`, `/health`. The OpenAI-style `/v1/embeddings` is not used:
//! `/embed` takes TEI's own options (`normalize`, `truncate`, ...) and every TEI version has it.
//!
//! Arguments other than docs/api.md's and TEI's documented fields are refused by name: TEI would
//! silently ignore them.

use super::shared::args::{is_strings, model_or_default, object, text_input};
use super::shared::args::{put_args, Arg, Args, Check, Dest, EMBED_ARGS};
use super::shared::hf::{header_count, hf_errors, hf_request, parse_health, parse_info};
use super::shared::replies::embeddings_result;
use super::shared::rerank::{parse_ranks, RankReply};
use super::{named, usage_from, Built, Ctx, ModelRequest, Provider, ProviderInfo, Unary};
use crate::codec::{Parsed, Reply};
use crate::config::Config;
use crate::error::ApiError;
use crate::host::HttpRequest;
use crate::json::put;
use crate::json::{self, Map, Value};
use crate::providers::ops::{EMBED, HEALTH, LIST_MODELS, RERANK};
use crate::providers::unary_number;
use crate::providers::{
    bad_arg, decode_fail, parser, parser_with, unboxed, unsupported_op, Call, Fail,
};

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

/// `rerank` arguments: `/rerank` fields passed through as given, `topN` kept for the parser,
/// any other refused by name.
static RERANK_ARGS: Args = Args {
    known: &[
        Arg("query", Dest::Skip, "", Check::Any),
        Arg("texts", Dest::Skip, "", Check::Any),
        Arg("model", Dest::Skip, "", Check::Any),
        Arg("topN", Dest::Section, "top_n", Check::Positive),
        Arg("top_n", Dest::Section, "top_n", Check::Positive),
    ],
    listed: &["raw_scores", "return_text", "truncate", "truncation_direction"],
    listed_into: Dest::Body,
    other: Some("is not a rerank argument (TEI accepts query, texts, model, topN, raw_scores, return_text, truncate, truncation_direction)"),
};

impl Provider for HfTei {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed((|| -> Result<Unary, Fail> {
            let config = ctx.config;
            let built: Built = match unary_number(op) {
                EMBED => {
                    let (r, m) = embed_request(config, args)?;
                    let call = Call {
                        model: m.clone(),
                        ..Call::default()
                    };
                    let parse = |r: &_, id: &_, c: &Call| parse_embed(&c.model, r, id);
                    named((r, m), parser_with(parse, call))
                }
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
                LIST_MODELS => (get(config, "info"), None, parser(parse_info)),
                HEALTH => (get(config, "health"), None, parser(parse_health)),
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            Ok(Unary::new(built, hf_errors))
        })())
    }
}

fn get(config: &Config, path: &str) -> HttpRequest {
    hf_request(config, &INFO, "GET", path, None)
}

fn post(config: &Config, path: &str, body: Map<String, Value>) -> HttpRequest {
    hf_request(config, &INFO, "POST", path, Some(&Value::Object(body)))
}

/// `embed({ input, model? })` to `POST /embed {inputs}`. The model only labels the result
/// and the stats: TEI serves one model.
pub fn embed_request(config: &Config, args: &Value) -> Result<ModelRequest, Fail> {
    let args = object(args, "embed(request)", "`input`")?;
    let input = text_input(args.get("input"))?;
    let model = model_or_default(args, config, &INFO)?;
    let mut body = Map::new();
    put(&mut body, "inputs", input.clone());
    let spec = Args {
        listed: EMBED_FIELDS,
        other: Some("is not an embed argument (TEI accepts input, model, normalize, truncate, truncation_direction, prompt_name, dimensions)"),
        ..EMBED_ARGS
    };
    put_args(args, &spec, "", &mut body, &mut Map::new())?;
    Ok((post(config, "embed", body), model))
}

/// A bare `[[f32, ...], ...]`, spliced in as the server wrote it; tokens from
/// `x-compute-tokens`.
pub fn parse_embed(model: &str, reply: &Reply, client_id: &str) -> Result<Parsed, Fail> {
    let rows = json::raw_items(&reply.body)
        .map_err(|e| decode_fail("the response is not a list of embeddings", e))?;
    let usage = usage_from(header_count(&reply.headers, "x-compute-tokens"), None);
    embeddings_result(INFO.name, reply, client_id, &rows, Some(model), usage)
}

/// `rerank({ query, texts, model?, topN? })` to `POST /rerank {query, texts}`; also returns
/// the number of texts and `topN` for the parser.
pub fn rerank_request(
    config: &Config,
    args: &Value,
) -> Result<(HttpRequest, String, usize, Option<usize>), Fail> {
    let args = object(args, "rerank(request)", "`query` and `texts`")?;
    let query = args
        .get("query")
        .filter(|q| q.is_string())
        .ok_or_else(|| bad_arg("query", "is required: a string"))?;
    let texts = args
        .get("texts")
        .filter(|t| is_strings(t))
        .ok_or_else(|| bad_arg("texts", "is required: a non-empty array of strings"))?;
    let count = texts.as_array().map_or(0, Vec::len);
    let model = model_or_default(args, config, &INFO)?;
    let mut body = Map::new();
    put(&mut body, "query", query.clone());
    put(&mut body, "texts", texts.clone());
    // `topN` (or `top_n`, the later one in the map's order winning) is checked into a scratch
    // section: it cuts the ranking here and is never sent.
    let mut kept = Map::new();
    put_args(args, &RERANK_ARGS, "", &mut body, &mut kept)?;
    let top_n = kept
        .get("top_n")
        .and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    Ok((post(config, "rerank", body), model, count, top_n))
}

/// `[{index, score, text?}]` sorted best first (again: the order is part of our contract, not
/// only TEI's; equal scores keep TEI's order), cut to `topN`. An index outside the texts sent
/// is a broken reply.
static RANKS: RankReply = RankReply {
    what: "the response is not a rerank list",
    list: None,
    score: "score",
    text: true,
    past_texts: "a rerank index is outside the texts sent",
    ties_by_index: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::json;

    #[test]
    fn rerank_top_n_and_fields() {
        let cfg = Config::default();
        let args = json!({"query": "q", "texts": ["a", "b", "c"], "topN": 1, "top_n": 3, "truncate": true});
        let (req, _, count, top) = rerank_request(&cfg, &args).unwrap();
        // The later of the two in the map's (sorted) order wins, as the loop it replaced read it.
        assert_eq!((count, top), (3, Some(3)));
        let body: Value = crate::json::from_slice(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"query": "q", "texts": ["a", "b", "c"], "truncate": true})
        );
        let e =
            rerank_request(&cfg, &json!({"query": "q", "texts": ["a"], "topK": 1})).unwrap_err();
        assert_eq!(
            e.message,
            "argument `topK` is not a rerank argument (TEI accepts query, texts, model, topN, raw_scores, return_text, truncate, truncation_direction)"
        );
        let e =
            rerank_request(&cfg, &json!({"query": "q", "texts": ["a"], "top_n": 0})).unwrap_err();
        assert_eq!(e.message, "argument `top_n` must be a positive integer");
    }
}
