#!/usr/bin/env bash
# Junction benchmark suite (bench/README.md). Builds nothing: it runs what is in the
# build folder and prints one table (Markdown) of medians.
#
#   bench/run.sh [--size tiny|full] [--build DIR] [--work DIR] [--reps N] [--only LIST]
#
#   --size   full: the figures of the README (W1 200k records, ...); tiny: every
#            workload at a few hundred records, a smoke test for CI (seconds)
#   --build  build folder with bin/junction, bin/bench_* and lib/junction/plugins
#            (default build/release); build it first (a Release build):
#              cmake --build DIR --target bench_all
#            (bench_all: junction, the files/tracos/docstore/mongodb plugins, bench_*)
#   --work   scratch folder for data and outputs (default: a new folder under /tmp, removed at the end)
#   --reps   repetitions of each figure, the median is reported (default 3 full, 1 tiny)
#   --only   comma-separated subset of: w1,bare,w2,w3,w4,scaling,overheads
#
# Wall time, CPU time (user+sys) and peak RSS come from /usr/bin/time around each process.
# Outputs of a repetition are moved aside and deleted at the end, so that deleting
# 20,000 files does not compete with the next measurement for the disk.
# Environment: nothing needed; MONGO_URI is not used (W4 starts its own test server).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
size=full build="$root/build/release" work="" reps="" only="w1,bare,w2,w3,w4,scaling,overheads"
while (($#)); do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$size" in
  full) N_W1=200000 N_FILES=20000 N_W4=50000 SCALES="50000 200000 800000" N_BATCH=10000 BATCHES="1 10 100 1000"
        N_FIRST=20000; : "${reps:=3}" ;;
  tiny) N_W1=2000 N_FILES=200 N_W4=500 SCALES="1000 2000 4000" N_BATCH=500 BATCHES="1 100"
        N_FIRST=500; : "${reps:=1}" ;;
  *) echo "run.sh: --size is tiny or full" >&2; exit 2 ;;
esac

bin="$build/bin"
plugins="$build/lib/junction/plugins"
for f in "$bin/junction" "$bin/bench_bare_loop" "$bin/bench_files_floor" "$bin/bench_host_overhead"; do
  [[ -x "$f" ]] || { echo "run.sh: $f is missing: build it first (see --help)" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
want() { [[ ",$only," == *",$1,"* ]]; }

cleanup_work=0
if [[ -z "$work" ]]; then work="$(mktemp -d /tmp/junction-bench.XXXXXX)"; cleanup_work=1; fi
mkdir -p "$work"
work="$(cd "$work" && pwd)"
mongo_pid=""
cleanup() {
  [[ -n "$mongo_pid" ]] && kill "$mongo_pid" 2>/dev/null || true
  rm -rf "$work/trash"
  ((cleanup_work)) && rm -rf "$work" || true
}
# Moves files and folders out of the way (deleted at the end, see above).
aside() {
  mkdir -p "$work/trash"
  local f
  for f in "$@"; do [[ -e "$f" ]] && mv "$f" "$(mktemp -u "$work/trash/x.XXXXXX")"; done
  return 0
}
trap cleanup EXIT

export JUNCTION_PLUGIN_PATH="$plugins"
gen() { python3 "$here/gen_workorders.py" "$@"; }
log() { printf '%s\n' "$*" >&2; }

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# measure NAME PREP CMD...: runs PREP (untimed) then CMD, $reps times; sets MED_S (median
# wall seconds), MED_CPU (median user+sys seconds) and MED_MB (median peak RSS, MiB).
# CMD's output goes to $work/NAME.log.
measure() {
  local name="$1" prep="$2"; shift 2
  local walls=() cpus=() rss=() i w m u s
  for ((i = 1; i <= reps; i++)); do
    $prep "$i"
    if ! /usr/bin/time -f '%e %M %U %S' -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1; then
      log "run.sh: $name failed; its output:"; tail -20 "$work/$name.log" >&2; exit 1
    fi
    read -r w m u s < <(tail -1 "$work/$name.time")
    walls+=("$w"); rss+=("$m"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
  done
  MED_S="$(printf '%s\n' "${walls[@]}" | median)"
  MED_CPU="$(printf '%s\n' "${cpus[@]}" | median)"
  MED_MB="$(printf '%s\n' "${rss[@]}" | median | awk '{printf "%.1f", $1 / 1024}')"
  log "  $name: wall ${walls[*]} s, cpu ${cpus[*]} s, peak RSS ${rss[*]} KiB -> median ${MED_S} s, ${MED_CPU} s, ${MED_MB} MiB"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? b / 1e6 / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

rows=()
# row WORKLOAD RECORDS WALL CPU RECORDS/S MB/S RSS NOTE
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 |"); }

# The W1 input: N customer work orders in one NDJSON file, in a folder of its own.
w1_input() {  # COUNT -> sets IN_DIR, IN_BYTES
  IN_DIR="$work/in-$1"
  if [[ ! -f "$IN_DIR/orders.ndjson" ]]; then
    mkdir -p "$IN_DIR"
    gen --count "$1" --out "$IN_DIR/orders.ndjson"
  fi
  IN_BYTES="$(stat -c %s "$IN_DIR/orders.ndjson")"
}
fresh_w1() { aside "$work/out" "$work/state.db" "$work/state.db-wal" "$work/state.db-shm"; mkdir -p "$work/out"; }
run_w1() {  # COUNT WORKERS BATCH NAME
  w1_input "$1"
  BENCH_STATE="$work/state.db" BENCH_IN_DIR="$IN_DIR" BENCH_OUT_DIR="$work/out" BENCH_WORKERS="$2" \
    BENCH_BATCH="$3" measure "$4" fresh_w1 "$bin/junction" run "$here/configs/w1_ndjson.json" --once
}

log "junction bench: size $size, $reps rep(s), build $build, work $work"
bare_s=""
if want bare || want w1; then
  w1_input "$N_W1"
  log "bare loop ($N_W1 records)"
  measure bare fresh_w1 "$bin/bench_bare_loop" "$IN_DIR/orders.ndjson" "$work/out/bare.ndjson"
  bare_s="$MED_S"
  row "bare loop (Boost.JSON, 1 thread)" "$N_W1" "$MED_S" "$MED_CPU" "$(rate "$N_W1" "$MED_S")" \
    "$(mbps "$IN_BYTES" "$MED_S")" "$MED_MB" "1.00 (the floor)"
fi
if want w1; then
  for workers in 1 2; do
    log "W1 NDJSON -> tracos -> NDJSON ($N_W1 records, $workers worker(s))"
    run_w1 "$N_W1" "$workers" 500 "w1-$workers"
    row "W1 ndjson->tracos->ndjson, $workers worker(s)" "$N_W1" "$MED_S" "$MED_CPU" "$(rate "$N_W1" "$MED_S")" \
      "$(mbps "$IN_BYTES" "$MED_S")" "$MED_MB" "$(ratio "$bare_s" "$MED_S") x bare (target $([[ $workers == 1 ]] && echo 0.8 || echo 1.4))"
  done
fi

# The host links jemalloc (host/CMakeLists.txt); bench/README.md keeps the figures with
# glibc malloc that led to it. For them again: configure with -DJUNCTION_USE_JEMALLOC=OFF.

if want w2; then
  log "W2 files -> tracos -> docstore ($N_FILES files)"
  [[ -d "$work/w2-template" ]] || gen --count "$N_FILES" --dir "$work/w2-template"
  prep_w2() {
    aside "$work/w2" "$work/state.db" "$work/state.db-wal" "$work/doc.db" "$work/doc.db-wal" "$work/doc.db-shm"
    cp -r "$work/w2-template" "$work/w2"; sync
  }
  BENCH_STATE="$work/state.db" BENCH_IN_DIR="$work/w2" BENCH_DOCSTORE="$work/doc.db" \
    measure w2 prep_w2 "$bin/junction" run "$here/configs/w2_inbound.json" --once
  row "W2 files->tracos->docstore (1 file each)" "$N_FILES" "$MED_S" "$MED_CPU" "$(rate "$N_FILES" "$MED_S")" \
    "-" "$MED_MB" "target >= 5000/s"
fi

if want w3; then
  log "W3 docstore -> tracos -> files ($N_FILES documents)"
  mkdir -p "$work/w3-seed"
  [[ -f "$work/w3-seed/seed.ndjson" ]] || gen --count "$N_FILES" --format tracos --out "$work/w3-seed/seed.ndjson"
  prep_w3() {
    aside "$work/out" "$work/state.db" "$work/state.db-wal" "$work/doc.db" "$work/doc.db-wal" "$work/doc.db-shm" \
      "$work/seed-state.db" "$work/seed-state.db-wal"
    BENCH_STATE="$work/seed-state.db" BENCH_IN_DIR="$work/w3-seed" BENCH_DOCSTORE="$work/doc.db" \
      "$bin/junction" run "$here/configs/w3_seed.json" --once >"$work/w3-seed.log" 2>&1 ||
      { log "run.sh: seeding the docstore failed:"; tail -5 "$work/w3-seed.log" >&2; exit 1; }
    sync
  }
  BENCH_STATE="$work/state.db" BENCH_OUT_DIR="$work/out" BENCH_DOCSTORE="$work/doc.db" \
    measure w3 prep_w3 "$bin/junction" run "$here/configs/w3_outbound.json" --once
  row "W3 docstore->tracos->files (1 file each)" "$N_FILES" "$MED_S" "$MED_CPU" "$(rate "$N_FILES" "$MED_S")" \
    "-" "$MED_MB" "target >= 20000/s"
  # The same with the output folder on tmpfs: Junction's own cost, without ext4's.
  if [[ -d /dev/shm && -w /dev/shm ]]; then
    shm_out="$(mktemp -d /dev/shm/junction-bench.XXXXXX)"
    prep_w3_shm() { prep_w3 "$1"; rm -rf "$shm_out/out"; }
    BENCH_STATE="$work/state.db" BENCH_OUT_DIR="$shm_out/out" BENCH_DOCSTORE="$work/doc.db" \
      measure w3-tmpfs prep_w3_shm "$bin/junction" run "$here/configs/w3_outbound.json" --once
    rm -rf "$shm_out"
    row "W3, output folder on tmpfs (what-if)" "$N_FILES" "$MED_S" "$MED_CPU" "$(rate "$N_FILES" "$MED_S")" \
      "-" "$MED_MB" "Junction without ext4's cost"
  fi
  prep_floor() { aside "$work/floor"; mkdir -p "$work/floor"; sync; }
  measure files-floor prep_floor "$bin/bench_files_floor" "$work/floor" "$N_FILES" 300
  row "W3's floor: create+write+close+rename, 1 thread, no JSON/DB" "$N_FILES" "$MED_S" "$MED_CPU" \
    "$(rate "$N_FILES" "$MED_S")" "-" "$MED_MB" "the file system's limit"
fi

if want w4; then
  if ! command -v node >/dev/null || [[ ! -d "$root/tests/servers/node_modules" ]]; then
    log "W4 skipped: needs node and scripts/install-test-servers.sh"
    row "W4 ndjson->tracos->mongodb (skipped: no node)" "-" "-" "-" "-" "-" "-" "-"
  else
    log "W4 NDJSON -> tracos -> MongoDB wire test server ($N_W4 records)"
    rm -f "$work/mongo.port"
    node "$root/tests/servers/mongo-server.mjs" --port 0 --port-file "$work/mongo.port" --quiet \
      >"$work/mongo.log" 2>&1 &
    mongo_pid=$!
    for _ in $(seq 100); do [[ -s "$work/mongo.port" ]] && break; sleep 0.1; done
    [[ -s "$work/mongo.port" ]] && kill -0 "$mongo_pid" 2>/dev/null ||
      { log "run.sh: the mongo test server did not start:"; tail -5 "$work/mongo.log" >&2; exit 1; }
    w1_input "$N_W4"
    prep_w4() { aside "$work/state.db" "$work/state.db-wal"; export BENCH_DB="bench$1"; }  # a new database each time
    BENCH_STATE="$work/state.db" BENCH_IN_DIR="$IN_DIR" MONGO_URI="mongodb://127.0.0.1:$(cat "$work/mongo.port")" \
      measure w4 prep_w4 "$bin/junction" run "$here/configs/w4_mongodb.json" --once
    row "W4 ndjson->tracos->mongodb (test server)" "$N_W4" "$MED_S" "$MED_CPU (junction)" "$(rate "$N_W4" "$MED_S")" \
      "-" "$MED_MB" "regression figure"
    kill "$mongo_pid" 2>/dev/null || true; wait "$mongo_pid" 2>/dev/null || true; mongo_pid=""
  fi
fi

if want scaling; then
  first_s="" first_n=""
  for n in $SCALES; do
    log "scaling: W1 at $n records, 1 worker"
    run_w1 "$n" 1 500 "scale-$n"
    [[ -z "$first_s" ]] && { first_s="$MED_S"; first_n="$n"; }
    # Linear time means seconds per record stays put: shown relative to the smallest size.
    w1_input "$n"
    row "scaling: W1 at $n, 1 worker" "$n" "$MED_S" "$MED_CPU" "$(rate "$n" "$MED_S")" "$(mbps "$IN_BYTES" "$MED_S")" \
      "$MED_MB" "time/record x$(awk -v s="$MED_S" -v n="$n" -v s0="$first_s" -v n0="$first_n" 'BEGIN { printf "%.2f", (s / n) / (s0 / n0) }')"
  done
fi

if want overheads; then
  log "host overheads: plugin load"
  for so in "$plugins"/libjunction_*.so; do
    name="$(basename "$so" .so)"; name="${name#libjunction_}"
    us=()
    for ((i = 1; i <= 5; i++)); do us+=("$("$bin/bench_host_overhead" load "$so" | sed -n 's/^load_us=\([0-9]*\).*/\1/p')"); done
    med="$(printf '%s\n' "${us[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
    row "plugin load: $name" "-" "-" "-" "-" "-" "-" "${med} us (median of 5): dlopen, manifest, factory"
  done

  log "host overheads: start-up to first record"
  w1_input "$N_FIRST"
  firsts=()
  for ((i = 1; i <= reps; i++)); do
    fresh_w1
    firsts+=("$(BENCH_STATE="$work/state.db" BENCH_IN_DIR="$IN_DIR" BENCH_OUT_DIR="$work/out" BENCH_BATCH=1 \
      "$bin/bench_host_overhead" first-record "$work/out/out.ndjson" -- \
      "$bin/junction" run "$here/configs/w1_ndjson.json" --once 2>/dev/null | sed -n 's/^first_record_ms=\([0-9.]*\).*/\1/p')")
  done
  med="$(printf '%s\n' "${firsts[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  row "start-up to first record (W1, batch_size 1)" "-" "-" "-" "-" "-" "-" "${med} ms from exec to the first output byte"

  log "host overheads: per batch (W1 at $N_BATCH records)"
  declare -A bt=() bc=() bm=()
  for b in $BATCHES; do
    run_w1 "$N_BATCH" 1 "$b" "batch-$b"
    bt[$b]="$MED_S"; bc[$b]="$MED_CPU"; bm[$b]="$MED_MB"
  done
  last="${BATCHES##* }"
  for b in $BATCHES; do
    per="-"
    if [[ "$b" != "$last" ]]; then
      per="$(awk -v t="${bt[$b]}" -v t0="${bt[$last]}" -v n="$N_BATCH" -v b="$b" -v b0="$last" \
        'BEGIN { if (t - t0 < 0.03) print "below the timer resolution"; else printf "%.0f us/batch", (t - t0) * 1e6 / (n / b - n / b0) }')"
    fi
    row "per batch: W1 batch_size $b" "$N_BATCH" "${bt[$b]}" "${bc[$b]}" "$(rate "$N_BATCH" "${bt[$b]}")" "-" \
      "${bm[$b]}" "$per (vs batch_size $last)"
  done
fi

echo
echo "Junction bench, size $size, median of $reps; $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname), $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo
echo "| workload | records | wall s | CPU s | records/s | MB/s | peak RSS MiB | vs bare loop / note |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
