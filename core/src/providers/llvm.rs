//! The seed's self-hosted model server (docs/providers.md, the HEAD contract): model list
//! and info, single and batch inference, server status. Results are the server's own JSON.
//!
//! A batch goes out as one `batch_infer` request at once: the seed held requests back until a
//! second one arrived, so a lone request could wait forever.

use super::shared::args::{fields, model_or_default};
use super::shared::replies::server_json;
use super::shared::urls::encode_segment;
use super::{base_url, bearer_request, join_url, json_errors, Ctx, Provider, ProviderInfo, Unary};
use crate::codec::{Parsed, Parser, Reply};
use crate::error::{ApiError, ErrorType};
use crate::json::{json, put, Map, Value};
use crate::providers::ops::{BATCH_INFER, INFER, LIST_MODELS, MODEL_STATUS, STATUS};
use crate::providers::shared::replies::model_list;
use crate::providers::unary_number;
use crate::providers::{bad_arg, fail, object_of, parser, unboxed, unsupported_op, Fail};

pub struct Llvm;

pub static LLVM: Llvm = Llvm;

/// The HEAD client and wrapper both default to port 8090 (the JS port used 8000).
static INFO: ProviderInfo = ProviderInfo {
    name: "llvm",
    default_base_url: "http://localhost:8090",
    default_model: "default",
    key_env: &["LLVM_API_KEY"],
    requires_key: false,
};

impl Provider for Llvm {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed((|| -> Result<Unary, Fail> {
            let config = ctx.config;
            let (method, path, body, model, parse): (_, _, _, _, Parser) = match unary_number(op) {
                LIST_MODELS => {
                    let _ = fields(op, args, &[])?;
                    (
                        "GET",
                        "models".to_string(),
                        None,
                        None,
                        parser(parse_models),
                    )
                }
                STATUS => {
                    let _ = fields(op, args, &[])?;
                    ("GET", "status".into(), None, None, parser(server_json))
                }
                // One arm for the three calls on a model (the same checks in the same order):
                // the route under `models/{id}`, and the input a call sends, if any.
                n @ (MODEL_STATUS | INFER | BATCH_INFER) => {
                    let (route, input): (_, Option<Input>) = match n {
                        MODEL_STATUS => ("", None),
                        INFER => (
                            "/infer",
                            Some((
                                "input",
                                |v| !v.is_null(),
                                "is required: the model's input (any JSON value)",
                            )),
                        ),
                        _ => (
                            "/batch_infer",
                            Some((
                                "inputs",
                                |v| v.as_array().is_some_and(|l| !l.is_empty()),
                                "is required: a non-empty array of inputs",
                            )),
                        ),
                    };
                    let key = input.map_or("", |i| i.0);
                    let taken: &[&str] = match input {
                        Some(_) => &["model", key, "parameters"],
                        None => &["model"],
                    };
                    let a = fields(op, args, taken)?;
                    let id = model_or_default(a, config, &INFO)?;
                    let path = format!("models/{}{route}", encode_segment(&id));
                    let (method, body) = match input {
                        None => ("GET", None),
                        Some((_, ok, accepts)) => {
                            let given = a
                                .get(key)
                                .filter(|v| ok(v))
                                .ok_or_else(|| bad_arg(key, accepts))?;
                            let mut body = object_of("parameters", parameters(a)?);
                            if let Value::Object(b) = &mut body {
                                put(b, key, given.clone());
                            }
                            ("POST", Some(body))
                        }
                    };
                    (method, path, body, Some(id), parser(server_json))
                }
                _ => return Err(unsupported_op(INFO.name, op)),
            };
            let url = join_url(base_url(config, &INFO), &path);
            Ok(Unary {
                request: bearer_request(config, method, url, body.as_ref()),
                model,
                parse,
                // `{"error": "..."}` on any status >= 400: the common shape.
                errors: json_errors,
                resign: None,
            })
        })())
    }
}

/// The input a call on a model sends: its argument, the check of its value, what it must be.
type Input = (&'static str, fn(&Value) -> bool, &'static str);

/// The seed always sends `parameters` (`{}` when none were given).
fn parameters(args: &Map<String, Value>) -> Result<Value, Fail> {
    match args.get("parameters") {
        None | Some(Value::Null) => Ok(json!({})),
        Some(p @ Value::Object(_)) => Ok(p.clone()),
        Some(_) => Err(bad_arg("parameters", "must be an object")),
    }
}

/// `GET /models` to `[{ id, ... }]`. The documented body is `{"models": [ids]}`; a bare list,
/// an OpenAI-style `data` list and objects keyed `model_id` or `name` are read as well.
fn parse_models(reply: &Reply, _client_request_id: &str) -> Result<Parsed, Fail> {
    let bad = llvm_bad;
    let v: Value = crate::json::from_slice(&reply.body).map_err(|_| bad("is not JSON"))?;
    let list = match &v {
        Value::Array(l) => l,
        Value::Object(o) => o
            .get("models")
            .or_else(|| o.get("data"))
            .and_then(Value::as_array)
            .ok_or_else(|| bad("has no `models` array"))?,
        _ => return Err(bad("is not an object or array")),
    };
    model_list(list, model_id)
}

/// An entry's id: a string entry is one; an object's own string `id`, else its `model_id` or
/// `name` (an `id` of another type is kept over that: the entry goes as it is).
fn model_id(item: &Value) -> Result<Option<&str>, Fail> {
    let Value::Object(o) = item else {
        return match item {
            Value::String(id) => Ok(Some(id)),
            _ => Err(llvm_bad("has an entry that is not a string or object")),
        };
    };
    if let Some(Value::String(id)) = o.get("id") {
        return Ok(Some(id));
    }
    let id = (o.get("model_id").and_then(Value::as_str))
        .or_else(|| o.get("name").and_then(Value::as_str))
        .ok_or_else(|| llvm_bad("has an entry without an id"))?;
    Ok(if o.contains_key("id") { None } else { Some(id) })
}

fn llvm_bad(what: &str) -> Fail {
    fail(ErrorType::DecodeError, format!("the model list {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::shared::replies::ok_reply as reply;

    #[test]
    fn model_lists_in_every_shape() {
        let ids = |body: &str| -> Vec<Value> {
            let v: Value =
                crate::json::from_str(&parse_models(&reply(body), "c").unwrap().json).unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].clone())
                .collect()
        };
        assert_eq!(ids(r#"{"models":["a","b"]}"#), vec![json!("a"), json!("b")]);
        assert_eq!(ids(r#"["a"]"#), vec![json!("a")]);
        assert_eq!(
            ids(r#"{"data":[{"id":"x","object":"model"}]}"#),
            vec![json!("x")]
        );
        assert_eq!(
            ids(r#"{"models":[{"model_id":"m","status":"loaded"}]}"#),
            vec![json!("m")]
        );
        for bad in [
            "",
            "5",
            "{}",
            r#"{"models":[1]}"#,
            r#"{"models":[{"x":1}]}"#,
        ] {
            assert_eq!(
                parse_models(&reply(bad), "c").unwrap_err().kind,
                ErrorType::DecodeError,
                "{bad}"
            );
        }
    }
}
