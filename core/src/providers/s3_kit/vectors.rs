//! Published SigV4 vectors, kept as test data: the AWS test suite (`aws-sig-v4-test-suite`,
//! generic service, generic path rules) and the S3 documentation examples (Amazon S3
//! API reference, "Signature Calculations"), with their canonical requests, hashes and signatures.

use super::sigv4::{
    canonical_query, canonical_uri, hex_sha256, PathRule, Signer, EMPTY_SHA256, UNSIGNED_PAYLOAD,
};

struct Vector {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static [(&'static str, &'static str)],
    /// Besides `host` and `x-amz-date`, which every vector signs.
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    signed_headers: &'static str,
    signature: &'static str,
}

const SUITE_DATE: &str = "20150830T123600Z";

/// aws-sig-v4-test-suite, as listed in the brief's vector table.
const SUITE: &[Vector] = &[
    Vector {
        name: "get-vanilla",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-unreserved",
        method: "GET",
        path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        query: &[],
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    },
    Vector {
        name: "get-vanilla-query-order-key-case",
        method: "GET",
        path: "/",
        query: &[("Param2", "value2"), ("Param1", "value1")],
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    },
    Vector {
        name: "get-vanilla-query-order-value",
        method: "GET",
        path: "/",
        query: &[("Param1", "value2"), ("Param1", "value1")],
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
    },
    Vector {
        name: "get-vanilla-utf8-query",
        method: "GET",
        path: "/",
        query: &[("\u{1234}", "bar")],
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    },
    Vector {
        name: "get-header-value-order",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[
            ("My-Header1", "value4"),
            ("My-Header1", "value1"),
            ("My-Header1", "value3"),
            ("My-Header1", "value2"),
        ],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    },
    Vector {
        name: "get-header-key-duplicate",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[
            ("My-Header1", "value2"),
            ("My-Header1", "value2"),
            ("My-Header1", "value1"),
        ],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    },
    Vector {
        name: "get-header-value-trim",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
        body: "",
        signed_headers: "host;my-header1;my-header2;x-amz-date",
        signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    },
    Vector {
        name: "post-x-www-form-urlencoded",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("Content-Type", "application/x-www-form-urlencoded")],
        body: "Param1=value1",
        signed_headers: "content-type;host;x-amz-date",
        signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    },
    Vector {
        name: "get-vanilla-with-session-token",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[(
            "X-Amz-Security-Token",
            "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
        )],
        body: "",
        signed_headers: "host;x-amz-date;x-amz-security-token",
        signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
    },
];

const SUITE_SIGNER: Signer<'static> = Signer {
    access_key_id: "AKIDEXAMPLE",
    secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    region: "us-east-1",
    service: "service",
    amz_date: SUITE_DATE,
};

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn sign_suite(v: &Vector) -> super::sigv4::Signature {
    let mut headers = owned(&[
        ("host", "example.amazonaws.com"),
        ("x-amz-date", SUITE_DATE),
    ]);
    headers.extend(owned(v.headers));
    SUITE_SIGNER.sign(
        v.method,
        &canonical_uri(v.path, PathRule::Generic),
        &canonical_query(&owned(v.query)),
        &headers,
        &hex_sha256(v.body.as_bytes()),
    )
}

#[test]
fn get_vanilla_canonical_request_and_string_to_sign() {
    let s = sign_suite(&SUITE[0]);
    assert_eq!(
        s.canonical_request,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        s.string_to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    assert_eq!(
        SUITE_SIGNER.authorization(&s),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn suite_signatures() {
    assert!(SUITE.len() >= 7);
    for v in SUITE {
        let s = sign_suite(v);
        assert_eq!(s.signed_headers, v.signed_headers, "{}", v.name);
        assert_eq!(s.signature, v.signature, "{}", v.name);
    }
}

#[test]
fn suite_canonical_forms() {
    let s = sign_suite(&SUITE[2]);
    assert!(s
        .canonical_request
        .starts_with("GET\n/\nParam1=value1&Param2=value2\n"));
    let s = sign_suite(&SUITE[3]);
    assert!(s
        .canonical_request
        .starts_with("GET\n/\nParam1=value1&Param1=value2\n"));
    let s = sign_suite(&SUITE[4]);
    assert!(s.canonical_request.starts_with("GET\n/\n%E1%88%B4=bar\n"));
    let s = sign_suite(&SUITE[5]);
    assert!(s
        .canonical_request
        .contains("\nmy-header1:value4,value1,value3,value2\n"));
    let s = sign_suite(&SUITE[6]);
    assert!(s
        .canonical_request
        .contains("\nmy-header1:value2,value2,value1\n"));
    let s = sign_suite(&SUITE[7]);
    assert!(s
        .canonical_request
        .contains("\nmy-header1:value1\nmy-header2:\"a b c\"\n"));
}

/// The S3 documentation examples (docs/providers.md): service `s3`, S3 path rules.
const S3_DATE: &str = "20130524T000000Z";
const S3_SIGNER: Signer<'static> = Signer {
    access_key_id: "AKIAIOSFODNN7EXAMPLE",
    secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    region: "us-east-1",
    service: "s3",
    amz_date: S3_DATE,
};
const S3_HOST: &str = "examplebucket.s3.amazonaws.com";

fn sign_s3(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    extra: &[(&str, &str)],
    payload_hash: &str,
) -> super::sigv4::Signature {
    let mut headers = owned(&[("host", S3_HOST)]);
    headers.extend(owned(extra));
    S3_SIGNER.sign(
        method,
        &canonical_uri(path, PathRule::S3),
        &canonical_query(&owned(query)),
        &headers,
        payload_hash,
    )
}

fn check(s: &super::sigv4::Signature, canonical_hash: &str, signature: &str) {
    assert_eq!(hex_sha256(s.canonical_request.as_bytes()), canonical_hash);
    assert_eq!(s.signature, signature);
}

#[test]
fn s3_get_object() {
    let s = sign_s3(
        "GET",
        "/test.txt",
        &[],
        &[
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", S3_DATE),
        ],
        EMPTY_SHA256,
    );
    assert_eq!(
        s.signed_headers,
        "host;range;x-amz-content-sha256;x-amz-date"
    );
    check(
        &s,
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
}

#[test]
fn s3_put_object() {
    let hash = hex_sha256(b"Welcome to Amazon S3.");
    assert_eq!(
        hash,
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    );
    let s = sign_s3(
        "PUT",
        "/test$file.text",
        &[],
        &[
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-content-sha256", &hash),
            ("x-amz-date", S3_DATE),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ],
        &hash,
    );
    assert!(s
        .canonical_request
        .starts_with("PUT\n/test%24file.text\n\n"));
    assert_eq!(
        s.signed_headers,
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"
    );
    check(
        &s,
        "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    );
}

#[test]
fn s3_get_bucket_lifecycle_and_list() {
    let headers = [
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("x-amz-date", S3_DATE),
    ];
    let s = sign_s3("GET", "/", &[("lifecycle", "")], &headers, EMPTY_SHA256);
    assert!(s.canonical_request.starts_with("GET\n/\nlifecycle=\n"));
    check(
        &s,
        "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    );
    let s = sign_s3(
        "GET",
        "/",
        &[("max-keys", "2"), ("prefix", "J")],
        &headers,
        EMPTY_SHA256,
    );
    check(
        &s,
        "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    );
}

#[test]
fn s3_presigned_get() {
    let s = sign_s3(
        "GET",
        "/test.txt",
        &[
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            (
                "X-Amz-Credential",
                "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
            ),
            ("X-Amz-Date", S3_DATE),
            ("X-Amz-Expires", "86400"),
            ("X-Amz-SignedHeaders", "host"),
        ],
        &[],
        UNSIGNED_PAYLOAD,
    );
    check(
        &s,
        "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04",
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    );
}

/// The suite's query-signed get-vanilla (`X-Amz-Expires=3600`): a generic service hashes the
/// empty payload, where S3 presigning uses `UNSIGNED-PAYLOAD`.
#[test]
fn suite_query_signed_get_vanilla() {
    let q = owned(&[
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        (
            "X-Amz-Credential",
            "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
        ),
        ("X-Amz-Date", SUITE_DATE),
        ("X-Amz-Expires", "3600"),
        ("X-Amz-SignedHeaders", "host"),
    ]);
    let host = owned(&[("host", "example.amazonaws.com")]);
    let s = SUITE_SIGNER.sign("GET", "/", &canonical_query(&q), &host, EMPTY_SHA256);
    assert_eq!(
        s.signature,
        "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"
    );
}
