//! What the per-call examples share: the call count from the command line, and an OpenAI
//! engine over a transport of the example's own on the simulated clock.

use resilient_core::config::Config;
use resilient_core::host::Transport;
use resilient_core::json::Value;
use resilient_core::pipeline::{Engine, Host};
use resilient_core::sim::{SimClock, SimEntropy};
use std::rc::Rc;

/// N, the first argument (1000 without one).
pub fn calls() -> usize {
    std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000)
}

/// An "openai" engine made from `options`, sending through `transport`, and its config.
pub fn openai_engine(options: &Value, transport: Rc<dyn Transport>) -> (Engine, Config) {
    let config = Config::from_options("openai", options).unwrap_or_default();
    let host = Host {
        transport,
        clock: Rc::new(SimClock::new()),
        entropy: Rc::new(SimEntropy::default()),
    };
    (Engine::new("openai", config.clone(), host), config)
}
