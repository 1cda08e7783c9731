//! The reader and writer against serde_json (a dev-dependency only): the same output text and
//! the same accept/reject decisions on edge cases.

use super::*;
use proptest::prelude::*;

fn ours(text: &str) -> Result<String, Error> {
    from_str::<Value>(text).map(|v| v.to_json())
}

fn theirs(text: &str) -> Result<String, String> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|v| v.to_string())
        .map_err(|e| e.to_string())
}

fn same(text: &str) {
    match (ours(text), theirs(text)) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("{text:?}: ours {a:?}, serde_json {b:?}"),
    }
}

#[test]
fn edge_cases_read_and_print_as_serde_json_did() {
    for text in [
        "null",
        " true ",
        "false",
        "0",
        "-0",
        "-0.0",
        "1.0",
        "1e2",
        "1E+2",
        // serde_json's default parser reads "5E35" one ulp off; its float_roundtrip (on for
        // these tests) reads it exactly, as ours does.
        "1E20",
        "5E35",
        "-1e-2",
        "0.1",
        "123456789012345678901234567890",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "1e308",
        "1e309",
        "-1e400",
        "1e-400",
        "4.9e-324",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "0.30000000000000004",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u00e9\"",
        "\"\\ud83d\\ude00\"",
        "\"\\uD83D\\uDE00\"",
        "\"\\ud83d\"",
        "\"\\ud83d\\u0041\"",
        "\"\\ude00\"",
        "\"\\u12\"",
        "\"\\x\"",
        "\"tab\tinside\"",
        "\"é ü 漢 😀\"",
        "\"unterminated",
        "{\"b\":1,\"a\":2}",
        "{\"a\":1,\"a\":2}",
        "{\"a\" : [ 1 , { } , [ ] ] }",
        "{\"a\":1,}",
        "[1,]",
        "[1 2]",
        "{1:2}",
        "{\"a\" 1}",
        "[] []",
        "",
        "   ",
        "nul",
        "truex",
    ] {
        same(text);
    }
}

#[test]
fn invalid_utf8_is_an_error_in_strings_and_outside() {
    for bytes in [
        &b"\"\xff\""[..],
        b"\"\xc3\"",
        b"[\"a\xed\xa0\x80\"]",
        b"\xef\xbb\xbf1",
    ] {
        assert!(from_slice::<Value>(bytes).is_err(), "{bytes:?}");
        assert!(serde_json::from_slice::<serde_json::Value>(bytes).is_err());
    }
}

#[test]
fn nesting_stops_at_127() {
    let ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
    let deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
    same(&ok);
    same(&deep);
    assert!(from_str::<Value>(&ok).is_ok());
    let e = from_str::<Value>(&deep).unwrap_err();
    assert!(e.to_string().starts_with("nesting deeper than 127"), "{e}");
    // far deeper than the stack could take if unchecked
    let bomb = "[{\"a\":".repeat(100_000);
    assert!(from_str::<Value>(&bomb).is_err());
    assert!(raw_items(bomb.as_bytes()).is_err());
}

#[test]
fn duplicate_keys_keep_the_last_value() {
    let v: Value = from_str(r#"{"a":1,"b":{"c":true},"a":[2]}"#).unwrap();
    assert_eq!(v["a"], json!([2]));
    assert_eq!(v.to_json(), r#"{"a":[2],"b":{"c":true}}"#);
    let v: Value = from_str(r#"{"b":0,"a":1,"a":2,"c":3,"a":3,"b":4}"#).unwrap();
    assert_eq!(v.to_json(), r#"{"a":3,"b":4,"c":3}"#);
}

#[test]
fn raw_items_keep_each_item_verbatim() {
    let items = raw_items(b" [ [0.10, -2e3] ,{\"a\" : 1}, \"x\\\"y\" , 1.000 ] ").unwrap();
    assert_eq!(
        items,
        ["[0.10, -2e3]", "{\"a\" : 1}", "\"x\\\"y\"", "1.000"]
    );
    assert_eq!(raw_items(b"[]").unwrap(), Vec::<&str>::new());
    for bad in [&b"{}"[..], b"[1,]", b"[1", b"[1] x", b"[01]", b"[\"\xff\"]"] {
        assert!(raw_items(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn lazy_reads_find_fields_items_and_strings_without_building() {
    let text = br#" {"id":"c\"1","choices":[{"delta":{"content":"tok\u00e9n ]}"},"x":[1,{"y":[]}]},2],"n":-1.5e3,"id":"last","e":{}} "#;
    let raw = Raw::parse(text).unwrap();
    let fields = raw.fields();
    assert_eq!(fields.len(), 5);
    assert_eq!(field(&fields, "id").unwrap().as_str().unwrap(), "last");
    assert_eq!(field(&fields, "n").unwrap().value(), Some(json!(-1500.0)));
    assert_eq!(field(&fields, "e").unwrap().text(), "{}");
    let choices = field(&fields, "choices").unwrap().items();
    assert_eq!(choices.len(), 2);
    assert_eq!(choices[1].text(), "2");
    let choice = choices[0].fields();
    assert_eq!(field(&choice, "x").unwrap().text(), r#"[1,{"y":[]}]"#);
    let delta = field(&choice, "delta").unwrap().fields();
    assert_eq!(
        field(&delta, "content").unwrap().as_str().unwrap(),
        "tok\u{e9}n ]}"
    );
    assert!(field(&choice, "missing").is_none());
    // another type answers empty or None, never panics
    assert!(choices[1].fields().is_empty() && choices[1].items().is_empty());
    assert!(choices[1].as_str().is_none());
    for bad in [&b"{"[..], b"[1,]", b"\"\xff\"", b"{\"a\":1} x"] {
        assert!(Raw::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn the_macro_and_accessors_read_as_with_serde_json() {
    let s = String::from("x");
    let n: Option<u32> = None;
    let v = json!({"s": s, "n": n, "f": 1.5, "i": -3, "u": 7u64, "a": [1, "two", null], "o": {}});
    assert_eq!(s, "x");
    assert_eq!(
        v.to_string(),
        r#"{"a":[1,"two",null],"f":1.5,"i":-3,"n":null,"o":{},"s":"x","u":7}"#
    );
    assert_eq!(v["a"][1], "two");
    assert_eq!(v["i"].as_i64(), Some(-3));
    assert_eq!(v["i"].as_u64(), None);
    assert_eq!(v["u"], 7);
    assert_eq!(v["f"].as_u64(), None);
    assert!(v["missing"]["deeper"].is_null());
    assert_eq!(v.pointer("/a/0"), Some(&json!(1)));
    assert_eq!(v.pointer("/a/01"), None);
    assert_eq!(json!(f64::NAN), Value::Null);
    assert_eq!(json!(f64::INFINITY).to_string(), "null");
}

#[test]
fn the_macro_takes_expressions_keys_and_nesting_as_written() {
    let list = vec![1u8, 2];
    let name = String::from("k");
    let inner = json!({"z": true});
    let v = json!({
        "len": list.len(),
        "neg": -2,
        "cast": 7u8 as i64 * 2,
        name: [list, null, [], {}, inner,],
        ("dyn".to_string() + "amic"): {"x": "y", "x": false},
        "last": list.first() == Some(&9),
    });
    let text = r#"{"cast":14,"dynamic":{"x":false},"k":[[1,2],null,[],{},{"z":true}],"last":false,"len":2,"neg":-2}"#;
    assert_eq!(v, from_str::<Value>(text).unwrap());
    assert_eq!(v.to_string(), text);
    assert_eq!(json!([]), Value::Array(Vec::new()));
    assert_eq!(json!(null), Value::Null);
}

fn ryu(f: f64) -> String {
    serde_json::to_string(&f).unwrap()
}

fn mine(f: f64) -> String {
    let mut s = String::new();
    write_f64(f, &mut s);
    s
}

#[test]
fn floats_print_as_ryu_does() {
    for f in [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        0.2,
        0.3,
        1.5,
        100.0,
        1e15,
        1e16,
        1e17,
        1e21,
        1e22,
        1e23,
        123456789.125,
        0.001,
        0.0001,
        1e-5,
        1e-6,
        1e-7,
        5e-324,
        2.2250738585072014e-308,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::EPSILON,
        9007199254740993.0,
        0.30000000000000004,
        1.0 / 3.0,
        2.0 / 3.0,
        299792458.0,
        6.02214076e23,
        1.602176634e-19,
    ] {
        assert_eq!(mine(f), ryu(f), "{f:e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]
    #[test]
    fn any_float_prints_as_ryu_does(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        prop_assume!(f.is_finite());
        prop_assert_eq!(mine(f), ryu(f));
    }

    #[test]
    fn moderate_floats_print_as_ryu_does(m in 0u64..1_000_000_000, e in -12i32..12) {
        let f = m as f64 * 10f64.powi(e);
        prop_assert_eq!(mine(f), ryu(f));
    }

    #[test]
    fn any_text_reads_as_serde_json_reads_it(text in "[\\[\\]{}\":,0-9eE.+\\-a-z\\\\ ]{0,24}") {
        match (ours(&text), theirs(&text)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{:?}: ours {:?}, serde_json {:?}", text, a, b),
        }
    }

    #[test]
    fn strings_round_trip(s in any::<String>()) {
        let v = Value::String(s.clone());
        let text = v.to_json();
        prop_assert_eq!(&text, &serde_json::Value::String(s).to_string());
        prop_assert_eq!(from_str::<Value>(&text).unwrap(), v);
    }

    /// Mostly plain text with escapes anywhere (the writer copies the runs between them eight
    /// bytes at a time): as serde_json writes it.
    #[test]
    fn escapes_anywhere_write_as_serde_json(
        s in r#"[ -~]{0,12}(["\\\n\t\x01\x1f\x7fé][ -~]{0,12}){0,4}"#
    ) {
        prop_assert_eq!(Value::String(s.clone()).to_json(), serde_json::Value::String(s).to_string());
    }
}

#[test]
fn maps_keep_keys_sorted_and_one_value_per_key() {
    let mut m = Map::new();
    assert_eq!(m.insert("b".to_string(), json!(1)), None);
    assert_eq!(m.insert("a".to_string(), json!(2)), None);
    assert_eq!(m.insert("b".to_string(), json!(3)), Some(json!(1)));
    *m.entry("c".to_string()).or_insert_with(|| json!(0)) = json!(4);
    m.entry("a".to_string()).or_insert(json!(9));
    assert_eq!(
        m.keys().map(String::as_str).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(Value::Object(m.clone()).to_json(), r#"{"a":2,"b":3,"c":4}"#);
    assert_eq!(m.remove("b"), Some(json!(3)));
    assert!(!m.contains_key("b") && m.len() == 2);
    m.retain(|k, _| k != "a");
    assert_eq!(
        m.iter().collect::<Vec<_>>(),
        [(&"c".to_string(), &json!(4))]
    );
    let collected: Map = [("z", 1), ("y", 2), ("z", 3)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    assert_eq!(Value::Object(collected).to_json(), r#"{"y":2,"z":3}"#);
}

#[test]
fn an_object_with_many_keys_reads_in_n_log_n() {
    // 200 000 keys in reverse order: a sorted insert per key would move ~2e10 entries
    let n = 200_000;
    let body = (0..n)
        .rev()
        .map(|i| format!("\"k{i:06}\":{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let start = std::time::Instant::now();
    let v: Value = from_str(&format!("{{{body},\"k000000\":-1}}")).unwrap();
    let m = v.as_object().unwrap();
    assert_eq!(m.len(), n);
    assert_eq!(m.get("k000000"), Some(&json!(-1)));
    assert_eq!(m.keys().next().map(String::as_str), Some("k000000"));
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
}
