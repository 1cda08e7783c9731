//! The `rerank({ query, texts, model?, topN? })` call as the OpenVINO and OPEA servers take it:
//! its checked arguments, and the normalized ranking.

use super::args::{fields, is_strings};
use super::read::{self, Fields};
use crate::codec::{Parsed, Reply};
use crate::error::ErrorType;
use crate::json::{Map, Value};
use crate::providers::ResultJson;
use crate::providers::{bad_arg, fail, Fail};
use std::cmp::Ordering;

/// The checked arguments of a rerank call.
pub struct RerankArgs<'a> {
    /// All of them (`model` included, which not every server sends).
    pub all: &'a Map<String, Value>,
    pub query: &'a str,
    pub texts: &'a Vec<Value>,
    pub top_n: Option<usize>,
}

/// `query`, `texts` and `topN`, with `model` allowed and nothing else.
pub fn rerank_args(args: &Value) -> Result<RerankArgs<'_>, Fail> {
    let a = fields("rerank", args, &["query", "texts", "model", "topN"])?;
    let query = a
        .get("query")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_arg("query", "is required: a string"))?;
    let texts = a
        .get("texts")
        .filter(|t| is_strings(t))
        .and_then(Value::as_array)
        .ok_or_else(|| bad_arg("texts", "is required: a non-empty array of strings"))?;
    let top_n = match a.get("topN") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n >= 1)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| bad_arg("topN", "must be a whole number >= 1"))?,
        ),
    };
    Ok(RerankArgs {
        all: a,
        query,
        texts,
        top_n,
    })
}

/// How a server's ranking reply reads: the list (the body itself, or one of its fields), the
/// score's key, whether items carry their `text`, the error for an index past the texts
/// sent, and whether equal scores go by index (else they keep the server's order).
pub struct RankReply {
    pub what: &'static str,
    pub list: Option<&'static str>,
    pub score: &'static str,
    pub text: bool,
    pub past_texts: &'static str,
    pub ties_by_index: bool,
}

/// A `[{index, <score>, text?}]` ranking (at `r.list`) to docs/api.md's result: see
/// [`ranked_json`]. An index outside the `texts` sent is a broken reply.
pub fn parse_ranks(
    reply: &Reply,
    r: &RankReply,
    texts: usize,
    top_n: Option<usize>,
) -> Result<Parsed, Fail> {
    let f = Fields { what: r.what };
    let v = read::body(&reply.body, f.what)?;
    let list = match r.list {
        Some(key) => f.array(&v, key)?,
        None => f.list(&v)?,
    };
    let mut ranked = Vec::with_capacity(list.len());
    for h in list {
        let index = f.index(h, "index")?;
        let score = f.number(h, r.score)?;
        let text = match r.text {
            true => f.opt_string(h, "text")?,
            false => None,
        };
        ranked.push((index, score, text));
    }
    if ranked.iter().any(|h| h.0 >= texts) {
        return Err(fail(ErrorType::DecodeError, r.past_texts));
    }
    Ok(ranked_json(ranked, top_n, r.ties_by_index))
}

/// `(index, score, text)` to docs/api.md's `[{ index, score, text? }]`, best first (equal
/// scores by index when `ties_by_index`, else in the order given), cut to `topN`; written
/// as text, item by item.
pub fn ranked_json(
    ranked: Vec<(usize, f64, Option<&str>)>,
    top_n: Option<usize>,
    ties_by_index: bool,
) -> Parsed {
    let order = super::order::sorted_indices(ranked.len(), &mut |a, b| {
        let (Some(x), Some(y)) = (ranked.get(a), ranked.get(b)) else {
            return Ordering::Equal;
        };
        let by_score = y.1.total_cmp(&x.1);
        match ties_by_index {
            true => by_score.then(x.0.cmp(&y.0)),
            false => by_score,
        }
    });
    let mut json = String::with_capacity(2 + ranked.len() * 40);
    json.push('[');
    let cut = top_n.unwrap_or(usize::MAX);
    for (n, i) in order.into_iter().enumerate() {
        let Some(&(index, score, text)) = ranked.get(i).filter(|_| n < cut) else {
            break;
        };
        if n > 0 {
            json.push(',');
        }
        let mut item = ResultJson::new(40);
        item.value("index", &Value::from(index))
            .value("score", &Value::from(score));
        if let Some(t) = text {
            item.str("text", t);
        }
        json.push_str(&item.finish());
    }
    json.push(']');
    Parsed {
        json,
        ..Parsed::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_sorts_and_cuts() {
        let ranks = vec![
            (0, 0.1, None),
            (1, 0.9, None),
            (2, 0.5, None),
            (3, 0.9, None),
        ];
        let p = ranked_json(ranks, Some(3), true);
        assert_eq!(
            p.json,
            r#"[{"index":1,"score":0.9},{"index":3,"score":0.9},{"index":2,"score":0.5}]"#
        );
        // Without the index rule, equal scores keep the order given; a text goes last.
        let ranks = vec![(3, 0.9, Some("c\"")), (1, 0.9, None), (0, 1.0, None)];
        assert_eq!(
            ranked_json(ranks, None, false).json,
            r#"[{"index":0,"score":1.0},{"index":3,"score":0.9,"text":"c\""},{"index":1,"score":0.9}]"#
        );
    }
}
