//! Client options: docs/api.md's table, the seed's defaults and aliases, and validation that names
//! the option and what it accepts.

use crate::json::{Map, Value};
use crate::pacing::{RateLimit, RetryBudgetConfig};
use crate::secret::Secret;
use crate::time::Secs;
use std::mem::take;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    RoundRobin,
    LeastLoaded,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EndpointConfig {
    pub id: String,
    pub api_key: Option<Secret>,
    pub base_url: Option<String>,
    pub weight: u32,
    pub max_concurrent_requests: Option<u32>,
    /// This endpoint's own `rateLimit` (besides the client's).
    pub rate_limit: Option<RateLimit>,
    /// This endpoint's `adaptivePacing`; the client's when `None`.
    pub adaptive_pacing: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub api_key: Option<Secret>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    pub session_token: Option<Secret>,
    pub region: String,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub headers: Vec<(String, String)>,
    pub timeout: Secs,
    pub max_concurrent_requests: u32,
    pub queue_size: u32,
    pub max_retries: u32,
    pub initial_retry_delay: Secs,
    pub backoff_factor: f64,
    pub max_retry_delay: Secs,
    pub jitter: f64,
    pub max_retry_after: Secs,
    pub failure_threshold: u32,
    pub reset_timeout: Secs,
    pub half_open_max_probes: u32,
    /// A reply body larger than this is refused as `decode_error` while it is read.
    pub max_response_bytes: u32,
    pub endpoints: Vec<EndpointConfig>,
    pub api_version: Option<String>,
    pub strategy: Strategy,
    pub rate_limit: Option<RateLimit>,
    pub adaptive_pacing: bool,
    /// `None`: `retryBudget: false`.
    pub retry_budget: Option<RetryBudgetConfig>,
}

impl Default for Config {
    /// The original Python library's defaults (docs/api.md, Options; max retry delay 16 s).
    fn default() -> Config {
        Config {
            api_key: None,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            region: "us-east-1".into(),
            base_url: None,
            model: None,
            headers: Vec::new(),
            timeout: Secs::new(60.0),
            max_concurrent_requests: 5,
            queue_size: 100,
            max_retries: 5,
            initial_retry_delay: Secs::new(1.0),
            backoff_factor: 2.0,
            max_retry_delay: Secs::new(16.0),
            jitter: 0.2,
            max_retry_after: Secs::new(60.0),
            failure_threshold: 5,
            reset_timeout: Secs::new(30.0),
            half_open_max_probes: 1,
            max_response_bytes: 64 * 1024 * 1024,
            endpoints: Vec::new(),
            api_version: None,
            strategy: Strategy::RoundRobin,
            rate_limit: None,
            adaptive_pacing: true,
            retry_budget: Some(RetryBudgetConfig::default()),
        }
    }
}

/// Seed metadata keys that name a credential or address of one provider. A seed user passes
/// one metadata object to every backend, so another provider's key is ignored, not rejected.
const PROVIDER_ALIASES: &[(&str, &str, &str)] = &[
    ("openai", "openai_api_key", "apiKey"),
    ("groq", "groq_api_key", "apiKey"),
    ("claude", "claude_api_key", "apiKey"),
    ("claude", "anthropic_api_key", "apiKey"),
    ("gemini", "gemini_api_key", "apiKey"),
    ("gemini", "google_api_key", "apiKey"),
    ("hf_tgi", "hf_api_key", "apiKey"),
    ("hf_tgi", "hf_api_token", "apiKey"),
    ("hf_tei", "hf_api_key", "apiKey"),
    ("hf_tei", "hf_api_token", "apiKey"),
    ("ollama", "ollama_api_url", "baseUrl"),
    ("llvm", "llvm_api_url", "baseUrl"),
    ("llvm", "llvm_api_key", "apiKey"),
    ("opea", "opea_endpoint", "baseUrl"),
    ("ovms", "ovms_api_url", "baseUrl"),
    ("ovms", "ovms_model", "model"),
    ("ovms", "ovms_api_key", "apiKey"),
    ("s3_kit", "s3cfg", "s3cfg"),
];

/// How an option's value is read, and what its error says it accepts.
#[derive(Clone, Copy)]
enum Kind {
    /// A string.
    Text,
    /// A string that goes into a request header (a key, a region, a version): a control
    /// character there (a key read from a file keeps its newline) would make every request
    /// fail at the transport, retried as a connection error, so it is refused here.
    Header,
    /// An absolute http:// or https:// URL, kept without its trailing slashes.
    Url,
    /// A finite number in a range.
    Num(&'static Range),
    Bool,
    /// 'round-robin' or 'least-loaded'.
    Strategy,
    /// `{ requestsPerMinute?, tokensPerMinute? }`, each an integer >= 1.
    RateLimit,
    /// Read by `Config::set` itself (headers, endpoints, retryBudget).
    Own,
}

/// A number's range: above `min` (or at it when `at_min`), at most `max`, whole when `whole`;
/// `what` names it in errors.
struct Range {
    min: f64,
    at_min: bool,
    max: f64,
    whole: bool,
    what: &'static str,
}

const fn range(min: f64, at_min: bool, max: f64, whole: bool, what: &'static str) -> Range {
    Range {
        min,
        at_min,
        max,
        whole,
        what,
    }
}

const INF: f64 = f64::INFINITY;
const U32: f64 = u32::MAX as f64;
static SECS: Range = range(0.0, false, INF, false, "a number of seconds > 0");
static SECS0: Range = range(0.0, true, INF, false, "a number of seconds >= 0");
static INT0: Range = range(0.0, true, U32, true, "an integer >= 0");
static INT1: Range = range(1.0, true, U32, true, "an integer >= 1");
static AT_LEAST_1: Range = range(1.0, true, INF, false, "a number >= 1");
static AT_LEAST_0: Range = range(0.0, true, INF, false, "a number >= 0");
static UNIT: Range = range(0.0, true, 1.0, false, "a number from 0 to 1");

/// A value read by [`read`]: the one field its kind fills.
#[derive(Default)]
struct Got {
    text: String,
    num: f64,
    flag: bool,
    rate: Option<RateLimit>,
}

impl Got {
    // Out of line: each setter is then a call, not its own copy of the old value's drop.
    #[inline(never)]
    fn text_into(&mut self, slot: &mut Option<String>) {
        *slot = Some(take(&mut self.text));
    }

    #[inline(never)]
    fn secret_into(&mut self, slot: &mut Option<Secret>) {
        *slot = Some(Secret::new(take(&mut self.text)));
    }
}

/// One option of an object: its camelCase name, its snake_case alias, its kind, and where its
/// value goes. The validator is these tables and one loop: no code per option.
struct Row<T> {
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    set: fn(&mut T, &mut Got),
}

const fn row<T>(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    set: fn(&mut T, &mut Got),
) -> Row<T> {
    Row {
        name,
        alias,
        kind,
        set,
    }
}

/// The client's options (docs/api.md's table), in the order errors list them.
static OPTIONS: [Row<Config>; 27] = [
    row("apiKey", "api_key", Kind::Header, |c, g| {
        g.secret_into(&mut c.api_key)
    }),
    row("accessKeyId", "access_key_id", Kind::Header, |c, g| {
        g.text_into(&mut c.access_key_id)
    }),
    row(
        "secretAccessKey",
        "secret_access_key",
        Kind::Text,
        |c, g| g.secret_into(&mut c.secret_access_key),
    ),
    row("sessionToken", "session_token", Kind::Header, |c, g| {
        g.secret_into(&mut c.session_token)
    }),
    row("region", "region", Kind::Header, |c, g| {
        c.region = take(&mut g.text)
    }),
    row("baseUrl", "base_url", Kind::Url, |c, g| {
        g.text_into(&mut c.base_url)
    }),
    row("model", "model", Kind::Text, |c, g| {
        g.text_into(&mut c.model)
    }),
    row("headers", "headers", Kind::Own, |_, _| {}),
    row("timeout", "timeout", Kind::Num(&SECS), |c, g| {
        c.timeout = Secs::new(g.num)
    }),
    row(
        "maxConcurrentRequests",
        "max_concurrent_requests",
        Kind::Num(&INT1),
        |c, g| c.max_concurrent_requests = g.num as u32,
    ),
    row("queueSize", "queue_size", Kind::Num(&INT0), |c, g| {
        c.queue_size = g.num as u32
    }),
    row("maxRetries", "max_retries", Kind::Num(&INT0), |c, g| {
        c.max_retries = g.num as u32
    }),
    row(
        "initialRetryDelay",
        "initial_retry_delay",
        Kind::Num(&SECS0),
        |c, g| c.initial_retry_delay = Secs::new(g.num),
    ),
    row(
        "backoffFactor",
        "backoff_factor",
        Kind::Num(&AT_LEAST_1),
        |c, g| c.backoff_factor = g.num,
    ),
    row(
        "maxRetryDelay",
        "max_retry_delay",
        Kind::Num(&SECS0),
        |c, g| c.max_retry_delay = Secs::new(g.num),
    ),
    row("jitter", "jitter", Kind::Num(&UNIT), |c, g| {
        c.jitter = g.num
    }),
    row(
        "maxRetryAfter",
        "max_retry_after",
        Kind::Num(&SECS0),
        |c, g| c.max_retry_after = Secs::new(g.num),
    ),
    row(
        "failureThreshold",
        "failure_threshold",
        Kind::Num(&INT1),
        |c, g| c.failure_threshold = g.num as u32,
    ),
    row("resetTimeout", "reset_timeout", Kind::Num(&SECS), |c, g| {
        c.reset_timeout = Secs::new(g.num)
    }),
    row(
        "halfOpenMaxProbes",
        "half_open_max_probes",
        Kind::Num(&INT1),
        |c, g| c.half_open_max_probes = g.num as u32,
    ),
    row(
        "maxResponseBytes",
        "max_response_bytes",
        Kind::Num(&INT1),
        |c, g| c.max_response_bytes = g.num as u32,
    ),
    row("endpoints", "endpoints", Kind::Own, |_, _| {}),
    row("apiVersion", "api_version", Kind::Header, |c, g| {
        g.text_into(&mut c.api_version)
    }),
    row("strategy", "strategy", Kind::Strategy, |c, g| {
        c.strategy = if g.flag {
            Strategy::LeastLoaded
        } else {
            Strategy::RoundRobin
        }
    }),
    row("rateLimit", "rate_limit", Kind::RateLimit, |c, g| {
        c.rate_limit = g.rate
    }),
    row("adaptivePacing", "adaptive_pacing", Kind::Bool, |c, g| {
        c.adaptive_pacing = g.flag
    }),
    row("retryBudget", "retry_budget", Kind::Own, |_, _| {}),
];

/// An entry of `endpoints`.
static ENDPOINT: [Row<EndpointConfig>; 7] = [
    row("id", "id", Kind::Text, |e, g| e.id = take(&mut g.text)),
    row("apiKey", "api_key", Kind::Header, |e, g| {
        g.secret_into(&mut e.api_key)
    }),
    row("baseUrl", "base_url", Kind::Url, |e, g| {
        g.text_into(&mut e.base_url)
    }),
    row("weight", "weight", Kind::Num(&INT1), |e, g| {
        e.weight = g.num as u32
    }),
    row(
        "maxConcurrentRequests",
        "max_concurrent_requests",
        Kind::Num(&INT1),
        |e, g| e.max_concurrent_requests = Some(g.num as u32),
    ),
    row("rateLimit", "rate_limit", Kind::RateLimit, |e, g| {
        e.rate_limit = g.rate
    }),
    row("adaptivePacing", "adaptive_pacing", Kind::Bool, |e, g| {
        e.adaptive_pacing = Some(g.flag)
    }),
];

static RATE_LIMIT: [Row<RateLimit>; 2] = [
    row(
        "requestsPerMinute",
        "requests_per_minute",
        Kind::Num(&INT1),
        |r, g| r.requests_per_minute = Some(g.num as u32),
    ),
    row(
        "tokensPerMinute",
        "tokens_per_minute",
        Kind::Num(&INT1),
        |r, g| r.tokens_per_minute = Some(g.num as u32),
    ),
];

static RETRY_BUDGET: [Row<RetryBudgetConfig>; 2] = [
    row("ratio", "ratio", Kind::Num(&AT_LEAST_0), |b, g| {
        b.ratio = g.num
    }),
    row(
        "minPerSecond",
        "min_per_second",
        Kind::Num(&AT_LEAST_0),
        |b, g| b.min_per_second = g.num,
    ),
];

fn find<'a, T>(rows: &'a [Row<T>], key: &str) -> Option<&'a Row<T>> {
    rows.iter().find(|r| r.name == key || r.alias == key)
}

fn all_names() -> String {
    let mut out = String::new();
    for r in &OPTIONS {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(r.name);
    }
    out
}

/// "option `name` accepts what (got got)"; without the parenthesis when `got` is empty.
pub(crate) fn accepts(name: &str, what: &str, got: &str) -> String {
    let mut m = format!("option `{name}` accepts {what}");
    if !got.is_empty() {
        m.push_str(" (got ");
        m.push_str(got);
        m.push(')');
    }
    m
}

/// Reads `v` as option `name` of `kind` (not `Own`).
fn read(name: &str, kind: Kind, v: &Value) -> Result<Got, String> {
    let mut got = Got::default();
    match kind {
        Kind::Num(r) => {
            let x = v.as_f64().filter(|&x| {
                x.is_finite()
                    && (x > r.min || (r.at_min && x == r.min))
                    && x <= r.max
                    && (!r.whole || x.fract() == 0.0)
            });
            got.num = x.ok_or_else(|| accepts(name, r.what, &v.to_json()))?;
        }
        Kind::Bool => {
            got.flag = v
                .as_bool()
                .ok_or_else(|| accepts(name, "true or false", kind_of(v)))?
        }
        Kind::Strategy => match v.as_str() {
            Some("round-robin") => {}
            Some("least-loaded") => got.flag = true,
            _ => {
                return Err(accepts(
                    name,
                    "'round-robin' or 'least-loaded'",
                    &v.to_json(),
                ))
            }
        },
        Kind::RateLimit => got.rate = Some(rate_limit(name, v)?),
        Kind::Text | Kind::Header | Kind::Url | Kind::Own => {
            let s = v
                .as_str()
                .ok_or_else(|| accepts(name, "a string", kind_of(v)))?;
            got.text = match kind {
                Kind::Header if crate::text::has_control(s) => {
                    return Err(accepts(
                        name,
                        "a string without control characters (a newline at the end?)",
                        "",
                    ))
                }
                Kind::Url => url(name, s)?,
                _ => s.to_string(),
            };
        }
    }
    Ok(got)
}

fn url(name: &str, s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with("/") => {
            Ok(crate::providers::trim_end_slashes(s).to_string())
        }
        _ => Err(accepts(
            name,
            "an absolute http:// or https:// URL",
            &format!("'{s}'"),
        )),
    }
}

/// Reads object `m`, option `name`, into `into` through `rows` (a null field is skipped when
/// `skip_null`); a key no row names is refused: "`whose` accepts `what`".
fn fields<T>(
    name: &str,
    m: &Map<String, Value>,
    rows: &[Row<T>],
    skip_null: bool,
    whose: &str,
    what: &str,
    into: &mut T,
) -> Result<(), String> {
    let mut filling = Filling { rows, into };
    each_field(name, m, skip_null, whose, what, &mut filling)
}

/// A table of rows and what they fill, behind `dyn`: the loop over an object's fields is then
/// compiled once, not once per kind of object.
trait Fill {
    fn kind(&self, key: &str) -> Option<(usize, Kind)>;
    fn set(&mut self, row: usize, got: &mut Got);
}

struct Filling<'a, T> {
    rows: &'a [Row<T>],
    into: &'a mut T,
}

impl<T> Fill for Filling<'_, T> {
    fn kind(&self, key: &str) -> Option<(usize, Kind)> {
        let i = self
            .rows
            .iter()
            .position(|r| r.name == key || r.alias == key)?;
        Some((i, self.rows.get(i)?.kind))
    }
    fn set(&mut self, row: usize, got: &mut Got) {
        if let Some(r) = self.rows.get(row) {
            (r.set)(self.into, got);
        }
    }
}

fn each_field(
    name: &str,
    m: &Map<String, Value>,
    skip_null: bool,
    whose: &str,
    what: &str,
    fill: &mut dyn Fill,
) -> Result<(), String> {
    for (k, v) in m {
        if skip_null && v.is_null() {
            continue;
        }
        let full = format!("{name}.{k}");
        let Some((row, kind)) = fill.kind(k) else {
            return Err(format!(
                "option `{full}` is unknown; {whose} accepts {what}"
            ));
        };
        fill.set(row, &mut read(&full, kind, v)?);
    }
    Ok(())
}

impl Config {
    /// Builds a config from a JSON object of options for `provider`. `null` means "not given".
    pub fn from_options(provider: &str, options: &Value) -> Result<Config, String> {
        let map = match options {
            Value::Null => return Ok(Config::default()),
            Value::Object(m) => m,
            _ => return Err("options must be an object".into()),
        };
        let mut canon: Map<String, Value> = Map::new();
        for (key, value) in map {
            if value.is_null() {
                continue;
            }
            let explicit = find(&OPTIONS, key);
            let target = match explicit {
                Some(r) => r.name,
                None => match PROVIDER_ALIASES.iter().find(|(_, k, _)| *k == key) {
                    Some((p, _, t)) if *p == provider => *t,
                    Some(_) => continue,
                    None => {
                        return Err(format!(
                            "unknown option `{key}`; accepted options are {}",
                            all_names()
                        ))
                    }
                },
            };
            if target == "s3cfg" {
                expand_s3cfg(value, &mut canon)?;
            } else if explicit.is_none() && canon.contains_key(target) {
                // An explicit option wins over a seed metadata alias.
            } else {
                canon.insert(target.to_string(), value.clone());
            }
        }
        let mut c = Config::default();
        for (key, v) in &canon {
            if let Some(r) = find(&OPTIONS, key) {
                c.set(r, v)?;
            }
        }
        Ok(c)
    }

    /// The config endpoint `e`'s requests are built with: its key and URL where it has them,
    /// the client's otherwise, and no `endpoints` of its own.
    pub fn for_endpoint(&self, e: &EndpointConfig) -> Config {
        let mut c = self.without_endpoints();
        if e.api_key.is_some() {
            c.api_key.clone_from(&e.api_key);
        }
        if e.base_url.is_some() {
            c.base_url.clone_from(&e.base_url);
        }
        c
    }

    /// A copy without `endpoints` (what building one request reads): the endpoints' own
    /// clone code stays out of the wasm, which never needs a whole config's copy.
    pub fn without_endpoints(&self) -> Config {
        Config {
            api_key: self.api_key.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
            region: self.region.clone(),
            base_url: self.base_url.clone(),
            model: self.model.clone(),
            headers: self.headers.clone(),
            endpoints: Vec::new(),
            api_version: self.api_version.clone(),
            rate_limit: self.rate_limit,
            retry_budget: self.retry_budget,
            ..*self
        }
    }

    fn set(&mut self, r: &Row<Config>, v: &Value) -> Result<(), String> {
        match r.name {
            "headers" => self.headers = headers(v)?,
            "endpoints" => self.endpoints = endpoints(v)?,
            "retryBudget" => self.retry_budget = retry_budget(v)?,
            name => (r.set)(self, &mut read(name, r.kind, v)?),
        }
        Ok(())
    }
}

fn expand_s3cfg(v: &Value, out: &mut Map<String, Value>) -> Result<(), String> {
    let m = v
        .as_object()
        .ok_or("option `s3cfg` accepts an object { accessKey, secretKey, endpoint }")?;
    for (k, val) in m {
        let target = match k.as_str() {
            "accessKey" | "access_key" => "accessKeyId",
            "secretKey" | "secret_key" => "secretAccessKey",
            "endpoint" => "baseUrl",
            _ => {
                return Err(format!(
                    "option `s3cfg.{k}` is unknown; `s3cfg` accepts accessKey, secretKey, endpoint"
                ))
            }
        };
        out.entry(target.to_string()).or_insert_with(|| val.clone());
    }
    Ok(())
}

/// `{ requestsPerMinute?, tokensPerMinute? }`, each an integer >= 1.
fn rate_limit(name: &str, v: &Value) -> Result<RateLimit, String> {
    let what = "{ requestsPerMinute?, tokensPerMinute? }";
    let m = v
        .as_object()
        .ok_or_else(|| accepts(name, &format!("an object {what}"), kind_of(v)))?;
    let mut r = RateLimit::default();
    fields(
        name,
        m,
        &RATE_LIMIT,
        true,
        &format!("`{name}`"),
        what,
        &mut r,
    )?;
    Ok(r)
}

/// `false`, or `{ ratio?, minPerSecond? }` over the defaults.
fn retry_budget(v: &Value) -> Result<Option<RetryBudgetConfig>, String> {
    let what = "false or an object { ratio?, minPerSecond? }";
    let m = match v {
        Value::Bool(false) => return Ok(None),
        Value::Bool(true) => return Ok(Some(RetryBudgetConfig::default())),
        Value::Object(m) => m,
        _ => return Err(accepts("retryBudget", what, kind_of(v))),
    };
    let mut b = RetryBudgetConfig::default();
    fields(
        "retryBudget",
        m,
        &RETRY_BUDGET,
        true,
        "`retryBudget`",
        what,
        &mut b,
    )?;
    Ok(Some(b))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn headers(v: &Value) -> Result<Vec<(String, String)>, String> {
    let m = v
        .as_object()
        .ok_or("option `headers` accepts an object of header names to string values")?;
    // A plain loop: `collect::<Result<Vec<_>, _>>` instantiates a large iterator adapter.
    let mut out = Vec::with_capacity(m.len());
    for (k, val) in m {
        match val.as_str() {
            Some(s) if valid_header(k, s) => out.push((k.clone(), s.to_string())),
            _ => return Err(format!(
                "option `headers.{k}` accepts a header name with a string value without control characters"
            )),
        }
    }
    Ok(out)
}

/// An HTTP field name (visible ASCII, no colon) and a value with no control characters but tab.
pub fn valid_header(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
        && !value.chars().any(|c| c.is_control() && c != '\t')
}

fn endpoints(v: &Value) -> Result<Vec<EndpointConfig>, String> {
    let arr = v.as_array().ok_or(
        "option `endpoints` accepts an array of { id, apiKey?, baseUrl?, weight?, maxConcurrentRequests? }",
    )?;
    let mut out: Vec<EndpointConfig> = Vec::new();
    for (i, e) in arr.iter().enumerate() {
        let name = format!("endpoints[{i}]");
        let m = e
            .as_object()
            .ok_or_else(|| accepts(&name, "an object with an `id`", ""))?;
        let mut ep = EndpointConfig {
            id: String::new(),
            api_key: None,
            base_url: None,
            weight: 1,
            max_concurrent_requests: None,
            rate_limit: None,
            adaptive_pacing: None,
        };
        fields(
            &name,
            m,
            &ENDPOINT,
            false,
            "an endpoint",
            "id, apiKey, baseUrl, weight, maxConcurrentRequests, rateLimit, adaptivePacing",
            &mut ep,
        )?;
        if ep.id.is_empty() {
            return Err(format!(
                "option `{name}.id` is required: a non-empty string"
            ));
        }
        if out.iter().any(|o| o.id == ep.id) {
            return Err(format!(
                "option `{name}.id` must be unique ('{}' repeats)",
                ep.id
            ));
        }
        out.push(ep);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::json;
    use crate::queue::Priority;

    #[test]
    fn defaults_are_the_seeds() {
        let c = Config::from_options("openai", &json!({})).unwrap();
        assert_eq!(c.max_concurrent_requests, 5);
        assert_eq!(c.queue_size, 100);
        assert_eq!(c.max_retries, 5);
        assert_eq!(c.initial_retry_delay, Secs::new(1.0));
        assert_eq!(c.backoff_factor, 2.0);
        assert_eq!(c.max_retry_delay, Secs::new(16.0));
        assert_eq!(c.failure_threshold, 5);
        assert_eq!(c.reset_timeout, Secs::new(30.0));
        assert_eq!(c.timeout, Secs::new(60.0));
    }

    #[test]
    fn snake_case_and_seed_metadata_aliases() {
        let c = Config::from_options(
            "openai",
            &json!({"max_concurrent_requests": 2, "openai_api_key": "k1", "groq_api_key": "k2"}),
        )
        .unwrap();
        assert_eq!(c.max_concurrent_requests, 2);
        assert_eq!(c.api_key.unwrap().expose(), "k1");
        let s3 = Config::from_options(
            "s3_kit",
            &json!({"s3cfg": {"accessKey": "a", "secretKey": "s", "endpoint": "http://127.0.0.1:9000"}}),
        )
        .unwrap();
        assert_eq!(s3.access_key_id.as_deref(), Some("a"));
        assert_eq!(s3.base_url.as_deref(), Some("http://127.0.0.1:9000"));
    }

    #[test]
    fn errors_name_the_option_and_what_it_accepts() {
        let cases = [
            (
                json!({"maxConcurrentRequests": -1}),
                "maxConcurrentRequests",
                "integer >= 1",
            ),
            (json!({"jitter": 2}), "jitter", "from 0 to 1"),
            (json!({"timeout": "5"}), "timeout", "seconds > 0"),
            (json!({"bogus": 1}), "bogus", "accepted options"),
            (json!({"baseUrl": "ftp://x"}), "baseUrl", "http://"),
            (json!({"strategy": "random"}), "strategy", "round-robin"),
            (
                json!({"endpoints": [{"id": "a"}, {"id": "a"}]}),
                "endpoints[1].id",
                "unique",
            ),
            (json!({"headers": {"x": 1}}), "headers.x", "string value"),
            (
                json!({"rateLimit": {"requestsPerMinute": 0}}),
                "rateLimit.requestsPerMinute",
                "integer >= 1",
            ),
            (json!({"rateLimit": 5}), "rateLimit", "requestsPerMinute"),
            (
                json!({"rate_limit": {"rpm": 5}}),
                "rateLimit.rpm",
                "tokensPerMinute",
            ),
            (
                json!({"adaptivePacing": "yes"}),
                "adaptivePacing",
                "true or false",
            ),
            (
                json!({"retryBudget": 1}),
                "retryBudget",
                "false or an object",
            ),
            (
                json!({"retryBudget": {"ratio": -1}}),
                "retryBudget.ratio",
                ">= 0",
            ),
            (
                json!({"endpoints": [{"id": "a", "rateLimit": {"tokensPerMinute": 1.5}}]}),
                "endpoints[0].rateLimit.tokensPerMinute",
                "integer",
            ),
        ];
        for (opts, name, what) in cases {
            let err = Config::from_options("openai", &opts).unwrap_err();
            assert!(err.contains(name), "{err} should name {name}");
            assert!(err.contains(what), "{err} should say {what}");
        }
    }

    #[test]
    fn pacing_options() {
        let c = Config::from_options("openai", &json!({})).unwrap();
        assert!(c.adaptive_pacing);
        assert_eq!(c.retry_budget, Some(RetryBudgetConfig::default()));
        assert_eq!(c.rate_limit, None);
        let c = Config::from_options(
            "openai",
            &json!({"rate_limit": {"requests_per_minute": 60, "tokensPerMinute": 1000},
                    "adaptive_pacing": false, "retry_budget": false,
                    "endpoints": [{"id": "a", "rateLimit": {"requestsPerMinute": 6}, "adaptivePacing": true}]}),
        )
        .unwrap();
        assert_eq!(
            c.rate_limit,
            Some(RateLimit {
                requests_per_minute: Some(60),
                tokens_per_minute: Some(1000)
            })
        );
        assert!(!c.adaptive_pacing);
        assert_eq!(c.retry_budget, None);
        assert_eq!(c.endpoints[0].adaptive_pacing, Some(true));
        let b = Config::from_options("openai", &json!({"retryBudget": {"ratio": 0.5}})).unwrap();
        assert_eq!(
            b.retry_budget,
            Some(RetryBudgetConfig {
                ratio: 0.5,
                min_per_second: 10.0
            })
        );
    }

    #[test]
    fn null_means_not_given() {
        let c = Config::from_options("openai", &json!({"apiKey": null, "timeout": null})).unwrap();
        assert!(c.api_key.is_none());
        assert_eq!(c.timeout, Secs::new(60.0));
    }

    #[test]
    fn priorities() {
        assert_eq!(Priority::parse(&json!("high")).unwrap(), Priority::High);
        assert_eq!(Priority::parse(&json!(2)).unwrap(), Priority::Low);
        assert!(Priority::parse(&json!("urgent"))
            .unwrap_err()
            .contains("priority"));
    }
}
