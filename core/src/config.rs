//! Client options: docs/api.md's table, the seed's defaults and aliases, and validation that names
//! the option and what it accepts.

use crate::json::{Map, Value};
use crate::pacing::{RateLimit, RetryBudgetConfig};
use crate::secret::Secret;
use crate::time::Secs;

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

/// camelCase option names and their seed snake_case aliases.
const OPTIONS: &[(&str, &str)] = &[
    ("apiKey", "api_key"),
    ("accessKeyId", "access_key_id"),
    ("secretAccessKey", "secret_access_key"),
    ("sessionToken", "session_token"),
    ("region", "region"),
    ("baseUrl", "base_url"),
    ("model", "model"),
    ("headers", "headers"),
    ("timeout", "timeout"),
    ("maxConcurrentRequests", "max_concurrent_requests"),
    ("queueSize", "queue_size"),
    ("maxRetries", "max_retries"),
    ("initialRetryDelay", "initial_retry_delay"),
    ("backoffFactor", "backoff_factor"),
    ("maxRetryDelay", "max_retry_delay"),
    ("jitter", "jitter"),
    ("maxRetryAfter", "max_retry_after"),
    ("failureThreshold", "failure_threshold"),
    ("resetTimeout", "reset_timeout"),
    ("halfOpenMaxProbes", "half_open_max_probes"),
    ("maxResponseBytes", "max_response_bytes"),
    ("endpoints", "endpoints"),
    ("apiVersion", "api_version"),
    ("strategy", "strategy"),
    ("rateLimit", "rate_limit"),
    ("adaptivePacing", "adaptive_pacing"),
    ("retryBudget", "retry_budget"),
];

fn canonical(key: &str) -> Option<&'static str> {
    OPTIONS
        .iter()
        .find(|(camel, snake)| *camel == key || *snake == key)
        .map(|(camel, _)| *camel)
}

fn all_names() -> String {
    let mut out = String::new();
    for (c, _) in OPTIONS {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(c);
    }
    out
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
            let target = if let Some(c) = canonical(key) {
                c
            } else if let Some((p, _, t)) = PROVIDER_ALIASES.iter().find(|(_, k, _)| *k == key) {
                if *p != provider {
                    continue;
                }
                *t
            } else {
                return Err(format!(
                    "unknown option `{key}`; accepted options are {}",
                    all_names()
                ));
            };
            if target == "s3cfg" {
                expand_s3cfg(value, &mut canon)?;
            } else if canon.contains_key(target) && canonical(key).is_none() {
                // An explicit option wins over a seed metadata alias.
            } else {
                canon.insert(target.to_string(), value.clone());
            }
        }
        let mut c = Config::default();
        for (key, v) in &canon {
            c.set(key, v)?;
        }
        Ok(c)
    }

    fn set(&mut self, key: &str, v: &Value) -> Result<(), String> {
        match key {
            "apiKey" => self.api_key = Some(Secret::new(header_safe(key, v)?)),
            "accessKeyId" => self.access_key_id = Some(header_safe(key, v)?),
            "secretAccessKey" => self.secret_access_key = Some(Secret::new(string(key, v)?)),
            "sessionToken" => self.session_token = Some(Secret::new(header_safe(key, v)?)),
            "region" => self.region = header_safe(key, v)?,
            "baseUrl" => self.base_url = Some(url(key, v)?),
            "model" => self.model = Some(string(key, v)?),
            "headers" => self.headers = headers(v)?,
            "timeout" => self.timeout = seconds(key, v, false)?,
            "maxConcurrentRequests" => self.max_concurrent_requests = integer(key, v, 1)?,
            "queueSize" => self.queue_size = integer(key, v, 0)?,
            "maxRetries" => self.max_retries = integer(key, v, 0)?,
            "initialRetryDelay" => self.initial_retry_delay = seconds(key, v, true)?,
            "backoffFactor" => self.backoff_factor = number(key, v, 1.0, true, "a number >= 1")?,
            "maxRetryDelay" => self.max_retry_delay = seconds(key, v, true)?,
            "jitter" => {
                self.jitter = number(key, v, 0.0, true, "a number from 0 to 1")?;
                if self.jitter > 1.0 {
                    return Err(format!(
                        "option `{key}` accepts a number from 0 to 1 (got {v})"
                    ));
                }
            }
            "maxRetryAfter" => self.max_retry_after = seconds(key, v, true)?,
            "failureThreshold" => self.failure_threshold = integer(key, v, 1)?,
            "resetTimeout" => self.reset_timeout = seconds(key, v, false)?,
            "halfOpenMaxProbes" => self.half_open_max_probes = integer(key, v, 1)?,
            "maxResponseBytes" => self.max_response_bytes = integer(key, v, 1)?,
            "endpoints" => self.endpoints = endpoints(v)?,
            "apiVersion" => self.api_version = Some(header_safe(key, v)?),
            "strategy" => {
                self.strategy = match v.as_str() {
                    Some("round-robin") => Strategy::RoundRobin,
                    Some("least-loaded") => Strategy::LeastLoaded,
                    _ => {
                        return Err(format!(
                            "option `strategy` accepts 'round-robin' or 'least-loaded' (got {v})"
                        ))
                    }
                }
            }
            "rateLimit" => self.rate_limit = Some(rate_limit(key, v)?),
            "adaptivePacing" => self.adaptive_pacing = boolean(key, v)?,
            "retryBudget" => self.retry_budget = retry_budget(v)?,
            _ => return Err(format!("unknown option `{key}`")),
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

fn string(key: &str, v: &Value) -> Result<String, String> {
    match v.as_str() {
        Some(s) => Ok(s.to_string()),
        None => Err(format!("option `{key}` accepts a string (got {})", kind(v))),
    }
}

/// A string that goes into a request header (a key, a region, a version): a control character
/// there (a key read from a file keeps its newline) would make every request fail at the
/// transport, retried as a connection error, so it is refused here with a clear message.
fn header_safe(key: &str, v: &Value) -> Result<String, String> {
    let s = string(key, v)?;
    if s.chars().any(char::is_control) {
        return Err(format!(
            "option `{key}` accepts a string without control characters (a newline at the end?)"
        ));
    }
    Ok(s)
}

fn url(key: &str, v: &Value) -> Result<String, String> {
    let s = string(key, v)?;
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(s.trim_end_matches('/').to_string()),
        _ => Err(format!(
            "option `{key}` accepts an absolute http:// or https:// URL (got '{s}')"
        )),
    }
}

fn number(key: &str, v: &Value, min: f64, inclusive: bool, what: &str) -> Result<f64, String> {
    let x = v.as_f64().filter(|x| x.is_finite());
    match x {
        Some(x) if x > min || (inclusive && x == min) => Ok(x),
        _ => Err(format!("option `{key}` accepts {what} (got {v})")),
    }
}

/// A duration option: a finite number of seconds, > 0 or (when `zero` is allowed) >= 0.
fn seconds(key: &str, v: &Value, zero: bool) -> Result<Secs, String> {
    let what = if zero {
        "a number of seconds >= 0"
    } else {
        "a number of seconds > 0"
    };
    number(key, v, 0.0, zero, what).map(Secs::new)
}

fn integer(key: &str, v: &Value, min: u32) -> Result<u32, String> {
    let x = v.as_f64().filter(|x| x.is_finite() && x.fract() == 0.0);
    match x {
        Some(x) if x >= f64::from(min) && x <= f64::from(u32::MAX) => Ok(x as u32),
        _ => Err(format!(
            "option `{key}` accepts an integer >= {min} (got {v})"
        )),
    }
}

fn boolean(key: &str, v: &Value) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("option `{key}` accepts true or false (got {})", kind(v)))
}

/// `{ requestsPerMinute?, tokensPerMinute? }`, each an integer >= 1.
fn rate_limit(key: &str, v: &Value) -> Result<RateLimit, String> {
    let what = "{ requestsPerMinute?, tokensPerMinute? }";
    let m = v
        .as_object()
        .ok_or_else(|| format!("option `{key}` accepts an object {what} (got {})", kind(v)))?;
    let mut r = RateLimit::default();
    for (k, val) in m {
        let name = format!("{key}.{k}");
        match k.as_str() {
            _ if val.is_null() => {}
            "requestsPerMinute" | "requests_per_minute" => {
                r.requests_per_minute = Some(integer(&name, val, 1)?)
            }
            "tokensPerMinute" | "tokens_per_minute" => {
                r.tokens_per_minute = Some(integer(&name, val, 1)?)
            }
            _ => {
                return Err(format!(
                    "option `{name}` is unknown; `{key}` accepts {what}"
                ))
            }
        }
    }
    Ok(r)
}

/// `false`, or `{ ratio?, minPerSecond? }` over the defaults.
fn retry_budget(v: &Value) -> Result<Option<RetryBudgetConfig>, String> {
    let what = "false or an object { ratio?, minPerSecond? }";
    let m = match v {
        Value::Bool(false) => return Ok(None),
        Value::Bool(true) => return Ok(Some(RetryBudgetConfig::default())),
        Value::Object(m) => m,
        _ => {
            return Err(format!(
                "option `retryBudget` accepts {what} (got {})",
                kind(v)
            ))
        }
    };
    let mut b = RetryBudgetConfig::default();
    for (k, val) in m {
        let name = format!("retryBudget.{k}");
        match k.as_str() {
            _ if val.is_null() => {}
            "ratio" => b.ratio = number(&name, val, 0.0, true, "a number >= 0")?,
            "minPerSecond" | "min_per_second" => {
                b.min_per_second = number(&name, val, 0.0, true, "a number >= 0")?
            }
            _ => {
                return Err(format!(
                    "option `{name}` is unknown; `retryBudget` accepts {what}"
                ))
            }
        }
    }
    Ok(Some(b))
}

fn kind(v: &Value) -> &'static str {
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
        let m = e
            .as_object()
            .ok_or_else(|| format!("option `endpoints[{i}]` accepts an object with an `id`"))?;
        let mut ep = EndpointConfig {
            id: String::new(),
            api_key: None,
            base_url: None,
            weight: 1,
            max_concurrent_requests: None,
            rate_limit: None,
            adaptive_pacing: None,
        };
        for (k, val) in m {
            let name = format!("endpoints[{i}].{k}");
            match k.as_str() {
                "id" => ep.id = string(&name, val)?,
                "apiKey" | "api_key" => ep.api_key = Some(Secret::new(header_safe(&name, val)?)),
                "baseUrl" | "base_url" => ep.base_url = Some(url(&name, val)?),
                "weight" => ep.weight = integer(&name, val, 1)?,
                "maxConcurrentRequests" | "max_concurrent_requests" => {
                    ep.max_concurrent_requests = Some(integer(&name, val, 1)?)
                }
                "rateLimit" | "rate_limit" => ep.rate_limit = Some(rate_limit(&name, val)?),
                "adaptivePacing" | "adaptive_pacing" => {
                    ep.adaptive_pacing = Some(boolean(&name, val)?)
                }
                _ => {
                    return Err(format!(
                        "option `{name}` is unknown; an endpoint accepts id, apiKey, baseUrl, weight, maxConcurrentRequests, rateLimit, adaptivePacing"
                    ))
                }
            }
        }
        if ep.id.is_empty() {
            return Err(format!(
                "option `endpoints[{i}].id` is required: a non-empty string"
            ));
        }
        if out.iter().any(|o| o.id == ep.id) {
            return Err(format!(
                "option `endpoints[{i}].id` must be unique ('{}' repeats)",
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
