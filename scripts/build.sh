#!/usr/bin/env bash
# Builds the wasm package into node-host/pkg (what `import 'resilient-api-client'` loads).
#   bash scripts/build.sh          the package (node-host/pkg)
#   bash scripts/build.sh --bench  the same build with the `bench` feature (benchDecode, ...)
#                                  into target/bench-pkg, for scripts/bench.sh; never shipped
set -euo pipefail
cd "$(dirname "$0")/.."
features=()
out=node-host/pkg
target_dir=target/shipped
case "${1:-}" in
  '') ;;
  --bench) features=(--features bench); out=target/bench-pkg; target_dir=target/shipped-bench ;;
  *) echo "build.sh: unknown argument $1 (only --bench)" >&2; exit 2 ;;
esac
bash scripts/setup.sh
# The standard library is rebuilt for size with the wasm (cargo -Zbuild-std, from the rust-src
# component setup.sh installs): its optimize_for_size variants, panics that trap at once with
# no message formatting (-Cpanic=immediate-abort), and no file/line strings for panic
# locations. Both flags and build-std are unstable, so RUSTC_BOOTSTRAP=1 lets the pinned
# stable compiler accept them; nothing is downloaded beyond rust-src and std's own crates.
# A panic looked the same to JS before: the message went to a stderr wasm32 does not have,
# then the instance trapped with `unreachable`. Figures (wasm + JS gzip -9, scripts/size.sh)
# are in the commit that made this step; -Zfmt-debug=none, -Zshare-generics and
# -Cembed-bitcode changed nothing, opt-level "s" and LLVM inline thresholds were larger.
# std itself keeps opt-level 3 (as the prebuilt one is): at the workspace's "z" the wasm
# stream decoders ran ~20% slower (SSE 4 KiB chunks 330 -> 255 MB/s CPU time) for 853 bytes.
# v0 symbol mangling (what RUSTC_BOOTSTRAP would imply anyway; named so it is not implicit)
# measured 305 bytes under legacy. A target dir of its own: these RUSTFLAGS would otherwise
# make every later `cargo test` or clippy run rebuild target/ from scratch.
export RUSTC_BOOTSTRAP=1
RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Csymbol-mangling-version=v0" \
  cargo build --quiet -p resilient-wasm --lib --release --target wasm32-unknown-unknown \
  --target-dir "$target_dir" ${features[@]+"${features[@]}"} \
  --config 'profile.release.package.core.opt-level=3' \
  --config 'profile.release.package.alloc.opt-level=3' \
  --config 'profile.release.package.std.opt-level=3' \
  -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
# The JS glue as `wasm-pack build --target web` wrote it (same wasm-bindgen version).
wasm-bindgen --target web --out-dir "$out" --out-name resilient_wasm \
  "$target_dir/wasm32-unknown-unknown/release/resilient_wasm.wasm"
# Table entries nothing can call (closure shims of js-sys imports' describe functions, which
# wasm-bindgen deletes) point elsewhere, so wasm-opt drops their code (scripts/prune-table.mjs).
node scripts/prune-table.mjs "$out/resilient_wasm_bg.wasm"
# Size: wasm-opt -Os, dropping names and debug info (the features wasm-bindgen's output uses
# must be named, as the stripped module no longer lists them). -Os, not -Oz: its output is
# larger raw but smaller gzipped (what is downloaded), by about 1 kB; -Oz --converge, -O4 -Oz
# and --gufa measured no better (scripts/size.sh). --low-memory-unused lets it fold small
# constants into load/store offsets (-2.0 kB gzip): rustc links the wasm stack-first, the stack
# grows down from 1 MiB to 0, so the low 1 KiB is touched only by a stack already ~1 MiB deep.
# -Os twice: on the build-std output the second round finds 405 bytes gzip more (~2 s).
# Then the imports and exports get one- and two-letter names (wasm-bindgen's carry a hash each,
# ~2 kB gzip in the wasm and the glue), and scripts/minify-glue.mjs renames them in the glue
# from the map wasm-opt prints.
.tools/node_modules/.bin/wasm-opt -Os -Os --low-memory-unused --strip-debug --strip-producers \
  --minify-imports-and-exports-and-modules \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/resilient_wasm_bg.wasm" -o "$out/resilient_wasm_bg.wasm" >"$out/.names.json"
node scripts/minify-glue.mjs "$out/.names.json" "$out/resilient_wasm.js" "$out/resilient_wasm_bg.wasm"
rm "$out/.names.json"
