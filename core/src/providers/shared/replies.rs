//! Reply parsers and reply shapes several providers use as they are.

use crate::classify::request_id_of;
use crate::codec::{Parsed, Reply};
use crate::error::ErrorType;
use crate::json::{self, Value};
use crate::providers::shared::order::sorted_indices;
use crate::providers::shared::read::{Fields, Obj};
use crate::providers::ResultJson;
use crate::providers::{decode_fail, fail, Fail};
use crate::stats::Usage;

/// An OpenAI-style `usage` (`{prompt_tokens, completion_tokens, total_tokens?}`), if present.
pub fn read_openai_usage(v: &Value, f: Fields) -> Result<Option<Usage>, Fail> {
    f.optional(v, "usage")?
        .map(|u| openai_usage(u, f))
        .transpose()
}

/// [`read_openai_usage`] of a lazily read stream event.
pub fn raw_usage(o: &Obj<'_>, f: Fields) -> Result<Option<Usage>, Fail> {
    match f.raw(o, "usage") {
        None => Ok(None),
        Some(u) => {
            let u = u.value().unwrap_or_default();
            openai_usage(&u, f).map(Some)
        }
    }
}

/// An OpenAI-style `usage` object (`total_tokens` may be left out).
pub fn openai_usage(u: &Value, f: Fields) -> Result<Usage, Fail> {
    let prompt = f.count_or_zero(u, "prompt_tokens")?;
    let completion = f.count_or_zero(u, "completion_tokens")?;
    Ok(Usage {
        prompt,
        completion,
        total: f
            .opt_count(u, "total_tokens")?
            .unwrap_or(prompt + completion),
    })
}

/// What a chat (or generate) reply says, for [`chat_result`].
pub struct ChatReply<'a> {
    pub text: &'a str,
    pub model: Option<&'a str>,
    pub finish_reason: Option<&'a str>,
    pub usage: Usage,
    /// The id the body gives, if any: the request id when no request-id header came.
    pub id: Option<&'a str>,
}

/// docs/api.md's chat result `{ text, model, finish_reason, usage, request_id, provider, raw }`:
/// the request id is the reply's request-id header, else the body's id, else the client's;
/// `raw` is the body as the server wrote it.
pub fn chat_result(provider: &str, reply: &Reply, client_request_id: &str, r: ChatReply) -> Parsed {
    let request_id = request_id_of(&reply.headers)
        .or(r.id)
        .unwrap_or(client_request_id);
    let mut out = ResultJson::new(reply.body.len() + r.text.len() + 256);
    out.str("text", r.text)
        .opt_str("model", r.model)
        .opt_str("finish_reason", r.finish_reason)
        .usage(&r.usage)
        .str("request_id", request_id)
        .str("provider", provider)
        .raw_bytes("raw", &reply.body);
    Parsed {
        json: out.finish(),
        usage: Some(r.usage),
        bytes: None,
    }
}

/// docs/api.md's embeddings result `{ embeddings, model, usage, request_id, provider }`, the vectors
/// spliced in as the server wrote them; the request id is the reply's header, else the
/// client's. A vector that is not an array is a broken reply.
pub fn embeddings_result(
    provider: &str,
    reply: &Reply,
    client_request_id: &str,
    vectors: &[&str],
    model: Option<&str>,
    usage: Usage,
) -> Result<Parsed, Fail> {
    // `trim` (the end is never looked at) rather than `trim_start`: one trimming function in
    // the wasm.
    if vectors.iter().any(|v| !v.trim().starts_with("[")) {
        return Err(fail(
            ErrorType::DecodeError,
            "an embedding is not an array of floats",
        ));
    }
    let mut joined = String::with_capacity(reply.body.len());
    joined.push('[');
    for (i, v) in vectors.iter().enumerate() {
        if i > 0 {
            joined.push(',');
        }
        joined.push_str(v);
    }
    joined.push(']');
    let request_id = request_id_of(&reply.headers);
    let mut out = ResultJson::new(joined.len() + 200);
    out.raw("embeddings", &joined)
        .opt_str("model", model)
        .usage(&usage)
        .str("request_id", request_id.unwrap_or(client_request_id))
        .str("provider", provider);
    Ok(Parsed {
        json: out.finish(),
        usage: Some(usage),
        bytes: None,
    })
}

/// An OpenAI-style embedding list `{ data: [{ index?, embedding }], model?, usage? }` with
/// the vectors as the server wrote them, in `index` order.
pub struct RawEmbeddings<'b> {
    pub vectors: Vec<&'b str>,
    pub model: Option<String>,
    pub usage: Usage,
}

pub fn raw_embedding_list<'b>(body: &'b [u8], what: &str) -> Result<RawEmbeddings<'b>, Fail> {
    let f = Fields { what };
    let bad = |e: json::Error| decode_fail(what, e);
    let fields = f.event(body)?;
    let data = json::raw_field(&fields, "data").ok_or_else(|| f.missing("data"))?;
    let items = json::raw_items(data.as_bytes()).map_err(bad)?;
    let mut indices = Vec::with_capacity(items.len());
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let item_fields = f.event(item.as_bytes())?;
        let index = match json::field(&item_fields, "index") {
            None => 0,
            Some(i) => i
                .value()
                .and_then(|i| i.as_u64())
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| f.wrong("index", "is not a whole number >= 0"))?,
        };
        let vector =
            json::raw_field(&item_fields, "embedding").ok_or_else(|| f.missing("embedding"))?;
        indices.push(index);
        rows.push(vector);
    }
    let order = sorted_indices(indices.len(), &mut |a, b| {
        indices.get(a).cmp(&indices.get(b))
    });
    let mut vectors = Vec::with_capacity(order.len());
    for i in order {
        if let Some(v) = rows.get(i) {
            vectors.push(*v);
        }
    }
    Ok(RawEmbeddings {
        vectors,
        model: f.raw_string(&fields, "model")?.map(|m| m.into_owned()),
        usage: raw_usage(&fields, f)?.unwrap_or_default(),
    })
}

/// A server-JSON result: the body verbatim, once it is known to be JSON.
pub fn server_json(reply: &Reply, _client_request_id: &str) -> Result<Parsed, Fail> {
    let text = std::str::from_utf8(&reply.body)
        .ok()
        .filter(|t| json::check(t.as_bytes()).is_ok())
        .ok_or_else(|| fail(ErrorType::DecodeError, "the response is not JSON"))?;
    Ok(Parsed {
        json: text.to_string(),
        ..Parsed::default()
    })
}

/// The OpenAI-style `usage` of any JSON object, if it has one: only that field is parsed
/// (the rest is checked, not built), so a body of any size costs one scan.
pub fn usage_of(body: &[u8]) -> Option<Usage> {
    let fields = json::raw_fields(body).ok()?;
    let u: Value = json::from_str(json::raw_field(&fields, "usage")?).ok()?;
    const F: Fields = Fields { what: "usage" };
    (!u.is_null()).then(|| openai_usage(&u, F).ok())?
}

/// The `data` array of an OpenAI-style model list (Anthropic's too), verbatim: `[{ id, object, created, owned_by }]`.
pub fn parse_models(reply: &Reply, _client_request_id: &str) -> Result<Parsed, Fail> {
    let what = "the response is not a model list";
    let fields = Fields { what }.event(&reply.body)?;
    let data = json::raw_field(&fields, "data")
        .ok_or_else(|| decode_fail(what, "missing field `data`"))?;
    if !data.starts_with("[") {
        return Err(fail(
            ErrorType::DecodeError,
            "the model list `data` is not an array",
        ));
    }
    Ok(Parsed {
        json: data.to_string(),
        ..Parsed::default()
    })
}

/// A model list to docs/api.md's `[{ id, ...the model's fields }]`, written as text without
/// copying the items: `id_of` gives each item's id (`None`: the item goes as it is), which is
/// set in its sorted place (replacing any `id` the item has); an item that is not an object
/// is `{ id }`.
pub fn model_list(
    list: &[Value],
    id_of: fn(&Value) -> Result<Option<&str>, Fail>,
) -> Result<Parsed, Fail> {
    let mut out = String::with_capacity(2 + list.len() * 64);
    out.push('[');
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match id_of(item)? {
            Some(id) => with_id(item.as_object(), id, &mut out),
            None => json::write_value(item, &mut out),
        }
    }
    out.push(']');
    Ok(Parsed {
        json: out,
        ..Parsed::default()
    })
}

/// `o`'s fields (none for `None`) with `id` in its sorted place, as compact JSON text.
fn with_id(o: Option<&json::Map<String, Value>>, id: &str, out: &mut String) {
    let none = json::Map::new();
    out.push('{');
    let mut id_done = false;
    let mut first = true;
    for (k, v) in o.unwrap_or(&none).iter() {
        if !id_done && k.as_str() >= "id" {
            id_done = true;
            if !first {
                out.push(',');
            }
            out.push_str("\"id\":");
            json::write_string(id, out);
            first = false;
            if k == "id" {
                continue;
            }
        }
        if !first {
            out.push(',');
        }
        first = false;
        json::write_string(k, out);
        out.push(':');
        json::write_value(v, out);
    }
    if !id_done {
        if !first {
            out.push(',');
        }
        out.push_str("\"id\":");
        json::write_string(id, out);
    }
    out.push('}');
}

/// A 200 reply with `body` and no headers, for the providers' unit tests.
#[cfg(test)]
pub(crate) fn ok_reply(body: &str) -> Reply {
    Reply {
        status: 200,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_json_is_verbatim() {
        let body = r#"{"model_id":"m","outputs":[1.5e3]}"#;
        assert_eq!(server_json(&ok_reply(body), "c").unwrap().json, body);
        assert_eq!(
            server_json(&ok_reply("oops"), "c").unwrap_err().kind,
            ErrorType::DecodeError
        );
    }

    #[test]
    fn model_lists_set_the_id_in_its_sorted_place() {
        let list = [
            crate::json::json!({"name": "x", "a": 1, "z": [1], "id": 5}),
            crate::json::json!({"b": {"c": null}}),
            crate::json::json!("s"),
            crate::json::json!({"k": 1}),
        ];
        let id = |v: &Value| match v.get("k") {
            Some(_) => Ok(None),
            None => Ok(Some("q\"")),
        };
        let p = model_list(&list, id).unwrap();
        assert_eq!(
            p.json,
            r#"[{"a":1,"id":"q\"","name":"x","z":[1]},{"b":{"c":null},"id":"q\""},{"id":"q\""},{"k":1}]"#
        );
        assert_eq!(model_list(&[], id).unwrap().json, "[]");
    }

    const F: Fields = Fields { what: "reply" };

    #[test]
    fn openai_usage_counts_absent_as_zero_and_null_as_wrong() {
        let u = |v: Value| read_openai_usage(&crate::json::json!({ "usage": v }), F);
        let got = u(crate::json::json!({"prompt_tokens": 2}))
            .unwrap()
            .unwrap();
        assert_eq!((got.prompt, got.completion, got.total), (2, 0, 2));
        let got =
            u(crate::json::json!({"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 9}));
        assert_eq!(got.unwrap().unwrap().total, 9);
        assert!(u(Value::Null).unwrap().is_none());
        for bad in [
            crate::json::json!({"prompt_tokens": null}),
            crate::json::json!({"completion_tokens": -1}),
            crate::json::json!({"total_tokens": 1.5}),
            crate::json::json!("usage"),
        ] {
            assert_eq!(u(bad).unwrap_err().kind, ErrorType::DecodeError);
        }
    }
}
