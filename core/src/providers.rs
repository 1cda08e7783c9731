//! Provider codecs: URLs, headers, bodies, error shapes. They know nothing of retries or queues.
//! Each provider implements [`Provider`]; the JS classes dispatch every operation through it.

pub mod claude;
pub mod gemini;
pub mod hf_tei;
pub mod hf_tgi;
pub mod llvm;
pub mod ollama;
pub mod opea;
pub mod openai;
pub mod ovms;
pub mod s3_kit;

pub mod shared;

use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::{Headers, HttpRequest};
// The error readers live with the other codec types; providers name them from here too.
pub use crate::codec::{json_errors, ErrorReader};
use crate::codec::{Parsed, Parser, Reply, Resigner, StreamCodec};
use crate::json::Value;

/// What a codec may use besides the caller's arguments.
pub struct Ctx<'a> {
    pub config: &'a Config,
    /// Seconds since the Unix epoch, for request signing (s3_kit, the one codec that reads it;
    /// the wasm host passes 0 to the others rather than read the clock for them).
    pub unix_now: f64,
    /// Running in a browser page or worker (some providers want a header for that).
    pub browser: bool,
    /// Binary data the caller passed (an object body for `putObject`), apart from the JSON args.
    pub bytes: Option<&'a [u8]>,
    /// The binary body stays with the host, which sends it itself (`bytes` is then empty):
    /// it is signed `UNSIGNED-PAYLOAD` and never copied into the engine.
    pub held: bool,
}

impl<'a> Ctx<'a> {
    /// No clock, not a browser, no bytes: the context tests and tools give a codec (the wasm
    /// layer sets every field from the call).
    pub fn plain(config: &'a Config) -> Ctx<'a> {
        Ctx {
            config,
            unix_now: 0.0,
            browser: false,
            bytes: None,
            held: false,
        }
    }
}

/// A unary call, ready for the pipeline.
pub struct Unary {
    pub request: HttpRequest,
    pub model: Option<String>,
    pub parse: Parser,
    pub errors: ErrorReader,
    /// Signs the request afresh for each attempt (see [`Resigner`]).
    pub resign: Option<Resigner>,
}

/// A request and the model it names.
pub type ModelRequest = (HttpRequest, String);

/// What a unary operation builds: its request, the model it names, how its reply is read.
pub type Built = (HttpRequest, Option<String>, Parser);

/// A request that names its model, with its parser.
pub fn named((request, model): ModelRequest, parse: Parser) -> Built {
    (request, Some(model), parse)
}

impl Unary {
    pub fn new((request, model, parse): Built, errors: ErrorReader) -> Unary {
        Unary {
            request,
            model,
            parse,
            errors,
            resign: None,
        }
    }
}

/// A streamed call, ready for the pipeline.
pub struct Streamed {
    pub request: HttpRequest,
    pub model: Option<String>,
    pub codec: Box<dyn StreamCodec>,
    pub errors: ErrorReader,
}

impl Streamed {
    /// A stream of `model` (every stream names one) read by `codec`.
    pub fn new(
        (request, model): ModelRequest,
        codec: Box<dyn StreamCodec>,
        errors: ErrorReader,
    ) -> Streamed {
        Streamed {
            request,
            model: Some(model),
            codec,
            errors,
        }
    }
}

/// One provider's wire format. Operation names are docs/api.md's call names (`chat`, `embed`,
/// `listModels`, `generate`, `rerank`, `chatqna`, `infer`, `batchInfer`, `status`, `predict`,
/// `modelStatus`, `health`, `putObject`, `getObject`, `headObject`, `deleteObject`,
/// `listObjects`); streams are `chatStream`, `generateStream`, `chatqnaStream`.
pub trait Provider {
    fn info(&self) -> &'static ProviderInfo;
    /// Headers that authenticate a request (also used by `makeRequest`). The default is
    /// [`bearer_auth`]: a bearer only when a key is configured.
    fn auth_headers(&self, ctx: &Ctx) -> Headers {
        bearer_auth(ctx.config)
    }
    /// Builds unary operation `op` from the caller's arguments (call options already removed).
    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError>;
    /// Builds stream operation `op`.
    fn stream(&self, op: &str, _ctx: &Ctx, _args: &Value) -> Result<Streamed, ApiError> {
        Err(unsupported(self.info().name, op))
    }
    /// Why `makeRequest` is refused, for a provider that cannot send a request it did not
    /// build itself; `None` (the default): [`make_request`] with [`Provider::auth_headers`]
    /// (see `raw_request`, written once for every provider rather than once per impl).
    fn raw_refused(&self) -> Option<&'static str> {
        None
    }
    /// Operations answered without a request (`presignUrl`): their JSON result.
    fn local(&self, op: &str, _ctx: &Ctx, _args: &Value) -> Result<Value, ApiError> {
        Err(unsupported(self.info().name, op))
    }
}

impl dyn Provider {
    /// `makeRequest`: any request with this provider's authentication (see [`make_request`]).
    pub fn raw_request(
        &self,
        ctx: &Ctx,
        endpoint_url: &str,
        data: Option<&Value>,
        method: Option<&str>,
        headers: &[(String, String)],
    ) -> Result<Unary, ApiError> {
        if let Some(why) = self.raw_refused() {
            return Err(ApiError::new(ErrorType::InvalidRequest, why));
        }
        make_request(
            self.info(),
            self.auth_headers(ctx),
            ctx,
            endpoint_url,
            data,
            method,
            headers,
        )
    }
}

/// `stream` of a provider whose one stream is `chatStream`, built by `request`.
pub fn chat_stream_only(
    info: &ProviderInfo,
    op: &str,
    request: impl FnOnce() -> Result<ModelRequest, Fail>,
    codec: impl StreamCodec + 'static,
    errors: ErrorReader,
) -> Result<Streamed, Fail> {
    match op {
        "chatStream" => Ok(Streamed::new(request()?, Box::new(codec), errors)),
        _ => Err(unsupported_op(info.name, op)),
    }
}

/// `makeRequest(endpointUrl, data, { method, headers })`: any request through the pipeline,
/// with the provider's authentication. The result is the body (JSON, or the text as a string).
pub fn make_request(
    info: &'static ProviderInfo,
    auth: Headers,
    ctx: &Ctx,
    endpoint_url: &str,
    data: Option<&Value>,
    method: Option<&str>,
    headers: &[(String, String)],
) -> Result<Unary, ApiError> {
    if endpoint_url.is_empty() {
        return Err(bad_argument(
            "endpointUrl",
            "must be a URL string, absolute or relative to baseUrl",
        ));
    }
    let method = match method {
        Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic()) => {
            m.to_ascii_uppercase()
        }
        Some(m) => {
            return Err(bad_argument(
                "method",
                &format!("must be an HTTP method such as 'GET' or 'POST' (got '{m}')"),
            ))
        }
        None if data.is_some() => "POST".into(),
        None => "GET".into(),
    };
    let url = join_url(base_url(ctx.config, info), endpoint_url);
    let model = data
        .and_then(|b| b.get("model"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let request = json_request(ctx.config, auth, &method, url, data, headers);
    Ok(Unary {
        request,
        model,
        parse: parser(parse_any),
        errors: json_errors,
        resign: None,
    })
}

/// makeRequest's parser: the body when it is JSON, else the text as a JSON string.
fn parse_any(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    let is_json = crate::json::check(&reply.body).is_ok();
    let json = match std::str::from_utf8(&reply.body) {
        Ok(text) if is_json => text.to_string(),
        _ => Value::from(crate::text::lossy(&reply.body).into_owned()).to_json(),
    };
    Ok(Parsed {
        json,
        usage: shared::replies::usage_of(&reply.body),
        bytes: None,
    })
}

/// The error for an operation a provider does not have.
pub fn unsupported(provider: &str, op: &str) -> ApiError {
    ApiError::new(
        ErrorType::InvalidRequest,
        format!("{op} is not available for {provider}"),
    )
}

/// The codec for a provider name.
pub fn provider(name: &str) -> Option<&'static dyn Provider> {
    match name {
        "openai" => Some(&openai::OPENAI),
        "groq" => Some(&openai::GROQ),
        "claude" => Some(&claude::CLAUDE),
        "gemini" => Some(&gemini::GEMINI),
        "ollama" => Some(&ollama::OLLAMA),
        "hf_tgi" => Some(&hf_tgi::HF_TGI),
        "hf_tei" => Some(&hf_tei::HF_TEI),
        "llvm" => Some(&llvm::LLVM),
        "opea" => Some(&opea::OPEA),
        "ovms" => Some(&ovms::OVMS),
        "s3_kit" => Some(&s3_kit::S3_KIT),
        _ => None,
    }
}

/// The eleven backends, in the seed's spelling.
pub const PROVIDERS: [&str; 11] = [
    "openai", "groq", "claude", "gemini", "ollama", "hf_tgi", "hf_tei", "llvm", "opea", "ovms",
    "s3_kit",
];

/// docs/api.md's unary operations ([`Provider::unary`]'s `op`). Their order is the numbering the
/// wasm entries and node-host/lib/ops.js share: a queued record keeps its operation as an index
/// here.
pub const UNARY: [&str; 22] = [
    "chat",
    "embed",
    "listModels",
    "generate",
    "rerank",
    "chatqna",
    "infer",
    "batchInfer",
    "status",
    "predict",
    "modelStatus",
    "health",
    "putObject",
    "getObject",
    "headObject",
    "deleteObject",
    "listObjects",
    "createMultipartUpload",
    "uploadPart",
    "completeMultipartUpload",
    "abortMultipartUpload",
    "listMultipartUploads",
];

/// Operation numbers: places in [`UNARY`]. Codecs match on these rather than on the names
/// (a `match` on strings compiles to a length test and a `memcmp` call for each arm).
pub mod ops {
    pub const CHAT: usize = 0;
    pub const EMBED: usize = 1;
    pub const LIST_MODELS: usize = 2;
    pub const GENERATE: usize = 3;
    pub const RERANK: usize = 4;
    pub const CHATQNA: usize = 5;
    pub const INFER: usize = 6;
    pub const BATCH_INFER: usize = 7;
    pub const STATUS: usize = 8;
    pub const PREDICT: usize = 9;
    pub const MODEL_STATUS: usize = 10;
    pub const HEALTH: usize = 11;
    pub const PUT_OBJECT: usize = 12;
    pub const GET_OBJECT: usize = 13;
    pub const HEAD_OBJECT: usize = 14;
    pub const DELETE_OBJECT: usize = 15;
    pub const LIST_OBJECTS: usize = 16;
    pub const CREATE_UPLOAD: usize = 17;
    pub const UPLOAD_PART: usize = 18;
    pub const COMPLETE_UPLOAD: usize = 19;
    pub const ABORT_UPLOAD: usize = 20;
    pub const LIST_UPLOADS: usize = 21;
}

/// `op`'s number ([`ops`]); an unknown name has none of them.
#[inline(never)]
pub fn unary_number(op: &str) -> usize {
    UNARY.iter().position(|&n| n == op).unwrap_or(usize::MAX)
}

/// Static facts about a provider.
pub struct ProviderInfo {
    pub name: &'static str,
    pub default_base_url: &'static str,
    pub default_model: &'static str,
    /// Environment variables read for the key in Node, first found wins.
    pub key_env: &'static [&'static str],
    pub requires_key: bool,
}

/// A failure inside the codecs: a boxed [`ApiError`], so that each `?` between the builders and
/// readers moves a pointer rather than the whole error (about 70 bytes, copied at every
/// propagation site: several kB of the wasm). It is unboxed once, where a codec hands its
/// result over ([`unboxed`], [`parser`]).
pub type Fail = Box<ApiError>;

impl From<Fail> for ApiError {
    fn from(e: Fail) -> ApiError {
        *e
    }
}

/// A codec's result as the [`Provider`] methods give it (out of line: the reply parsers each
/// call it rather than holding a copy).
#[inline(never)]
pub fn unboxed<T>(r: Result<T, Fail>) -> Result<T, ApiError> {
    r.map_err(|e| *e)
}

/// A reply reader that needs nothing but the reply and the client's request id.
pub type Read = fn(&Reply, &str) -> Result<Parsed, Fail>;

/// A reply reader as the pipeline takes it ([`Parser`]): its failure unboxed here, once. The
/// reader is a fn pointer, so every reader shares this one closure type (one vtable and shim,
/// not one per reader).
pub fn parser(read: Read) -> Parser {
    Box::new(move |reply, id| unboxed(read(reply, id)))
}

/// What a reply reader knows of its call besides the reply (each operation fills what its
/// reader uses).
#[derive(Default)]
pub struct Call {
    /// The provider's name, for a codec several providers share.
    pub provider: &'static str,
    /// The model the request named.
    pub model: String,
    /// How many texts (rerank) were sent.
    pub n: usize,
    /// How many inputs a batch sent (`None`: one, not batched).
    pub batch: Option<usize>,
    /// The caller's `topN`.
    pub top: Option<usize>,
    /// The texts sent (rerank replies that name them by text).
    pub texts: Vec<String>,
}

/// A reply reader of the call's facts ([`Call`]), as the pipeline takes it: one closure type
/// for all of them, as [`parser`]'s.
pub fn parser_with(read: fn(&Reply, &str, &Call) -> Result<Parsed, Fail>, call: Call) -> Parser {
    Box::new(move |reply, id| unboxed(read(reply, id, &call)))
}

/// [`ApiError::new`], boxed.
#[inline(never)]
pub fn fail(kind: ErrorType, message: impl Into<String>) -> Fail {
    Box::new(ApiError::new(kind, message))
}

/// [`bad_argument`], boxed.
#[inline(never)]
pub fn bad_arg(field: &str, accepts: &str) -> Fail {
    Box::new(bad_argument(field, accepts))
}

/// [`decode_error`], boxed.
pub fn decode_fail(what: &str, e: impl std::fmt::Display) -> Fail {
    Box::new(decode_error(what, e))
}

/// [`unsupported`], boxed.
pub fn unsupported_op(provider: &str, op: &str) -> Fail {
    Box::new(unsupported(provider, op))
}

/// The error for a reply (or a stream event) that is not what `what` says it should be.
pub fn decode_error(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorType::DecodeError, format!("{what}: {e}"))
}

/// The error for a call argument that is missing or of the wrong shape.
pub fn bad_argument(field: &str, accepts: &str) -> ApiError {
    ApiError::new(
        ErrorType::InvalidRequest,
        format!("argument `{field}` {accepts}"),
    )
}

/// `{ key: value }`, the value moved in (`json!` takes its values by reference and copies
/// them: a whole list, for a list built here).
#[inline(never)]
pub fn object_of(key: &str, value: Value) -> Value {
    let mut object = crate::json::Map::new();
    crate::json::put(&mut object, key, value);
    Value::Object(object)
}

/// Joins a base URL and a path (or returns `path` when it is already absolute).
pub fn join_url(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_string();
    }
    let base = trim_end_slashes(base);
    let path = trim_start_slashes(path);
    let mut url = String::with_capacity(base.len() + 1 + path.len());
    url.push_str(base);
    url.push('/');
    url.push_str(path);
    url
}

/// `s` without its leading `/`s (a byte loop: `trim_start_matches('/')` brings a char searcher
/// into the wasm for this alone).
pub fn trim_start_slashes(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| b == b'/').count();
    s.get(n..).unwrap_or_default()
}

/// `s` without its trailing `/`s, as `trim_end_matches('/')` (a byte loop, as above).
pub fn trim_end_slashes(s: &str) -> &str {
    let n = s.bytes().rev().take_while(|&b| b == b'/').count();
    s.get(..s.len() - n).unwrap_or_default()
}

pub fn base_url<'a>(config: &'a Config, info: &'static ProviderInfo) -> &'a str {
    config.base_url.as_deref().unwrap_or(info.default_base_url)
}

/// A JSON request with provider `p`'s authentication, without extra headers of the call's own.
pub fn auth_request(
    p: &dyn Provider,
    ctx: &Ctx,
    method: &str,
    url: String,
    body: Option<&Value>,
) -> HttpRequest {
    json_request(ctx.config, p.auth_headers(ctx), method, url, body, &[])
}

/// Appends an owned `(name, value)` header or query pair: one call where each site would
/// otherwise copy both strings inline.
#[inline(never)]
pub fn push_pair(v: &mut Headers, name: &str, value: &str) {
    v.push((name.into(), value.into()));
}

/// `authorization: Bearer <key>` when a key is configured, else no header.
pub fn bearer_auth(config: &Config) -> Headers {
    match &config.api_key {
        Some(k) => vec![(
            "authorization".into(),
            crate::text::join(&["Bearer ", k.expose()], ""),
        )],
        None => Vec::new(),
    }
}

/// A JSON request authenticated by [`bearer_auth`], without extra headers of the call's own.
pub fn bearer_request(
    config: &Config,
    method: &str,
    url: String,
    body: Option<&Value>,
) -> HttpRequest {
    json_request(config, bearer_auth(config), method, url, body, &[])
}

thread_local! {
    /// Set while [`check_only`] runs: [`json_request`] leaves bodies unwritten.
    static CHECKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `build` (an operation's request builder), for its checks alone when `check`: the same
/// checks in the same order, so the same errors, but no JSON body is written (a call that waits
/// as a record is checked when made and built when admitted; writing its body then only to drop
/// it was about half the cost of building it). What a check returns must not be sent: a builder
/// may also stop after its last check ([`checking`]), returning an empty request.
pub fn check_only<T>(check: bool, build: impl FnOnce() -> T) -> T {
    CHECKING.with(|c| c.set(check));
    let out = build();
    CHECKING.with(|c| c.set(false));
    out
}

/// Inside [`check_only`]: a builder may skip what only the request needs (copies of the
/// arguments, the URL, the headers), never a check (openai's chat does).
pub fn checking() -> bool {
    CHECKING.with(std::cell::Cell::get)
}

/// Builds a JSON request with the provider's auth and the client's extra headers.
pub fn json_request(
    config: &Config,
    auth: Vec<(String, String)>,
    method: &str,
    url: String,
    body: Option<&Value>,
    extra: &[(String, String)],
) -> HttpRequest {
    let mut headers = auth;
    if body.is_some() {
        push_pair(&mut headers, "content-type", "application/json");
    }
    headers.append(&mut config.headers.clone());
    headers.append(&mut extra.to_vec());
    HttpRequest {
        method: method.to_string(),
        url,
        headers,
        body: match body {
            Some(_) if checking() => Some(Vec::new()),
            b => b.map(|b| b.to_json().into_bytes()),
        },
        stream: false,
    }
}

/// Writes a normalized result object field by field. Raw bodies are spliced in verbatim
/// (they were parsed already, so they are valid JSON), never decoded and re-encoded.
pub struct ResultJson(String);

impl ResultJson {
    pub fn new(capacity: usize) -> ResultJson {
        let mut s = String::with_capacity(capacity);
        s.push('{');
        ResultJson(s)
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        crate::json::write_string(value, &mut self.0);
        self
    }

    pub fn value(&mut self, key: &str, value: &Value) -> &mut Self {
        self.key(key);
        crate::json::write_value(value, &mut self.0);
        self
    }

    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.str(key, v),
            None => self.raw(key, "null"),
        }
    }

    /// `value` must be JSON text.
    pub fn raw(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        self.0.push_str(value);
        self
    }

    /// `value` must be a JSON document that parsed; otherwise it goes in as a JSON string.
    pub fn raw_bytes(&mut self, key: &str, value: &[u8]) -> &mut Self {
        match std::str::from_utf8(value) {
            Ok(text) if !text.trim().is_empty() => self.raw(key, text),
            _ => self.str(key, &crate::text::lossy(value)),
        }
    }

    /// docs/api.md's `usage` object, written in place (no `core::fmt`, no string of its own);
    /// never a result's first member (its comma is written with its key).
    pub fn usage(&mut self, u: &crate::stats::Usage) -> &mut Self {
        debug_assert!(self.0.len() > 1, "usage is never the first member");
        let out = &mut self.0;
        out.push_str(",\"usage\":{\"prompt_tokens\":");
        crate::json::write_unsigned(u.prompt, out);
        out.push_str(",\"completion_tokens\":");
        crate::json::write_unsigned(u.completion, out);
        out.push_str(",\"total_tokens\":");
        crate::json::write_unsigned(u.total, out);
        out.push('}');
        self
    }

    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Usage from the server's prompt and completion counts (an absent count is zero); the total
/// is their sum.
pub fn usage_from(prompt: Option<u64>, completion: Option<u64>) -> crate::stats::Usage {
    let (prompt, completion) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    crate::stats::Usage {
        prompt,
        completion,
        total: prompt.saturating_add(completion),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_its_codec() {
        for name in PROVIDERS {
            let p = provider(name).unwrap_or_else(|| panic!("{name} has no codec"));
            assert_eq!(p.info().name, name);
        }
        assert!(provider("nope").is_none());
    }

    #[test]
    fn operation_numbers_are_places_in_unary() {
        use ops::*;
        let numbered = [
            (CHAT, "chat"),
            (EMBED, "embed"),
            (LIST_MODELS, "listModels"),
            (GENERATE, "generate"),
            (RERANK, "rerank"),
            (CHATQNA, "chatqna"),
            (INFER, "infer"),
            (BATCH_INFER, "batchInfer"),
            (STATUS, "status"),
            (PREDICT, "predict"),
            (MODEL_STATUS, "modelStatus"),
            (HEALTH, "health"),
            (PUT_OBJECT, "putObject"),
            (GET_OBJECT, "getObject"),
            (HEAD_OBJECT, "headObject"),
            (DELETE_OBJECT, "deleteObject"),
            (LIST_OBJECTS, "listObjects"),
            (CREATE_UPLOAD, "createMultipartUpload"),
            (UPLOAD_PART, "uploadPart"),
            (COMPLETE_UPLOAD, "completeMultipartUpload"),
            (ABORT_UPLOAD, "abortMultipartUpload"),
            (LIST_UPLOADS, "listMultipartUploads"),
        ];
        assert_eq!(numbered.len(), UNARY.len());
        for (n, name) in numbered {
            assert_eq!((UNARY[n], unary_number(name)), (name, n));
        }
        assert_eq!(unary_number("chatStream"), usize::MAX);
    }

    #[test]
    fn leading_and_trailing_slashes_trim_as_str_does() {
        for s in ["", "/", "///", "//a/b/", "a//", "é/", "/é/"] {
            assert_eq!(trim_start_slashes(s), s.trim_start_matches('/'), "{s}");
            assert_eq!(trim_end_slashes(s), s.trim_end_matches('/'), "{s}");
        }
    }

    #[test]
    fn urls_join_once() {
        assert_eq!(join_url("http://h/v1/", "/models"), "http://h/v1/models");
        assert_eq!(
            join_url("http://h/v1", "https://other/x"),
            "https://other/x"
        );
    }
}
