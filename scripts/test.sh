#!/usr/bin/env bash
# The test command: installs what it needs, then runs every suite (Rust core, wasm in Node and
# headless Chromium, the package from Node) and fails if any suite fails or runs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

# Fails when a wasm-bindgen-test run printed no "N passed" with N > 0.
require_passed() {
  if ! grep -Eq 'test result: ok\. [1-9][0-9]* passed' "$1"; then
    echo "FAIL: $2 ran no test" >&2
    exit 1
  fi
}

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p resilient-wasm --all-targets --target wasm32-unknown-unknown -- -D warnings

step "core: unit, property and virtual-clock scenario tests"
cargo test -p resilient-core

step "fuzz: format, lints, and a short libFuzzer run of every target (stable)"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
bash scripts/fuzz.sh --seconds 5 --jobs 2

step "build the package"
bash scripts/build.sh

step "size budget: the browser bundle as a user builds it (esbuild, gzip -9), wasm + JS"
bash scripts/size.sh --budget 151290

step "start the loopback mock server"
mock_log=$(mktemp)
node node-host/emulator/openai-mock.js --port 0 >"$mock_log" 2>&1 &
mock_pid=$!
trap 'kill $mock_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^http://127.0.0.1:' "$mock_log" && break
  sleep 0.1
done
server_url=$(grep -m1 '^http://127.0.0.1:' "$mock_log" || true)
[ -n "$server_url" ] || { echo "the mock server did not start:" >&2; cat "$mock_log" >&2; exit 1; }
export RESILIENT_TEST_SERVER="$server_url"
echo "mock server at $server_url"

step "wasm in Node"
out=$(mktemp)
wasm-pack test --node --mode no-install wasm 2>&1 | tee "$out"
require_passed "$out" "wasm-bindgen-test in Node"

step "wasm in headless Chromium"
WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome --mode no-install wasm 2>&1 | tee "$out"
require_passed "$out" "wasm-bindgen-test in headless Chromium"

step "the package from Node (node:test)"
cd "$root/tests/node"
npm install --no-audit --no-fund --loglevel=error
RESILIENT_TRANSPORT=node node --test --test-concurrency=4

step "the package from Node (node:test) on the fetch transport"
RESILIENT_TRANSPORT=fetch node --test --test-concurrency=4

step "soak: 2000 seeded calls with faults and aborts at every stage, on each transport"
RESILIENT_TRANSPORT=node node "$root/tests/soak.js" --requests 2000
RESILIENT_TRANSPORT=fetch node "$root/tests/soak.js" --requests 2000

step "TypeScript types (tsc --strict against the documented surface)"
npx --no-install tsc -p types/tsconfig.json
echo "types ok"

step "the package in headless Chromium (playwright-core, Debian chromium) against the emulator"
cd "$root/tests/browser"
npm install --no-audit --no-fund --loglevel=error
node run.mjs

step "the live dashboard in headless Chromium: breaker OPEN then CLOSED, charts = getStats(), frame times at 200 calls/s"
node dashboard.mjs

step "examples: the packed package in Node, TypeScript, Vite, webpack, esbuild, a worker, Bun, Deno and workerd"
cd "$root"
bash scripts/examples.sh
