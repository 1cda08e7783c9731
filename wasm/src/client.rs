//! What every provider class shares: the engine, call plumbing and the observing members.

use crate::convert::{
    api_error, config_error, from_js, parse_json_text, split_call_args, to_js, CallArgs,
};
use crate::host::{FetchTransport, JsClock, JsEntropy};
use crate::signals::Watch;
use crate::stream::ChatStream;
use js_sys::{Function, Object, Promise, Reflect};
use resilient_core::config::{valid_header, Config, Priority};
use resilient_core::host::HttpRequest;
use resilient_core::pipeline::{Call, CancelToken, Engine, Host, Parsed, Parser, Reply};
use resilient_core::providers::{self, info, join_url, json_request, openai};
use resilient_core::{ApiError, ErrorType};
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

const EVENTS: [&str; 6] = ["request", "retry", "success", "failure", "circuit", "queue"];

#[derive(Default)]
struct Listeners {
    next: u32,
    list: Vec<(u32, &'static str, Function)>,
}

pub struct ClientCore {
    engine: Engine,
    listeners: Rc<RefCell<Listeners>>,
}

/// `globalThis.process.env[name]`, present in Node only.
fn env_var(name: &str) -> Option<String> {
    let process = Reflect::get(&js_sys::global(), &"process".into()).ok()?;
    let env = Reflect::get(&process, &"env".into()).ok()?;
    if !env.is_object() {
        return None;
    }
    Reflect::get(&env, &name.into())
        .ok()?
        .as_string()
        .filter(|s| !s.is_empty())
}

impl ClientCore {
    pub fn new(provider: &'static str, options: &JsValue) -> Result<ClientCore, JsValue> {
        let mut fetch = None;
        let mut json = serde_json::Map::new();
        if !(options.is_undefined() || options.is_null()) {
            if !options.is_object() {
                return Err(config_error("options must be an object"));
            }
            for entry in Object::entries(options.unchecked_ref()).iter() {
                let key = Reflect::get_u32(&entry, 0)
                    .ok()
                    .and_then(|k| k.as_string())
                    .unwrap_or_default();
                let value = Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
                if key == "fetch" {
                    if value.is_undefined() || value.is_null() {
                        continue;
                    }
                    fetch = Some(value.dyn_into::<Function>().map_err(|_| {
                        config_error("option `fetch` accepts a fetch-compatible function")
                    })?);
                    continue;
                }
                let v = from_js(&value).map_err(|_| {
                    config_error(&format!(
                        "option `{key}` accepts plain data (strings, numbers, objects)"
                    ))
                })?;
                json.insert(key, v);
            }
        }
        let mut config =
            Config::from_options(provider, &Value::Object(json)).map_err(|e| config_error(&e))?;
        let pinfo = info(provider)
            .ok_or_else(|| config_error(&format!("provider `{provider}` is not available")))?;
        if config.api_key.is_none() {
            config.api_key = pinfo
                .key_env
                .iter()
                .find_map(|n| env_var(n))
                .map(resilient_core::secret::Secret::new);
        }
        let host = Host {
            transport: Rc::new(FetchTransport { fetch }),
            clock: Rc::new(JsClock),
            entropy: Rc::new(JsEntropy),
        };
        let engine = Engine::new(pinfo.name, config, host);
        let listeners: Rc<RefCell<Listeners>> = Rc::default();
        Ok(ClientCore { engine, listeners })
    }

    /// The engine builds event objects only while someone listens.
    fn sync_listener(engine: &Engine, listeners: &Rc<RefCell<Listeners>>) {
        if listeners.borrow().list.is_empty() {
            engine.set_listener(None);
            return;
        }
        let l = listeners.clone();
        engine.set_listener(Some(Rc::new(move |event: &'static str, v: Value| {
            let targets: Vec<Function> = l
                .borrow()
                .list
                .iter()
                .filter(|(_, e, _)| *e == event)
                .map(|(_, _, f)| f.clone())
                .collect();
            if targets.is_empty() {
                return;
            }
            let obj = to_js(&v);
            for f in targets {
                // A throwing listener must not break the call that emitted the event.
                let _ = f.call1(&JsValue::UNDEFINED, &obj);
            }
        })));
    }

    fn missing_key(&self) -> Option<ApiError> {
        let p = info(self.engine.provider())?;
        if p.requires_key && self.engine.config().api_key.is_none() {
            return Some(ApiError::new(
                ErrorType::AuthenticationError,
                format!(
                    "no API key: pass `apiKey` or set {} (no request was sent)",
                    p.key_env.join(" or ")
                ),
            ));
        }
        None
    }

    /// Everything a call needs before it enters the engine: the request, its model, priority
    /// and cancel token (linked to the caller's signal). A failure here still counts in stats.
    fn prepare(&self, args: CallArgs, built: Built) -> Result<Prepared, ApiError> {
        let engine = &self.engine;
        let (request, model) = built.map_err(|e| engine.fail_early(e, None))?;
        let fail = |e: ApiError| engine.fail_early(e, model.as_deref());
        if let Some(e) = self.missing_key() {
            return Err(fail(e));
        }
        let priority = Priority::parse(&args.priority)
            .map_err(|m| fail(ApiError::new(ErrorType::InvalidRequest, m)))?;
        if args.endpoint_id.is_some() {
            return Err(fail(ApiError::new(
                ErrorType::InvalidRequest,
                "argument `endpointId` names no configured endpoint (this client has none)",
            )));
        }
        let cancel = CancelToken::new();
        let watch = args.signal.as_ref().map(|s| Watch::new(s, &cancel));
        Ok(Prepared {
            request,
            model,
            priority,
            timeout: args.timeout,
            cancel,
            watch,
        })
    }

    /// Runs a unary call and returns the settling promise.
    fn run(&self, args: CallArgs, built: Built, parse: Parser) -> Promise {
        let engine = self.engine.clone();
        let prepared = self.prepare(args, built);
        future_to_promise(async move {
            let p = prepared.map_err(|e| api_error(&e))?;
            let _watch = p.watch;
            let call = Call {
                request: p.request,
                model: p.model,
                priority: p.priority,
                timeout: p.timeout,
                cancel: Some(p.cancel),
                parse,
            };
            match engine.execute(call).await {
                Ok(json) => Ok(parse_json_text(&json)),
                Err(e) => Err(api_error(&e)),
            }
        })
    }

    /// Splits the call options off `req` and builds the provider request from the rest.
    fn build(
        &self,
        req: &JsValue,
        what: &str,
        build: impl FnOnce(&Config, &Value) -> Result<(HttpRequest, String), ApiError>,
    ) -> (CallArgs, Built) {
        match split_call_args(req, what) {
            Ok(mut args) => {
                let rest = Value::Object(std::mem::take(&mut args.rest));
                let built = build(self.engine.config(), &rest).map(|(r, m)| (r, Some(m)));
                (args, built)
            }
            Err(e) => (empty_args(), Err(e)),
        }
    }

    fn unsupported(&self, op: &str) -> ApiError {
        ApiError::new(
            ErrorType::InvalidRequest,
            format!("{op} is not available for {}", self.engine.provider()),
        )
    }

    pub fn chat(&self, req: &JsValue) -> Promise {
        let (args, built) = self.build(req, "chat(request)", |c, v| match c_provider(self) {
            "openai" => openai::chat_request(c, v),
            _ => Err(self.unsupported("chat")),
        });
        self.run(args, built, Box::new(openai::parse_chat))
    }

    pub fn embed(&self, req: &JsValue) -> Promise {
        let (args, built) = self.build(req, "embed(request)", |c, v| match c_provider(self) {
            "openai" => openai::embed_request(c, v),
            _ => Err(self.unsupported("embed")),
        });
        self.run(args, built, Box::new(openai::parse_embed))
    }

    pub fn list_models(&self, options: &JsValue) -> Promise {
        let (args, built) = self.build(options, "listModels(options)", |c, _| {
            match c_provider(self) {
                "openai" => Ok((openai::models_request(c), String::new())),
                _ => Err(self.unsupported("listModels")),
            }
        });
        let built = built.map(|(r, _)| (r, None));
        self.run(args, built, Box::new(openai::parse_models))
    }

    pub fn chat_stream(&self, req: &JsValue) -> ChatStream {
        let (args, built) = self.build(req, "chatStream(request)", |c, v| match c_provider(self) {
            "openai" => openai::chat_stream_request(c, v),
            _ => Err(self.unsupported("chatStream")),
        });
        let prepared = self.prepare(args, built);
        ChatStream::new(self.engine.clone(), prepared, || {
            Box::new(openai::ChatStreamCodec::new())
        })
    }

    pub fn make_request(
        &self,
        endpoint_url: &JsValue,
        data: &JsValue,
        options: &JsValue,
    ) -> Promise {
        let config = self.engine.config();
        let provider = self.engine.provider();
        let built = split_call_args(options, "makeRequest(options)").and_then(|mut args| {
            let endpoint_url = endpoint_url.as_string().filter(|u| !u.is_empty()).ok_or_else(|| {
                providers::bad_argument("endpointUrl", "must be a URL string, absolute or relative to baseUrl")
            })?;
            let method = match args.rest.remove("method") {
                None | Some(Value::Null) => None,
                Some(Value::String(m)) => Some(m.to_ascii_uppercase()),
                Some(_) => return Err(providers::bad_argument("method", "must be a string such as 'GET' or 'POST'")),
            };
            let extra: Vec<(String, String)> = match args.rest.remove("headers") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Object(h)) => h
                    .into_iter()
                    .map(|(k, v)| match v {
                        Value::String(s) if valid_header(&k, &s) => Ok((k, s)),
                        _ => Err(providers::bad_argument(&format!("headers.{k}"), "must be a valid header name with a string value without control characters")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(providers::bad_argument("headers", "must be an object of strings")),
            };
            if let Some(k) = args.rest.keys().next() {
                return Err(providers::bad_argument(k, "is not a makeRequest option (method, headers, signal, priority, timeout, endpointId)"));
            }
            let body = from_js(data).map_err(|e| providers::bad_argument("data", &format!("must be JSON-like data ({e})")))?;
            let body = (!body.is_null()).then_some(body);
            let method = method.unwrap_or_else(|| if body.is_some() { "POST".into() } else { "GET".into() });
            let base = providers::base_url(config, info(provider).ok_or_else(|| providers::bad_argument("provider", "is unknown"))?);
            let url = join_url(base, &endpoint_url);
            let model = body.as_ref().and_then(|b| b.get("model")).and_then(Value::as_str).map(str::to_string);
            let req = json_request(config, openai::auth_headers(config), &method, url, body.as_ref(), &extra);
            Ok((args, (req, model)))
        });
        let (args, built) = match built {
            Ok((args, b)) => (args, Ok(b)),
            Err(e) => (empty_args(), Err(e)),
        };
        self.run(args, built, Box::new(parse_any))
    }

    // ---- observing ----

    pub fn get_stats(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        if let Ok(Value::Object(m)) = from_js(options) {
            if let Some(id) = m.get("endpointId").or_else(|| m.get("endpoint_id")) {
                return Err(config_error(&format!(
                    "getStats: no endpoint {id} (this client has none)"
                )));
            }
        }
        Ok(to_js(&self.engine.stats()))
    }
    pub fn reset_stats(&self) {
        self.engine.reset_stats();
    }
    pub fn check_circuit_breaker(&self) -> bool {
        self.engine.check_circuit_breaker()
    }
    pub fn track_request_result(
        &self,
        success: bool,
        error_type: Option<String>,
    ) -> Result<(), JsValue> {
        let t = match error_type.as_deref() {
            None => None,
            Some(s) => Some(ErrorType::parse(s).ok_or_else(|| {
                config_error(&format!("trackRequestResult: unknown error type '{s}'; accepted types are those of ApiError.type"))
            })?),
        };
        self.engine.track_request_result(success, t);
        Ok(())
    }
    pub fn generate_report(&self, options: &JsValue) -> JsValue {
        let details = from_js(options)
            .ok()
            .and_then(|o| {
                o.get("includeDetails")
                    .or_else(|| o.get("include_details"))
                    .and_then(Value::as_bool)
            })
            .unwrap_or(false);
        to_js(&self.engine.report(details))
    }
    pub fn circuit_state(&self) -> String {
        self.engine.circuit_state().as_str().to_string()
    }
    pub fn queue_length(&self) -> u32 {
        self.engine.queue_length() as u32
    }
    pub fn active_requests(&self) -> u32 {
        self.engine.active_requests() as u32
    }
    pub fn queue_processing(&self) -> bool {
        self.engine.queue_length() > 0 || self.engine.active_requests() > 0
    }
    pub fn on(&self, event: &str, listener: Function) -> Result<JsValue, JsValue> {
        let name = EVENTS.iter().find(|e| **e == event).ok_or_else(|| {
            config_error(&format!(
                "on: unknown event '{event}'; events are {}",
                EVENTS.join(", ")
            ))
        })?;
        let id = {
            let mut l = self.listeners.borrow_mut();
            l.next += 1;
            let id = l.next;
            l.list.push((id, name, listener));
            id
        };
        Self::sync_listener(&self.engine, &self.listeners);
        let listeners = self.listeners.clone();
        let engine = self.engine.clone();
        let off = Closure::<dyn FnMut()>::new(move || {
            listeners.borrow_mut().list.retain(|(i, _, _)| *i != id);
            Self::sync_listener(&engine, &listeners);
        });
        Ok(off.into_js_value())
    }
    pub fn endpoints(&self) -> JsValue {
        js_sys::Array::new().into()
    }
}

fn c_provider(core: &ClientCore) -> &'static str {
    core.engine.provider()
}

type Built = Result<(HttpRequest, Option<String>), ApiError>;

/// A call ready for the engine.
pub(crate) struct Prepared {
    pub request: HttpRequest,
    pub model: Option<String>,
    pub priority: Priority,
    pub timeout: Option<f64>,
    pub cancel: CancelToken,
    pub watch: Option<Watch>,
}

fn empty_args() -> CallArgs {
    CallArgs {
        signal: None,
        priority: Value::Null,
        timeout: None,
        endpoint_id: None,
        rest: serde_json::Map::new(),
    }
}

/// makeRequest's parser: the body when it is JSON, else the text as a JSON string.
fn parse_any(reply: &Reply, _client_id: &str) -> Result<Parsed, ApiError> {
    let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(&reply.body).is_ok();
    let json = match std::str::from_utf8(&reply.body) {
        Ok(text) if is_json => text.to_string(),
        _ => Value::from(String::from_utf8_lossy(&reply.body)).to_string(),
    };
    Ok(Parsed {
        json,
        usage: openai::usage_of(&reply.body),
    })
}
