#!/usr/bin/env bash
# The browser bundle's size as a user gets it: packs node-host (npm pack, the published files
# only), bundles a one-call entry with esbuild (--bundle --minify --format=esm
# --platform=browser, the .wasm emitted through the file loader as the README shows), then
# gzips each emitted file at level 9 and prints the wasm, the JS and the total.
#   bash scripts/size.sh [--budget BYTES] [--analyze]
# It also prints, unbudgeted, the total for an app that keeps every export of the package.
# --budget BYTES  exit 1 when the total (gzip bytes) exceeds BYTES (the figure always prints)
# --analyze       also print esbuild's per-module breakdown of the JS (from its metafile)
# Needs the package built (scripts/build.sh). esbuild (pinned) is installed once into
# .tools/size/ (git-ignored); nothing else is written outside it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

ESBUILD_VERSION=0.28.2
budget=""
analyze=0
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget="${2:?--budget needs a number of bytes}"; shift 2 ;;
    --budget=*) budget="${1#--budget=}"; shift ;;
    --analyze) analyze=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "size.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$budget" in ''|*[!0-9]*) [ -z "$budget" ] || { echo "size.sh: --budget wants bytes, got $budget" >&2; exit 2; } ;; esac
[ -f node-host/pkg/resilient_wasm_bg.wasm ] || { echo "size.sh: build the package first (bash scripts/build.sh)" >&2; exit 2; }

work="$root/.tools/size"
mkdir -p "$work"
if ! grep -qs "\"version\": \"$ESBUILD_VERSION\"" "$work/node_modules/esbuild/package.json"; then
  [ -f "$work/package.json" ] || echo '{"private":true}' >"$work/package.json"
  npm install --prefix "$work" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "esbuild@$ESBUILD_VERSION"
fi

# The package as npm would install it: the packed tarball, unpacked into node_modules.
pack="$work/pack"
rm -rf "$pack" "$work/app"
mkdir -p "$pack" "$work/app/src" "$work/app/node_modules/resilient-api-client"
tarball=$(cd node-host && npm pack --pack-destination "$pack" --loglevel=error | tail -1)
tar -xzf "$pack/$tarball" -C "$work/app/node_modules/resilient-api-client" --strip-components=1

cat >"$work/app/src/main.js" <<'EOF'
import { OpenAI, init } from 'resilient-api-client';
import wasmUrl from 'resilient-api-client/wasm';

init(wasmUrl);
new OpenAI({ apiKey: 'x' }).chat({ messages: [{ role: 'user', content: 'hi' }] });
EOF

cd "$work/app"
"$work/node_modules/.bin/esbuild" src/main.js --bundle --minify --format=esm --platform=browser \
  --loader:.wasm=file --asset-names='[name]-[hash]' --outdir=dist --metafile=meta.json \
  --log-level=error
if [ "$analyze" = 1 ]; then
  node -e '
    const esbuild = require(process.argv[1]);
    const meta = require(process.argv[2]);
    esbuild.analyzeMetafile(meta, { verbose: false }).then((text) => console.log(text));
  ' "$work/node_modules/esbuild" "$work/app/meta.json"
fi

gz() { gzip -9 -c "$1" | wc -c; }
wasm=0; js=0
for f in dist/*; do
  case "$f" in
    *.wasm) wasm=$((wasm + $(gz "$f"))) ;;
    *.js) js=$((js + $(gz "$f"))) ;;
  esac
done
[ "$wasm" -gt 0 ] || { echo "size.sh: esbuild emitted no .wasm" >&2; exit 1; }
total=$((wasm + js))
raw_wasm=$(cat dist/*.wasm | wc -c)
raw_js=$(cat dist/*.js | wc -c)
printf 'wasm  %8d bytes gzip -9  (%d raw)\n' "$wasm" "$raw_wasm"
printf 'js    %8d bytes gzip -9  (%d raw)\n' "$js" "$raw_js"
printf 'total %8d bytes gzip -9  (%.1f kB)\n' "$total" "$(echo "$total / 1000" | bc -l)"
# The same bundle for an app that keeps every export of the package (all eleven classes,
# createClient, createRouter, S3Kit's helpers): the one-call figure above leaves out the JS an
# app that never names them does not get. Printed for the README, not budgeted.
cat >src/all.js <<'EOF2'
import * as all from 'resilient-api-client';
import wasmUrl from 'resilient-api-client/wasm';

all.init(wasmUrl);
globalThis.resilient = all;
EOF2
"$work/node_modules/.bin/esbuild" src/all.js --bundle --minify --format=esm --platform=browser \
  --loader:.wasm=file --asset-names='[name]-[hash]' --outdir=dist-all --log-level=error
all_js=0
for f in dist-all/*.js; do all_js=$((all_js + $(gz "$f"))); done
printf 'every export kept: js %d, total %d bytes gzip -9\n' "$all_js" "$((wasm + all_js))"
if [ -n "$budget" ] && [ "$total" -gt "$budget" ]; then
  echo "size.sh: over budget: $total > $budget bytes" >&2
  exit 1
fi
