//! JavaScript values to and from the engine's JSON values and errors.

use js_sys::{Array, Uint8Array, JSON};
use resilient_core::json::{Map, Value};
use resilient_core::time::Secs;
use resilient_core::{ApiError, ErrorType};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/support.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeApiError)]
    fn make_api_error(info: JsValue, partial_text: JsValue) -> JsValue;
    /// A client's options: `[fetch, name, JSON text, ...]` (`fetch` undefined when not given),
    /// then, after the entries before it, the Error of the first option it cannot take.
    #[wasm_bindgen(js_name = optionEntries)]
    pub fn option_entries(options: &JsValue) -> Array;
    #[wasm_bindgen(js_name = makeStreamError)]
    fn make_stream_error(info: JsValue, holder: &JsValue) -> JsValue;
    /// `new Error(a + b + c + d)`: a message with names in it is joined in JS, not by `format!`
    /// here (each `format!` costs its call site's arguments code).
    #[wasm_bindgen(js_name = configError)]
    pub fn config_error_of(a: &str, b: &str, c: &str, d: &str) -> JsValue;
    #[wasm_bindgen(js_name = apiErrorClass)]
    pub fn api_error_class() -> JsValue;
    /// A call's arguments in one crossing: none without arguments; else only the byte of their
    /// refusal (`b'o'`, `b's'`, `b'j'`; [`split_call`]), or their JSON text without the root
    /// `signal` (a queued call keeps this text), after a `!` when their signal is aborted.
    /// Every check and its catch is in JS.
    #[wasm_bindgen(js_name = argRead)]
    fn arg_read(args: &JsValue) -> Option<String>;
    /// The signal the last `argRead` found (kept for this one read, as `takeHead` keeps a head).
    #[wasm_bindgen(js_name = takeSignal)]
    fn take_signal() -> Option<JsValue>;
    /// `args.body` as a Uint8Array (an ArrayBuffer's view), else none (not an object, absent,
    /// not bytes, or reading it throws): one crossing, where `Reflect::get(args, &"body".into())`
    /// would also decode a new JS string per call (and `is_object` was a crossing of its own).
    #[wasm_bindgen(js_name = argBytes)]
    pub fn arg_bytes(args: &JsValue) -> Option<Uint8Array>;
    /// A unary call's result: `json` parsed (null if it is not JSON) with `body` set on it when
    /// defined, and its `contentLength` when the body stayed in JS (`kept`).
    #[wasm_bindgen(js_name = replyOf)]
    pub fn reply_of(json: &str, body: &JsValue, kept: bool) -> JsValue;
    /// A shallow copy of the arguments without `body`.
    #[wasm_bindgen(js_name = withoutBody)]
    pub fn without_body(args: &JsValue) -> JsValue;
}

/// JSON text crosses the boundary once and `JSON.parse` builds the object: far cheaper than
/// setting each property from wasm.
pub fn to_js(v: &Value) -> JsValue {
    parse_json_text(&v.to_json())
}

/// JSON text (the engine's results) to a JS value.
pub fn parse_json_text(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::NULL)
}

/// A JS value to JSON through `JSON.stringify` (functions and `undefined` drop out, as there);
/// `undefined` itself becomes null.
pub fn from_js(v: &JsValue) -> Result<Value, String> {
    if v.is_undefined() {
        return Ok(Value::Null);
    }
    let text = JSON::stringify(v)
        .map_err(|_| "not JSON-serialisable (a cycle or a BigInt)".to_string())?
        .as_string()
        .ok_or_else(|| "not JSON data (a function or a symbol)".to_string())?;
    resilient_core::json::from_slice(text.as_bytes()).map_err(|e| e.to_string())
}

pub fn api_error(e: &ApiError) -> JsValue {
    let partial = e
        .partial_text
        .as_deref()
        .map(JsValue::from_str)
        .unwrap_or(JsValue::NULL);
    make_api_error(to_js(&e.info()), partial)
}

/// An error of a stream whose text the host kept: `partialText` is the holder's text.
pub fn api_error_with_text(e: &ApiError, holder: &JsValue) -> JsValue {
    make_stream_error(to_js(&e.info()), holder)
}

pub fn config_error(message: &str) -> JsValue {
    config_error_of(message, "", "", "")
}

/// The call options every call accepts, split from its own arguments.
#[derive(Default)]
pub struct CallArgs {
    pub signal: Option<JsValue>,
    /// The signal was aborted when the arguments were read.
    pub aborted: bool,
    pub priority: Value,
    pub timeout: Option<Secs>,
    pub deadline: Option<Secs>,
    pub max_retries: Option<u32>,
    pub endpoint_id: Option<String>,
    /// Everything else, as JSON.
    pub rest: Map<String, Value>,
}

pub fn split_call_args(args: &JsValue, what: &str) -> Result<CallArgs, ApiError> {
    split_call(args, what, "").map(|(args, _)| args)
}

/// `op(request)`, how argument errors name a call.
pub fn call_name(op: &str) -> String {
    joined(op, "(request)")
}

/// `a` then `b`. Pushed, not `format!`: the formatter was 3 % of a queued call's cost.
fn joined(a: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    s
}

/// [`split_call_args`] and the arguments' JSON text it read (a snapshot), as UTF-8 bytes
/// (`None` without arguments). Errors name the call `what` then `suffix`, joined only for an
/// error (an accepted call makes no name).
pub fn split_call(
    args: &JsValue,
    what: &str,
    suffix: &str,
) -> Result<(CallArgs, Option<Vec<u8>>), ApiError> {
    // One crossing: JSON.stringify's text comes back as UTF-8, or the checks' refusal as one
    // byte (each `is_object()`, `&"name".into()`, ... was a crossing of its own); its signal
    // takes a second, at once (no JS runs between), as a head does through `takeHead`.
    let Some(text) = arg_read(args) else {
        return Ok((CallArgs::default(), None));
    };
    let text = text.into_bytes();
    if let [code] = text[..] {
        return Err(match code {
            b's' => bad("signal", "must be an AbortSignal"),
            b'j' => bad(
                &joined(what, suffix),
                "must be JSON-serialisable data (no cycles or BigInt)",
            ),
            _ => bad(&joined(what, suffix), "must be an object"),
        });
    }
    // An aborted signal's text (after its `!`) is never kept: such a call is no record.
    let aborted = text.first() == Some(&b'!');
    let mut split = split_bytes(&text[usize::from(aborted)..], take_signal(), what, suffix)?;
    split.aborted = aborted;
    Ok((split, Some(text)))
}

/// [`split_call_args`] from the UTF-8 text `argRead` wrote.
pub fn split_bytes(
    text: &[u8],
    signal: Option<JsValue>,
    what: &str,
    suffix: &str,
) -> Result<CallArgs, ApiError> {
    let mut out = CallArgs {
        signal,
        ..CallArgs::default()
    };
    let Ok(Value::Object(mut rest)) = resilient_core::json::from_slice::<Value>(text) else {
        return Err(bad(&joined(what, suffix), "must be an object"));
    };
    rest.remove("signal");
    out.priority = rest.remove("priority").unwrap_or(Value::Null);
    out.timeout = seconds(&mut rest, "timeout")?;
    out.deadline = seconds(&mut rest, "deadline")?;
    // Over slices, not arrays by value: an array's `IntoIter` is a function of its own.
    for &key in &["maxRetries", "max_retries"] {
        match rest.remove(key).map(|v| v.as_u64()) {
            None => {}
            Some(Some(n)) => out.max_retries = Some(u32::try_from(n).unwrap_or(u32::MAX)),
            Some(None) => return Err(bad("maxRetries", "must be an integer >= 0")),
        }
    }
    for &key in &["endpointId", "endpoint_id"] {
        if let Some(id) = rest.remove(key) {
            match id {
                Value::String(s) => out.endpoint_id = Some(s),
                _ => return Err(bad("endpointId", "must be a string")),
            }
        }
    }
    out.rest = rest;
    Ok(out)
}

/// A call option in seconds, taken out of the arguments: absent, or a number > 0.
fn seconds(rest: &mut Map<String, Value>, field: &str) -> Result<Option<Secs>, ApiError> {
    match rest.remove(field).map(|v| v.as_f64()) {
        None => Ok(None),
        Some(Some(t)) if t > 0.0 && t.is_finite() => Ok(Some(Secs::new(t))),
        Some(_) => Err(bad(field, "must be a number of seconds > 0")),
    }
}

fn bad(field: &str, accepts: &str) -> ApiError {
    ApiError::new(
        ErrorType::InvalidRequest,
        format!("argument `{field}` {accepts}"),
    )
}
