#!/usr/bin/env bash
# The benchmark (a report, never a test). Two parts:
#   legacy  node-host/bench/bench.js: latency and throughput against raw fetch, package size,
#           the memory and abort cost of a deep queue, stream decoding (native and wasm)
#   peers   node-host/bench/peers/run.js: this package against raw fetch, the openai SDK,
#           p-queue + p-retry, cockatiel and opossum, each in its own process, in interleaved
#           rounds; ratios to raw fetch (reports/bench.json, reports/bench.txt)
#   s3      node-host/bench/s3-large.mjs: 1 GiB (--s3-mib) up through uploadObject and back
#           through getObject({ stream: true }) against the emulator, next to raw fetch: time,
#           peak RSS, bytes equal (only with --only s3: it moves 4 GiB through loopback)
#
#   bash scripts/bench.sh [--quick] [--only legacy,latency,throughput,cpu,deep,body,s3] [--s3-mib N]
#        [--n N] [--total N] [--concurrency N] [--deep N] [--settle-limit S]   (both parts)
#        [--skip-deep]                                                           (legacy)
#        [--rounds N] [--body-rounds N] [--deep-rounds N] [--contenders a,b] [--sizes 1,16,64] [--json F]  (peers)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
only=""
legacy_args=()
peer_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; peer_args+=(--quick); shift ;;
    --only) only="${2:?--only needs a list}"; shift 2 ;;
    --n|--total|--concurrency|--deep|--settle-limit)
      legacy_args+=("$1" "${2:?$1 needs a value}"); peer_args+=("$1" "$2"); shift 2 ;;
    --skip-deep) legacy_args+=("$1"); shift ;;
    --s3-mib) s3_mib="${2:?--s3-mib needs a number}"; shift 2 ;;
    --rounds|--body-rounds|--deep-rounds|--contenders|--sizes|--json)
      peer_args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

run_legacy=1
run_s3=0
s3_mib=${s3_mib:-1024}
peer_only=""
if [ -n "$only" ]; then
  run_legacy=0
  IFS=',' read -ra parts <<< "$only"
  for p in "${parts[@]}"; do
    case "$p" in
      legacy) run_legacy=1 ;;
      s3) run_s3=1 ;;
      latency|throughput|cpu|deep|body) peer_only="${peer_only:+$peer_only,}$p" ;;
      *) echo "bench.sh: --only: unknown part $p (legacy, latency, throughput, cpu, deep, body, s3)" >&2; exit 2 ;;
    esac
  done
fi
run_peers=1
if [ -n "$only" ] && [ -z "$peer_only" ]; then run_peers=0; fi
if [ -n "$peer_only" ]; then peer_args+=(--only "$peer_only"); fi

bash scripts/build.sh

if [ "$run_legacy" = 1 ]; then
  cargo run --quiet --profile bench-native -p resilient-core --features bench --example decode_bench
  # The decoding aids live in a separate build with the `bench` feature, never in the package;
  # built as the package is (build-std, wasm-opt), so the wasm figures are the shipped code's.
  bash scripts/build.sh --bench
  quick_args=()
  if [ "$quick" = 1 ]; then quick_args=(--n 100 --total 1000 --deep 20000); fi
  node --expose-gc node-host/bench/bench.js ${quick_args[@]+"${quick_args[@]}"} ${legacy_args[@]+"${legacy_args[@]}"}
fi

if [ "$run_peers" = 1 ]; then
  # The contenders' pinned versions (node-host/bench/package-lock.json), installed once.
  if [ ! -f node-host/bench/node_modules/.package-lock.json ] ||
     [ node-host/bench/package-lock.json -nt node-host/bench/node_modules/.package-lock.json ]; then
    (cd node-host/bench && npm ci --no-audit --no-fund --loglevel=error)
  fi
  echo
  echo "== peer benchmark (node-host/bench/peers) =="
  node node-host/bench/peers/run.js ${peer_args[@]+"${peer_args[@]}"}
fi

if [ "$run_s3" = 1 ]; then
  echo
  echo "== S3 at model size (node-host/bench/s3-large.mjs) =="
  node node-host/bench/s3-large.mjs --mib "$s3_mib"
fi
