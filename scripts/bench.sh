#!/usr/bin/env bash
# The benchmark (a report, never a test): latency and throughput against raw fetch, package
# size, and the memory and abort cost of a deep queue.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cargo run --quiet --profile bench-native -p resilient-core --example decode_bench
exec node --expose-gc node-host/bench/bench.js "$@"
