//! Addressing, credential and argument rules, and the error reader.

use super::*;
use crate::codec::Reply;
use crate::host::header;
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

fn build(op: &str, args: Value, bytes: Option<&[u8]>) -> Result<Unary, ApiError> {
    let config = cfg(Some("http://127.0.0.1:9000"));
    let ctx = Ctx {
        config: &config,
        unix_now: 1_767_225_600.0,
        browser: false,
        bytes,
        held: false,
    };
    S3_KIT.unary(op, &ctx, &args)
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: vec![("etag".into(), "\"abc\"".into())],
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn multipart_requests() {
    use crate::json::json;
    let u = build(
        "createMultipartUpload",
        json!({ "bucket": "b", "key": "m/a b", "contentType": "application/octet-stream" }),
        None,
    )
    .unwrap();
    assert_eq!(u.request.method, "POST");
    assert_eq!(u.request.url, "http://127.0.0.1:9000/b/m/a%20b?uploads=");
    assert_eq!(
        header(&u.request.headers, "content-type"),
        Some("application/octet-stream")
    );

    // A part is signed with UNSIGNED-PAYLOAD (no pass over it to hash it) and carries the
    // checksum the host computed, signed.
    let sum = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let u = build(
        "uploadPart",
        json!({ "bucket": "b", "key": "k", "uploadId": "u/1+2", "partNumber": 3, "checksumSha256": sum }),
        Some(b"part bytes"),
    )
    .unwrap();
    assert_eq!(u.request.method, "PUT");
    assert_eq!(
        u.request.url,
        "http://127.0.0.1:9000/b/k?partNumber=3&uploadId=u%2F1%2B2"
    );
    assert_eq!(
        header(&u.request.headers, "x-amz-content-sha256"),
        Some(UNSIGNED_PAYLOAD)
    );
    assert_eq!(
        header(&u.request.headers, "x-amz-checksum-sha256"),
        Some(sum)
    );
    let auth = header(&u.request.headers, "authorization").unwrap();
    assert!(auth.contains("x-amz-checksum-sha256"), "{auth}");
    assert_eq!(u.request.body.as_deref(), Some(&b"part bytes"[..]));
    // The signature is made afresh per attempt with the same body.
    let again = (u.resign.unwrap())(1_767_225_700.0);
    assert_eq!(again.body.as_deref(), Some(&b"part bytes"[..]));
    assert_ne!(
        header(&again.headers, "authorization"),
        header(&u.request.headers, "authorization")
    );

    for (args, field) in [
        (
            json!({ "bucket": "b", "key": "k", "uploadId": "u", "partNumber": 0 }),
            "partNumber",
        ),
        (
            json!({ "bucket": "b", "key": "k", "uploadId": "u", "partNumber": 10001 }),
            "partNumber",
        ),
        (
            json!({ "bucket": "b", "key": "k", "partNumber": 1 }),
            "uploadId",
        ),
        (
            json!({ "bucket": "b", "key": "k", "uploadId": "u", "partNumber": 1, "checksumSha256": "abc" }),
            "checksumSha256",
        ),
    ] {
        let e = build("uploadPart", args, Some(b"x")).err().unwrap();
        assert!(e.message.contains(field), "{field}: {}", e.message);
    }
    let e = build(
        "uploadPart",
        json!({ "bucket": "b", "key": "k", "uploadId": "u", "partNumber": 1, "body": "text" }),
        None,
    )
    .err()
    .unwrap();
    assert!(e.message.contains("body"), "{}", e.message);

    let u = build(
        "completeMultipartUpload",
        json!({ "bucket": "b", "key": "k", "uploadId": "u", "parts": [
            { "partNumber": 1, "etag": "\"a&1\"" }, { "partNumber": 2, "etag": "\"b\"" }
        ] }),
        None,
    )
    .unwrap();
    assert_eq!(u.request.url, "http://127.0.0.1:9000/b/k?uploadId=u");
    assert_eq!(
        std::str::from_utf8(u.request.body.as_deref().unwrap()).unwrap(),
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&amp;1&quot;</ETag></Part>\
         <Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part></CompleteMultipartUpload>"
    );
    for parts in [
        json!([]),
        json!([{ "partNumber": 2, "etag": "a" }, { "partNumber": 1, "etag": "b" }]),
        json!([{ "partNumber": 1 }]),
    ] {
        let e = build(
            "completeMultipartUpload",
            json!({ "bucket": "b", "key": "k", "uploadId": "u", "parts": parts }),
            None,
        )
        .err()
        .unwrap();
        assert!(e.message.contains("parts"), "{}", e.message);
    }

    let u = build(
        "abortMultipartUpload",
        json!({ "bucket": "b", "key": "k", "uploadId": "u" }),
        None,
    )
    .unwrap();
    assert_eq!(
        (u.request.method.as_str(), u.request.url.as_str()),
        ("DELETE", "http://127.0.0.1:9000/b/k?uploadId=u")
    );
    let u = build(
        "listMultipartUploads",
        json!({ "bucket": "b", "prefix": "m/" }),
        None,
    )
    .unwrap();
    assert_eq!(
        u.request.url,
        "http://127.0.0.1:9000/b?prefix=m%2F&uploads="
    );
}

#[test]
fn large_put_bodies_are_not_hashed_first() {
    use crate::json::json;
    let small = build(
        "putObject",
        json!({ "bucket": "b", "key": "k" }),
        Some(b"abc"),
    )
    .unwrap();
    assert_eq!(
        header(&small.request.headers, "x-amz-content-sha256"),
        Some(hex_sha256(b"abc").as_str())
    );
    let big = vec![7u8; SIGNED_PAYLOAD_MAX + 1];
    let u = build(
        "putObject",
        json!({ "bucket": "b", "key": "k" }),
        Some(&big),
    )
    .unwrap();
    assert_eq!(
        header(&u.request.headers, "x-amz-content-sha256"),
        Some(UNSIGNED_PAYLOAD)
    );
}

/// A body the host holds (it never enters the engine: the codec sees it empty) is signed
/// UNSIGNED-PAYLOAD, never as the hash of the empty body it stands for.
#[test]
fn a_held_put_body_is_unsigned_and_empty_here() {
    use crate::json::json;
    let config = cfg(Some("http://127.0.0.1:9000"));
    let ctx = Ctx {
        config: &config,
        unix_now: 1_767_225_600.0,
        browser: false,
        bytes: Some(&[]),
        held: true,
    };
    let u = S3_KIT
        .unary("putObject", &ctx, &json!({ "bucket": "b", "key": "k" }))
        .unwrap();
    assert_eq!(
        header(&u.request.headers, "x-amz-content-sha256"),
        Some(UNSIGNED_PAYLOAD)
    );
    assert_eq!(u.request.body.as_deref(), Some(&[][..]));
    // Signed afresh per attempt, it stays unsigned.
    let again = (u.resign.unwrap())(1_767_225_900.0);
    assert_eq!(
        header(&again.headers, "x-amz-content-sha256"),
        Some(UNSIGNED_PAYLOAD)
    );
    // Without `held` the same empty body is an empty object, signed with its hash.
    let empty = build("putObject", json!({ "bucket": "b", "key": "k" }), Some(&[])).unwrap();
    assert_eq!(
        header(&empty.request.headers, "x-amz-content-sha256"),
        Some(hex_sha256(b"").as_str())
    );
}

#[test]
fn ranged_get_and_its_signed_form() {
    use crate::json::json;
    let args = json!({ "bucket": "b", "key": "k", "range": "bytes=100-", "ifMatch": "\"e-2\"" });
    let u = build("getObject", args.clone(), None).unwrap();
    assert_eq!(header(&u.request.headers, "range"), Some("bytes=100-"));
    assert_eq!(header(&u.request.headers, "if-match"), Some("\"e-2\""));
    let auth = header(&u.request.headers, "authorization").unwrap();
    assert!(auth.contains("if-match;range;"), "{auth}");
    assert_eq!(header(&u.request.headers, "x-amz-checksum-mode"), None);
    let c = build(
        "getObject",
        json!({ "bucket": "b", "key": "k", "checksumMode": true }),
        None,
    )
    .unwrap();
    assert_eq!(
        header(&c.request.headers, "x-amz-checksum-mode"),
        Some("ENABLED")
    );
    let mut r = reply(200, "bytes");
    r.headers
        .push(("x-amz-checksum-sha256".into(), "c3VtCg==".into()));
    let parsed = parse_get(&r, "").unwrap();
    assert!(
        parsed.json.contains(r#""checksumSha256":"c3VtCg==""#),
        "{}",
        parsed.json
    );
    for bad in ["lines=1-2", "bytes=", "bytes=a-b", "bytes=1"] {
        let e = build(
            "getObject",
            json!({ "bucket": "b", "key": "k", "range": bad }),
            None,
        )
        .err()
        .unwrap();
        assert!(e.message.contains("range"), "{bad}: {}", e.message);
    }
    let config = cfg(Some("http://127.0.0.1:9000"));
    let ctx = Ctx {
        config: &config,
        unix_now: 1_767_225_600.0,
        browser: false,
        bytes: None,
        held: false,
    };
    let signed = S3_KIT.local("signGetObject", &ctx, &args).unwrap();
    assert_eq!(signed[0], u.request.url.as_str());
    let pairs: Vec<Value> = u
        .request
        .headers
        .iter()
        .map(|(k, v)| crate::json::json!([k, v]))
        .collect();
    assert_eq!(signed[1], Value::Array(pairs));
    assert!(!signed.to_string().contains("wJalrXUtnFEMI"));
}

#[test]
fn multipart_replies() {
    let r = reply(
        200,
        "<?xml version=\"1.0\"?><InitiateMultipartUploadResult xmlns=\"x\"><Bucket>b</Bucket>\
         <Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>",
    );
    assert_eq!(
        parse_initiate(&r, "").unwrap().json,
        r#"{"uploadId":"VXBsb2FkIElE"}"#
    );
    let e = parse_initiate(&reply(200, "<InitiateMultipartUploadResult/>"), "")
        .err()
        .unwrap();
    assert_eq!(e.kind, ErrorType::DecodeError);
    let r = reply(
        200,
        "<CompleteMultipartUploadResult><ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUploadResult>",
    );
    assert_eq!(
        parse_complete(&r, "").unwrap().json,
        r#"{"etag":"\"abc-2\""}"#
    );
    // CompleteMultipartUpload can fail after its 200 status was sent: the body says so.
    let r = reply(
        200,
        "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>",
    );
    let e = parse_complete(&r, "").err().unwrap();
    assert_eq!(e.kind, ErrorType::ServerError);
    assert!(e.message.contains("InternalError"));
    let r = reply(
        200,
        "<ListMultipartUploadsResult><Upload><Key>a</Key><UploadId>1</UploadId></Upload>\
         <IsTruncated>false</IsTruncated></ListMultipartUploadsResult>",
    );
    assert_eq!(
        parse_uploads(&r, "").unwrap().json,
        r#"{"isTruncated":false,"uploads":[{"key":"a","uploadId":"1"}]}"#
    );
}
