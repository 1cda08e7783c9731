#!/usr/bin/env bash
# Builds the wasm package into node-host/pkg (what `import 'resilient-api-client'` loads).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
wasm-pack --quiet build wasm --release --target web --mode no-install --no-pack \
  --out-dir ../node-host/pkg --out-name resilient_wasm
rm -f node-host/pkg/.gitignore
