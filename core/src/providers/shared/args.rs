//! Checks of call arguments that several providers make the same way.

use crate::config::Config;
use crate::json::{json, Map, Value};
use crate::providers::ProviderInfo;
use crate::providers::{bad_arg, Fail};

/// The argument object of a call (`what` names it, `needs` says what it must hold).
pub fn object<'a>(
    args: &'a Value,
    what: &str,
    needs: &str,
) -> Result<&'a Map<String, Value>, Fail> {
    args.as_object()
        .ok_or_else(|| bad_arg(what, &format!("must be an object with {needs}")))
}

/// A chat call's `messages` array.
pub fn messages(args: &Map<String, Value>) -> Result<&Vec<Value>, Fail> {
    args.get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_arg("messages", "is required: an array of { role, content }"))
}

/// The error for part `part` (`role`, `content`) of `messages[i]`: one out-of-line site for
/// the codecs' message checks, rather than a `format!` in each.
#[inline(never)]
pub fn bad_message(i: usize, part: &str, accepts: &str) -> Fail {
    bad_arg(&format!("messages[{i}].{part}"), accepts)
}

/// The error for a system text: `messages[i].content` (`Some(i)`) or the `system` argument.
pub fn bad_content(at: Option<usize>, accepts: &str) -> Fail {
    match at {
        Some(i) => bad_message(i, "content", accepts),
        None => bad_arg("system", accepts),
    }
}

/// A chat call's argument object and its `messages` array.
pub fn chat_args(args: &Value) -> Result<(&Map<String, Value>, &Vec<Value>), Fail> {
    let args = object(args, "chat(request)", "`messages`")?;
    Ok((args, messages(args)?))
}

/// A chat call's `messages` array, which must not be empty.
pub fn non_empty_messages(args: &Map<String, Value>) -> Result<&Vec<Value>, Fail> {
    let given = messages(args)?;
    if given.is_empty() {
        return Err(bad_arg("messages", "must not be empty"));
    }
    Ok(given)
}

/// A non-empty array of strings.
pub fn is_strings(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
}

/// `input` of an embedding call: a string or a non-empty array of strings.
pub fn text_input(input: Option<&Value>) -> Result<&Value, Fail> {
    input
        .filter(|i| i.is_string() || is_strings(i))
        .ok_or_else(|| {
            bad_arg(
                "input",
                "is required: a string or a non-empty array of strings",
            )
        })
}

/// The argument object of `op`, refusing keys it does not take (a typo such as `inputs` for
/// `input` should not be dropped silently). A missing object means no arguments.
pub fn fields<'a>(
    op: &str,
    args: &'a Value,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, Fail> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let map = match args {
        Value::Object(m) => m,
        Value::Null => EMPTY.get_or_init(Map::new),
        _ => return Err(bad_arg(&format!("{op}(request)"), "must be an object")),
    };
    if let Some((k, _)) = map.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        let accepts = if allowed.is_empty() {
            format!("is not an argument of {op} (it takes none)")
        } else {
            format!(
                "is not an argument of {op} (it takes {})",
                crate::text::join(allowed, ", ")
            )
        };
        return Err(bad_arg(k, &accepts));
    }
    Ok(map)
}

/// The call's `model` (a non-empty string), else `default` (not generic: one copy).
pub fn model_arg(args: &Map<String, Value>, default: &str) -> Result<String, Fail> {
    match args.get("model") {
        Some(Value::String(m)) if !m.is_empty() => Ok(m.clone()),
        Some(_) => Err(bad_arg("model", "must be a non-empty string")),
        None => Ok(default.to_string()),
    }
}

/// The call's `model`, else the client's `model` option, else the provider's default.
pub fn model_or_default(
    args: &Map<String, Value>,
    config: &Config,
    info: &ProviderInfo,
) -> Result<String, Fail> {
    model_arg(args, config.model.as_deref().unwrap_or(info.default_model))
}

/// Stop sequences as an array of strings (a lone string is wrapped).
pub fn stop_list(field: &str, v: &Value) -> Result<Value, Fail> {
    match v {
        Value::String(s) => Ok(json!([s])),
        Value::Array(a) if a.iter().all(Value::is_string) => Ok(v.clone()),
        _ => Err(bad_arg(field, "must be a string or an array of strings")),
    }
}

/// A whole number above zero.
pub fn positive_integer(field: &str, v: &Value) -> Result<Value, Fail> {
    match v.as_u64() {
        Some(n) if n > 0 => Ok(json!(n)),
        _ => Err(bad_arg(field, "must be a positive integer")),
    }
}

/// A number, as given.
pub fn number(field: &str, v: &Value) -> Result<Value, Fail> {
    if v.is_number() {
        Ok(v.clone())
    } else {
        Err(bad_arg(field, "must be a number"))
    }
}

/// Where [`put_args`] sends an argument.
#[derive(Clone, Copy, PartialEq)]
pub enum Dest {
    /// Nowhere: the builder reads it itself (`messages`, `model`, ...).
    Skip,
    /// The request body.
    Body,
    /// The body under the OpenAI-family member's max-tokens key (see [`put_args`]).
    BodyMax,
    /// The nested section of provider parameters (`generationConfig`, `options`,
    /// `parameters`).
    Section,
}

/// What [`put_args`] checks an argument's value for (each error names the argument).
#[derive(Clone, Copy)]
pub enum Check {
    Any,
    Number,
    /// A whole number above zero ([`positive_integer`]).
    Positive,
    /// A whole number of either sign ([`integer`]).
    Integer,
    /// A string or an array of strings, sent as an array ([`stop_list`]).
    Stop,
}

/// One known argument: its name in the call, where it goes, under which key, checked how.
pub struct Arg(pub &'static str, pub Dest, pub &'static str, pub Check);

/// An operation's arguments as data: the known ones, then names sent as given to `listed_into`,
/// then what becomes of any other (`None`: sent to the body as given; `Some(accepts)`: refused,
/// `accepts` saying what is taken).
pub struct Args {
    pub known: &'static [Arg],
    pub listed: &'static [&'static str],
    pub listed_into: Dest,
    pub other: Option<&'static str>,
}

/// Sends each call argument where `spec` says, checked, in the order of `args` (the first bad
/// one is the error). `max_key` is the key of [`Dest::BodyMax`].
pub fn put_args(
    args: &Map<String, Value>,
    spec: &Args,
    max_key: &str,
    body: &mut Map<String, Value>,
    section: &mut Map<String, Value>,
) -> Result<(), Fail> {
    for (k, v) in args {
        let (into, key, check) = match spec.known.iter().find(|a| a.0 == k) {
            Some(Arg(_, into, key, check)) => (*into, *key, *check),
            None if spec.listed.contains(&k.as_str()) => (spec.listed_into, k.as_str(), Check::Any),
            None => match spec.other {
                None => (Dest::Body, k.as_str(), Check::Any),
                Some(accepts) => return Err(bad_arg(k, accepts)),
            },
        };
        if into == Dest::Skip {
            continue;
        }
        let value = match check {
            Check::Any => v.clone(),
            Check::Number => number(k, v)?,
            Check::Positive => positive_integer(k, v)?,
            Check::Integer => integer(k, v)?,
            Check::Stop => stop_list(k, v)?,
        };
        let (map, key) = match into {
            Dest::Skip | Dest::Body => (&mut *body, key),
            Dest::BodyMax => (&mut *body, max_key),
            Dest::Section => (&mut *section, key),
        };
        crate::json::put(map, key, value);
    }
    Ok(())
}

/// Embedding arguments besides `input` and `model`, sent as given.
pub static EMBED_ARGS: Args = Args {
    known: &[
        Arg("input", Dest::Skip, "", Check::Any),
        Arg("model", Dest::Skip, "", Check::Any),
    ],
    listed: &[],
    listed_into: Dest::Body,
    other: None,
};

/// A whole number, of either sign.
pub fn integer(field: &str, v: &Value) -> Result<Value, Fail> {
    match v.as_i64() {
        Some(n) => Ok(json!(n)),
        None => Err(bad_arg(field, "must be an integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPEC: Args = Args {
        known: &[
            Arg("messages", Dest::Skip, "", Check::Any),
            Arg("maxTokens", Dest::BodyMax, "", Check::Positive),
            Arg("topP", Dest::Section, "top_p", Check::Number),
            Arg("seed", Dest::Section, "seed", Check::Integer),
            Arg("stop", Dest::Section, "stop", Check::Stop),
        ],
        listed: &["grammar"],
        listed_into: Dest::Section,
        other: None,
    };

    fn put(spec: &Args, args: Value) -> Result<(Value, Value), Fail> {
        let (mut body, mut section) = (Map::new(), Map::new());
        let args = args.as_object().cloned().unwrap_or_default();
        put_args(&args, spec, "max_tokens", &mut body, &mut section)?;
        Ok((Value::Object(body), Value::Object(section)))
    }

    #[test]
    fn arguments_go_where_the_table_says() {
        let (body, section) = put(
            &SPEC,
            json!({"messages": [1], "maxTokens": 5, "topP": 0.5, "seed": -3, "stop": "x",
                   "grammar": {"g": 1}, "tools": []}),
        )
        .unwrap();
        assert_eq!(body, json!({"max_tokens": 5, "tools": []}));
        assert_eq!(
            section,
            json!({"top_p": 0.5, "seed": -3, "stop": ["x"], "grammar": {"g": 1}})
        );
    }

    #[test]
    fn the_first_bad_argument_in_order_is_the_error() {
        let e = put(&SPEC, json!({"topP": "a", "maxTokens": 0})).unwrap_err();
        assert_eq!(e.message, "argument `maxTokens` must be a positive integer");
        let e = put(&SPEC, json!({"topP": "a", "seed": 1.5})).unwrap_err();
        assert_eq!(e.message, "argument `seed` must be an integer");
        let e = put(&SPEC, json!({"topP": "a"})).unwrap_err();
        assert_eq!(e.message, "argument `topP` must be a number");
        let e = put(&SPEC, json!({"stop": [1]})).unwrap_err();
        assert_eq!(
            e.message,
            "argument `stop` must be a string or an array of strings"
        );
        let strict = Args {
            other: Some("is not taken here"),
            ..SPEC
        };
        let e = put(&strict, json!({"grammar": 1, "bogus": 1})).unwrap_err();
        assert_eq!(e.message, "argument `bogus` is not taken here");
        assert!(put(&strict, json!({"grammar": 1, "messages": 2})).is_ok());
    }

    #[test]
    fn stop_shapes() {
        assert_eq!(stop_list("stop", &json!("x")).unwrap(), json!(["x"]));
        assert_eq!(
            stop_list("stop", &json!(["a", "b"])).unwrap(),
            json!(["a", "b"])
        );
        assert!(stop_list("stop", &json!([1])).is_err());
    }
}
