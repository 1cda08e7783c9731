//! AWS Signature Version 4 (docs/providers.md): canonical request,
//! string to sign, signing key, signature. Pure functions of their inputs, so the published
//! vectors can be checked step by step.

use crate::digest::hex;
pub use crate::digest::hex_sha256;
use crate::providers::shared::order::sort_stable_by;
pub use crate::providers::shared::urls::uri_encode;
use crate::time::civil::civil_from_days;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The SHA-256 of an empty payload.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The payload hash of a presigned URL: the body is not known when the URL is made.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// `n` in decimal, zero-padded to `width` digits, without `core::fmt`.
pub fn push_decimal(out: &mut String, n: u64, width: usize) {
    let start = out.len();
    crate::json::write_unsigned(n, out);
    for _ in out.len() - start..width {
        out.insert(start, '0');
    }
}

pub use crate::text::decimal;

/// HMAC-SHA256 (RFC 2104) from the `hmac` crate: signing code stays the audited crate's, not
/// ours (written out over `Sha256` it measured 192 bytes gzip smaller).
fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `YYYYMMDD'T'HHMMSS'Z'` (UTC) for seconds since the Unix epoch. Out-of-range or NaN inputs
/// are clamped (a wrong clock gives a request the server refuses, never a panic).
pub fn amz_date(unix: f64) -> String {
    let secs = if unix.is_finite() {
        crate::time::clamp(unix.floor(), 0.0, 253_402_300_799.0) as i64 // up to 9999-12-31T23:59:59Z
    } else {
        0
    };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    // The year is 1970 to 9999, the others small: none negative.
    let mut s = String::with_capacity(16);
    push_decimal(&mut s, y.unsigned_abs(), 4);
    push_decimal(&mut s, (m * 100 + d).unsigned_abs(), 4);
    s.push('T');
    push_decimal(
        &mut s,
        (rem / 3600 * 10_000 + rem % 3600 / 60 * 100 + rem % 60).unsigned_abs(),
        6,
    );
    s.push('Z');
    s
}

/// How the canonical URI is made from the (decoded) request path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathRule {
    /// S3: encoded once, never normalised (`.`/`..` segments and `//` are kept).
    S3,
    /// Every other service (the generic test suite): dot segments removed, empty segments
    /// collapsed, then encoded twice.
    Generic,
}

pub fn canonical_uri(path: &str, rule: PathRule) -> String {
    let path = if path.is_empty() { "/" } else { path };
    match rule {
        PathRule::S3 => uri_encode(path, true),
        PathRule::Generic => uri_encode(&uri_encode(&normalize_path(path), true), true),
    }
}

/// RFC 3986 dot-segment removal plus collapsing of empty segments; keeps a trailing slash.
pub fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let trailing = out.last().is_some()
        && (path.ends_with("/") || path.ends_with("/.") || path.ends_with("/.."));
    let mut s = format!("/{}", crate::text::join(&out, "/"));
    if trailing {
        s.push('/');
    }
    s
}

/// Pairs sorted by name, then value.
fn sort_pairs(v: &mut Vec<(String, String)>) {
    sort_stable_by(v, |a, b| a.cmp(b));
}

/// The canonical query string of decoded `(name, value)` pairs: each encoded (with `/`), sorted
/// by name then value, joined `name=value` with `&`. A bare name has an empty value.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> = Vec::with_capacity(params.len());
    for (k, v) in params {
        enc.push((uri_encode(k, false), uri_encode(v, false)));
    }
    sort_pairs(&mut enc);
    let mut query = String::new();
    for (k, v) in &enc {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(k);
        query.push('=');
        query.push_str(v);
    }
    query
}

/// The canonical header block (`name:value\n` per name) and the signed-header list. Names are
/// lowercased and sorted; repeated names are joined with `,` in order; values are trimmed and
/// runs of whitespace collapse to one space.
pub fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let mut merged: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let name = name.trim().to_ascii_lowercase();
        let mut words = String::with_capacity(value.len());
        for w in value.split_whitespace() {
            if !words.is_empty() {
                words.push(' ');
            }
            words.push_str(w);
        }
        let value = words;
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => {
                v.push(',');
                v.push_str(&value);
            }
            None => merged.push((name, value)),
        }
    }
    // Names are unique once merged, so ordering the pairs orders the names (and the one
    // instance of the sort serves the query too).
    sort_pairs(&mut merged);
    let mut block = String::new();
    for (n, v) in &merged {
        block.push_str(n);
        block.push(':');
        block.push_str(v);
        block.push('\n');
    }
    let mut signed = String::new();
    for (i, (n, _)) in merged.iter().enumerate() {
        if i > 0 {
            signed.push(';');
        }
        signed.push_str(n);
    }
    (block, signed)
}

/// Who signs, where and when.
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDD'T'HHMMSS'Z'`; its first eight characters are the date of the scope.
    pub amz_date: &'a str,
}

/// Every intermediate of one signature (tests compare them with the published ones).
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signed_headers: String,
    pub signature: String,
}

impl Signer<'_> {
    fn date(&self) -> &str {
        self.amz_date.get(..8).unwrap_or(self.amz_date)
    }

    /// `<YYYYMMDD>/<region>/<service>/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date(),
            self.region,
            self.service
        )
    }

    /// `kSigning`, derived from the secret through the date, region and service.
    fn signing_key(&self) -> [u8; 32] {
        let k_date = hmac(
            format!("AWS4{}", self.secret).as_bytes(),
            self.date().as_bytes(),
        );
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, self.service.as_bytes());
        hmac(&k_service, b"aws4_request")
    }

    /// Signs a request. `canonical_uri` and `canonical_query` are already canonical (see
    /// [`canonical_uri`], [`canonical_query`]); `headers` are exactly the headers to sign.
    pub fn sign(
        &self,
        method: &str,
        canonical_uri: &str,
        canonical_query: &str,
        headers: &[(String, String)],
        payload_hash: &str,
    ) -> Signature {
        let (block, signed_headers) = canonical_headers(headers);
        let canonical_request = format!(
            "{method}\n{canonical_uri}\n{canonical_query}\n{block}\n{signed_headers}\n{payload_hash}"
        );
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            self.amz_date,
            self.scope(),
            hex_sha256(canonical_request.as_bytes())
        );
        let signature = hex(&hmac(&self.signing_key(), string_to_sign.as_bytes()));
        Signature {
            canonical_request,
            string_to_sign,
            signed_headers,
            signature,
        }
    }

    /// The `Authorization` header value for a signature.
    pub fn authorization(&self, sig: &Signature) -> String {
        format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
            self.access_key_id,
            self.scope(),
            sig.signed_headers,
            sig.signature
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(amz_date(1_440_938_160.0), "20150830T123600Z");
        assert_eq!(amz_date(1_369_353_600.0), "20130524T000000Z");
        assert_eq!(amz_date(951_782_400.5), "20000229T000000Z"); // a leap day in a 400-year leap year
        assert_eq!(amz_date(0.0), "19700101T000000Z");
        assert_eq!(amz_date(f64::NAN), "19700101T000000Z");
        assert_eq!(amz_date(-5.0), "19700101T000000Z");
        assert_eq!(amz_date(1e30), "99991231T235959Z");
    }

    #[test]
    fn encoding() {
        assert_eq!(uri_encode("/test$file.text", true), "/test%24file.text");
        assert_eq!(uri_encode("a b/c", true), "a%20b/c");
        assert_eq!(uri_encode("a b/c", false), "a%20b%2Fc");
        assert_eq!(uri_encode("-._~", false), "-._~");
        assert_eq!(uri_encode("\u{1234}", false), "%E1%88%B4");
        assert_eq!(uri_encode("+=&?#%", false), "%2B%3D%26%3F%23%25");
    }

    #[test]
    fn paths() {
        assert_eq!(
            canonical_uri("/a/./b/../c//d", PathRule::S3),
            "/a/./b/../c//d"
        );
        assert_eq!(canonical_uri("/a/./b/../c//d", PathRule::Generic), "/a/c/d");
        assert_eq!(canonical_uri("/a b", PathRule::S3), "/a%20b");
        assert_eq!(canonical_uri("/a b", PathRule::Generic), "/a%2520b");
        assert_eq!(canonical_uri("", PathRule::S3), "/");
        assert_eq!(normalize_path("/example/.."), "/");
        assert_eq!(normalize_path("/a/b/"), "/a/b/");
        assert_eq!(normalize_path("/../../x"), "/x");
        assert_eq!(normalize_path("//"), "/");
    }

    #[test]
    fn headers_merge_trim_and_sort() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let (block, signed) = canonical_headers(&h(&[
            ("X-Amz-Date", "d"),
            ("My-Header1", " a   b "),
            ("host", "h"),
            ("my-header1", "c"),
        ]));
        assert_eq!(block, "host:h\nmy-header1:a b,c\nx-amz-date:d\n");
        assert_eq!(signed, "host;my-header1;x-amz-date");
    }
}
