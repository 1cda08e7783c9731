//! The core's JSON reader and writer (`resilient_core::json`): no input panics, and what
//! reads prints back to text that reads as the same value.

use resilient_core::json::{self, Value};

/// Any bytes: the value reader, the checker, and the raw item and field splitters agree.
pub fn json(data: &[u8]) {
    let parsed = json::from_slice::<Value>(data);
    let checked = json::check(data);
    if let Ok(v) = &parsed {
        // what reads is JSON by the grammar too, and prints as JSON that reads the same
        assert!(checked.is_ok(), "read but not checked: {data:?}");
        let text = v.to_json();
        assert_eq!(json::from_str::<Value>(&text).as_ref(), Ok(v), "{text}");
        assert_eq!(
            json::from_str::<Value>(&text).map(|w| w.to_json()),
            Ok(text)
        );
    }
    if let Ok(items) = json::raw_items(data) {
        assert!(checked.is_ok(), "split but not checked: {data:?}");
        if let Ok(Value::Array(values)) = &parsed {
            assert_eq!(items.len(), values.len());
            for (raw, v) in items.iter().zip(values) {
                assert_eq!(json::from_str::<Value>(raw).as_ref(), Ok(v), "{raw}");
            }
        }
    }
    if let Ok(raw) = json::Raw::parse(data) {
        assert!(checked.is_ok(), "raw but not checked: {data:?}");
        lazy_reads_as_parsed(raw);
    }
    if let Ok(fields) = json::raw_fields(data) {
        assert!(checked.is_ok(), "split but not checked: {data:?}");
        if let Ok(Value::Object(map)) = &parsed {
            for (k, v) in map {
                let raw = json::raw_field(&fields, k).expect("every key is a field");
                assert_eq!(json::from_str::<Value>(raw).as_ref(), Ok(v), "{raw}");
            }
        }
    }
}

/// A lazily read value's fields, items and strings are those of the same text parsed.
fn lazy_reads_as_parsed(raw: json::Raw) {
    let Some(v) = raw.value() else {
        return; // a number out of range, which only the value reader refuses
    };
    match &v {
        Value::Object(map) => {
            let fields = raw.fields();
            for (k, field) in &fields {
                assert!(map.contains_key(k.as_ref()), "{k}");
                lazy_reads_as_parsed(*field);
            }
            for (k, x) in map {
                assert_eq!(
                    json::field(&fields, k).and_then(json::Raw::value).as_ref(),
                    Some(x)
                );
            }
        }
        Value::Array(items) => {
            let raws = raw.items();
            assert_eq!(raws.len(), items.len());
            for (r, x) in raws.iter().zip(items) {
                assert_eq!(r.value().as_ref(), Some(x));
                lazy_reads_as_parsed(*r);
            }
        }
        Value::String(s) => assert_eq!(raw.as_str().as_deref(), Some(s.as_str())),
        _ => assert!(raw.fields().is_empty() && raw.items().is_empty() && raw.as_str().is_none()),
    }
}
