//! Every message and result of `Config::from_options`, pinned exactly: the validator is one
//! table read by one loop (core/src/config.rs), and a change of its shape must not change a
//! word a user reads nor a value a client gets. Each case: provider, options as JSON text, and
//! `Err: message` or `Ok: ` the config's Debug text and its secrets exposed.

use resilient_core::config::Config;
use resilient_core::json::{self, Value};

fn describe(r: Result<Config, String>) -> String {
    match r {
        Err(e) => format!("Err: {e}"),
        Ok(c) => {
            let mut keys = vec![
                c.api_key.as_ref().map(|s| s.expose().to_string()),
                c.secret_access_key.as_ref().map(|s| s.expose().to_string()),
                c.session_token.as_ref().map(|s| s.expose().to_string()),
            ];
            for e in &c.endpoints {
                keys.push(e.api_key.as_ref().map(|s| s.expose().to_string()));
            }
            format!("Ok: {c:?} keys {keys:?}")
        }
    }
}

const CASES: &[(&str, &str, &str)] = &[
    ("openai", r#"5"#, r#"Err: options must be an object"#),
    ("openai", r#"[]"#, r#"Err: options must be an object"#),
    (
        "openai",
        r#"{"bogus": 1}"#,
        r#"Err: unknown option `bogus`; accepted options are apiKey, accessKeyId, secretAccessKey, sessionToken, region, baseUrl, model, headers, timeout, maxConcurrentRequests, queueSize, maxRetries, initialRetryDelay, backoffFactor, maxRetryDelay, jitter, maxRetryAfter, failureThreshold, resetTimeout, halfOpenMaxProbes, maxResponseBytes, endpoints, apiVersion, strategy, rateLimit, adaptivePacing, retryBudget"#,
    ),
    (
        "openai",
        r#"{"zzz": 1, "timeout": 0}"#,
        r#"Err: unknown option `zzz`; accepted options are apiKey, accessKeyId, secretAccessKey, sessionToken, region, baseUrl, model, headers, timeout, maxConcurrentRequests, queueSize, maxRetries, initialRetryDelay, backoffFactor, maxRetryDelay, jitter, maxRetryAfter, failureThreshold, resetTimeout, halfOpenMaxProbes, maxResponseBytes, endpoints, apiVersion, strategy, rateLimit, adaptivePacing, retryBudget"#,
    ),
    (
        "openai",
        r#"{"timeout": 0, "jitter": 2}"#,
        r#"Err: option `jitter` accepts a number from 0 to 1 (got 2)"#,
    ),
    (
        "openai",
        r#"{"apiKey": 5}"#,
        r#"Err: option `apiKey` accepts a string (got a number)"#,
    ),
    (
        "openai",
        r#"{"apiKey": "k\n"}"#,
        r#"Err: option `apiKey` accepts a string without control characters (a newline at the end?)"#,
    ),
    (
        "openai",
        r#"{"api_key": null, "apiKey": {}}"#,
        r#"Err: option `apiKey` accepts a string (got an object)"#,
    ),
    (
        "openai",
        r#"{"accessKeyId": true}"#,
        r#"Err: option `accessKeyId` accepts a string (got a boolean)"#,
    ),
    (
        "openai",
        r#"{"accessKeyId": "a\u0001"}"#,
        r#"Err: option `accessKeyId` accepts a string without control characters (a newline at the end?)"#,
    ),
    (
        "openai",
        r#"{"secretAccessKey": []}"#,
        r#"Err: option `secretAccessKey` accepts a string (got an array)"#,
    ),
    (
        "openai",
        r#"{"sessionToken": "x\u0001"}"#,
        r#"Err: option `sessionToken` accepts a string without control characters (a newline at the end?)"#,
    ),
    (
        "openai",
        r#"{"sessionToken": null, "session_token": 1}"#,
        r#"Err: option `sessionToken` accepts a string (got a number)"#,
    ),
    (
        "openai",
        r#"{"region": {}}"#,
        r#"Err: option `region` accepts a string (got an object)"#,
    ),
    (
        "openai",
        r#"{"region": "eu\tw"}"#,
        r#"Err: option `region` accepts a string without control characters (a newline at the end?)"#,
    ),
    (
        "openai",
        r#"{"baseUrl": "ftp://x"}"#,
        r#"Err: option `baseUrl` accepts an absolute http:// or https:// URL (got 'ftp://x')"#,
    ),
    (
        "openai",
        r#"{"baseUrl": "http:///x"}"#,
        r#"Err: option `baseUrl` accepts an absolute http:// or https:// URL (got 'http:///x')"#,
    ),
    (
        "openai",
        r#"{"baseUrl": "https://"}"#,
        r#"Err: option `baseUrl` accepts an absolute http:// or https:// URL (got 'https://')"#,
    ),
    (
        "openai",
        r#"{"base_url": 3}"#,
        r#"Err: option `baseUrl` accepts a string (got a number)"#,
    ),
    (
        "openai",
        r#"{"model": 1}"#,
        r#"Err: option `model` accepts a string (got a number)"#,
    ),
    (
        "openai",
        r#"{"headers": 1}"#,
        r#"Err: option `headers` accepts an object of header names to string values"#,
    ),
    (
        "openai",
        r#"{"headers": {"a:b": "x"}}"#,
        r#"Err: option `headers.a:b` accepts a header name with a string value without control characters"#,
    ),
    (
        "openai",
        r#"{"headers": {"x": 1}}"#,
        r#"Err: option `headers.x` accepts a header name with a string value without control characters"#,
    ),
    (
        "openai",
        r#"{"headers": {"x": "a\nb"}}"#,
        r#"Err: option `headers.x` accepts a header name with a string value without control characters"#,
    ),
    (
        "openai",
        r#"{"headers": {"": "a"}}"#,
        r#"Err: option `headers.` accepts a header name with a string value without control characters"#,
    ),
    (
        "openai",
        r#"{"timeout": 0}"#,
        r#"Err: option `timeout` accepts a number of seconds > 0 (got 0)"#,
    ),
    (
        "openai",
        r#"{"timeout": "5"}"#,
        r#"Err: option `timeout` accepts a number of seconds > 0 (got "5")"#,
    ),
    (
        "openai",
        r#"{"timeout": -1}"#,
        r#"Err: option `timeout` accepts a number of seconds > 0 (got -1)"#,
    ),
    (
        "openai",
        r#"{"maxConcurrentRequests": 0}"#,
        r#"Err: option `maxConcurrentRequests` accepts an integer >= 1 (got 0)"#,
    ),
    (
        "openai",
        r#"{"maxConcurrentRequests": 1.5}"#,
        r#"Err: option `maxConcurrentRequests` accepts an integer >= 1 (got 1.5)"#,
    ),
    (
        "openai",
        r#"{"maxConcurrentRequests": -1}"#,
        r#"Err: option `maxConcurrentRequests` accepts an integer >= 1 (got -1)"#,
    ),
    (
        "openai",
        r#"{"max_concurrent_requests": 5000000000}"#,
        r#"Err: option `maxConcurrentRequests` accepts an integer >= 1 (got 5000000000)"#,
    ),
    (
        "openai",
        r#"{"maxConcurrentRequests": "2"}"#,
        r#"Err: option `maxConcurrentRequests` accepts an integer >= 1 (got "2")"#,
    ),
    (
        "openai",
        r#"{"queueSize": -1}"#,
        r#"Err: option `queueSize` accepts an integer >= 0 (got -1)"#,
    ),
    (
        "openai",
        r#"{"queue_size": 0.5}"#,
        r#"Err: option `queueSize` accepts an integer >= 0 (got 0.5)"#,
    ),
    (
        "openai",
        r#"{"maxRetries": "3"}"#,
        r#"Err: option `maxRetries` accepts an integer >= 0 (got "3")"#,
    ),
    (
        "openai",
        r#"{"max_retries": -2}"#,
        r#"Err: option `maxRetries` accepts an integer >= 0 (got -2)"#,
    ),
    (
        "openai",
        r#"{"initialRetryDelay": -1}"#,
        r#"Err: option `initialRetryDelay` accepts a number of seconds >= 0 (got -1)"#,
    ),
    (
        "openai",
        r#"{"initial_retry_delay": false}"#,
        r#"Err: option `initialRetryDelay` accepts a number of seconds >= 0 (got false)"#,
    ),
    (
        "openai",
        r#"{"backoffFactor": 0.5}"#,
        r#"Err: option `backoffFactor` accepts a number >= 1 (got 0.5)"#,
    ),
    (
        "openai",
        r#"{"backoff_factor": "2"}"#,
        r#"Err: option `backoffFactor` accepts a number >= 1 (got "2")"#,
    ),
    (
        "openai",
        r#"{"maxRetryDelay": "x"}"#,
        r#"Err: option `maxRetryDelay` accepts a number of seconds >= 0 (got "x")"#,
    ),
    (
        "openai",
        r#"{"maxRetryDelay": -0.5}"#,
        r#"Err: option `maxRetryDelay` accepts a number of seconds >= 0 (got -0.5)"#,
    ),
    (
        "openai",
        r#"{"jitter": 2}"#,
        r#"Err: option `jitter` accepts a number from 0 to 1 (got 2)"#,
    ),
    (
        "openai",
        r#"{"jitter": -0.1}"#,
        r#"Err: option `jitter` accepts a number from 0 to 1 (got -0.1)"#,
    ),
    (
        "openai",
        r#"{"jitter": "a"}"#,
        r#"Err: option `jitter` accepts a number from 0 to 1 (got "a")"#,
    ),
    (
        "openai",
        r#"{"jitter": 1.0000001}"#,
        r#"Err: option `jitter` accepts a number from 0 to 1 (got 1.0000001)"#,
    ),
    (
        "openai",
        r#"{"maxRetryAfter": -1}"#,
        r#"Err: option `maxRetryAfter` accepts a number of seconds >= 0 (got -1)"#,
    ),
    (
        "openai",
        r#"{"max_retry_after": []}"#,
        r#"Err: option `maxRetryAfter` accepts a number of seconds >= 0 (got [])"#,
    ),
    (
        "openai",
        r#"{"failureThreshold": 0}"#,
        r#"Err: option `failureThreshold` accepts an integer >= 1 (got 0)"#,
    ),
    (
        "openai",
        r#"{"failure_threshold": 2.5}"#,
        r#"Err: option `failureThreshold` accepts an integer >= 1 (got 2.5)"#,
    ),
    (
        "openai",
        r#"{"resetTimeout": 0}"#,
        r#"Err: option `resetTimeout` accepts a number of seconds > 0 (got 0)"#,
    ),
    (
        "openai",
        r#"{"reset_timeout": -3}"#,
        r#"Err: option `resetTimeout` accepts a number of seconds > 0 (got -3)"#,
    ),
    (
        "openai",
        r#"{"halfOpenMaxProbes": 0}"#,
        r#"Err: option `halfOpenMaxProbes` accepts an integer >= 1 (got 0)"#,
    ),
    (
        "openai",
        r#"{"half_open_max_probes": "1"}"#,
        r#"Err: option `halfOpenMaxProbes` accepts an integer >= 1 (got "1")"#,
    ),
    (
        "openai",
        r#"{"maxResponseBytes": 0}"#,
        r#"Err: option `maxResponseBytes` accepts an integer >= 1 (got 0)"#,
    ),
    (
        "openai",
        r#"{"max_response_bytes": 4294967296}"#,
        r#"Err: option `maxResponseBytes` accepts an integer >= 1 (got 4294967296)"#,
    ),
    (
        "openai",
        r#"{"endpoints": 5}"#,
        r#"Err: option `endpoints` accepts an array of { id, apiKey?, baseUrl?, weight?, maxConcurrentRequests? }"#,
    ),
    (
        "openai",
        r#"{"endpoints": {}}"#,
        r#"Err: option `endpoints` accepts an array of { id, apiKey?, baseUrl?, weight?, maxConcurrentRequests? }"#,
    ),
    (
        "openai",
        r#"{"endpoints": [5]}"#,
        r#"Err: option `endpoints[0]` accepts an object with an `id`"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{}]}"#,
        r#"Err: option `endpoints[0].id` is required: a non-empty string"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": ""}]}"#,
        r#"Err: option `endpoints[0].id` is required: a non-empty string"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a"}, {"id": "a"}]}"#,
        r#"Err: option `endpoints[1].id` must be unique ('a' repeats)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": 1}]}"#,
        r#"Err: option `endpoints[0].id` accepts a string (got a number)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "apiKey": "x\n"}]}"#,
        r#"Err: option `endpoints[0].apiKey` accepts a string without control characters (a newline at the end?)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "api_key": 7}]}"#,
        r#"Err: option `endpoints[0].api_key` accepts a string (got a number)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "baseUrl": "x"}]}"#,
        r#"Err: option `endpoints[0].baseUrl` accepts an absolute http:// or https:// URL (got 'x')"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "base_url": false}]}"#,
        r#"Err: option `endpoints[0].base_url` accepts a string (got a boolean)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "weight": 0}]}"#,
        r#"Err: option `endpoints[0].weight` accepts an integer >= 1 (got 0)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "weight": "1"}]}"#,
        r#"Err: option `endpoints[0].weight` accepts an integer >= 1 (got "1")"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "maxConcurrentRequests": 0}]}"#,
        r#"Err: option `endpoints[0].maxConcurrentRequests` accepts an integer >= 1 (got 0)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "max_concurrent_requests": 0.5}]}"#,
        r#"Err: option `endpoints[0].max_concurrent_requests` accepts an integer >= 1 (got 0.5)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "rateLimit": 5}]}"#,
        r#"Err: option `endpoints[0].rateLimit` accepts an object { requestsPerMinute?, tokensPerMinute? } (got a number)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "rate_limit": {"rpm": 1}}]}"#,
        r#"Err: option `endpoints[0].rate_limit.rpm` is unknown; `endpoints[0].rate_limit` accepts { requestsPerMinute?, tokensPerMinute? }"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "rateLimit": {"tokensPerMinute": 1.5}}]}"#,
        r#"Err: option `endpoints[0].rateLimit.tokensPerMinute` accepts an integer >= 1 (got 1.5)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "adaptivePacing": "y"}]}"#,
        r#"Err: option `endpoints[0].adaptivePacing` accepts true or false (got a string)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "adaptive_pacing": 1}]}"#,
        r#"Err: option `endpoints[0].adaptive_pacing` accepts true or false (got a number)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "bogus": 1}]}"#,
        r#"Err: option `endpoints[0].bogus` is unknown; an endpoint accepts id, apiKey, baseUrl, weight, maxConcurrentRequests, rateLimit, adaptivePacing"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "weight": null}]}"#,
        r#"Err: option `endpoints[0].weight` accepts an integer >= 1 (got null)"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a"}, {"id": "b"}, {"weight": 2}]}"#,
        r#"Err: option `endpoints[2].id` is required: a non-empty string"#,
    ),
    (
        "openai",
        r#"{"apiVersion": 1}"#,
        r#"Err: option `apiVersion` accepts a string (got a number)"#,
    ),
    (
        "openai",
        r#"{"api_version": "v\n"}"#,
        r#"Err: option `apiVersion` accepts a string without control characters (a newline at the end?)"#,
    ),
    (
        "openai",
        r#"{"strategy": "random"}"#,
        r#"Err: option `strategy` accepts 'round-robin' or 'least-loaded' (got "random")"#,
    ),
    (
        "openai",
        r#"{"strategy": 5}"#,
        r#"Err: option `strategy` accepts 'round-robin' or 'least-loaded' (got 5)"#,
    ),
    (
        "openai",
        r#"{"rateLimit": 5}"#,
        r#"Err: option `rateLimit` accepts an object { requestsPerMinute?, tokensPerMinute? } (got a number)"#,
    ),
    (
        "openai",
        r#"{"rateLimit": []}"#,
        r#"Err: option `rateLimit` accepts an object { requestsPerMinute?, tokensPerMinute? } (got an array)"#,
    ),
    (
        "openai",
        r#"{"rateLimit": {"requestsPerMinute": 0}}"#,
        r#"Err: option `rateLimit.requestsPerMinute` accepts an integer >= 1 (got 0)"#,
    ),
    (
        "openai",
        r#"{"rate_limit": {"requests_per_minute": -1}}"#,
        r#"Err: option `rateLimit.requests_per_minute` accepts an integer >= 1 (got -1)"#,
    ),
    (
        "openai",
        r#"{"rateLimit": {"tokens_per_minute": 1.5}}"#,
        r#"Err: option `rateLimit.tokens_per_minute` accepts an integer >= 1 (got 1.5)"#,
    ),
    (
        "openai",
        r#"{"rateLimit": {"tokensPerMinute": "1"}}"#,
        r#"Err: option `rateLimit.tokensPerMinute` accepts an integer >= 1 (got "1")"#,
    ),
    (
        "openai",
        r#"{"rateLimit": {"rpm": 5}}"#,
        r#"Err: option `rateLimit.rpm` is unknown; `rateLimit` accepts { requestsPerMinute?, tokensPerMinute? }"#,
    ),
    (
        "openai",
        r#"{"adaptivePacing": "yes"}"#,
        r#"Err: option `adaptivePacing` accepts true or false (got a string)"#,
    ),
    (
        "openai",
        r#"{"adaptive_pacing": 0}"#,
        r#"Err: option `adaptivePacing` accepts true or false (got a number)"#,
    ),
    (
        "openai",
        r#"{"retryBudget": 1}"#,
        r#"Err: option `retryBudget` accepts false or an object { ratio?, minPerSecond? } (got a number)"#,
    ),
    (
        "openai",
        r#"{"retryBudget": "no"}"#,
        r#"Err: option `retryBudget` accepts false or an object { ratio?, minPerSecond? } (got a string)"#,
    ),
    (
        "openai",
        r#"{"retryBudget": []}"#,
        r#"Err: option `retryBudget` accepts false or an object { ratio?, minPerSecond? } (got an array)"#,
    ),
    (
        "openai",
        r#"{"retryBudget": {"ratio": -1}}"#,
        r#"Err: option `retryBudget.ratio` accepts a number >= 0 (got -1)"#,
    ),
    (
        "openai",
        r#"{"retry_budget": {"ratio": "x"}}"#,
        r#"Err: option `retryBudget.ratio` accepts a number >= 0 (got "x")"#,
    ),
    (
        "openai",
        r#"{"retryBudget": {"minPerSecond": "x"}}"#,
        r#"Err: option `retryBudget.minPerSecond` accepts a number >= 0 (got "x")"#,
    ),
    (
        "openai",
        r#"{"retryBudget": {"min_per_second": -0.5}}"#,
        r#"Err: option `retryBudget.min_per_second` accepts a number >= 0 (got -0.5)"#,
    ),
    (
        "openai",
        r#"{"retryBudget": {"bogus": 1}}"#,
        r#"Err: option `retryBudget.bogus` is unknown; `retryBudget` accepts false or an object { ratio?, minPerSecond? }"#,
    ),
    (
        "openai",
        r#"{"s3cfg": {}}"#,
        r#"Ok: Config { api_key: None, access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [None, None, None]"#,
    ),
    (
        "s3_kit",
        r#"{"s3cfg": 5}"#,
        r#"Err: option `s3cfg` accepts an object { accessKey, secretKey, endpoint }"#,
    ),
    (
        "s3_kit",
        r#"{"s3cfg": {"bogus": 1}}"#,
        r#"Err: option `s3cfg.bogus` is unknown; `s3cfg` accepts accessKey, secretKey, endpoint"#,
    ),
    (
        "s3_kit",
        r#"{"s3cfg": {"access_key": 5}}"#,
        r#"Err: option `accessKeyId` accepts a string (got a number)"#,
    ),
    (
        "s3_kit",
        r#"{"s3cfg": {"endpoint": "ftp://x"}}"#,
        r#"Err: option `baseUrl` accepts an absolute http:// or https:// URL (got 'ftp://x')"#,
    ),
    (
        "claude",
        r#"{"anthropic_api_key": 5}"#,
        r#"Err: option `apiKey` accepts a string (got a number)"#,
    ),
    (
        "claude",
        r#"{"openai_api_key": 5, "claude_api_key": "k\n"}"#,
        r#"Err: option `apiKey` accepts a string without control characters (a newline at the end?)"#,
    ),
    (
        "ovms",
        r#"{"ovms_api_url": "nope"}"#,
        r#"Err: option `baseUrl` accepts an absolute http:// or https:// URL (got 'nope')"#,
    ),
    (
        "ovms",
        r#"{"ovms_model": 1}"#,
        r#"Err: option `model` accepts a string (got a number)"#,
    ),
    (
        "ollama",
        r#"{"ollama_api_url": "x", "base_url": "http://a"}"#,
        r#"Ok: Config { api_key: None, access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: Some("http://a"), model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [None, None, None]"#,
    ),
    (
        "ollama",
        r#"{"base_url": "x", "ollama_api_url": "http://a"}"#,
        r#"Err: option `baseUrl` accepts an absolute http:// or https:// URL (got 'x')"#,
    ),
    (
        "openai",
        r#"null"#,
        r#"Ok: Config { api_key: None, access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [None, None, None]"#,
    ),
    (
        "openai",
        r#"{}"#,
        r#"Ok: Config { api_key: None, access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [None, None, None]"#,
    ),
    (
        "openai",
        r#"{"apiKey": "k", "timeout": 2.5, "maxConcurrentRequests": 3, "queue_size": 0, "max_retries": 0, "initialRetryDelay": 0, "backoffFactor": 1, "maxRetryDelay": 0, "jitter": 1, "maxRetryAfter": 0, "failureThreshold": 1, "resetTimeout": 0.5, "halfOpenMaxProbes": 2, "maxResponseBytes": 4294967295}"#,
        r#"Ok: Config { api_key: Some(Secret(***)), access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(2.5), max_concurrent_requests: 3, queue_size: 0, max_retries: 0, initial_retry_delay: Secs(0.0), backoff_factor: 1.0, max_retry_delay: Secs(0.0), jitter: 1.0, max_retry_after: Secs(0.0), failure_threshold: 1, reset_timeout: Secs(0.5), half_open_max_probes: 2, max_response_bytes: 4294967295, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [Some("k"), None, None]"#,
    ),
    (
        "openai",
        r#"{"access_key_id": "AK", "secret_access_key": "s\n", "session_token": "t", "region": "eu-west-1", "baseUrl": "https://h.example/v1//", "model": "m", "headers": {"X-A": "1\t2", "b": ""}, "api_version": "2024", "strategy": "least-loaded", "adaptivePacing": false, "retryBudget": true}"#,
        r#"Ok: Config { api_key: None, access_key_id: Some("AK"), secret_access_key: Some(Secret(***)), session_token: Some(Secret(***)), region: "eu-west-1", base_url: Some("https://h.example/v1"), model: Some("m"), headers: [("X-A", "1\t2"), ("b", "")], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: Some("2024"), strategy: LeastLoaded, rate_limit: None, adaptive_pacing: false, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [None, Some("s\n"), Some("t")]"#,
    ),
    (
        "openai",
        r#"{"strategy": "round-robin", "retryBudget": false, "rateLimit": {"requestsPerMinute": 60, "tokens_per_minute": null}}"#,
        r#"Ok: Config { api_key: None, access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: Some(RateLimit { requests_per_minute: Some(60), tokens_per_minute: None }), adaptive_pacing: true, retry_budget: None } keys [None, None, None]"#,
    ),
    (
        "openai",
        r#"{"retryBudget": {"ratio": 0, "min_per_second": 2.5, "bogus": null}}"#,
        r#"Ok: Config { api_key: None, access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.0, min_per_second: 2.5 }) } keys [None, None, None]"#,
    ),
    (
        "openai",
        r#"{"endpoints": [{"id": "a", "apiKey": "ka", "base_url": "http://x:1/", "weight": 3, "maxConcurrentRequests": 2, "rate_limit": {"tokensPerMinute": 9}, "adaptivePacing": false}, {"id": "b", "api_key": null}]}"#,
        r#"Err: option `endpoints[1].api_key` accepts a string (got null)"#,
    ),
    (
        "openai",
        r#"{"endpoints": []}"#,
        r#"Ok: Config { api_key: None, access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [None, None, None]"#,
    ),
    (
        "openai",
        r#"{"openai_api_key": "k1", "groq_api_key": "k2", "apiKey": null}"#,
        r#"Ok: Config { api_key: Some(Secret(***)), access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [Some("k1"), None, None]"#,
    ),
    (
        "openai",
        r#"{"openai_api_key": "k1", "api_key": "k2"}"#,
        r#"Ok: Config { api_key: Some(Secret(***)), access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [Some("k2"), None, None]"#,
    ),
    (
        "openai",
        r#"{"apiKey": "k1", "api_key": "k2"}"#,
        r#"Ok: Config { api_key: Some(Secret(***)), access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [Some("k2"), None, None]"#,
    ),
    (
        "claude",
        r#"{"anthropic_api_key": "a", "claude_api_key": "c"}"#,
        r#"Ok: Config { api_key: Some(Secret(***)), access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [Some("a"), None, None]"#,
    ),
    (
        "claude",
        r#"{"anthropic_api_key": "a", "apiKey": "c"}"#,
        r#"Ok: Config { api_key: Some(Secret(***)), access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [Some("c"), None, None]"#,
    ),
    (
        "hf_tgi",
        r#"{"hf_api_token": "t", "hf_api_key": "k"}"#,
        r#"Ok: Config { api_key: Some(Secret(***)), access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [Some("k"), None, None]"#,
    ),
    (
        "ovms",
        r#"{"ovms_api_url": "http://o/", "ovms_model": "m", "ovms_api_key": "k"}"#,
        r#"Ok: Config { api_key: Some(Secret(***)), access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: Some("http://o"), model: Some("m"), headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [Some("k"), None, None]"#,
    ),
    (
        "s3_kit",
        r#"{"s3cfg": {"accessKey": "a", "secret_key": "s", "endpoint": "http://127.0.0.1:9000/"}}"#,
        r#"Ok: Config { api_key: None, access_key_id: Some("a"), secret_access_key: Some(Secret(***)), session_token: None, region: "us-east-1", base_url: Some("http://127.0.0.1:9000"), model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [None, Some("s"), None]"#,
    ),
    (
        "s3_kit",
        r#"{"accessKeyId": "explicit", "s3cfg": {"accessKey": "a", "secretKey": "s"}, "secretAccessKey": "explicit"}"#,
        r#"Ok: Config { api_key: None, access_key_id: Some("explicit"), secret_access_key: Some(Secret(***)), session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [None, Some("explicit"), None]"#,
    ),
    (
        "s3_kit",
        r#"{"s3cfg": {"access_key": null}}"#,
        r#"Err: option `accessKeyId` accepts a string (got null)"#,
    ),
    (
        "openai",
        r#"{"s3cfg": 5, "ovms_model": 1}"#,
        r#"Ok: Config { api_key: None, access_key_id: None, secret_access_key: None, session_token: None, region: "us-east-1", base_url: None, model: None, headers: [], timeout: Secs(60.0), max_concurrent_requests: 5, queue_size: 100, max_retries: 5, initial_retry_delay: Secs(1.0), backoff_factor: 2.0, max_retry_delay: Secs(16.0), jitter: 0.2, max_retry_after: Secs(60.0), failure_threshold: 5, reset_timeout: Secs(30.0), half_open_max_probes: 1, max_response_bytes: 67108864, endpoints: [], api_version: None, strategy: RoundRobin, rate_limit: None, adaptive_pacing: true, retry_budget: Some(RetryBudgetConfig { ratio: 0.2, min_per_second: 10.0 }) } keys [None, None, None]"#,
    ),
];

#[test]
fn every_message_and_result_is_as_pinned() {
    let mut wrong = Vec::new();
    for (provider, options, want) in CASES {
        let v: Value = json::from_str(options).unwrap();
        let got = describe(Config::from_options(provider, &v));
        if got != *want {
            wrong.push(format!("{provider} {options}\n  want {want}\n  got  {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
