//! A minimal XML reader for S3's small documents (`ListBucketResult`, `Error`): elements, their
//! text, and entity decoding. It never expands a DTD (no external or custom entities), nests
//! at most [`MAX_DEPTH`] deep, and fails cleanly on anything malformed.

use crate::text::{find, split_once};

/// Deeper documents are refused (S3's are three levels deep).
pub const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    /// The local name (a namespace prefix is dropped).
    pub name: String,
    /// The element's own text and CDATA, decoded; whitespace kept.
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child called `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Text escaped for an XML element (`&`, `<`, `>`, `"`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// [`escape`] appending to `out`: one pass, no `str::replace` instance and no copy between.
pub fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn local(name: &str) -> &str {
    crate::text::after_last(name, b':')
}

/// Decodes `&amp; &lt; &gt; &quot; &apos;` and `&#NN;` / `&#xHH;`; `None` for any other `&`.
pub fn decode_entities(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    decode_into(&mut out, s)?;
    Some(out)
}

/// [`decode_entities`] appending to `out` (the parser's element text), with no copy between.
fn decode_into(out: &mut String, s: &str) -> Option<()> {
    let mut rest = s;
    while let Some((before, after)) = rest.split_once('&') {
        out.push_str(before);
        let (entity, tail) = after.split_once(';').filter(|(e, _)| e.len() <= 10)?;
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let (digits, radix) = if let Some(h) = entity.strip_prefix("#x") {
                    (h, 16)
                } else {
                    (entity.strip_prefix("#")?, 10)
                };
                char_ref(digits, radix)?
            }
        };
        out.push(c);
        rest = tail;
    }
    out.push_str(rest);
    Some(())
}

/// The character of a numeric reference's digits (what `u32::from_str_radix` accepts: an
/// optional `+`, then at least one digit), written out to keep std's integer parser out of
/// the wasm. NUL and surrogates are refused.
fn char_ref(digits: &str, radix: u32) -> Option<char> {
    let digits = digits.strip_prefix("+").unwrap_or(digits);
    if digits.is_empty() {
        return None;
    }
    let mut n: u32 = 0;
    for c in digits.chars() {
        n = n.checked_mul(radix)?.checked_add(c.to_digit(radix)?)?;
    }
    char::from_u32(n).filter(|&c| c != '\0')
}

/// Where the tag starting at `s[0] == '<'` ends: the index of its `>`, skipping quoted
/// attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Parses a document and returns its root element.
pub fn parse(doc: &str) -> Result<Element, String> {
    let doc = doc.strip_prefix("\u{feff}").unwrap_or(doc);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    // What is left of the document; every cut below is at an ASCII byte found by `find`.
    let mut left = doc;
    while !left.is_empty() {
        let lt = left.find('<').unwrap_or(left.len());
        let (text, rest) = left.split_at_checked(lt).unwrap_or((left, ""));
        match stack.last_mut() {
            Some(top) => decode_into(&mut top.text, text).ok_or("bad entity reference in text")?,
            None if !text.trim().is_empty() => return Err("text outside the root element".into()),
            None => {}
        }
        if rest.is_empty() {
            break;
        }
        // Each arm returns how many bytes the markup took.
        let used = if rest.starts_with("<?") {
            find(rest, "?>").ok_or("unterminated processing instruction")? + 2
        } else if rest.starts_with("<!--") {
            find(rest, "-->").ok_or("unterminated comment")? + 3
        } else if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let (text, _) = split_once(cdata, "]]>").ok_or("unterminated CDATA section")?;
            stack
                .last_mut()
                .ok_or("CDATA outside the root element")?
                .text
                .push_str(text);
            9 + text.len() + 3
        } else if rest.starts_with("<!") {
            // A DOCTYPE is skipped, its internal subset too; its entities are never used.
            let (decl, _) = rest.split_once('>').ok_or("unterminated declaration")?;
            if decl.contains('[') {
                find(rest, "]>").ok_or("unterminated declaration")? + 2
            } else {
                decl.len() + 1
            }
        } else if let Some(end_tag) = rest.strip_prefix("</") {
            let (raw_name, _) = end_tag.split_once('>').ok_or("unterminated end tag")?;
            let name = local(raw_name.trim());
            let el = stack.pop().ok_or("end tag without a start tag")?;
            if el.name != name {
                return Err(format!("</{name}> closes <{}>", el.name));
            }
            match stack.last_mut() {
                Some(parent) => parent.children.push(el),
                None if root.is_none() => root = Some(el),
                None => return Err("more than one root element".into()),
            }
            2 + raw_name.len() + 1
        } else {
            let close = tag_end(rest).ok_or("unterminated start tag")?;
            let inner = rest.get(1..close).ok_or("unterminated start tag")?;
            let self_closing = inner.ends_with("/");
            let inner = inner.strip_suffix("/").unwrap_or(inner);
            let raw_name = inner
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or("");
            if raw_name.is_empty() {
                return Err("a tag without a name".into());
            }
            let el = Element {
                name: local(raw_name).to_string(),
                ..Element::default()
            };
            if self_closing {
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err("more than one root element".into()),
                }
            } else {
                if root.is_some() && stack.is_empty() {
                    return Err("more than one root element".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err("elements nested too deep".into());
                }
                stack.push(el);
            }
            close + 1
        };
        left = rest.get(used..).ok_or("malformed markup")?;
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{}> is not closed", open.name));
    }
    root.ok_or_else(|| "no root element".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_as_the_replace_chain_does() {
        for s in ["", "plain", "a&b<c>d\"e", "&amp;", "\"é&<>\"", "&&<<>>"] {
            let chain = s
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;");
            assert_eq!(escape(s), chain, "{s}");
        }
    }

    #[test]
    fn elements_text_and_entities() {
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c --><s3:R xmlns:s3=\"x>y\"><A>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#x1F600;</A><B/><B>2</B><C><![CDATA[<raw & kept>]]></C></s3:R>";
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "R");
        assert_eq!(
            root.child_text("A"),
            Some("a & b <c> \"d\" 'e' AB\u{1F600}")
        );
        assert_eq!(root.children_named("B").count(), 2);
        assert_eq!(root.child_text("B"), Some(""));
        assert_eq!(root.child_text("C"), Some("<raw & kept>"));
        assert!(root.child("D").is_none());
    }

    #[test]
    fn char_refs_read_as_from_str_radix_does() {
        for d in [
            "65",
            "+65",
            "0041",
            "1F600",
            "1f600",
            "",
            "+",
            "++1",
            "-1",
            "x41",
            "D800",
            "0",
            "110000",
            "10FFFF",
            "4294967295",
            "4294967296",
            "99999999999",
            " 1",
            "٣",
        ] {
            for radix in [10, 16] {
                let std = u32::from_str_radix(d, radix)
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|&c| c != '\0');
                assert_eq!(char_ref(d, radix), std, "{d:?} in base {radix}");
            }
        }
    }

    #[test]
    fn doctype_entities_are_never_expanded() {
        let doc = "<!DOCTYPE r [<!ENTITY x \"boom\">]><r>&x;</r>";
        assert!(parse(doc).is_err());
        assert_eq!(parse("<!DOCTYPE r><r>t</r>").unwrap().text, "t");
    }

    #[test]
    fn malformed_documents_fail() {
        for doc in [
            "",
            "text",
            "<a>",
            "<a></b>",
            "</a>",
            "<a/><b/>",
            "<a></a><b></b>",
            "<a>&bogus;</a>",
            "<a>& </a>",
            "<a>&#xD800;</a>",
            "<a>&#0;</a>",
            "<a><![CDATA[x</a>",
            "<a",
            "<>",
            "<a><!-- x</a>",
            "x<a/>",
        ] {
            assert!(parse(doc).is_err(), "{doc:?} should fail");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).is_err());
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }
}
