//! The reader: bytes to a [`Value`], never panicking on any input (fuzzed by `fuzz/json`).

use super::{Map, Number, Value, N};
use std::borrow::Cow;
use std::fmt;

/// Nesting deeper than this is an error (serde_json's limit: 128 levels fail), so hostile
/// input cannot exhaust the stack.
const MAX_DEPTH: u32 = 127;

/// Why a text is not JSON, and the byte offset where reading stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    what: &'static str,
    at: usize,
}

impl Error {
    pub fn offset(&self) -> usize {
        self.at
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)?;
        f.write_str(" at byte ")?;
        f.write_str(&crate::text::decimal(self.at as u64))
    }
}

/// What a text can be read as: a [`Value`], or an object's map.
pub trait FromJson: Sized {
    fn from_value(v: Value) -> Option<Self>;
}

impl FromJson for Value {
    fn from_value(v: Value) -> Option<Value> {
        Some(v)
    }
}

impl FromJson for Map<String, Value> {
    fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
}

/// One JSON text (surrounding whitespace allowed).
pub fn from_slice<T: FromJson>(bytes: &[u8]) -> Result<T, Error> {
    let mut r = Reader::new(bytes)?;
    let v = r.value(0)?;
    r.end()?;
    let at = r.pos;
    T::from_value(v).ok_or(Error {
        what: "not an object",
        at,
    })
}

pub fn from_str<T: FromJson>(s: &str) -> Result<T, Error> {
    from_slice(s.as_bytes())
}

/// Whether `bytes` are one JSON text, without building its value.
pub fn check(bytes: &[u8]) -> Result<(), Error> {
    let mut r = Reader::new(bytes)?;
    r.skip(0)?;
    r.end()
}

/// The items of a JSON array as their own text, checked but not parsed into values (for
/// long number arrays spliced into results verbatim: embeddings).
pub fn raw_items(bytes: &[u8]) -> Result<Vec<&str>, Error> {
    let mut r = Reader::new(bytes)?;
    r.ws();
    r.expect(b'[', "expected an array")?;
    let mut out = Vec::new();
    r.members(b']', "expected `,` or `]`", &mut |r| {
        r.ws();
        let start = r.pos;
        r.skip(1)?;
        out.push(r.text(start)?);
        Ok(())
    })?;
    r.end()?;
    Ok(out)
}

/// The fields of a JSON object with each value as its own text, checked but not parsed, in
/// the order written (for replies that splice a part in verbatim). See [`raw_field`].
#[allow(clippy::type_complexity)]
pub fn raw_fields(bytes: &[u8]) -> Result<Vec<(Cow<'_, str>, Raw<'_>)>, Error> {
    let mut r = Reader::new(bytes)?;
    r.ws();
    r.expect(b'{', "expected an object")?;
    let mut out = Vec::with_capacity(8);
    r.members(b'}', "expected `,` or `}`", &mut |r| {
        let key = r.key(Reader::borrowed_string)?;
        r.ws();
        let start = r.pos;
        r.skip(1)?;
        out.push((key, Raw(r.text(start)?)));
        Ok(())
    })?;
    r.end()?;
    Ok(out)
}

/// A field of [`raw_fields`]' output: the last one of that name, as a parsed object keeps it.
pub fn raw_field<'a>(fields: &[(Cow<'a, str>, Raw<'a>)], key: &str) -> Option<&'a str> {
    field(fields, key).map(Raw::text)
}

/// A reader over text already known to be UTF-8 (checked once, up front: a JSON text is
/// UTF-8 throughout, so this refuses exactly what a check per string would), so the parts it
/// cuts out need no check of their own.
struct Reader<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Result<Reader<'a>, Error> {
        std::str::from_utf8(bytes)
            .map(Reader::of)
            .map_err(|e| Error {
                what: "invalid UTF-8",
                at: e.valid_up_to(),
            })
    }
    fn of(s: &'a str) -> Reader<'a> {
        Reader {
            s,
            b: s.as_bytes(),
            pos: 0,
        }
    }
    fn err(&self, what: &'static str) -> Error {
        Error { what, at: self.pos }
    }
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }
    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.pos += 1;
        c
    }
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }
    fn expect(&mut self, c: u8, what: &'static str) -> Result<(), Error> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }
    fn end(&mut self) -> Result<(), Error> {
        self.ws();
        if self.pos < self.b.len() {
            return Err(self.err("trailing characters"));
        }
        Ok(())
    }
    /// The text from `start` to here (always whole values, so valid UTF-8).
    fn text(&self, start: usize) -> Result<&'a str, Error> {
        self.s
            .get(start..self.pos)
            .ok_or_else(|| self.err("invalid UTF-8"))
    }
    fn literal(&mut self, word: &'static [u8]) -> Result<(), Error> {
        if self.b.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.err("expected value"))
        }
    }

    fn value(&mut self, depth: u32) -> Result<Value, Error> {
        self.ws();
        Ok(match self.peek() {
            Some(b'n') => {
                self.literal(b"null")?;
                Value::Null
            }
            Some(b't') => {
                self.literal(b"true")?;
                Value::Bool(true)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                Value::Bool(false)
            }
            // A string without escapes is copied at its size, not grown into (most are).
            Some(b'"') => Value::String(self.borrowed_string()?.into_owned()),
            Some(b'[') => {
                let depth = self.deeper(depth)?;
                let mut items = Vec::new();
                self.members(b']', "expected `,` or `]`", &mut |r| {
                    items.push(r.value(depth)?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            Some(b'{') => {
                let depth = self.deeper(depth)?;
                let mut map = Vec::new();
                self.members(b'}', "expected `,` or `}`", &mut |r| {
                    let key = r.key(Reader::borrowed_string)?.into_owned();
                    map.push((key, r.value(depth)?));
                    Ok(())
                })?;
                Value::Object(Map::from_unsorted(map))
            }
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            _ => return Err(self.err("expected value")),
        })
    }

    /// Checks a value without building it (for [`raw_items`]).
    fn skip(&mut self, depth: u32) -> Result<(), Error> {
        self.ws();
        match self.peek() {
            Some(b'"') => {
                self.borrowed_string()?;
            }
            Some(b'-' | b'0'..=b'9') => {
                // the grammar only: a skipped number's range does not matter (as with serde)
                self.number_text()?;
            }
            Some(open @ (b'[' | b'{')) => {
                let close = if open == b'[' { b']' } else { b'}' };
                let depth = self.deeper(depth)?;
                self.members(close, "expected `,` or a closing bracket", &mut |r| {
                    if open == b'{' {
                        r.key(Reader::borrowed_string)?;
                    }
                    r.skip(depth)
                })?;
            }
            _ => {
                self.value(depth)?;
            }
        }
        Ok(())
    }

    /// The members of an array or object whose opening bracket was just read, up to `close`:
    /// `member` reads one, then `,` or `close` must follow (else the error `after`). The one
    /// place the separators are checked, for the tree reader and the checked skips alike.
    fn members(
        &mut self,
        close: u8,
        after: &'static str,
        member: &mut dyn FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            member(self)?;
            self.ws();
            match self.next() {
                Some(b',') => {}
                Some(c) if c == close => return Ok(()),
                _ => return Err(self.err(after)),
            }
        }
    }

    /// An object member's key, read by `read`, and the `:` after it.
    fn key<K>(&mut self, read: impl FnOnce(&mut Self) -> Result<K, Error>) -> Result<K, Error> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.err("expected a string key"));
        }
        let key = read(self)?;
        self.ws();
        self.expect(b':', "expected `:`")?;
        Ok(key)
    }

    /// One more level of nesting (the reader is on the opening bracket).
    fn deeper(&mut self, depth: u32) -> Result<u32, Error> {
        if depth >= MAX_DEPTH {
            return Err(self.err("nesting deeper than 127"));
        }
        self.pos += 1;
        Ok(depth + 1)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number's text by the JSON grammar, and whether it has a fraction or exponent.
    fn number_text(&mut self) -> Result<(&'a str, bool), Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.digits() {
            0 => return Err(self.err("invalid number")),
            n if n > 1 && self.b.get(int_start) == Some(&b'0') => {
                return Err(Error {
                    what: "invalid number (leading zero)",
                    at: int_start,
                })
            }
            _ => {}
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            float = true;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        Ok((self.text(start)?, float))
    }

    fn number(&mut self) -> Result<Number, Error> {
        let start = self.pos;
        let (text, float) = self.number_text()?;
        if !float {
            let n = if text.starts_with("-") {
                text.parse::<i64>().ok().map(|n| {
                    if n == 0 {
                        // `-0` reads as a float, as with serde_json
                        N::Float(-0.0)
                    } else {
                        N::NegInt(n)
                    }
                })
            } else {
                text.parse::<u64>().ok().map(N::PosInt)
            };
            if let Some(n) = n {
                return Ok(Number(n));
            }
        }
        // the crate's exact reader, not `str::parse` (its tables are ~5 kB of gzip in the wasm)
        match crate::backoff::decimal::parse_finite(text) {
            Some(f) => Ok(Number(N::Float(f))),
            None => Err(Error {
                what: "number out of range",
                at: start,
            }),
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut n = 0;
        for _ in 0..4 {
            let d = match self.next() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("invalid \\u escape")),
            };
            n = n * 16 + u32::from(d);
        }
        Ok(n)
    }

    /// A string literal (the reader is on its opening quote).
    fn string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            self.pos = plain_run(self.b, start);
            out.push_str(self.text(start)?);
            match self.next() {
                Some(b'"') => return Ok(out),
                Some(b'\\') => {}
                Some(_) => {
                    self.pos -= 1;
                    return Err(self.err("control character in a string"));
                }
                None => return Err(self.err("unterminated string")),
            }
            let c = match self.next() {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    let hi = self.hex4()?;
                    let code = if (0xD800..0xDC00).contains(&hi) {
                        if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(self.err("lone leading surrogate in \\u escape"));
                        }
                        self.pos += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            return Err(self.err("invalid surrogate pair in \\u escape"));
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        hi
                    };
                    char::from_u32(code)
                        .ok_or_else(|| self.err("lone trailing surrogate in \\u escape"))?
                }
                _ => return Err(self.err("invalid escape")),
            };
            out.push(c);
        }
    }
}

/// A checked JSON text read lazily, for the per-event stream decoders: fields and items are
/// found by scanning (unknown ones skipped without building anything) and strings without
/// escapes are borrowed. [`Raw::parse`] checks the whole text once; the accessors then only
/// split it, and answer `None` or empty for a value of another type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Raw<'a>(&'a str);

impl<'a> Raw<'a> {
    /// One whole JSON text, checked.
    pub fn parse(bytes: &'a [u8]) -> Result<Raw<'a>, Error> {
        let mut r = Reader::new(bytes)?;
        r.ws();
        let start = r.pos;
        r.skip(0)?;
        let text = r.text(start)?;
        r.end()?;
        Ok(Raw(text))
    }
    pub fn text(self) -> &'a str {
        self.0
    }
    pub fn is_null(self) -> bool {
        self.0 == "null"
    }
    pub fn is_object(self) -> bool {
        self.0.starts_with("{")
    }
    /// An object's fields in the order written (empty for any other value).
    pub fn fields(self) -> Vec<(Cow<'a, str>, Raw<'a>)> {
        let mut out = Vec::with_capacity(8);
        let mut r = Reader::of(self.0);
        if r.expect(b'{', "").is_err() {
            return out;
        }
        r.ws();
        while r.peek() == Some(b'"') {
            let (Ok(key), _) = (r.borrowed_string(), r.ws()) else {
                break;
            };
            if r.expect(b':', "").is_err() {
                break;
            }
            r.ws();
            let start = r.pos;
            r.skip_checked();
            match r.text(start) {
                Ok(v) => out.push((key, Raw(v))),
                Err(_) => break,
            }
            r.ws();
            if r.next() != Some(b',') {
                break;
            }
            r.ws();
        }
        out
    }
    /// An array's items (empty for any other value).
    pub fn items(self) -> Vec<Raw<'a>> {
        let mut out = Vec::with_capacity(4);
        let mut r = Reader::of(self.0);
        if r.expect(b'[', "").is_err() {
            return out;
        }
        r.ws();
        while r.peek() != Some(b']') {
            r.ws();
            let start = r.pos;
            r.skip_checked();
            match r.text(start) {
                Ok(v) => out.push(Raw(v)),
                Err(_) => break,
            }
            r.ws();
            if r.next() != Some(b',') {
                break;
            }
        }
        out
    }
    pub fn as_str(self) -> Option<Cow<'a, str>> {
        let mut r = Reader::of(self.0);
        if r.peek() != Some(b'"') {
            return None;
        }
        r.borrowed_string().ok()
    }
    /// Numbers, booleans and small values: read as a [`Value`].
    pub fn value(self) -> Option<Value> {
        from_str(self.0).ok()
    }
}

/// Fields of a [`Raw::fields`] list, the last of a name winning (as a parsed object keeps it).
pub fn field<'a>(fields: &[(Cow<'a, str>, Raw<'a>)], key: &str) -> Option<Raw<'a>> {
    fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
}

/// The end of the run from `i` without a quote, backslash or control character: eight bytes
/// at a time while none is in them (string bodies are most of a stream event's bytes).
pub(super) fn plain_run(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    while let Some(Ok(word)) = b.get(i..i + 8).map(<[u8; 8]>::try_from) {
        let w = u64::from_le_bytes(word);
        let stop = zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if stop != 0 {
            // the first stop byte in this word (little-endian: the lowest flagged byte)
            return i + (stop.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

impl<'a> Reader<'a> {
    /// Past one value of text already checked (a [`Raw`]'s): brackets and strings only.
    fn skip_checked(&mut self) {
        let b = self.b;
        let mut depth = 0u32;
        loop {
            match b.get(self.pos) {
                None => return,
                Some(b'"') => {
                    self.pos += 1;
                    loop {
                        self.pos = plain_run(b, self.pos);
                        match b.get(self.pos) {
                            Some(b'\\') => self.pos += 2,
                            Some(b'"') | None => break,
                            Some(_) => self.pos += 1,
                        }
                    }
                    self.pos += 1;
                }
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.pos += 1;
                    continue;
                }
                Some(b'}' | b']') if depth > 0 => {
                    depth -= 1;
                    self.pos += 1;
                }
                Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') if depth == 0 => return,
                Some(_) => {
                    self.pos += 1;
                    continue;
                }
            }
            if depth == 0 {
                return;
            }
        }
    }

    /// A string literal, borrowed when it has no escapes.
    fn borrowed_string(&mut self) -> Result<Cow<'a, str>, Error> {
        let start = self.pos + 1;
        let end = plain_run(self.b, start);
        if self.b.get(end) == Some(&b'"') {
            let text = self
                .s
                .get(start..end)
                .ok_or_else(|| self.err("invalid UTF-8"))?;
            self.pos = end + 1;
            return Ok(Cow::Borrowed(text));
        }
        self.string().map(Cow::Owned)
    }
}
