//! JavaScript values to and from the engine's JSON values and errors.

use js_sys::{Array, Object, Reflect};
use resilient_core::{ApiError, ErrorType};
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/support.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeApiError)]
    fn make_api_error(info: JsValue, partial_text: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = apiErrorClass)]
    pub fn api_error_class() -> JsValue;
}

pub fn to_js(v: &Value) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// A JS value (no functions inside) to JSON; `undefined` becomes null.
pub fn from_js(v: &JsValue) -> Result<Value, String> {
    if v.is_undefined() {
        return Ok(Value::Null);
    }
    serde_wasm_bindgen::from_value(v.clone()).map_err(|e| e.to_string())
}

pub fn api_error(e: &ApiError) -> JsValue {
    let partial = e
        .partial_text
        .as_deref()
        .map(JsValue::from_str)
        .unwrap_or(JsValue::NULL);
    make_api_error(to_js(&e.info()), partial)
}

pub fn config_error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}

/// The call options every call accepts, split from its own arguments.
pub struct CallArgs {
    pub signal: Option<JsValue>,
    pub priority: Value,
    pub timeout: Option<f64>,
    pub endpoint_id: Option<String>,
    /// Everything else, as JSON.
    pub rest: Map<String, Value>,
}

pub fn split_call_args(args: &JsValue, what: &str) -> Result<CallArgs, ApiError> {
    let mut out = CallArgs {
        signal: None,
        priority: Value::Null,
        timeout: None,
        endpoint_id: None,
        rest: Map::new(),
    };
    if args.is_undefined() || args.is_null() {
        return Ok(out);
    }
    if !args.is_object() || Array::is_array(args) {
        return Err(bad(what, "must be an object"));
    }
    let entries = Object::entries(args.unchecked_ref());
    for entry in entries.iter() {
        let key = Reflect::get_u32(&entry, 0)
            .ok()
            .and_then(|k| k.as_string())
            .unwrap_or_default();
        let value = Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() {
            continue;
        }
        match key.as_str() {
            "signal" => {
                let is_signal = Reflect::has(&value, &"aborted".into()).unwrap_or(false)
                    && Reflect::has(&value, &"addEventListener".into()).unwrap_or(false);
                if !is_signal {
                    return Err(bad("signal", "must be an AbortSignal"));
                }
                out.signal = Some(value);
            }
            "priority" => {
                out.priority = from_js(&value)
                    .map_err(|_| bad("priority", "must be 'high', 'normal', 'low', 0, 1 or 2"))?
            }
            "timeout" => match value.as_f64() {
                Some(t) if t > 0.0 && t.is_finite() => out.timeout = Some(t),
                _ => return Err(bad("timeout", "must be a number of seconds > 0")),
            },
            "endpointId" | "endpoint_id" => match value.as_string() {
                Some(s) => out.endpoint_id = Some(s),
                None => return Err(bad("endpointId", "must be a string")),
            },
            _ => {
                let v = from_js(&value)
                    .map_err(|e| bad(&key, &format!("must be JSON-like data ({e})")))?;
                out.rest.insert(key, v);
            }
        }
    }
    Ok(out)
}

fn bad(field: &str, accepts: &str) -> ApiError {
    ApiError::new(
        ErrorType::InvalidRequest,
        format!("argument `{field}` {accepts}"),
    )
}
