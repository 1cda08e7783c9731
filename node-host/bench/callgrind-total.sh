# Sourced by instructions.sh and enqueue-instructions.sh. `callgrind_total FILE` prints a
# callgrind output's program total, and that total less the own cost of V8's garbage collector
# and compiler functions (named for them), whose share swings from run to run by more than a
# call costs.
callgrind_total() {
  callgrind_annotate --threshold=100 --auto=no "$1" 2>/dev/null | awk '
    /PROGRAM TOTALS/ { gsub(",", "", $1); all = $1; next }
    /^ *[0-9,]+ +\(/ {
      n = $1; gsub(",", "", n)
      if ($0 ~ /Scaveng|MarkCompact|Marking|Sweep|Heap::|Evacuat|Compactor|IteratePointers|HeapObjectSlot|RememberedSet|SlotSet|IterateObjectCache|Pretenuring|MinorMC|GCTracer|heap::base|cppgc|BodyDescriptor/) skip += n
      else if ($0 ~ /compiler::|maglev|turboshaft|Turboshaft|Parser|Scanner|Bytecode|interpreter::|Compil|Liftoff|Zone/) skip += n
    }
    END { printf "%.0f %.0f\n", all, all - skip }'
}

# `callgrind_count TAG SCRIPT ARGS...` runs `node --single-threaded SCRIPT ARGS...` under
# callgrind, its files named by TAG in the caller's `$out`, and prints callgrind_total of it
# (node's stderr instead, and a failure, when node fails).
callgrind_count() {
  local tag=$1
  shift
  valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$out/cg.$tag" \
    node --single-threaded "$@" >/dev/null 2>"$out/log.$tag" ||
    { cat "$out/log.$tag" >&2; exit 1; }
  callgrind_total "$out/cg.$tag"
}
