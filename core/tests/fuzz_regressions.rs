//! Inputs the fuzzer (fuzz/, scripts/fuzz.sh) found to break a property, as plain tests. Each
//! names the target that found it; its input is in fuzz/corpus/<target>/ as well.

use resilient_core::config::{valid_header, Config};
use resilient_core::json::{json, Value};
use resilient_core::providers::{provider, Ctx};

fn ctx(config: &Config) -> Ctx<'_> {
    Ctx {
        unix_now: 1_735_689_600.0,
        ..Ctx::plain(config)
    }
}

/// Target `config`: `{"apiKey":"a\nb"}` was accepted and every request then carried
/// `authorization: Bearer a\nb`, a header fetch refuses (a key read from a file keeps its
/// newline). Options that go into headers now refuse control characters.
#[test]
fn header_options_with_control_characters_are_refused() {
    let cases = [
        ("openai", json!({"apiKey": "sk-abc\n"})),
        (
            "claude",
            json!({"apiKey": "k", "apiVersion": "2023-06-01\r\nx-evil: 1"}),
        ),
        (
            "openai",
            json!({"endpoints": [{"id": "a", "apiKey": "k\u{0}"}]}),
        ),
        (
            "s3_kit",
            json!({"accessKeyId": "AK\n", "secretAccessKey": "s"}),
        ),
        (
            "s3_kit",
            json!({"accessKeyId": "AK", "secretAccessKey": "s", "sessionToken": "t\n"}),
        ),
        (
            "s3_kit",
            json!({"accessKeyId": "AK", "secretAccessKey": "s", "region": "us\u{7f}"}),
        ),
    ];
    for (name, options) in cases {
        let err = Config::from_options(name, &options).expect_err(&options.to_string());
        assert!(err.contains("control characters"), "{err}");
        assert!(
            !err.contains("sk-abc"),
            "the message must not echo the key: {err}"
        );
    }
    // The secret itself is an HMAC key, never a header: any string goes.
    let s3 = json!({"accessKeyId": "AK", "secretAccessKey": "s\n"});
    assert!(Config::from_options("s3_kit", &s3).is_ok());
}

/// Every header of a request built from accepted options is one fetch takes.
#[test]
fn accepted_options_build_valid_headers() {
    let cases: [(&str, Value, &str, Value); 3] = [
        (
            "openai",
            json!({"apiKey": "sk-a b"}),
            "chat",
            json!({"messages": [{"role": "user", "content": "hi"}]}),
        ),
        (
            "claude",
            json!({"apiKey": "k", "apiVersion": "2023-06-01"}),
            "chat",
            json!({"messages": [{"role": "user", "content": "hi"}]}),
        ),
        (
            "s3_kit",
            json!({"accessKeyId": "AK", "secretAccessKey": "s", "sessionToken": "t", "region": "eu-west-1"}),
            "getObject",
            json!({"bucket": "b", "key": "k"}),
        ),
    ];
    for (name, options, op, args) in cases {
        let config = Config::from_options(name, &options).unwrap();
        let p = provider(name).unwrap();
        let u = p.unary(op, &ctx(&config), &args).unwrap();
        for (k, v) in &u.request.headers {
            assert!(valid_header(k, v), "{name} sends {k}: {v:?}");
        }
    }
}
