//! URL pieces several providers build the same way.

/// Percent-encodes one URL path segment: everything but RFC 3986 unreserved characters, so a
/// model id such as `org/name` stays one segment.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
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
