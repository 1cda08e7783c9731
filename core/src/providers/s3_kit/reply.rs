//! What S3 answers: the success replies of each operation and the XML `<Error>` body.

use super::xml;
use crate::classify::{parse_error_body, truncate, ErrorBody};
use crate::codec::{Parsed, Reply};
use crate::error::{ApiError, ErrorType};
use crate::host::header;
use crate::json::put;
use crate::json::{json, Value};
use crate::providers::{fail, object_of, unboxed, Fail};

fn decode_error(message: impl Into<String>) -> Fail {
    fail(ErrorType::DecodeError, message)
}

fn etag(reply: &Reply) -> Option<&str> {
    header(&reply.headers, "etag")
}

fn json_parsed(v: Value, bytes: Option<Vec<u8>>) -> Parsed {
    Parsed {
        json: v.to_json(),
        usage: None,
        bytes,
    }
}

/// `{ etag }`. The ETag is as S3 sends it (quoted); `null` when absent or not exposed by CORS.
pub fn parse_put(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    Ok(json_parsed(json!({ "etag": etag(reply) }), None))
}

/// `{ contentType, contentLength, etag, checksumSha256 }` and the object bytes (attached as
/// `body`); `checksumSha256` is the server's `x-amz-checksum-sha256` when it sent one.
pub fn parse_get(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    let v = json!({
        "contentType": header(&reply.headers, "content-type"),
        // What arrived (fetch may have decoded a Content-Encoding).
        "contentLength": reply.body.len(),
        "etag": etag(reply),
        "checksumSha256": header(&reply.headers, "x-amz-checksum-sha256"),
    });
    Ok(json_parsed(v, Some(reply.body.clone())))
}

/// `{ contentType, contentLength, etag }` from the headers.
pub fn parse_head(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    let length =
        header(&reply.headers, "content-length").and_then(|l| l.trim().parse::<u64>().ok());
    let v = json!({
        "contentType": header(&reply.headers, "content-type"),
        "contentLength": length,
        "etag": etag(reply),
    });
    Ok(json_parsed(v, None))
}

pub fn parse_delete(_reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    Ok(json_parsed(json!({}), None))
}

/// [`read_list`] with its failure unboxed (the crate's API; the operation uses `read_list`).
pub fn parse_list(reply: &Reply, client_id: &str) -> Result<Parsed, ApiError> {
    unboxed(read_list(reply, client_id))
}

/// A ListObjectsV2 `ListBucketResult` to `{ objects: [{ key, size, etag, lastModified }],
/// isTruncated, nextContinuationToken }`.
pub fn read_list(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    let text = std::str::from_utf8(&reply.body)
        .map_err(|_| decode_error("the ListObjectsV2 reply is not UTF-8"))?;
    let root = xml::parse(text)
        .map_err(|e| decode_error(format!("the ListObjectsV2 reply is not XML: {e}")))?;
    if root.name != "ListBucketResult" {
        return Err(decode_error(format!(
            "the ListObjectsV2 reply is a <{}>, not a <ListBucketResult>",
            root.name
        )));
    }
    let is_truncated = match root.child_text("IsTruncated").map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(decode_error("<IsTruncated> is neither true nor false")),
    };
    let next = root
        .child_text("NextContinuationToken")
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let mut objects = Vec::new();
    for (i, c) in root.children_named("Contents").enumerate() {
        let key = c
            .child_text("Key")
            .ok_or_else(|| decode_error(format!("<Contents> {i} has no <Key>")))?;
        let size = c
            .child_text("Size")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .ok_or_else(|| decode_error(format!("<Contents> {i} has no valid <Size>")))?;
        objects.push(json!({
            "key": key,
            "size": size,
            "etag": c.child_text("ETag"),
            "lastModified": c.child_text("LastModified").map(str::trim),
        }));
    }
    // The list is moved in (`json!` would copy it).
    let mut v = object_of("objects", Value::Array(objects));
    if let Value::Object(o) = &mut v {
        put(o, "isTruncated", json!(is_truncated));
        put(o, "nextContinuationToken", json!(next));
    }
    Ok(json_parsed(v, None))
}

/// The root of an XML reply, which must be a `<want>`. S3 may answer 200 with an `<Error>`
/// (CompleteMultipartUpload fails that way after it started): that is an error.
fn xml_root(reply: &Reply, want: &str) -> Result<xml::Element, Fail> {
    let text = std::str::from_utf8(&reply.body)
        .map_err(|_| decode_error(format!("the <{want}> reply is not UTF-8")))?;
    let root = xml::parse(text)
        .map_err(|e| decode_error(format!("the <{want}> reply is not XML: {e}")))?;
    if root.name == "Error" {
        let e = read_error(reply.status, &reply.body);
        return Err(fail(
            e.kind.unwrap_or(ErrorType::ServerError),
            e.message.unwrap_or_default(),
        ));
    }
    if root.name != want {
        return Err(decode_error(format!(
            "the reply is a <{}>, not a <{want}>",
            root.name
        )));
    }
    Ok(root)
}

/// `{ uploadId }` from an `InitiateMultipartUploadResult`.
pub fn parse_initiate(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    let root = xml_root(reply, "InitiateMultipartUploadResult")?;
    let id = root
        .child_text("UploadId")
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| decode_error("<InitiateMultipartUploadResult> has no <UploadId>"))?;
    Ok(json_parsed(json!({ "uploadId": id }), None))
}

/// `{ etag }` from a `CompleteMultipartUploadResult`.
pub fn parse_complete(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    let root = xml_root(reply, "CompleteMultipartUploadResult")?;
    Ok(json_parsed(
        json!({ "etag": root.child_text("ETag").map(str::trim) }),
        None,
    ))
}

/// `{ uploads: [{ key, uploadId }], isTruncated }` from a `ListMultipartUploadsResult`.
pub fn parse_uploads(reply: &Reply, _client_id: &str) -> Result<Parsed, Fail> {
    let root = xml_root(reply, "ListMultipartUploadsResult")?;
    let mut uploads = Vec::new();
    for u in root.children_named("Upload") {
        uploads.push(json!({ "key": u.child_text("Key"), "uploadId": u.child_text("UploadId") }));
    }
    let truncated = root.child_text("IsTruncated").map(str::trim) == Some("true");
    Ok(json_parsed(
        {
            let mut v = object_of("uploads", Value::Array(uploads));
            if let Value::Object(o) = &mut v {
                put(o, "isTruncated", json!(truncated));
            }
            v
        },
        None,
    ))
}

/// S3 error codes and the type each settles.
const CODE_KINDS: [(&str, ErrorType); 32] = {
    use ErrorType::*;
    [
        ("SlowDown", RateLimitExceeded),
        ("SlowDownRead", RateLimitExceeded),
        ("SlowDownWrite", RateLimitExceeded),
        ("Throttling", RateLimitExceeded),
        ("ThrottlingException", RateLimitExceeded),
        ("RequestLimitExceeded", RateLimitExceeded),
        ("RequestThrottled", RateLimitExceeded),
        ("TooManyRequestsException", RateLimitExceeded),
        ("BandwidthLimitExceeded", RateLimitExceeded),
        ("InternalError", ServerError),
        ("ServiceUnavailable", Overloaded),
        ("XMinioServerNotInitialized", Overloaded),
        ("XMinioReadQuorum", Overloaded),
        ("XMinioWriteQuorum", Overloaded),
        ("RequestTimeout", Timeout),
        ("NoSuchKey", NotFound),
        ("NoSuchBucket", NotFound),
        ("NoSuchUpload", NotFound),
        ("NoSuchVersion", NotFound),
        ("AccessDenied", PermissionDenied),
        ("AllAccessDisabled", PermissionDenied),
        ("AccountProblem", PermissionDenied),
        // A skewed clock cannot be fixed by resending the same signed request.
        ("InvalidAccessKeyId", AuthenticationError),
        ("SignatureDoesNotMatch", AuthenticationError),
        ("ExpiredToken", AuthenticationError),
        ("InvalidToken", AuthenticationError),
        ("TokenRefreshRequired", AuthenticationError),
        ("RequestTimeTooSkewed", AuthenticationError),
        // Another region or endpoint: resending here cannot succeed.
        ("PermanentRedirect", InvalidRequest),
        ("TemporaryRedirect", InvalidRequest),
        ("Redirect", InvalidRequest),
        ("AuthorizationHeaderMalformed", InvalidRequest),
    ]
};

/// The type an S3 error code settles; `None` lets the status decide.
pub fn code_kind(code: &str) -> Option<ErrorType> {
    CODE_KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|&(_, kind)| kind)
}

/// The [`crate::providers::ErrorReader`] for S3: the XML `<Error>` body; a body-less error
/// (HEAD) by its status; anything else (a proxy's page) by the common reader.
pub fn s3_errors(status: u16, body: &[u8]) -> ErrorBody {
    let mut out = read_error(status, body);
    // A redirect handed to us could not be followed: the bucket lives elsewhere.
    if out.kind.is_none() && (300..400).contains(&status) {
        out.kind = Some(ErrorType::InvalidRequest);
    }
    out
}

fn read_error(status: u16, body: &[u8]) -> ErrorBody {
    if body.iter().all(u8::is_ascii_whitespace) {
        return ErrorBody {
            message: Some(format!(
                "HTTP {status} {} with no error body (HEAD replies carry none)",
                reason(status)
            )),
            ..ErrorBody::default()
        };
    }
    let text = std::str::from_utf8(body).unwrap_or("").trim();
    let root = match xml::parse(text) {
        Ok(r) if r.name == "Error" => r,
        _ => return parse_error_body(body),
    };
    let field = |n: &str| root.child_text(n).map(str::trim).filter(|s| !s.is_empty());
    let code = field("Code");
    let mut message = match (code, field("Message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => format!("HTTP {status} {}", reason(status)),
    };
    for (element, label) in [
        ("ServerTime", "server time"),
        ("Region", "expected region"),
        ("Endpoint", "endpoint"),
    ] {
        if let Some(v) = field(element) {
            message.push_str(&format!(" ({label} {v})"));
        }
    }
    ErrorBody {
        message: Some(truncate(&message, 1000)),
        codes: code.map(|c| vec![c.to_string()]).unwrap_or_default(),
        hint: None,
        kind: code.and_then(code_kind),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        301 => "Moved Permanently (the bucket is in another region or needs another endpoint)",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        403 => "Forbidden (access denied, or the signature or credentials were refused)",
        404 => "Not Found (no such key or bucket)",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}
