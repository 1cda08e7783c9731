//! Credentials in a type that never prints them.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The only way to read the value: used where it goes on the wire, nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Removes every occurrence of this secret from `text` (servers sometimes echo keys).
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 || !crate::text::contains(text, &self.0) {
            return text.to_string();
        }
        crate::text::replace(text, &self.0, "[redacted]")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_and_scrubs() {
        let s = Secret::new("sk-very-secret");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_eq!(s.scrub("bad key sk-very-secret!"), "bad key [redacted]!");
    }
}
