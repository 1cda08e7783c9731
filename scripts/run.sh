#!/usr/bin/env bash
# The main job: installs and builds what it needs, then runs the demo workload against the
# built-in loopback emulator and prints the final report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec node node-host/demo.js "$@"
