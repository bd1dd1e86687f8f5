#!/usr/bin/env bash
# Runs one libFuzzer target for ctest (tests/fuzz/CMakeLists.txt).
#   run_fuzzer.sh fuzz   <binary> <corpus> <artifact dir> <seconds> [libFuzzer flags...]
#   run_fuzzer.sh replay <binary> <corpus> <artifact dir> 0         [libFuzzer flags...]
# fuzz: new inputs go to a temporary folder (the checked-in corpus is only read); a crash,
# a leak, an input slower than 10 s or more than 2 GB fail the test, and the input is kept
# in <artifact dir>. replay: every corpus input once, no mutation.
# Either way the test fails unless the target really ran inputs.
set -uo pipefail
mode=$1 binary=$2 corpus=$3 artifacts=$4 seconds=$5
shift 5
name=$(basename "$binary")

mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
log="$work/log"

common=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "-artifact_prefix=$artifacts/$name-" "$@")
if [[ $mode == fuzz ]]; then
  # The first folder receives what the fuzzer finds; the checked-in corpus is read only.
  mkdir "$work/new"
  "$binary" "${common[@]}" "-max_total_time=$seconds" "$work/new" "$corpus" >"$log" 2>&1
else
  "$binary" "${common[@]}" -runs=0 "$corpus" >"$log" 2>&1
fi
status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
seeds=$(find "$corpus" -type f | wc -l)
if ((status != 0)); then
  tail -n 60 "$log"
  found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  if [[ -n $found ]]; then
    echo "$name: FAILED (exit $status) on $found; reproduce with: $binary $found;" \
         "minimize with: $binary -minimize_crash=1 -runs=100000 $found" >&2
  else
    echo "$name: FAILED (exit $status) before or without running an input" >&2
  fi
  exit 1
fi
if ! grep -q 'INITED' "$log" || [[ -z $runs ]] || ((runs < seeds || runs == 0)); then
  tail -n 30 "$log"
  echo "$name: FAILED: the target did not run its inputs (executed ${runs:-none}, corpus holds $seeds)" >&2
  exit 1
fi
grep -E '^(INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|DONE))' "$log"
echo "$name: $mode ok, $runs inputs run"
