//! Addressing, credential and argument rules, and the error reader.

use super::*;
use crate::secret::Secret;

fn cfg(base: Option<&str>) -> Config {
    Config {
        access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
        secret_access_key: Some(Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
        base_url: base.map(str::to_string),
        ..Config::default()
    }
}

fn t(base: Option<&str>, region: &str, bucket: &str, key: Option<&str>) -> Target {
    target(&cfg(base), region, bucket, key).unwrap()
}

fn tgt(origin: &str, host: &str, path: &str) -> Target {
    Target {
        origin: origin.into(),
        host: host.into(),
        path: path.into(),
    }
}

#[test]
fn addressing_rule() {
    // Default AWS endpoint: virtual-hosted on the regional host.
    assert_eq!(
        t(None, "eu-west-1", "my-bucket", Some("a b/c.txt")),
        tgt(
            "https://my-bucket.s3.eu-west-1.amazonaws.com",
            "my-bucket.s3.eu-west-1.amazonaws.com",
            "/a%20b/c.txt"
        )
    );
    assert_eq!(
        t(None, "us-east-1", "my-bucket", None).path,
        "/",
        "a bucket listing is the root of the bucket host"
    );
    // Not a DNS label (dots, capitals, underscore, too short): path-style on the same host.
    for bucket in ["my.bucket", "My-Bucket", "my_bucket", "ab", "-ab"] {
        let got = t(None, "us-east-1", bucket, Some("k"));
        assert_eq!(got.host, "s3.us-east-1.amazonaws.com", "{bucket}");
        assert_eq!(got.path, format!("/{}/k", uri_encode(bucket, true)));
    }
    // An AWS base URL (the seed's S3_ENDPOINT default) keeps virtual-hosted addressing.
    assert_eq!(
        t(
            Some("https://s3.amazonaws.com"),
            "us-east-1",
            "examplebucket",
            Some("test.txt")
        ),
        tgt(
            "https://examplebucket.s3.amazonaws.com",
            "examplebucket.s3.amazonaws.com",
            "/test.txt"
        )
    );
    // Anything else is path-style: MinIO, IPs, localhost, ports, path prefixes.
    assert_eq!(
        t(
            Some("http://localhost:9000"),
            "us-east-1",
            "mybucket",
            Some("docs/a.txt")
        ),
        tgt(
            "http://localhost:9000",
            "localhost:9000",
            "/mybucket/docs/a.txt"
        )
    );
    assert_eq!(
        t(Some("http://127.0.0.1:9000"), "us-east-1", "b", None),
        tgt("http://127.0.0.1:9000", "127.0.0.1:9000", "/b")
    );
    assert_eq!(
        t(
            Some("https://Store.Example.com:443/s3/"),
            "us-east-1",
            "b",
            Some("k")
        ),
        tgt("https://store.example.com", "store.example.com", "/s3/b/k")
    );
    assert_eq!(
        t(Some("http://[::1]:80"), "us-east-1", "b", Some("k")).host,
        "[::1]"
    );
    assert_eq!(
        t(
            Some("http://user:pw@minio:9000"),
            "us-east-1",
            "b",
            Some("k")
        ),
        tgt("http://minio:9000", "minio:9000", "/b/k")
    );
    assert!(target(&cfg(Some("http://h/x?y=1")), "us-east-1", "b", None).is_err());
}

#[test]
fn keys_are_encoded_once_with_slashes_kept() {
    let p = t(
        Some("http://h"),
        "us-east-1",
        "b",
        Some("dir/sub dir/ü+&=?#%.txt"),
    )
    .path;
    assert_eq!(p, "/b/dir/sub%20dir/%C3%BC%2B%26%3D%3F%23%25.txt");
    // S3 keys may hold empty segments; nothing is normalised.
    assert_eq!(
        t(Some("http://h"), "us-east-1", "b", Some("/a//b/")).path,
        "/b//a//b/"
    );
}

#[test]
fn credentials_are_checked_first_and_never_echoed() {
    let mut c = cfg(None);
    c.access_key_id = None;
    c.secret_access_key = None;
    let e = credentials(&c).err().unwrap();
    assert_eq!(e.kind, ErrorType::AuthenticationError);
    assert!(
        e.message
            .starts_with("no S3 credentials: accessKeyId and secretAccessKey not set"),
        "{}",
        e.message
    );
    let mut c = cfg(None);
    c.secret_access_key = Some(Secret::new(""));
    let e = credentials(&c).err().unwrap();
    assert!(e
        .message
        .starts_with("no S3 credentials: secretAccessKey not set"));
    let mut c = cfg(None);
    c.access_key_id = Some("AKIA SECRETISH".into());
    let e = credentials(&c).err().unwrap();
    assert_eq!(e.kind, ErrorType::AuthenticationError);
    assert!(!e.message.contains("SECRETISH"));
    let mut c = cfg(None);
    c.session_token = Some(Secret::new("tok\nen"));
    assert!(credentials(&c).is_err());
    for region in ["", "US-EAST-1", "us east", "x.evil.com/"] {
        let mut c = cfg(None);
        c.region = region.into();
        let e = credentials(&c).err().unwrap();
        assert_eq!(e.kind, ErrorType::InvalidRequest);
        assert!(e.message.contains("region"));
    }
}

#[test]
fn extra_headers_signing_rules() {
    assert!(
        never_signed("user-agent")
            && never_signed("proxy-authorization")
            && never_signed("sec-fetch-mode")
    );
    assert!(!never_signed("x-amz-meta-a") && !never_signed("range") && !never_signed("date"));
    assert!(browser_forbidden("date") && browser_forbidden("host") && !browser_forbidden("range"));
}

#[test]
fn error_codes_settle_types() {
    let table = [
        ("SlowDown", ErrorType::RateLimitExceeded),
        ("InternalError", ErrorType::ServerError),
        ("ServiceUnavailable", ErrorType::Overloaded),
        ("RequestTimeout", ErrorType::Timeout),
        ("NoSuchKey", ErrorType::NotFound),
        ("NoSuchBucket", ErrorType::NotFound),
        ("AccessDenied", ErrorType::PermissionDenied),
        ("InvalidAccessKeyId", ErrorType::AuthenticationError),
        ("SignatureDoesNotMatch", ErrorType::AuthenticationError),
        ("RequestTimeTooSkewed", ErrorType::AuthenticationError),
        ("ExpiredToken", ErrorType::AuthenticationError),
        ("PermanentRedirect", ErrorType::InvalidRequest),
        ("XMinioReadQuorum", ErrorType::Overloaded),
        ("SlowDownWrite", ErrorType::RateLimitExceeded),
    ];
    for (code, kind) in table {
        let body = format!("<Error><Code>{code}</Code><Message>m</Message></Error>");
        let e = s3_errors(400, body.as_bytes());
        assert_eq!(e.kind, Some(kind), "{code}");
        assert_eq!(e.codes, vec![code.to_string()]);
        assert_eq!(e.message.as_deref(), Some(format!("{code}: m").as_str()));
    }
    // Unknown codes leave the decision to the status.
    assert_eq!(
        s3_errors(400, b"<Error><Code>BadDigest</Code></Error>").kind,
        None
    );
}

#[test]
fn error_bodies_of_every_shape() {
    let skew = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>20130524T000000Z</RequestTime><ServerTime>2013-05-24T00:20:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds><RequestId>FIXTURE</RequestId></Error>";
    let e = s3_errors(403, skew);
    assert_eq!(
        e.message.as_deref(),
        Some("RequestTimeTooSkewed: The difference between the request time and the current time is too large. (server time 2013-05-24T00:20:00Z)")
    );
    let region = b"<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>";
    let e = s3_errors(400, region);
    assert_eq!(e.kind, Some(ErrorType::InvalidRequest));
    assert!(e.message.unwrap().ends_with("(expected region eu-west-1)"));
    // HEAD: no body, the status decides (kind None), the message says why.
    let e = s3_errors(404, b"");
    assert_eq!(e.kind, None);
    assert!(e.message.unwrap().contains("404 Not Found"));
    assert_eq!(s3_errors(301, b"").kind, Some(ErrorType::InvalidRequest));
    // Entities in messages are decoded.
    let e = s3_errors(
        400,
        b"<Error><Code>X</Code><Message>a &lt;b&gt; &amp; &#39;c&#x27;</Message></Error>",
    );
    assert_eq!(e.message.as_deref(), Some("X: a <b> & 'c'"));
    // A proxy's JSON or HTML error page still yields a message.
    let e = s3_errors(
        502,
        br#"{"error":{"message":"bad gateway","type":"proxy"}}"#,
    );
    assert_eq!(e.message.as_deref(), Some("bad gateway"));
    let e = s3_errors(502, b"<html><body>Bad Gateway</body></html>");
    assert_eq!(e.kind, None);
    assert!(e.message.unwrap().contains("Bad Gateway"));
    let long = format!(
        "<Error><Code>X</Code><Message>{}</Message></Error>",
        "m".repeat(5000)
    );
    assert!(s3_errors(500, long.as_bytes()).message.unwrap().len() < 1100);
}
