#!/usr/bin/env bash
# Installs everything the build and the tests need, idempotently: a re-run that finds
# every piece at the right version does nothing. Only package registries are used.
set -euo pipefail
WASM_PACK_VERSION=0.15.1
# Must equal the wasm-bindgen version pinned in Cargo.toml, or wasm-pack tries a download.
WASM_BINDGEN_VERSION=0.2.130

have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  rustup target add wasm32-unknown-unknown
fi
# The standard library's source, which scripts/build.sh rebuilds for size (-Zbuild-std); for
# the toolchain in use, so it always matches the compiler.
if ! rustup component list --installed | grep -q '^rust-src$'; then
  rustup component add rust-src
fi
if ! have_version wasm-pack "$WASM_PACK_VERSION"; then
  cargo install --locked wasm-pack --version "$WASM_PACK_VERSION"
fi
if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  # --locked fails for this version (its lockfile names a crate version the registry lacks).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
# wasm-opt from npm's binaryen (never Debian's: its output fails at init).
BINARYEN_VERSION=132.0.0
tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"
if ! grep -qs "\"version\": \"$BINARYEN_VERSION\"" "$tools/node_modules/binaryen/package.json"; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION"
fi
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt/dpkg run (another checkout's setup) instead of failing on its lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
# moto (an S3 server nobody here wrote) and boto3 for tests/node/moto.test.js, in a virtualenv
# under .tools/moto (git-ignored); pinned, and skipped when those versions are in place.
MOTO_VERSION=5.2.6
BOTO3_VERSION=1.44.18
moto_venv="$tools/moto"
if ! [ -x "$moto_venv/bin/moto_server" ] \
  || ! compgen -G "$moto_venv/lib/python3*/site-packages/moto-$MOTO_VERSION.dist-info" >/dev/null \
  || ! compgen -G "$moto_venv/lib/python3*/site-packages/boto3-$BOTO3_VERSION.dist-info" >/dev/null; then
  python3 -m venv "$moto_venv"
  "$moto_venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "boto3==$BOTO3_VERSION"
fi
# Redis for the state-store tests (tests/node/store.test.js starts its own on a free port).
if ! command -v redis-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends redis-server >/dev/null
fi
