//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/*`) through the fuzz target bodies,
//! on stable and without libFuzzer, so every seed and every input the long runs kept is
//! re-checked by the normal test run. The bodies live in the fuzz crate and are included here
//! by path: both run the same code (see fuzz/README.md).

#[path = "../../fuzz/src/targets/mod.rs"]
#[allow(dead_code)]
mod targets;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[test]
fn every_corpus_input_passes_its_target() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut failed = Vec::new();
    for (name, target) in targets::TARGETS {
        let dir = corpus.join(name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a readable corpus entry").path());
        let mut count = 0;
        for path in entries {
            let data = std::fs::read(&path).expect("a readable corpus file");
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                failed.push(path.display().to_string());
            }
            count += 1;
        }
        assert!(count > 0, "target {name} has no corpus");
    }
    assert!(failed.is_empty(), "inputs that fail: {failed:#?}");
}
