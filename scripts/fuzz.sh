#!/usr/bin/env bash
# Fuzzes resilient-core's decoders and parsers with libFuzzer, on the stable toolchain:
# cargo-fuzz with `--sanitizer none` needs no nightly flag (coverage comes from the stable
# `-Cpasses=sancov-module`). Installs cargo-fuzz if missing, builds every target in fuzz/, runs
# each for the budget given, and exits non-zero if any target crashed (the input is kept in
# fuzz/artifacts/<target>/). The committed corpus is read, never written, unless --minimize.
#
#   bash scripts/fuzz.sh --seconds 5 --jobs 2          the short run of the test command
#   nice -n 10 bash scripts/fuzz.sh --runs 10000000 --seconds 3600 --jobs 2 --minimize
#   bash scripts/fuzz.sh --seconds 60 sse xml          some targets only
set -euo pipefail
CARGO_FUZZ_VERSION=0.13.2
cd "$(dirname "$0")/../fuzz"

seconds="" runs="" jobs=1 minimize=0 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --minimize) minimize=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ -n "$seconds$runs" ] || { echo "give --seconds N and/or --runs N" >&2; exit 2; }

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi
build=(--sanitizer none --features libfuzzer)
cargo fuzz build "${build[@]}"
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
bin_dir=target/$(rustc -vV | sed -n 's/^host: //p')/release

limits=(-timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1)
[ -z "$seconds" ] || limits+=("-max_total_time=$seconds")
[ -z "$runs" ] || limits+=("-runs=$runs")
mkdir -p logs

# One target: new inputs go to corpus-work/<t> (ignored by git); the committed corpus is a seed.
run_one() {
  local t=$1
  mkdir -p "corpus-work/$t" "artifacts/$t" "corpus/$t"
  if "$bin_dir/$t" "${limits[@]}" -artifact_prefix="artifacts/$t/" \
    "corpus-work/$t" "corpus/$t" >"logs/$t.log" 2>&1; then
    echo 0 >"logs/$t.rc"
  else
    echo $? >"logs/$t.rc"
  fi
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
printf '%-11s %12s %9s %6s %7s %7s %s\n' target runs exec/s cov ft corpus result
for t in "${targets[@]}"; do
  log=logs/$t.log
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  field() { sed -nE "s/.* $1: ([0-9]+).*/\1/p" <<<"$last"; }
  n_runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
  speed=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9a-zA-Z]+).*/\1/p' <<<"$last")
  result=ok
  if [ "$(cat "logs/$t.rc")" != 0 ]; then
    result="CRASH (exit $(cat "logs/$t.rc"); see fuzz/$log and fuzz/artifacts/$t/)"
    failed=1
  fi
  printf '%-11s %12s %9s %6s %7s %7s %s\n' "$t" "${n_runs:-?}" "${speed:-?}" \
    "$(field cov)" "$(field ft)" "${corp:-?}" "$result"
done
if [ "$failed" = 1 ]; then
  for t in "${targets[@]}"; do
    [ "$(cat "logs/$t.rc")" = 0 ] || grep -m1 -A12 -E 'panicked|ERROR: libFuzzer' "logs/$t.log" || true
  done
  exit 1
fi

# corpus/<t> becomes a near-minimal set of inputs (greedy set cover) that reaches every code
# edge that it and this run's corpus-work/<t> reached. Edges only, not hit-count buckets
# (-use_counters=0): a quarter of the files, so the committed corpus stays small.
if [ "$minimize" = 1 ]; then
  for t in "${targets[@]}"; do
    rm -rf "corpus-min/$t" && mkdir -p "corpus-min/$t"
    "$bin_dir/$t" -set_cover_merge=1 -use_counters=0 -max_len=8192 -timeout=10 "corpus-min/$t" "corpus/$t" \
      "corpus-work/$t" >"logs/$t.merge.log" 2>&1
    rm -rf "corpus/$t" && mv "corpus-min/$t" "corpus/$t"
    echo "$t: $(ls "corpus/$t" | wc -l) inputs, $(du -sh "corpus/$t" | cut -f1)"
  done
  rmdir corpus-min
fi
