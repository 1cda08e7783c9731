//! The compact writer: serde_json's output byte for byte (sorted keys, the same escapes).

use super::{float, Number, Value, N};

pub fn value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => number(n, out),
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                value(v, out);
            }
            out.push('}');
        }
    }
}

pub fn number(n: &Number, out: &mut String) {
    match n.0 {
        N::PosInt(n) => unsigned(n, out),
        N::NegInt(n) => {
            out.push('-');
            unsigned(n.unsigned_abs(), out);
        }
        N::Float(f) => float::write(f, out),
    }
}

/// Decimal digits of `n`, without `core::fmt`.
pub fn unsigned(mut n: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    for &b in buf.get(i..).unwrap_or_default() {
        out.push(char::from(b));
    }
}

/// A string literal: `"` and `\` escaped, control characters as `\n`-style or `\u00XX`.
pub fn string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    // A slice's iterator, which inlines: `bytes().enumerate()` was a call per byte.
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or_default());
        start = i + 1;
        if esc.is_empty() {
            out.push_str("\\u00");
            for d in [b >> 4, b & 15] {
                out.push(char::from(HEX.get(usize::from(d)).copied().unwrap_or(b'0')));
            }
        } else {
            out.push_str(esc);
        }
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}
