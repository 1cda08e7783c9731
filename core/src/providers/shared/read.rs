//! Reading reply shapes out of a [`Value`] (crate::json), field by field, with errors that
//! name the reply, the field and what it should hold: for replies and stream events alike.

use crate::error::ErrorType;
use crate::json::{self, Raw, Value};
use crate::providers::{decode_fail, fail, Fail};
use std::borrow::Cow;

/// The body as JSON; a body that is not JSON is the decode error `what` names.
pub fn body(body: &[u8], what: &str) -> Result<Value, Fail> {
    json::from_slice(body).map_err(|e| decode_fail(what, e))
}

/// An object read lazily ([`Raw::fields`]): the stream decoders' form, which skips what it
/// does not read instead of building it.
pub type Obj<'a> = Vec<(Cow<'a, str>, Raw<'a>)>;

/// Field reads of one reply: each failure is a decode error naming the reply (`what`), the
/// field and what it should hold.
#[derive(Clone, Copy)]
pub struct Fields<'w> {
    pub what: &'w str,
}

impl Fields<'_> {
    /// The error for a required field that is absent.
    pub fn missing(self, key: &str) -> Fail {
        self.wrong(key, "is missing")
    }

    pub fn wrong(self, key: &str, accepts: &str) -> Fail {
        fail(
            ErrorType::DecodeError,
            format!("{}: `{key}` {accepts}", self.what),
        )
    }

    /// `v` itself as an object (a reply or a list item).
    pub fn object(self, v: &Value) -> Result<&json::Map<String, Value>, Fail> {
        v.as_object().ok_or_else(|| {
            fail(
                ErrorType::DecodeError,
                format!("{}: not an object", self.what),
            )
        })
    }

    /// `v` itself as an array.
    pub fn list(self, v: &Value) -> Result<&[Value], Fail> {
        v.as_array().map(Vec::as_slice).ok_or_else(|| {
            fail(
                ErrorType::DecodeError,
                format!("{}: not an array", self.what),
            )
        })
    }

    /// A field that must be present (not null), or the error naming it.
    fn required<'v>(self, v: &'v Value, key: &str) -> Result<&'v Value, Fail> {
        match self.object(v)?.get(key) {
            None | Some(Value::Null) => Err(self.wrong(key, "is missing")),
            Some(x) => Ok(x),
        }
    }

    /// A field that may be absent or null.
    pub fn optional<'v>(self, v: &'v Value, key: &str) -> Result<Option<&'v Value>, Fail> {
        Ok(self.object(v)?.get(key).filter(|x| !x.is_null()))
    }

    /// A list that reads as empty when absent (a null is still wrong, as it was for the
    /// derived readers this replaced).
    pub fn list_or_empty<'v>(self, v: &'v Value, key: &str) -> Result<&'v [Value], Fail> {
        match self.object(v)?.get(key) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(self.wrong(key, "is not an array")),
        }
    }

    /// Whether a field is present and not null.
    pub fn has(self, v: &Value, key: &str) -> Result<bool, Fail> {
        Ok(self.optional(v, key)?.is_some())
    }

    pub fn array<'v>(self, v: &'v Value, key: &str) -> Result<&'v [Value], Fail> {
        match self.required(v, key)? {
            Value::Array(a) => Ok(a),
            _ => Err(self.wrong(key, "is not an array")),
        }
    }

    pub fn index(self, v: &Value, key: &str) -> Result<usize, Fail> {
        self.required(v, key)?
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.wrong(key, "is not a whole number >= 0"))
    }

    pub fn number(self, v: &Value, key: &str) -> Result<f64, Fail> {
        self.required(v, key)?
            .as_f64()
            .ok_or_else(|| self.wrong(key, "is not a number"))
    }

    pub fn opt_number(self, v: &Value, key: &str) -> Result<Option<f64>, Fail> {
        self.optional(v, key)?
            .map(|x| x.as_f64().ok_or_else(|| self.wrong(key, "is not a number")))
            .transpose()
    }

    pub fn opt_count(self, v: &Value, key: &str) -> Result<Option<u64>, Fail> {
        self.optional(v, key)?
            .map(|x| {
                x.as_u64()
                    .ok_or_else(|| self.wrong(key, "is not a whole number >= 0"))
            })
            .transpose()
    }

    /// A count that reads as 0 when absent (a null is still wrong, as for a derived `u64`).
    pub fn count_or_zero(self, v: &Value, key: &str) -> Result<u64, Fail> {
        match self.object(v)?.get(key) {
            None => Ok(0),
            Some(x) => x
                .as_u64()
                .ok_or_else(|| self.wrong(key, "is not a whole number >= 0")),
        }
    }

    pub fn string<'v>(self, v: &'v Value, key: &str) -> Result<&'v str, Fail> {
        self.required(v, key)?
            .as_str()
            .ok_or_else(|| self.wrong(key, "is not a string"))
    }

    pub fn opt_bool(self, v: &Value, key: &str) -> Result<Option<bool>, Fail> {
        self.optional(v, key)?
            .map(|x| {
                x.as_bool()
                    .ok_or_else(|| self.wrong(key, "is not true or false"))
            })
            .transpose()
    }

    pub fn opt_string<'v>(self, v: &'v Value, key: &str) -> Result<Option<&'v str>, Fail> {
        self.optional(v, key)?
            .map(|x| x.as_str().ok_or_else(|| self.wrong(key, "is not a string")))
            .transpose()
    }
}

/// The same reads over a lazily read object ([`Obj`]), for the per-event stream decoders.
impl Fields<'_> {
    /// A stream event's text: checked as JSON once, then read as an object.
    pub fn event<'a>(self, text: &'a [u8]) -> Result<Obj<'a>, Fail> {
        json::raw_fields(text).map_err(|e| decode_fail(self.what, e))
    }

    pub fn fields_of<'a>(self, raw: Raw<'a>) -> Result<Obj<'a>, Fail> {
        if !raw.is_object() {
            return Err(fail(
                ErrorType::DecodeError,
                format!("{}: not an object", self.what),
            ));
        }
        Ok(raw.fields())
    }

    /// A field that may be absent or null.
    pub fn raw<'a>(self, o: &Obj<'a>, key: &str) -> Option<Raw<'a>> {
        json::field(o, key).filter(|r| !r.is_null())
    }

    pub fn raw_object<'a>(self, o: &Obj<'a>, key: &str) -> Result<Option<Obj<'a>>, Fail> {
        match self.raw(o, key) {
            None => Ok(None),
            Some(r) if r.is_object() => Ok(Some(r.fields())),
            Some(_) => Err(self.wrong(key, "is not an object")),
        }
    }

    pub fn raw_string<'a>(self, o: &Obj<'a>, key: &str) -> Result<Option<Cow<'a, str>>, Fail> {
        self.raw(o, key)
            .map(|r| r.as_str().ok_or_else(|| self.wrong(key, "is not a string")))
            .transpose()
    }

    pub fn raw_count(self, o: &Obj<'_>, key: &str) -> Result<Option<u64>, Fail> {
        self.raw(o, key)
            .map(|r| {
                r.value()
                    .and_then(|v| v.as_u64())
                    .ok_or_else(|| self.wrong(key, "is not a whole number >= 0"))
            })
            .transpose()
    }

    pub fn raw_bool(self, o: &Obj<'_>, key: &str) -> Result<Option<bool>, Fail> {
        match self.raw(o, key).map(Raw::text) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(self.wrong(key, "is not true or false")),
        }
    }

    /// A list that reads as empty when absent (a null is still wrong).
    pub fn raw_list<'a>(self, o: &Obj<'a>, key: &str) -> Result<Vec<Raw<'a>>, Fail> {
        match json::field(o, key) {
            None => Ok(Vec::new()),
            Some(r) if r.text().starts_with("[") => Ok(r.items()),
            Some(_) => Err(self.wrong(key, "is not an array")),
        }
    }

    /// A field read as a [`Value`] (small parts such as `usage`), if present and not null.
    pub fn raw_value(self, o: &Obj<'_>, key: &str) -> Option<Value> {
        self.raw(o, key).and_then(Raw::value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::json;

    const F: Fields = Fields { what: "the reply" };

    #[test]
    fn reads_fields_and_names_the_wrong_one() {
        let v = json!({"i": 2, "s": "x", "f": 1.5, "n": null, "a": [1]});
        assert_eq!(F.index(&v, "i").unwrap(), 2);
        assert_eq!(F.string(&v, "s").unwrap(), "x");
        assert_eq!(F.number(&v, "f").unwrap(), 1.5);
        assert_eq!(F.number(&v, "i").unwrap(), 2.0);
        assert_eq!(F.opt_number(&v, "n").unwrap(), None);
        assert_eq!(F.opt_count(&v, "i").unwrap(), Some(2));
        assert!(F.opt_count(&v, "f").is_err());
        assert_eq!(F.count_or_zero(&v, "zz").unwrap(), 0);
        assert!(F.count_or_zero(&v, "n").is_err());
        assert_eq!(F.opt_string(&v, "zz").unwrap(), None);
        assert_eq!(F.array(&v, "a").unwrap().len(), 1);
        for (key, e) in [
            ("f", F.index(&v, "f").unwrap_err()),
            ("s", F.number(&v, "s").unwrap_err()),
            ("i", F.opt_string(&v, "i").unwrap_err()),
            ("n", F.array(&v, "n").unwrap_err()),
            ("zz", F.string(&v, "zz").unwrap_err()),
        ] {
            assert_eq!(e.kind, ErrorType::DecodeError);
            assert!(e.message.starts_with("the reply: `"), "{}", e.message);
            assert!(e.message.contains(&format!("`{key}`")), "{}", e.message);
        }
        assert_eq!(
            F.index(&json!({"i": -1}), "i").unwrap_err().kind,
            ErrorType::DecodeError
        );
        assert_eq!(F.list(&json!({})).unwrap_err().kind, ErrorType::DecodeError);
        assert_eq!(
            F.object(&json!([])).unwrap_err().kind,
            ErrorType::DecodeError
        );
        assert_eq!(
            body(b"{", "the reply").unwrap_err().kind,
            ErrorType::DecodeError
        );
    }
}
