#!/usr/bin/env bash
# Instructions per enqueued call of one queueing contender (the deep queue's enqueue, counted by
# callgrind, not timed): enqueue.mjs under callgrind with n and 2n calls; (I2 - I1) / n, then the
# same for the harness alone (contender `none`), and the difference. As instructions.sh: all of
# it, and without V8's garbage collector and compilers.
#   bash node-host/bench/enqueue-instructions.sh [contender] [n] [warm]
set -euo pipefail
cd "$(dirname "$0")"
. ./callgrind-total.sh
name=${1:-resilient-node}
n=${2:-20000}
warm=${3:-20000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
total() { callgrind_count "$1.$2" enqueue.mjs "$1" "$2" "$warm"; }
per() {
  read -r a1 a2 < <(total "$1" "$n")
  read -r b1 b2 < <(total "$1" $((2 * n)))
  echo $(( (b1 - a1) / n )) $(( (b2 - a2) / n ))
}
read -r h1 h2 < <(per none)
read -r c1 c2 < <(per "$name")
echo "$name: instructions per enqueued call ($n vs $((2 * n)) calls after $warm warm): $c1 in all," \
  "$c2 without GC and compilers; harness $h1 / $h2; net $((c1 - h1)) / $((c2 - h2))"
