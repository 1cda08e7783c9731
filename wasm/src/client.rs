//! What every provider class shares: the engine, the provider's codec, call plumbing and the
//! observing members. Operations dispatch by name through `resilient_core::providers::Provider`.

use crate::convert::{
    api_error, call_name, config_error, config_error_of, from_js, split_call_args, to_js, CallArgs,
};
use crate::host::{future_to_promise, CallBodies, FetchTransport, JsClock, JsEntropy, WithBodies};
use crate::signals::Watch;
use crate::stream::ChatStream;
use crate::{op_name, UNARY};
use js_sys::{Array, Function, Promise, Uint8Array};
use resilient_core::codec::Resigner;
use resilient_core::config::{valid_header, Config};
use resilient_core::host::{Clock, HttpRequest};
use resilient_core::json::Value;
use resilient_core::pipeline::{Call, CancelToken, Engine, Host, Read, Route, Start};
use resilient_core::providers::{self, Ctx, ErrorReader, Provider, Unary};
use resilient_core::queue::Priority;
use resilient_core::secret::Secret;
use resilient_core::store::{Entry, Piece};
use resilient_core::{ApiError, ErrorType};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

const EVENTS: [&str; 8] = [
    "request", "retry", "success", "failure", "circuit", "queue", "paced", "budget",
];

#[derive(Default)]
struct Listeners {
    next: u32,
    list: Vec<(u32, &'static str, Function)>,
}

pub struct ClientCore {
    pub(crate) engine: Engine,
    pub(crate) provider: &'static dyn Provider,
    listeners: Rc<RefCell<Listeners>>,
    browser: bool,
    /// With `endpoints`, the config each endpoint's requests are built with (its key, its URL).
    pub(crate) endpoint_configs: Vec<Config>,
    /// Calls waiting as records (queued.rs): their book in js/support.js, how many wait, and
    /// the client's own reference, held while any does.
    pub(crate) book: RefCell<JsValue>,
    pub(crate) waiting_records: Cell<u64>,
    pub(crate) this: RefCell<std::rc::Weak<ClientCore>>,
    pub(crate) keep: RefCell<Option<Rc<ClientCore>>>,
}

/// A request whose body the caller reads as it arrives.
fn streamed(mut r: HttpRequest) -> HttpRequest {
    r.stream = true;
    r
}

fn streamed_resigner(sign: Resigner) -> Resigner {
    Rc::new(move |now| streamed(sign(now)))
}

/// Whether `op`'s binary body of `len` bytes stays in JS (host.rs `CallBodies`): S3 parts
/// always, and objects too large to be hashed for their signature.
fn holds(op: &str, len: u32) -> bool {
    op == "uploadPart"
        || (op == "putObject"
            && len as usize > resilient_core::providers::s3_kit::SIGNED_PAYLOAD_MAX)
}

#[wasm_bindgen(module = "/js/support.js")]
extern "C" {
    /// Whether this is Node (`process.versions.node` is a string).
    #[wasm_bindgen(js_name = isNode)]
    fn is_node() -> bool;
    /// `process.env[name]`, in Node only, when not empty.
    #[wasm_bindgen(js_name = envVar)]
    fn env_var(name: &str) -> Option<String>;
}

/// One endpoint's request, and what signs it afresh per attempt if its provider signs.
type PerEndpoint = (HttpRequest, Option<Resigner>);

/// A unary call or its error, with the model for stats either way.
type Built = Result<Unary, ApiError>;

/// A call ready for the engine, and what keeps the caller's signal linked to it.
pub(crate) struct Prepared {
    pub call: Call,
    pub watch: Option<Watch>,
}

/// What a provider built for a call: its request, model, error reader, how its reply reads,
/// and what signs it afresh per attempt.
type Parts = (
    HttpRequest,
    Option<String>,
    ErrorReader,
    Read,
    Option<Resigner>,
);

impl ClientCore {
    pub fn new(provider: &'static dyn Provider, options: &JsValue) -> Result<ClientCore, JsValue> {
        let info = provider.info();
        let mut json = resilient_core::json::Map::new();
        // One crossing: the `fetch` function, then each other option's name and JSON text, and
        // the Error of the first one JS found wrong (options not an object, a `fetch` that is
        // not a function, a value JSON cannot write), read in its place (js/support.js).
        let entries = crate::convert::option_entries(options);
        let fetch = Some(entries.get(0))
            .filter(|f| !f.is_undefined())
            .map(JsCast::unchecked_into::<Function>);
        let mut i = 1;
        while i + 1 < entries.length() {
            let key = entries.get(i).as_string().unwrap_or_default();
            let text = entries.get(i + 1).as_string().unwrap_or_default();
            i += 2;
            // Text JSON.stringify wrote that the reader refuses (nested too deep).
            let v = resilient_core::json::from_slice(text.as_bytes()).map_err(|_| {
                config_error_of(
                    "option `",
                    &key,
                    "` accepts plain data (strings, numbers, objects)",
                    "",
                )
            })?;
            json.insert(key, v);
        }
        if i < entries.length() {
            return Err(entries.get(i));
        }
        let mut config =
            Config::from_options(info.name, &Value::Object(json)).map_err(|e| config_error(&e))?;
        if config.api_key.is_none() {
            config.api_key = info
                .key_env
                .iter()
                .find_map(|n| env_var(n))
                .map(Secret::new);
        }
        if info.name == "s3_kit" {
            // docs/api.md: S3 credentials and endpoint default to S3_ACCESS_KEY, S3_SECRET_KEY and
            // S3_ENDPOINT in Node.
            if config.access_key_id.is_none() {
                config.access_key_id = env_var("S3_ACCESS_KEY");
            }
            if config.secret_access_key.is_none() {
                config.secret_access_key = env_var("S3_SECRET_KEY").map(Secret::new);
            }
            if config.base_url.is_none() {
                config.base_url =
                    env_var("S3_ENDPOINT").map(|u| u.trim_end_matches('/').to_string());
            }
        }
        let host = Host {
            transport: Rc::new(FetchTransport {
                fetch,
                max_body: config.max_response_bytes as usize,
            }),
            clock: Rc::new(JsClock),
            entropy: Rc::new(JsEntropy),
        };
        // Plain loops, not iterator chains collected: each chain instantiates its own code.
        let mut endpoint_configs = Vec::with_capacity(config.endpoints.len());
        for e in &config.endpoints {
            endpoint_configs.push(config.for_endpoint(e));
        }
        Ok(ClientCore {
            engine: Engine::new(info.name, config, host),
            provider,
            listeners: Rc::default(),
            browser: !is_node(),
            endpoint_configs,
            book: RefCell::new(JsValue::UNDEFINED),
            waiting_records: Cell::new(0),
            this: RefCell::default(),
            keep: RefCell::default(),
        })
    }

    pub(crate) fn ctx<'a>(&'a self, bytes: Option<&'a [u8]>) -> Ctx<'a> {
        self.ctx_with(self.engine.config(), bytes)
    }

    fn ctx_with<'a>(&'a self, config: &'a Config, bytes: Option<&'a [u8]>) -> Ctx<'a> {
        // Only S3 signs with the date: other codecs never read it, so no call of theirs
        // crosses to JS for the wall clock.
        let signs = self.provider.info().name == "s3_kit";
        Ctx {
            config,
            unix_now: if signs { JsClock.unix_now() } else { 0.0 },
            browser: self.browser,
            bytes,
            held: false,
        }
    }

    /// The request for each endpoint (empty without `endpoints`), built the same way.
    fn per_endpoint(
        &self,
        bytes: Option<&[u8]>,
        build: &dyn Fn(&Ctx) -> Result<PerEndpoint, ApiError>,
    ) -> Result<Vec<PerEndpoint>, ApiError> {
        let mut out = Vec::with_capacity(self.endpoint_configs.len());
        for c in &self.endpoint_configs {
            out.push(build(&self.ctx_with(c, bytes))?);
        }
        Ok(out)
    }

    /// The engine builds event objects only while someone listens.
    fn sync_listener(engine: &Engine, listeners: &Rc<RefCell<Listeners>>) {
        if listeners.borrow().list.is_empty() {
            engine.set_listener(None);
            return;
        }
        // Weak: the engine must not own what owns it.
        let l = Rc::downgrade(listeners);
        engine.set_listener(Some(Rc::new(move |event: &'static str, v: Value| {
            let Some(l) = l.upgrade() else {
                return;
            };
            let mut targets: Vec<Function> = Vec::new();
            for (_, e, f) in &l.borrow().list {
                if *e == event {
                    targets.push(f.clone());
                }
            }
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

    pub(crate) fn missing_key(&self) -> Option<ApiError> {
        let info = self.provider.info();
        let keyless = if self.endpoint_configs.is_empty() {
            self.engine.config().api_key.is_none()
        } else {
            self.endpoint_configs.iter().any(|c| c.api_key.is_none())
        };
        if info.requires_key && keyless {
            return Some(ApiError::new(
                ErrorType::AuthenticationError,
                format!(
                    "no API key: pass `apiKey` or set {} (no request was sent)",
                    resilient_core::text::join(info.key_env, " or ")
                ),
            ));
        }
        None
    }

    /// Everything a call needs before it enters the engine. A failure here still counts.
    pub(crate) fn prepare(
        &self,
        args: CallArgs,
        built: Result<Parts, ApiError>,
        requests: Result<Vec<PerEndpoint>, ApiError>,
    ) -> Result<Prepared, ApiError> {
        let engine = &self.engine;
        let (request, model, errors, read, resign) =
            built.map_err(|e| engine.fail_early(e, None))?;
        let per_endpoint = requests.map_err(|e| engine.fail_early(e, model.as_deref()))?;
        // Each endpoint's request is signed afresh per attempt when its provider signs; without
        // `endpoints`, the one default endpoint signs the call's own request.
        let mut resigners: Vec<Resigner> = Vec::new();
        let mut requests = Vec::with_capacity(per_endpoint.len());
        if per_endpoint.is_empty() {
            resigners.extend(resign);
        }
        let all = per_endpoint.len();
        for (r, sign) in per_endpoint {
            requests.push(r);
            if let Some(sign) = sign {
                resigners.push(sign);
            }
        }
        if all != 0 && resigners.len() != all {
            resigners = Vec::new();
        }
        let fail = |e: ApiError| engine.fail_early(e, model.as_deref());
        if let Some(e) = self.missing_key() {
            return Err(fail(e));
        }
        let priority = Priority::parse(&args.priority)
            .map_err(|m| fail(ApiError::new(ErrorType::InvalidRequest, m)))?;
        let cancel = CancelToken::new();
        let watch = args.signal.as_ref().map(|s| Watch::new(s, &cancel));
        let call = Call {
            request,
            model,
            read,
            errors,
            priority,
            timeout: args.timeout,
            deadline: args.deadline,
            max_retries: args.max_retries,
            cancel: Some(cancel),
            route: Route {
                pinned: args.endpoint_id,
                requests,
                resigners,
            },
        };
        Ok(Prepared { call, watch })
    }

    /// Runs a unary call and returns the settling promise.
    fn run(
        &self,
        args: CallArgs,
        built: Built,
        requests: Result<Vec<PerEndpoint>, ApiError>,
    ) -> Promise {
        self.run_holding(args, built, requests, None)
    }

    /// [`Self::run`], with bodies kept in JS for the call (`CallBodies`): the result's `body`
    /// is then the reply's own bytes, not a copy out of wasm.
    pub(crate) fn run_holding(
        &self,
        args: CallArgs,
        built: Built,
        requests: Result<Vec<PerEndpoint>, ApiError>,
        bodies: Option<Rc<CallBodies>>,
    ) -> Promise {
        let parts = built.map(|u| (u.request, u.model, u.errors, Read::Unary(u.parse), u.resign));
        let prepared = self.prepare(args, parts, requests);
        // Numbered now, as calls that queue as records are: ids follow the order of calls.
        let from = match &prepared {
            Ok(p) => Start::Begun(
                self.engine
                    .begin_call(p.call.model.as_deref(), p.call.priority),
            ),
            Err(_) => Start::Fresh,
        };
        self.settle(prepared, from, bodies)
    }

    /// The promise of a prepared call: run whole, or from where it got (`from`; queued.rs
    /// starts calls that hold their first permit), with its bodies kept in JS while it runs.
    pub(crate) fn settle(
        &self,
        prepared: Result<Prepared, ApiError>,
        from: Start,
        bodies: Option<Rc<CallBodies>>,
    ) -> Promise {
        let engine = self.engine.clone();
        let kept = bodies.clone();
        future_to_promise(WithBodies {
            bodies,
            inner: Box::pin(async move {
                let Prepared {
                    call,
                    watch: _watch,
                } = prepared.map_err(|e| api_error(&e))?;
                match engine.execute_with(call, from).await {
                    Ok(done) => Ok(Self::reply(done, kept)),
                    Err(e) => Err(api_error(&e)),
                }
            }),
        })
    }

    /// A unary call's result as the caller sees it: a body kept in JS is the reply's own bytes.
    pub(crate) fn reply(
        done: resilient_core::codec::Parsed,
        kept: Option<Rc<CallBodies>>,
    ) -> JsValue {
        match kept.as_ref().and_then(|k| k.keep.as_ref()?.take()) {
            Some(js) => crate::convert::reply_of(&done.json, &js, true),
            None => {
                let body = match done.bytes {
                    Some(b) => Uint8Array::from(b.as_slice()).into(),
                    None => JsValue::UNDEFINED,
                };
                crate::convert::reply_of(&done.json, &body, false)
            }
        }
    }

    /// `op(request)` for any unary operation of docs/api.md, by its `number` in [`UNARY`].
    pub fn unary(&self, number: u32, req: &JsValue) -> Promise {
        let op = op_name(&UNARY, number);
        // A binary `body` argument (Uint8Array or ArrayBuffer), kept apart from the JSON args;
        // none for arguments that are not an object (argBytes reads them as absent).
        let js_body = crate::convert::arg_bytes(req);
        // A held body reaches the codec as empty bytes; the transport sends the JS one.
        let held = js_body.as_ref().is_some_and(|b| holds(op, b.length()));
        let (bytes, send) = match js_body {
            Some(b) if held => (Some(Vec::new()), Some(JsValue::from(b))),
            Some(b) => (Some(b.to_vec()), None),
            None => (None, None),
        };
        // getObject's bytes stay in JS: the result's body is the one the transport read.
        let keep = (op == "getObject").then(RefCell::default);
        let bodies = (send.is_some() || keep.is_some()).then(|| Rc::new(CallBodies { send, keep }));
        // Plain JSON calls may queue as records (queued.rs); the others as one suspended future.
        if bytes.is_none() && bodies.is_none() && self.endpoint_configs.is_empty() {
            return self.unary_json(number, op, req);
        }
        // The bytes never go through JSON: the arguments are read from a copy without them.
        let without_body;
        let req = if bytes.is_some() {
            without_body = crate::convert::without_body(req);
            &without_body
        } else {
            req
        };
        let (args, built, requests) = self.build_unary(op, req, bytes.as_deref(), held);
        self.run_holding(args, built, requests, bodies)
    }

    /// The call options, the request and each endpoint's request of unary operation `op`.
    fn build_unary(
        &self,
        op: &str,
        req: &JsValue,
        bytes: Option<&[u8]>,
        held: bool,
    ) -> (CallArgs, Built, Result<Vec<PerEndpoint>, ApiError>) {
        match split_call_args(req, &call_name(op)) {
            Ok(mut args) => {
                let rest = Value::Object(std::mem::take(&mut args.rest));
                let ctx = Ctx {
                    held,
                    ..self.ctx(bytes)
                };
                let built = self.provider.unary(op, &ctx, &rest);
                let requests = self.per_endpoint(bytes, &|c| {
                    let u = self.provider.unary(op, &Ctx { held, ..*c }, &rest)?;
                    Ok((u.request, u.resign))
                });
                (args, built, requests)
            }
            Err(e) => (CallArgs::default(), Err(e), Ok(Vec::new())),
        }
    }

    /// `getObject({ stream: true })` through the engine (node-host/lib/s3.js): the GET takes a
    /// queue slot, passes the breaker and retries like any call; its body arrives as raw
    /// chunks (`RawCodec`: the head first, then `Uint8Array`s).
    pub fn object_stream(&self, req: &JsValue) -> ChatStream {
        let (args, built, requests) = self.build_unary("getObject", req, None, false);
        // In place: no second list built.
        let requests = requests.map(|mut list| {
            for (r, sign) in &mut list {
                r.stream = true;
                *sign = sign.take().map(streamed_resigner);
            }
            list
        });
        let retries = args.max_retries.unwrap_or(self.engine.config().max_retries);
        let parts = built.map(|u| {
            let codec = Box::new(resilient_core::stream::RawCodec::new(retries));
            let resign = u.resign.map(streamed_resigner);
            (
                streamed(u.request),
                u.model,
                u.errors,
                Read::Stream(codec),
                resign,
            )
        });
        let prepared = self.prepare(args, parts, requests);
        ChatStream::new(self.engine.clone(), prepared, true)
    }

    /// `op(request)` for a streaming operation: an async iterator, returned at once.
    pub fn stream(&self, op: &str, req: &JsValue) -> ChatStream {
        let (args, built, requests) = match split_call_args(req, &call_name(op)) {
            Ok(mut args) => {
                let rest = Value::Object(std::mem::take(&mut args.rest));
                let built = self.provider.stream(op, &self.ctx(None), &rest);
                let requests = self.per_endpoint(None, &|c| {
                    Ok((self.provider.stream(op, c, &rest)?.request, None))
                });
                (args, built, requests)
            }
            Err(e) => (CallArgs::default(), Err(e), Ok(Vec::new())),
        };
        let parts = built.map(|s| (s.request, s.model, s.errors, Read::Stream(s.codec), None));
        let prepared = self.prepare(args, parts, requests);
        ChatStream::new(self.engine.clone(), prepared, false)
    }

    /// Operations answered without a request (`presignUrl`): the result, synchronously.
    pub fn local(&self, op: &str, req: &JsValue) -> Result<JsValue, JsValue> {
        let args = split_call_args(req, &call_name(op)).map_err(|e| api_error(&e))?;
        let v = self
            .provider
            .local(op, &self.ctx(None), &Value::Object(args.rest))
            .map_err(|e| api_error(&e))?;
        Ok(to_js(&v))
    }

    pub fn make_request(
        &self,
        endpoint_url: &JsValue,
        data: &JsValue,
        options: &JsValue,
    ) -> Promise {
        let built = split_call_args(options, "makeRequest(options)").and_then(|mut args| {
            let method = match args.rest.remove("method") {
                None | Some(Value::Null) => None,
                Some(Value::String(m)) => Some(m),
                Some(_) => {
                    return Err(providers::bad_argument(
                        "method",
                        "must be a string such as 'GET' or 'POST'",
                    ))
                }
            };
            let headers: Vec<(String, String)> = match args.rest.remove("headers") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Object(h)) => {
                    let mut out = Vec::with_capacity(h.len());
                    for (k, v) in h {
                        match v {
                            Value::String(s) if valid_header(&k, &s) => out.push((k, s)),
                            _ => return Err(providers::bad_argument(
                                &format!("headers.{k}"),
                                "must be a valid header name with a string value without control characters",
                            )),
                        }
                    }
                    out
                }
                Some(_) => {
                    return Err(providers::bad_argument("headers", "must be an object of strings"))
                }
            };
            if let Some(k) = args.rest.keys().next() {
                return Err(providers::bad_argument(
                    k,
                    "is not a makeRequest option (method, headers, signal, priority, timeout, deadline, maxRetries, endpointId)",
                ));
            }
            let body = from_js(data).map_err(|e| {
                providers::bad_argument("data", &format!("must be JSON-like data ({e})"))
            })?;
            let url = endpoint_url.as_string().unwrap_or_default();
            let data = (!body.is_null()).then_some(&body);
            let build = |ctx: &Ctx| {
                self.provider
                    .raw_request(ctx, &url, data, method.as_deref(), &headers)
            };
            let unary = build(&self.ctx(None))?;
            let requests = self.per_endpoint(None, &|c| Ok((build(c)?.request, None)));
            Ok((args, unary, requests))
        });
        match built {
            Ok((args, unary, requests)) => self.run(args, Ok(unary), requests),
            Err(e) => self.run(CallArgs::default(), Err(e), Ok(Vec::new())),
        }
    }

    // ---- observing ----

    pub fn get_stats(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        if let Ok(Value::Object(m)) = from_js(options) {
            if let Some(id) = m.get("endpointId").or_else(|| m.get("endpoint_id")) {
                let id = id.as_str().unwrap_or_default();
                return self
                    .engine
                    .endpoint_stats(id)
                    .map(|v| to_js(&v))
                    .ok_or_else(|| config_error_of("getStats: no endpoint '", id, "'", ""));
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
                config_error_of(
                    "trackRequestResult: unknown error type '",
                    s,
                    "'; accepted types are those of ApiError.type",
                    "",
                )
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
    pub fn circuit_state(&self) -> &'static str {
        self.engine.circuit_state().as_str()
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
            config_error_of(
                "on: unknown event '",
                event,
                "'; events are ",
                &resilient_core::text::join(&EVENTS, ", "),
            )
        })?;
        let id = {
            let mut l = self.listeners.borrow_mut();
            l.next += 1;
            let id = l.next;
            l.list.push((id, name, listener));
            id
        };
        Self::sync_listener(&self.engine, &self.listeners);
        // Weak: an unsubscribe function kept by the caller must not keep the client alive.
        let listeners = Rc::downgrade(&self.listeners);
        let engine = self.engine.downgrade();
        // The one closure type of this crate's hooks (`Fn(u32, JsValue)`, its arguments unused
        // here): each closure type costs its own glue.
        let off = Closure::<dyn Fn(u32, JsValue)>::new(move |_: u32, _: JsValue| {
            if let (Some(listeners), Some(engine)) = (listeners.upgrade(), engine.upgrade()) {
                listeners.borrow_mut().list.retain(|(i, _, _)| *i != id);
                Self::sync_listener(&engine, &listeners);
            }
        });
        Ok(off.into_js_value())
    }
    pub fn endpoints(&self) -> JsValue {
        to_js(&self.engine.endpoints())
    }

    // ---- the state store (resilient_core::store) ----

    /// `notify` only schedules the host's work (it never calls back synchronously). Returns
    /// the scopes the host reads.
    pub fn store_attach(&self, notify: Function) -> Array {
        self.engine.store_attach(Some(Rc::new(move || {
            // call1, as the listeners are called: one import for both (store.js's notify takes
            // no argument).
            let _ = notify.call1(&JsValue::UNDEFINED, &JsValue::UNDEFINED);
        })));
        let out = Array::new();
        for s in self.engine.store_scopes().iter() {
            out.push(&JsValue::from_str(s));
        }
        out
    }

    /// Entries cross flat, `[scope, piece, until, ...]` (no JSON: it costs wasm bytes); triples
    /// that are not `scope, piece, until` are skipped: a store is not trusted.
    pub fn store_sync(&self, reads: u32, writes: u32, error: Option<String>, flat: Array) -> Array {
        let engine = &self.engine;
        engine.store_report(u64::from(reads), u64::from(writes), error);
        let mut entries: Vec<Entry> = Vec::new();
        let mut i = 0;
        while i + 2 < flat.length() {
            let (scope, piece, until) = (flat.get(i), flat.get(i + 1), flat.get(i + 2));
            i += 3;
            let read = || {
                Some(Entry {
                    scope: scope.as_string()?,
                    piece: Piece::parse(&piece.as_string()?)?,
                    until: until.as_f64()?,
                })
            };
            if let Some(e) = read() {
                entries.push(e);
            }
        }
        if !entries.is_empty() {
            engine.store_apply(&entries);
        }
        let out = Array::new();
        for e in engine.store_take() {
            out.push(&JsValue::from_str(&e.scope));
            out.push(&JsValue::from_str(e.piece.as_str()));
            out.push(&JsValue::from_f64(e.until));
        }
        out
    }
}
