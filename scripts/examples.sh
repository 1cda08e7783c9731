#!/usr/bin/env bash
# The examples step of the test command: packs node-host as a user would get it (npm pack),
# checks the tarball's contents, then installs, builds and runs every example in examples/
# against the emulator on 127.0.0.1 (browsers: Debian's Chromium through playwright-core).
# Needs the package built (scripts/build.sh). Installs are skipped when nothing changed.
#   bash scripts/examples.sh [example ...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mkdir -p examples/.pack
(cd node-host && npm pack --dry-run --json --loglevel=error >"$root/examples/.pack/contents.json")
tarball=$(cd node-host && npm pack --pack-destination "$root/examples/.pack" --loglevel=error | tail -1)
mv -f "examples/.pack/$tarball" examples/.pack/resilient-api-client.tgz

cd examples
# The runner's own packages (playwright-core, esbuild, the packed package for its emulator).
stamp=$(cat package.json .pack/resilient-api-client.tgz | sha256sum | cut -d' ' -f1)
if [ "$(cat node_modules/.install-stamp 2>/dev/null)" != "$stamp" ]; then
  rm -rf node_modules/resilient-api-client node_modules/.package-lock.json
  npm install --no-package-lock --prefer-offline --no-audit --no-fund --loglevel=error
  echo "$stamp" >node_modules/.install-stamp
fi
node check-pack.mjs "$root/node-host" .pack/contents.json
node run.mjs "$@"
