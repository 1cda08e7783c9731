//! The fuzz target bodies, one plain function per target. The libFuzzer binaries in
//! `fuzz_targets/` and the corpus-replay test `core/tests/fuzz_corpus.rs` (which includes this
//! directory by path) call the same functions, so every committed seed is re-checked on stable.
//! Only `resilient_core` is used here, for that reason.
//!
//! Each function panics when a property fails; a panic in the engine itself is a bug as well
//! (DESIGN.md rule 5: no input can crash it).

mod decoders;
mod input;
mod json;
mod options;
mod providers;
mod signals;

pub use decoders::{bytes_repr, ndjson, sse, xml};
pub use json::json;
pub use options::{args, config};
pub use providers::{errors, reply, stream};
pub use signals::{classify, hints, ratelimit};

/// A target body: any bytes in, a panic when a property fails.
pub type Target = fn(&[u8]);

/// Every target, by the name of its libFuzzer binary and corpus directory.
pub const TARGETS: [(&str, Target); 13] = [
    ("sse", sse),
    ("ndjson", ndjson),
    ("bytes_repr", bytes_repr),
    ("xml", xml),
    ("reply", reply),
    ("stream", stream),
    ("errors", errors),
    ("classify", classify),
    ("hints", hints),
    ("ratelimit", ratelimit),
    ("config", config),
    ("args", args),
    ("json", json),
];
