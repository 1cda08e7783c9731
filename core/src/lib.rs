//! The resilience engine, with no I/O: hosts lend it a transport, a clock and entropy.

// DESIGN rule 5: a panic in wasm poisons the instance, so no panic may be reachable from any
// input. Unit tests (cfg(test)) may still unwrap and index.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod backoff;
pub mod breaker;
pub mod classify;
pub mod codec;
pub mod config;
pub mod digest;
pub mod error;
pub mod host;
pub mod idmap;
pub mod json;
pub mod pacing;
pub mod pipeline;
pub mod providers;
pub mod queue;
pub mod router;
pub mod secret;
pub mod stats;
pub mod store;
pub mod stream;
/// Decoding-rate aids for the benchmarks, not part of the client.
#[cfg(feature = "bench")]
pub mod stream_bench;
pub mod text;
pub mod time;

#[cfg(feature = "sim")]
pub mod sim;

pub use error::{ApiError, ErrorType};
