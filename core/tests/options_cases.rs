//! The client options' cases shared with node-host/lib/options.js (tests/node/options.test.js
//! reads the same file): the package validates options in JS and hands the engine their checked
//! form, so the JS validator and `Config::from_options` must answer every case alike. Each case
//! is the options, and either the error both give or the checked form JS hands over, which
//! `Config::from_checked` must read as the config `from_options` builds.
//! `OPTIONS_CASES=path` checks another file of cases (a larger, generated one).

use resilient_core::config::Config;
use resilient_core::json::{self, Value};

#[test]
fn the_js_validator_and_from_options_agree() {
    let path = std::env::var("OPTIONS_CASES").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/options.json").into()
    });
    let text = std::fs::read(&path).expect("the cases file");
    let cases: Value = json::from_slice(&text).expect("the cases are JSON");
    let cases = cases.as_array().expect("an array of cases");
    assert!(cases.len() > 100, "the cases are all there");
    for case in cases {
        let provider = case
            .get("provider")
            .and_then(Value::as_str)
            .expect("provider");
        let options = case.get("options").expect("options");
        match (Config::from_options(provider, options), case.get("error")) {
            (Err(e), Some(want)) => assert_eq!(Some(e.as_str()), want.as_str(), "{case}"),
            (Ok(config), None) => {
                let checked = case.get("checked").expect("a case is an error or checked");
                assert_eq!(config, Config::from_checked(checked), "{case}");
            }
            (Err(e), None) => panic!("from_options refuses what JS accepts: {e}\n{case}"),
            (Ok(_), Some(want)) => panic!("from_options accepts what JS refuses ({want})\n{case}"),
        }
    }
}
