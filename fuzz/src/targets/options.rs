//! What the caller passes: client options (a JSON object, as `new Client(provider, options)`
//! takes them) and call arguments (JSON, as each operation takes them).

use super::input::{message, number, word};
use super::providers::{config_for, ctx, pick, STREAMS, UNARY};
use resilient_core::backoff::BackoffConfig;
use resilient_core::config::{valid_header, Config};
use resilient_core::host::HttpRequest;
use resilient_core::json::Value;
use resilient_core::providers::{provider, PROVIDERS};

fn check_request(r: &HttpRequest, what: &str) {
    for (k, v) in &r.headers {
        assert!(valid_header(k, v), "{what} sends header {k:?}: {v:?}");
    }
}

/// Selector: a provider name (or a hash picks one); body: the options as JSON. Accepted
/// options are in range, give a sane backoff schedule, and every operation still builds or
/// fails cleanly with them.
pub fn config(data: &[u8]) {
    let m = message(data);
    let name = match word(&m.selector, 0) {
        n if PROVIDERS.contains(&n) => n,
        _ => PROVIDERS[(number(&m.selector, 1) % PROVIDERS.len() as u64) as usize],
    };
    let Ok(options) = resilient_core::json::from_slice::<Value>(m.body) else {
        return;
    };
    let Ok(c) = Config::from_options(name, &options) else {
        return;
    };
    assert!(c.timeout.as_f64().is_finite() && c.timeout.as_f64() > 0.0);
    assert!((0.0..=1.0).contains(&c.jitter));
    assert!(c.backoff_factor >= 1.0 && c.max_retry_delay.as_f64() >= 0.0);
    let backoff = BackoffConfig {
        initial: c.initial_retry_delay,
        factor: c.backoff_factor,
        max: c.max_retry_delay,
        jitter: c.jitter,
    };
    for n in [1, 2, 7, 64, u32::MAX] {
        for unit in [0.0, 0.5, 0.999] {
            let d = backoff.delay(n, unit).as_f64();
            assert!(
                d.is_finite() && (0.0..=c.max_retry_delay.as_f64()).contains(&d),
                "delay {d}"
            );
        }
    }
    let p = provider(name).unwrap_or_else(|| panic!("no provider {name}"));
    for (_, op, args) in UNARY.iter().filter(|r| r.0 == name) {
        let args: Value = resilient_core::json::from_str(args).unwrap_or_default();
        if let Ok(u) = p.unary(op, &ctx(&c), &args) {
            check_request(&u.request, op);
        }
    }
    for (_, op, args) in STREAMS.iter().filter(|r| r.0 == name) {
        let args: Value = resilient_core::json::from_str(args).unwrap_or_default();
        if let Ok(s) = p.stream(op, &ctx(&c), &args) {
            check_request(&s.request, op);
        }
    }
}

/// Selector `provider operation` (any table row, or `presignUrl` / `makeRequest`); body: the
/// arguments as JSON. The operation builds or fails with an error, never a panic.
pub fn args(data: &[u8]) {
    let m = message(data);
    let Ok(args) = resilient_core::json::from_slice::<Value>(m.body) else {
        return;
    };
    let (name, op) = (word(&m.selector, 0), word(&m.selector, 1));
    let name = if PROVIDERS.contains(&name) {
        name
    } else {
        pick(UNARY, &m.selector).0
    };
    let p = provider(name).unwrap_or_else(|| panic!("no provider {name}"));
    let config = config_for(name);
    let ctx = ctx(&config);
    match op {
        "presignUrl" => drop(p.local(op, &ctx, &args)),
        "makeRequest" => {
            let url = args
                .get("endpointUrl")
                .and_then(Value::as_str)
                .unwrap_or("");
            let method = args.get("method").and_then(Value::as_str);
            drop(p.raw_request(&ctx, url, args.get("data"), method, &[]));
        }
        _ if STREAMS.iter().any(|r| r.0 == name && r.1 == op) => {
            if let Ok(s) = p.stream(op, &ctx, &args) {
                check_request(&s.request, op);
            }
        }
        _ => {
            let op = match UNARY.iter().find(|r| r.0 == name && r.1 == op) {
                Some(r) => r.1,
                None => pick(UNARY, &m.selector).1,
            };
            if let Ok(u) = p.unary(op, &ctx, &args) {
                check_request(&u.request, op);
            }
        }
    }
}
