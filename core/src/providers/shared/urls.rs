//! URL pieces several providers build the same way.

/// Percent-encodes one URL path segment: everything but RFC 3986 unreserved characters, so a
/// model id such as `org/name` stays one segment.
pub fn encode_segment(s: &str) -> String {
    uri_encode(s, false)
}

/// S3's URI encoding (and [`encode_segment`]'s): every byte but `A-Z a-z 0-9 - _ . ~` becomes
/// `%XX` (uppercase hex); `/` is kept when `keep_slash` (paths), encoded otherwise (query names
/// and values, path segments).
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            crate::text::push_hex(&mut out, b, b"0123456789ABCDEF");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("bert-base_1.0~x"), "bert-base_1.0~x");
        assert_eq!(encode_segment("org/m v:2"), "org%2Fm%20v%3A2");
        assert_eq!(encode_segment("é"), "%C3%A9");
        assert_eq!(encode_segment(""), "");
    }
}
