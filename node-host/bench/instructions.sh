#!/usr/bin/env bash
# Instructions per call of one contender (callgrind counts instructions, not seconds, so the
# figure holds on a busy machine): two runs of calls.mjs that differ only in the number of
# measured calls; (I2 - I1) / (N2 - N1). Node runs --single-threaded (no background compiler
# or GC threads), so every instruction lands in the one traced thread. Two figures: all of it,
# and without V8's garbage collector and compilers (functions of node named for them), whose
# share swings from run to run by more than a call costs.
#   bash node-host/bench/instructions.sh [contender] [concurrency] [warm] [n]
# contender: a file name in peers/contenders (default resilient-node); concurrency 64; warm
# 5000 calls; n 2000 (the second run makes 2n).
set -euo pipefail
cd "$(dirname "$0")"
. ./callgrind-total.sh
name=${1:-resilient-node}
conc=${2:-64}
warm=${3:-5000}
n=${4:-2000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
total() { callgrind_count "$1" calls.mjs "$name" "$warm" "$1" "$conc"; }
read -r a1 a2 < <(total "$n")
read -r b1 b2 < <(total $((2 * n)))
echo "$name concurrency $conc, instructions per call after $warm warm-up calls: $(( (b1 - a1) / n )) in all," \
  "$(( (b2 - a2) / n )) without GC and compilers ($n vs $((2 * n)) calls)"
