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
