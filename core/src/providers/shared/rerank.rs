//! The `rerank({ query, texts, model?, topN? })` call as the OpenVINO and OPEA servers take it:
//! its checked arguments, and the normalized ranking.

use super::args::{fields, is_strings};
use crate::codec::Parsed;
use crate::error::ApiError;
use crate::json::{json, Map, Value};
use crate::providers::bad_argument;

/// The checked arguments of a rerank call.
pub struct RerankArgs<'a> {
    /// All of them (`model` included, which not every server sends).
    pub all: &'a Map<String, Value>,
    pub query: &'a str,
    pub texts: &'a Vec<Value>,
    pub top_n: Option<usize>,
}

/// `query`, `texts` and `topN`, with `model` allowed and nothing else.
pub fn rerank_args(args: &Value) -> Result<RerankArgs<'_>, ApiError> {
    let a = fields("rerank", args, &["query", "texts", "model", "topN"])?;
    let query = a
        .get("query")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_argument("query", "is required: a string"))?;
    let texts = a
        .get("texts")
        .filter(|t| is_strings(t))
        .and_then(Value::as_array)
        .ok_or_else(|| bad_argument("texts", "is required: a non-empty array of strings"))?;
    let top_n = match a.get("topN") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n >= 1)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| bad_argument("topN", "must be a whole number >= 1"))?,
        ),
    };
    Ok(RerankArgs {
        all: a,
        query,
        texts,
        top_n,
    })
}

/// `(index, score)` pairs to docs/api.md's `[{ index, score }]`, best first, cut to `topN`.
pub fn ranked_json(mut ranked: Vec<(usize, f64)>, top_n: Option<usize>) -> Parsed {
    super::order::sort_stable_by(&mut ranked, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if let Some(n) = top_n {
        ranked.truncate(n);
    }
    let mut list = Vec::with_capacity(ranked.len());
    for (i, s) in ranked {
        list.push(json!({"index": i, "score": s}));
    }
    Parsed {
        json: Value::Array(list).to_string(),
        ..Parsed::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_sorts_and_cuts() {
        let p = ranked_json(vec![(0, 0.1), (1, 0.9), (2, 0.5), (3, 0.9)], Some(3));
        let v: Value = crate::json::from_str(&p.json).unwrap();
        assert_eq!(
            v,
            json!([{"index":1,"score":0.9},{"index":3,"score":0.9},{"index":2,"score":0.5}])
        );
    }
}
