//! S3-compatible object storage, signed with AWS SigV4 (docs/providers.md).
//!
//! Operations: `putObject` (PUT), `getObject` (GET), `headObject` (HEAD), `deleteObject`
//! (DELETE), `listObjects` (GET `?list-type=2`), the multipart calls `createMultipartUpload`,
//! `uploadPart`, `completeMultipartUpload`, `abortMultipartUpload` and `listMultipartUploads`
//! (the host's `uploadObject` drives them), and `presignUrl` (local, no request).
//!
//! Addressing:
//! - no `baseUrl` (AWS): virtual-hosted `https://{bucket}.s3.{region}.amazonaws.com/{key}`;
//! - a `baseUrl` whose host is an AWS S3 endpoint (`s3.amazonaws.com`, `s3.{region}.amazonaws.com`,
//!   `s3-...`, also `.amazonaws.com.cn`) with no path: virtual-hosted on that host
//!   (`https://s3.amazonaws.com` -> `https://{bucket}.s3.amazonaws.com/{key}`);
//! - any other `baseUrl` (MinIO, Ceph, localstack, an IP, localhost, a path prefix): path-style
//!   `{baseUrl}/{bucket}/{key}`;
//! - on AWS, a bucket that is not a DNS label without dots (dots break TLS wildcard
//!   certificates) goes path-style on the same host instead.
//!
//! Keys are encoded once per S3 rules, `/` kept. The base path is taken as plain text.

mod reply;
pub mod sigv4;
pub mod xml;

pub use reply::{
    code_kind, parse_complete, parse_delete, parse_get, parse_head, parse_initiate, parse_list,
    parse_put, parse_uploads, s3_errors,
};

#[cfg(test)]
mod vectors;

use super::{
    bad_arg, fail, parser, push_pair, trim_end_slashes, unboxed, unsupported, unsupported_op, Ctx,
    Fail, Provider, ProviderInfo, Unary,
};
use crate::codec::{Parser, Resigner};
use crate::config::Config;
use crate::error::{ApiError, ErrorType};
use crate::host::{Headers, HttpRequest};
use crate::json::{Map, Value};
use crate::providers::ops::{
    ABORT_UPLOAD, COMPLETE_UPLOAD, CREATE_UPLOAD, DELETE_OBJECT, GET_OBJECT, HEAD_OBJECT,
    LIST_OBJECTS, LIST_UPLOADS, PUT_OBJECT, UPLOAD_PART,
};
use crate::providers::unary_number;
use sigv4::{amz_date, canonical_query, hex_sha256, uri_encode, Signer, UNSIGNED_PAYLOAD};
use std::rc::Rc;

pub struct S3Kit;

pub static S3_KIT: S3Kit = S3Kit;

static INFO: ProviderInfo = ProviderInfo {
    name: "s3_kit",
    // The seed's S3_ENDPOINT default; with no baseUrl requests go to the regional AWS host.
    default_base_url: "https://s3.amazonaws.com",
    default_model: "",
    key_env: &[],
    // Credentials are checked by the codec (access key and secret, not `apiKey`).
    requires_key: false,
};

/// The longest presigned URL lifetime S3 accepts (seven days).
pub const MAX_PRESIGN_SECONDS: u64 = 604_800;

impl Provider for S3Kit {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    /// SigV4 signs the method, URL, headers and body together, so no static header
    /// authenticates a request; the operations sign their own.
    fn auth_headers(&self, _ctx: &Ctx) -> Headers {
        Vec::new()
    }

    /// An unsigned request would only earn a 403: refuse it clearly instead.
    fn raw_refused(&self) -> Option<&'static str> {
        Some(
            "makeRequest is not available for s3_kit: every S3 request is signed for its \
             operation; use putObject, getObject, headObject, deleteObject, listObjects or presignUrl",
        )
    }

    fn unary(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, ApiError> {
        unboxed(build(op, ctx, args))
    }

    fn local(&self, op: &str, ctx: &Ctx, args: &Value) -> Result<Value, ApiError> {
        match op {
            "presignUrl" => unboxed(presign(ctx, args)).map(Value::String),
            // A header-signed GET the host sends itself, to read the body as it arrives
            // (`getObject({ stream: true })`): `[url, [[name, value], ...]]`.
            "signGetObject" => {
                // Headers as [name, value] pairs: what fetch takes, and no map to build here.
                let r = self.unary("getObject", ctx, args)?.request;
                let mut headers = Vec::with_capacity(r.headers.len());
                for (k, v) in r.headers {
                    headers.push(Value::Array(vec![Value::String(k), Value::String(v)]));
                }
                Ok(Value::Array(vec![
                    Value::String(r.url),
                    Value::Array(headers),
                ]))
            }
            _ => Err(unsupported(INFO.name, op)),
        }
    }
}

/// An operation's request, signed, with its reply parser and re-signer.
fn build(op: &str, ctx: &Ctx, args: &Value) -> Result<Unary, Fail> {
    let n = unary_number(op);
    let fields: &[&str] = match n {
        PUT_OBJECT => &["bucket", "key", "body", "contentType", "checksumSha256"],
        GET_OBJECT => &["bucket", "key", "range", "ifMatch", "checksumMode"],
        HEAD_OBJECT | DELETE_OBJECT => &["bucket", "key"],
        LIST_OBJECTS => &["bucket", "prefix", "continuationToken", "maxKeys"],
        CREATE_UPLOAD => &["bucket", "key", "contentType"],
        UPLOAD_PART => &[
            "bucket",
            "key",
            "uploadId",
            "partNumber",
            "body",
            "checksumSha256",
        ],
        COMPLETE_UPLOAD => &["bucket", "key", "uploadId", "parts"],
        ABORT_UPLOAD => &["bucket", "key", "uploadId"],
        LIST_UPLOADS => &["bucket", "prefix"],
        _ => return Err(unsupported_op(INFO.name, op)),
    };
    let creds = credentials(ctx.config)?;
    let a = arguments(op, args, fields)?;
    let bucket = bucket_arg(a)?;
    let key = match n {
        LIST_OBJECTS | LIST_UPLOADS => None,
        _ => Some(key_arg(a)?),
    };
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Headers = Vec::new();
    let mut body = None;
    let mut unsigned = false;
    let (method, parse): (&'static str, Parser) = match n {
        PUT_OBJECT => {
            let b = body_arg(ctx, a, true)?;
            // Hashing a large body first costs a whole pass over it (docs/api.md); a
            // held body (the host keeps bodies over SIGNED_PAYLOAD_MAX) is not here at all.
            unsigned = ctx.held || b.len() > SIGNED_PAYLOAD_MAX;
            body = Some(b);
            content_type(a, &mut headers)?;
            checksum(a, &mut headers)?;
            ("PUT", parser(parse_put))
        }
        GET_OBJECT => {
            if let Some(r) = opt_str(a, "range")? {
                let ok = r.strip_prefix("bytes=").is_some_and(|v| {
                    v.contains('-') && v.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                });
                if !ok {
                    return Err(bad_arg(
                        "range",
                        "must be a byte range such as 'bytes=100-' or 'bytes=0-99'",
                    ));
                }
                push_pair(&mut headers, "range", r);
            }
            if let Some(e) = opt_str(a, "ifMatch")? {
                if e.is_empty() || crate::text::has_control(e) {
                    return Err(bad_arg(
                        "ifMatch",
                        "must be an ETag without control characters",
                    ));
                }
                push_pair(&mut headers, "if-match", e);
            }
            // Asks S3 for the object's stored checksum, which the host then verifies.
            if matches!(a.get("checksumMode"), Some(Value::Bool(true))) {
                push_pair(&mut headers, "x-amz-checksum-mode", "ENABLED");
            }
            ("GET", parser(parse_get))
        }
        HEAD_OBJECT => ("HEAD", parser(parse_head)),
        DELETE_OBJECT => ("DELETE", parser(parse_delete)),
        CREATE_UPLOAD => {
            content_type(a, &mut headers)?;
            push_pair(&mut query, "uploads", "");
            ("POST", parser(parse_initiate))
        }
        UPLOAD_PART => {
            query.push((
                "partNumber".into(),
                sigv4::decimal(part_number(a.get("partNumber"), "partNumber")?),
            ));
            push_pair(&mut query, "uploadId", upload_id(a)?);
            checksum(a, &mut headers)?;
            body = Some(body_arg(ctx, a, false)?);
            // Parts are large; see putObject.
            unsigned = true;
            ("PUT", parser(parse_put))
        }
        COMPLETE_UPLOAD => {
            push_pair(&mut query, "uploadId", upload_id(a)?);
            body = Some(complete_xml(a.get("parts"))?.into_bytes());
            push_pair(&mut headers, "content-type", "application/xml");
            ("POST", parser(parse_complete))
        }
        ABORT_UPLOAD => {
            push_pair(&mut query, "uploadId", upload_id(a)?);
            ("DELETE", parser(parse_delete))
        }
        LIST_UPLOADS => {
            push_pair(&mut query, "uploads", "");
            if let Some(p) = opt_str(a, "prefix")?.filter(|p| !p.is_empty()) {
                push_pair(&mut query, "prefix", p);
            }
            ("GET", parser(parse_uploads))
        }
        _ => {
            query = list_query(a)?;
            ("GET", parser(reply::read_list))
        }
    };
    let spec = Spec {
        method,
        t: target(ctx.config, creds.region, bucket, key)?,
        query,
        body,
        headers,
        unsigned,
    };
    let request = signed(ctx, &creds, &spec);
    let resign = resigner(ctx, spec, &request);
    Ok(Unary {
        request,
        model: None,
        parse,
        errors: s3_errors,
        resign: Some(resign),
    })
}

/// Credentials and region, checked before anything is built.
struct Creds<'a> {
    key_id: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
    region: &'a str,
}

fn credentials(config: &Config) -> Result<Creds<'_>, Fail> {
    let key_id = config.access_key_id.as_deref().filter(|k| !k.is_empty());
    let secret = config
        .secret_access_key
        .as_ref()
        .map(|s| s.expose())
        .filter(|s| !s.is_empty());
    let missing = match (key_id, secret) {
        (None, None) => "accessKeyId and secretAccessKey",
        (None, _) => "accessKeyId",
        _ => "secretAccessKey",
    };
    let (Some(key_id), Some(secret)) = (key_id, secret) else {
        return Err(fail(
            ErrorType::AuthenticationError,
            format!(
                "no S3 credentials: {} not set (pass accessKeyId and secretAccessKey, or s3cfg \
                 {{ accessKey, secretKey }}, or set S3_ACCESS_KEY and S3_SECRET_KEY in Node); \
                 no request was sent",
                missing
            ),
        ));
    };
    // They go into a header (and the key id into the scope): no spaces or control characters.
    let token = config
        .session_token
        .as_ref()
        .map(|s| s.expose())
        .filter(|s| !s.is_empty());
    let bad = |s: &str| s.chars().any(|c| c.is_control() || c.is_whitespace());
    if bad(key_id) || key_id.contains('/') || token.is_some_and(bad) {
        return Err(fail(
            ErrorType::AuthenticationError,
            "the S3 accessKeyId or sessionToken contains spaces, '/' or control characters; \
             no request was sent",
        ));
    }
    let region = config.region.as_str();
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(fail(
            ErrorType::InvalidRequest,
            "option `region` accepts an AWS region name such as 'us-east-1' (lowercase letters, digits and '-')",
        ));
    }
    Ok(Creds {
        key_id,
        secret,
        token,
        region,
    })
}

fn arguments<'a>(
    op: &str,
    args: &'a Value,
    fields: &[&str],
) -> Result<&'a Map<String, Value>, Fail> {
    let m = args.as_object().ok_or_else(|| {
        bad_arg(
            &format!("{op}(request)"),
            &format!("must be an object with {}", crate::text::join(fields, ", ")),
        )
    })?;
    if let Some((k, _)) = m.iter().find(|(k, _)| !fields.contains(&k.as_str())) {
        return Err(bad_arg(
            k,
            &format!(
                "is not a {op} argument (accepted: {})",
                crate::text::join(fields, ", ")
            ),
        ));
    }
    Ok(m)
}

/// A string argument; absent or `null` is `None`.
fn opt_str<'a>(a: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, Fail> {
    match a.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad_arg(field, "must be a string")),
    }
}

/// A `.` or `..` segment would be removed by the URL parser that fetch uses, so the request
/// would reach another path than the one signed.
fn has_dot_segment(s: &str) -> bool {
    s.split('/').any(|seg| seg == "." || seg == "..")
}

fn bucket_arg(a: &Map<String, Value>) -> Result<&str, Fail> {
    match opt_str(a, "bucket")? {
        Some(b) if !b.is_empty() && b.len() <= 255 && !b.contains('/') && !has_dot_segment(b) => {
            Ok(b)
        }
        _ => Err(bad_arg(
            "bucket",
            "is required: a bucket name (1-255 characters, no '/', not '.' or '..')",
        )),
    }
}

fn key_arg(a: &Map<String, Value>) -> Result<&str, Fail> {
    match opt_str(a, "key")? {
        Some(k) if !k.is_empty() && k.len() <= 1024 && !has_dot_segment(k) => Ok(k),
        Some(k) if has_dot_segment(k) => Err(bad_arg(
            "key",
            "must not contain '.' or '..' path segments (URLs normalise them away)",
        )),
        _ => Err(bad_arg(
            "key",
            "is required: an object key of 1 to 1024 bytes",
        )),
    }
}

/// A non-negative whole number, also when written as a float (`2.0`).
fn whole_number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=1e15).contains(f))
            .map(|f| f as u64)
    })
}

/// Bodies above this are sent with `UNSIGNED-PAYLOAD`: SigV4 would otherwise hash the whole
/// body before the first byte leaves (docs/api.md, "S3 at model size").
pub const SIGNED_PAYLOAD_MAX: usize = 8 * 1024 * 1024;

/// The object bytes: binary data passed apart from the JSON args, or a string (putObject).
fn body_arg(ctx: &Ctx, a: &Map<String, Value>, text: bool) -> Result<Vec<u8>, Fail> {
    match (ctx.bytes, a.get("body")) {
        (Some(b), _) => Ok(b.to_vec()),
        (None, Some(Value::String(s))) if text => Ok(s.clone().into_bytes()),
        _ => Err(bad_arg(
            "body",
            "is required: a string, Uint8Array or ArrayBuffer",
        )),
    }
}

/// `contentType` as the `content-type` header, added to `headers`.
fn content_type(a: &Map<String, Value>, headers: &mut Headers) -> Result<(), Fail> {
    match opt_str(a, "contentType")? {
        Some(c) if crate::text::has_control(c) => Err(bad_arg(
            "contentType",
            "must be a media type without control characters",
        )),
        Some(c) => {
            push_pair(headers, "content-type", c);
            Ok(())
        }
        None => Ok(()),
    }
}

/// `checksumSha256` (the body's base64 SHA-256, computed by the host) as the signed
/// `x-amz-checksum-sha256` header: the server refuses a body that does not match.
fn checksum(a: &Map<String, Value>, headers: &mut Headers) -> Result<(), Fail> {
    if let Some(c) = opt_str(a, "checksumSha256")? {
        if c.len() != 44
            || !c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        {
            return Err(bad_arg(
                "checksumSha256",
                "must be the base64 SHA-256 of the body (44 characters)",
            ));
        }
        push_pair(headers, "x-amz-checksum-sha256", c);
    }
    Ok(())
}

fn upload_id(a: &Map<String, Value>) -> Result<&str, Fail> {
    match opt_str(a, "uploadId")? {
        Some(u) if !u.is_empty() && !crate::text::has_control(u) => Ok(u),
        _ => Err(bad_arg(
            "uploadId",
            "is required: the uploadId createMultipartUpload returned",
        )),
    }
}

/// S3 numbers parts 1 to 10,000.
fn part_number(v: Option<&Value>, field: &str) -> Result<u64, Fail> {
    v.and_then(whole_number)
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| bad_arg(field, "must be an integer from 1 to 10000"))
}

/// The `CompleteMultipartUpload` document for `parts: [{ partNumber, etag }]`, in ascending
/// part order as S3 requires.
fn complete_xml(parts: Option<&Value>) -> Result<String, Fail> {
    let list = parts
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            bad_arg(
                "parts",
                "is required: a non-empty array of { partNumber, etag }",
            )
        })?;
    let mut xml = String::from("<CompleteMultipartUpload>");
    let mut last = 0;
    for (i, p) in list.iter().enumerate() {
        let n = part_number(p.get("partNumber"), &format!("parts[{i}].partNumber"))?;
        if n <= last {
            return Err(bad_arg(
                "parts",
                "must be in ascending partNumber order, each number once",
            ));
        }
        last = n;
        let etag = p
            .get("etag")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| {
                bad_arg(
                    &format!("parts[{i}].etag"),
                    "must be the ETag uploadPart returned",
                )
            })?;
        xml.push_str("<Part><PartNumber>");
        sigv4::push_decimal(&mut xml, n, 1);
        xml.push_str("</PartNumber><ETag>");
        xml::push_escaped(&mut xml, etag);
        xml.push_str("</ETag></Part>");
    }
    xml.push_str("</CompleteMultipartUpload>");
    Ok(xml)
}

fn list_query(a: &Map<String, Value>) -> Result<Vec<(String, String)>, Fail> {
    let mut q = Vec::new();
    push_pair(&mut q, "list-type", "2");
    if let Some(p) = opt_str(a, "prefix")?.filter(|p| !p.is_empty()) {
        push_pair(&mut q, "prefix", p);
    }
    if let Some(t) = opt_str(a, "continuationToken")?.filter(|t| !t.is_empty()) {
        push_pair(&mut q, "continuation-token", t);
    }
    match a.get("maxKeys") {
        None | Some(Value::Null) => {}
        Some(v) => match whole_number(v).filter(|n| (1..=1000).contains(n)) {
            Some(n) => q.push(("max-keys".into(), sigv4::decimal(n))),
            None => return Err(bad_arg("maxKeys", "must be an integer from 1 to 1000")),
        },
    }
    Ok(q)
}

/// Where a request goes: `origin` (`scheme://authority`), the host that is signed (the one
/// fetch will send: lowercase, no default port), and the encoded path (the canonical URI).
#[derive(Clone, Debug, PartialEq)]
struct Target {
    origin: String,
    host: String,
    path: String,
}

fn is_aws_host(host: &str) -> bool {
    (host.starts_with("s3.") || host.starts_with("s3-"))
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"))
}

/// A bucket that can be a host label: 3-63 lowercase letters, digits and '-', no dots.
fn virtual_ok(bucket: &str) -> bool {
    let b = bucket.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
}

fn target(config: &Config, region: &str, bucket: &str, key: Option<&str>) -> Result<Target, Fail> {
    let key_path = key.map(|k| format!("/{}", uri_encode(k, true)));
    let (scheme, authority, base_path) = match &config.base_url {
        None => ("https", format!("s3.{region}.amazonaws.com"), String::new()),
        Some(url) => {
            let (scheme, rest) = crate::text::split_once(url, "://").unwrap_or(("https", url));
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(end);
            if tail.contains(['?', '#']) {
                return Err(fail(
                    ErrorType::InvalidRequest,
                    "option `baseUrl` accepts an origin with an optional path, without a query or fragment",
                ));
            }
            let authority = crate::text::after_last(authority, b'@');
            (
                scheme,
                authority.to_string(),
                trim_end_slashes(tail).to_string(),
            )
        }
    };
    let lower = authority.to_ascii_lowercase();
    let default_port = if scheme == "http" { ":80" } else { ":443" };
    let host = lower
        .strip_suffix(default_port)
        .unwrap_or(&lower)
        .to_string();
    if is_aws_host(&host) && base_path.is_empty() && virtual_ok(bucket) {
        let host = format!("{bucket}.{host}");
        return Ok(Target {
            origin: format!("{scheme}://{host}"),
            host,
            path: key_path.unwrap_or_else(|| "/".into()),
        });
    }
    let path = format!(
        "{}/{}{}",
        uri_encode(&base_path, true),
        uri_encode(bucket, true),
        key_path.unwrap_or_default()
    );
    Ok(Target {
        origin: format!("{scheme}://{host}"),
        host,
        path,
    })
}

/// Headers the AWS SDK never signs (proxies may change them).
fn never_signed(name: &str) -> bool {
    NEVER_SIGNED.contains(&name) || name.starts_with("proxy-") || name.starts_with("sec-")
}

/// [`never_signed`]'s names (a list, not a `matches!`: one comparison loop rather than a
/// comparison call per name).
const NEVER_SIGNED: [&str; 15] = [
    "authorization",
    "cache-control",
    "connection",
    "expect",
    "from",
    "keep-alive",
    "max-forwards",
    "pragma",
    "referer",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Headers a browser's fetch drops or sets itself: signing them would break the signature.
fn browser_forbidden(name: &str) -> bool {
    BROWSER_FORBIDDEN.contains(&name)
}

const BROWSER_FORBIDDEN: [&str; 19] = [
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
];

/// Headers this codec sets; the client's extra headers of the same name are left out.
const OWN_HEADERS: [&str; 5] = [
    "authorization",
    "host",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];

/// What one operation sends, before signing (kept to sign it again per attempt).
struct Spec {
    method: &'static str,
    t: Target,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// The operation's own headers (content-type, range, if-match, checksums): they win over
    /// the client's extra headers of the same name.
    headers: Headers,
    /// `UNSIGNED-PAYLOAD` instead of the body's SHA-256.
    unsigned: bool,
}

/// A header-signed request: `x-amz-date`, `x-amz-content-sha256` (SHA-256 of the body, or
/// `UNSIGNED-PAYLOAD`), `x-amz-security-token` with temporary credentials, the operation's
/// headers, the client's extra headers, then `authorization`. Every header but the unsignable
/// ones is signed, with `host` (never sent: fetch sets it).
fn signed(ctx: &Ctx, c: &Creds, s: &Spec) -> HttpRequest {
    let date = amz_date(ctx.unix_now);
    let payload_hash = if s.unsigned {
        UNSIGNED_PAYLOAD.to_string()
    } else {
        hex_sha256(s.body.as_deref().unwrap_or_default())
    };
    let mut headers: Headers = Vec::new();
    push_pair(&mut headers, "x-amz-date", &date);
    push_pair(&mut headers, "x-amz-content-sha256", &payload_hash);
    if let Some(token) = c.token {
        push_pair(&mut headers, "x-amz-security-token", token);
    }
    headers.append(&mut s.headers.clone());
    for (name, value) in &ctx.config.headers {
        let lower = name.to_ascii_lowercase();
        let ours =
            OWN_HEADERS.contains(&lower.as_str()) || s.headers.iter().any(|(n, _)| *n == lower);
        if !ours {
            headers.push((name.clone(), value.clone()));
        }
    }
    let mut to_sign: Headers = Vec::new();
    push_pair(&mut to_sign, "host", &s.t.host);
    for (n, v) in &headers {
        let lower = n.to_ascii_lowercase();
        if !(never_signed(&lower) || (ctx.browser && browser_forbidden(&lower))) {
            to_sign.push((n.clone(), v.clone()));
        }
    }
    let cq = canonical_query(&s.query);
    let signer = Signer {
        access_key_id: c.key_id,
        secret: c.secret,
        region: c.region,
        service: "s3",
        amz_date: &date,
    };
    let sig = signer.sign(s.method, &s.t.path, &cq, &to_sign, &payload_hash);
    headers.push(("authorization".into(), signer.authorization(&sig)));
    let url = if cq.is_empty() {
        format!("{}{}", s.t.origin, s.t.path)
    } else {
        format!("{}{}?{}", s.t.origin, s.t.path, cq)
    };
    HttpRequest {
        method: s.method.into(),
        url,
        headers,
        body: s.body.clone(),
        stream: false,
    }
}

/// Signs the same request again at a later time: SigV4 signatures carry their date and S3
/// refuses them after 15 minutes, so each attempt (after a long queue or backoff) is signed
/// afresh. Falls back to the first signing should the credentials have become unreadable.
fn resigner(ctx: &Ctx, spec: Spec, first: &HttpRequest) -> Resigner {
    let config = ctx.config.without_endpoints();
    let browser = ctx.browser;
    let first = first.clone();
    Rc::new(move |unix_now| {
        let ctx = Ctx {
            config: &config,
            unix_now,
            browser,
            bytes: None,
            held: false,
        };
        match credentials(&config) {
            Ok(creds) => signed(&ctx, &creds, &spec),
            Err(_) => first.clone(),
        }
    })
}

/// `presignUrl({ bucket, key, method?, expiresIn? })`: a query-signed URL (payload
/// `UNSIGNED-PAYLOAD`, only `host` signed).
fn presign(ctx: &Ctx, args: &Value) -> Result<String, Fail> {
    let creds = credentials(ctx.config)?;
    let a = arguments(
        "presignUrl",
        args,
        &["bucket", "key", "method", "expiresIn"],
    )?;
    let bucket = bucket_arg(a)?;
    let key = key_arg(a)?;
    let method = match opt_str(a, "method")?.map(str::to_ascii_uppercase) {
        None => "GET".to_string(),
        Some(m) if matches!(m.as_str(), "GET" | "PUT" | "HEAD" | "DELETE") => m,
        Some(_) => {
            return Err(bad_arg(
                "method",
                "must be 'GET', 'PUT', 'HEAD' or 'DELETE'",
            ))
        }
    };
    let expires = match a.get("expiresIn") {
        None | Some(Value::Null) => 3600,
        Some(v) => whole_number(v)
            .filter(|n| (1..=MAX_PRESIGN_SECONDS).contains(n))
            .ok_or_else(|| {
                bad_arg(
                    "expiresIn",
                    "must be an integer number of seconds from 1 to 604800",
                )
            })?,
    };
    let t = target(ctx.config, creds.region, bucket, Some(key))?;
    let date = amz_date(ctx.unix_now);
    let signer = Signer {
        access_key_id: creds.key_id,
        secret: creds.secret,
        region: creds.region,
        service: "s3",
        amz_date: &date,
    };
    let mut q: Headers = Vec::with_capacity(6);
    push_pair(&mut q, "X-Amz-Algorithm", sigv4::ALGORITHM);
    push_pair(
        &mut q,
        "X-Amz-Credential",
        &format!("{}/{}", creds.key_id, signer.scope()),
    );
    push_pair(&mut q, "X-Amz-Date", &date);
    push_pair(&mut q, "X-Amz-Expires", &sigv4::decimal(expires));
    push_pair(&mut q, "X-Amz-SignedHeaders", "host");
    if let Some(token) = creds.token {
        push_pair(&mut q, "X-Amz-Security-Token", token);
    }
    let cq = canonical_query(&q);
    let mut host = Vec::new();
    push_pair(&mut host, "host", &t.host);
    let sig = signer.sign(&method, &t.path, &cq, &host, UNSIGNED_PAYLOAD);
    Ok(format!(
        "{}{}?{}&X-Amz-Signature={}",
        t.origin, t.path, cq, sig.signature
    ))
}

#[cfg(test)]
mod tests;
