#!/usr/bin/env bash
# A/B of W1 between builds, interleaved, with the bare loop measured in the same rounds
# (bench/README.md, "Memory per batch"). Builds nothing: give it build folders (each
# with bin/junction, bin/bench_bare_loop and lib/junction/plugins, e.g. copies of a
# release build before and after a change).
#
#   bench/ab_w1.sh [--rounds N] [--max-load L] [--count N] [--workers "1 2"] [--tmpfs] NAME=DIR NAME=DIR...
#
#   --rounds    rounds to run (default 7); each round runs the bare loop (first build),
#               then W1 for every build and worker count, then the bare loop again; the
#               order of the builds is reversed every other round
#   --max-load  a round starts only when the 1-minute load average is below L (default
#               0.5); it waits in steps of 30 s otherwise, and prints the load it ran at
#   --count     W1 records (default 200000)
#   --workers   worker counts (default "1 2")
#   --tmpfs     outputs and state store on /dev/shm (a what-if: no disk in the fsyncs, so
#               CPU effects are not drowned by the disk's)
#
# Prints every measurement (wall s, CPU s, peak RSS KiB, an md5 prefix of the output),
# then per build and worker count: median wall, min-max, and the median of bare/W1 per
# round (> 1: faster than the bare loop).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rounds=7 max_load=0.5 count=200000 workers="1 2" tmpfs=0
builds=()
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --max-load) max_load="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --tmpfs) tmpfs=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *=*) builds+=("$1"); shift ;;
    *) echo "ab_w1.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
((${#builds[@]} > 0)) || { echo "ab_w1.sh: give at least one NAME=DIR" >&2; exit 2; }
for b in "${builds[@]}"; do
  d="${b#*=}"
  [[ -x "$d/bin/junction" && -x "$d/bin/bench_bare_loop" ]] || { echo "ab_w1.sh: $d has no bin/junction or bin/bench_bare_loop" >&2; exit 2; }
done
bare_bin="${builds[0]#*=}/bin/bench_bare_loop"

work="$(mktemp -d /tmp/junction-ab.XXXXXX)"
scratch="$work"
((tmpfs)) && scratch="$(mktemp -d /dev/shm/junction-ab.XXXXXX)"
trap 'rm -rf "$work" "$scratch"' EXIT
mkdir -p "$work/in"
python3 "$here/gen_workorders.py" --count "$count" --out "$work/in/orders.ndjson"

# one CMD...: prints "wall cpu rss md5" of CMD under /usr/bin/time; OUT is the output file.
one() {
  local out="$1"; shift
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/log" 2>&1 ||
    { echo "ab_w1.sh: $* failed:" >&2; tail -5 "$work/log" >&2; exit 1; }
  local e u s m
  read -r e u s m <"$work/time"
  echo "$e $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') $m $(md5sum <"$out" | cut -c1-8)"
}
bare() {
  rm -rf "$scratch/out"; mkdir -p "$scratch/out"
  one "$scratch/out/bare.ndjson" "$bare_bin" "$work/in/orders.ndjson" "$scratch/out/bare.ndjson"
}
w1() {  # DIR WORKERS
  rm -rf "$scratch/out" "$scratch"/state.db*; mkdir -p "$scratch/out"
  BENCH_STATE="$scratch/state.db" BENCH_IN_DIR="$work/in" BENCH_OUT_DIR="$scratch/out" BENCH_WORKERS="$2" BENCH_BATCH=500 \
    JUNCTION_PLUGIN_PATH="$1/lib/junction/plugins" one "$scratch/out/out.ndjson" "$1/bin/junction" run "$here/configs/w1_ndjson.json" --once
}

results="$work/results"
: >"$results"
for ((r = 1; r <= rounds; r++)); do
  while awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v m="$max_load" 'BEGIN { exit !(l >= m) }'; do sleep 30; done
  order=("${builds[@]}")
  ((r % 2)) || order=($(printf '%s\n' "${builds[@]}" | tac))
  echo "# round $r at $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
  line="$r bare - $(bare)"; echo "$line"; echo "$line" >>"$results"
  for w in $workers; do
    for b in "${order[@]}"; do
      line="$r ${b%%=*} $w $(w1 "${b#*=}" "$w")"; echo "$line"; echo "$line" >>"$results"
    done
  done
  line="$r bare - $(bare)"; echo "$line"; echo "$line" >>"$results"
done

echo
echo "| build | workers | median wall s | min-max | median CPU s | median peak RSS MiB | median bare/W1 per round |"
echo "|---|---:|---:|---:|---:|---:|---:|"
med() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
bare_med="$(awk '$2 == "bare" { print $4 }' "$results" | med)"
echo "| bare loop | - | $bare_med | $(awk '$2 == "bare" { print $4 }' "$results" | sort -g | sed -n '1p;$p' | paste -sd-) | $(awk '$2 == "bare" { print $5 }' "$results" | med) | $(awk '$2 == "bare" { printf "%.1f\n", $6 / 1024 }' "$results" | med) | 1 |"
for w in $workers; do
  for b in "${builds[@]}"; do
    n="${b%%=*}"
    sel() { awk -v n="$n" -v w="$w" -v c="$1" '$2 == n && $3 == w { print $c }' "$results"; }
    # Per round: that round's mean bare time over this run's time.
    ratio="$(awk -v n="$n" -v w="$w" '$2 == "bare" { s[$1] += $4; k[$1]++ } $2 == n && $3 == w { t[$1] = $4 }
      END { for (r in t) printf "%.3f\n", (s[r] / k[r]) / t[r] }' "$results" | med)"
    echo "| $n | $w | $(sel 4 | med) | $(sel 4 | sort -g | sed -n '1p;$p' | paste -sd-) | $(sel 5 | med) | $(sel 6 | awk '{ printf "%.1f\n", $1 / 1024 }' | med) | $ratio |"
  done
done
