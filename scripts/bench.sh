#!/usr/bin/env bash
# The benchmark (a report, never a test): latency and throughput against raw fetch, package
# size, and the memory and abort cost of a deep queue.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cargo run --quiet --profile bench-native -p resilient-core --features bench --example decode_bench
# The decoding aids live in a separate build with the `bench` feature, never in the package.
wasm-pack --quiet build wasm --release --target web --mode no-install --no-pack \
  --out-dir ../target/bench-pkg --out-name resilient_wasm -- --features bench
exec node --expose-gc node-host/bench/bench.js "$@"
