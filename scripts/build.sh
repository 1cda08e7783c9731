#!/usr/bin/env bash
# Builds the wasm package into node-host/pkg (what `import 'resilient-api-client'` loads).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
wasm-pack --quiet build wasm --release --target web --mode no-install --no-pack \
  --out-dir ../node-host/pkg --out-name resilient_wasm
rm -f node-host/pkg/.gitignore
# Size: wasm-opt -Os, dropping names and debug info (the features wasm-bindgen's output uses
# must be named, as the stripped module no longer lists them). -Os, not -Oz: its output is
# larger raw but smaller gzipped (what is downloaded), by about 1 kB; -Oz --converge, -O4 -Oz
# and --gufa measured no better (scripts/size.sh). --low-memory-unused lets it fold small
# constants into load/store offsets (-2.0 kB gzip): rustc links the wasm stack-first, the stack
# grows down from 1 MiB to 0, so the low 1 KiB is touched only by a stack already ~1 MiB deep.
.tools/node_modules/.bin/wasm-opt -Os --low-memory-unused --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  node-host/pkg/resilient_wasm_bg.wasm -o node-host/pkg/resilient_wasm_bg.wasm
