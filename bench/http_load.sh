#!/usr/bin/env bash
# The HTTP API under load beside a running pipeline (issue 11, "Load and limits"):
# `junction run` with a pipeline that never runs dry (NDJSON work orders -> mapping ->
# docstore, upsert by number; the input folder is kept fed with hard links to one
# generated file) and the HTTP server, which also serves GET /contacts: 1,000 Contact
# entities (SPEC job 3's shape) that a second pipeline writes into a docstore once at the
# start, with the contacts example's cache (cache_ttl_ms 30000); npm autocannon against
# its endpoints. Prints one
# markdown table: requests/s, p50/p99 latency and errors per endpoint, the pipeline's
# records/s in the same window and without load just before and after it, and the
# host's RSS (now and peak, from /proc). bench/README.md "HTTP API under load" has the
# figures.
#
#   bench/http_load.sh [--duration S] [--cycles N] [--connections N] [--rate R] [--records N]
#                      [--endpoints "/metrics /api/v1/pipelines ..."] [--http-workers N]
#                      [--access-log true|false] [--build DIR] [--work DIR]
#
#   --duration      seconds of each load and each quiet window (default 10)
#   --cycles        quiet/loaded window pairs per endpoint (default 3), then a last quiet one
#   --connections   autocannon connections (default 50)
#   --rate          cap autocannon at R requests/s in all (default: none, as fast as it can)
#   --load-nice N   run autocannon N nice steps down (default 0): on a machine with as
#                   few cores as this one, the load generator otherwise takes the CPU a
#                   real client on another machine would not
#   --load-idle     run autocannon under SCHED_IDLE (chrt --idle 0): it gets only the CPU
#                   nothing else wants, and a waking pipeline thread preempts it at once
#   --records       work orders in the generated input file (default 50000)
#   --endpoints     paths to load, one after the other (default "/contacts /metrics
#                   /api/v1/pipelines")
#   --extra-http    JSON members added to the config's http section, e.g. '"collections": [...]'
#   --http-workers  http.workers (default: the host's default)
#   --access-log    http.access_log (default true: the host's default)
#   --build         build folder with bin/junction and lib/junction/plugins (default build/release)
#   --work          scratch folder, kept at the end (default: a new folder under /tmp)
#
# Needs node and scripts/install-test-servers.sh (autocannon is in tests/servers).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
duration=10 cycles=3 connections=50 rate="" records=50000 endpoints="/contacts /metrics /api/v1/pipelines" extra_http=""
http_workers="" access_log="true" build="$root/build/release" work=""
while (($#)); do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --cycles) cycles="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --endpoints) endpoints="$2"; shift 2 ;;
    --extra-http) extra_http="$2"; shift 2 ;;
    --load-nice) load_nice="$2"; shift 2 ;;
    --load-idle) load_idle=1; shift ;;
    --http-workers) http_workers="$2"; shift 2 ;;
    --access-log) access_log="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -/{/^#/p}' "$0"; exit 0 ;;
    *) echo "http_load.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin="$build/bin/junction"
autocannon="$root/tests/servers/node_modules/.bin/autocannon"
[[ -x "$bin" ]] || { echo "http_load.sh: $bin not found: cmake --build $build --target junction junction_plugin_files junction_plugin_mapping junction_plugin_docstore" >&2; exit 2; }
[[ -x "$autocannon" ]] || { echo "http_load.sh: autocannon not found: run scripts/install-test-servers.sh" >&2; exit 2; }
command -v jq >/dev/null || { echo "http_load.sh: jq not found (scripts/setup.sh installs it)" >&2; exit 2; }
work="${work:-$(mktemp -d /tmp/junction-http-load.XXXXXX)}"
mkdir -p "$work/in"
echo "http_load.sh: working in $work" >&2

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

python3 "$here/gen_workorders.py" --count "$records" --out "$work/orders.ndjson.src"
mkdir -p "$work/contacts-in"
python3 - "$work/contacts-in/contacts.ndjson" <<'PY'
import json, sys
stages = ["lead", "customer", "opportunity", "subscriber"]
with open(sys.argv[1], "w") as f:
    for i in range(1, 1001):
        f.write(json.dumps({"id": str(100000 + i), "email": f"contact{i}@example.com", "first_name": f"First{i}",
                            "last_name": f"Last{i}", "company": f"Company {i % 37}", "phone": f"+1-555-{i:04d}",
                            "lifecycle_stage": stages[i % 4], "created_at": "2026-01-02T03:04:05.000Z",
                            "updated_at": "2026-11-01T10:00:00.000Z"}) + "\n")
PY
key="bench-http-load-key-0123456789"
workers_json="" 
[[ -n $http_workers ]] && workers_json=", \"workers\": $http_workers"
[[ -n $extra_http ]] && extra_http=", $extra_http"
cat >"$work/junction.json" <<JSON
{
  "state": "state.db",
  "http": {"listen": "127.0.0.1:0", "port_file": "port", "access_log": $access_log$workers_json,
           "api_keys": [{"id": "bench", "key_env": "BENCH_HTTP_KEY", "scopes": ["operate"]}],
           "collections": [{"path": "/contacts", "plugin": "docstore",
                            "options": {"path": "contacts.db", "collection": "contacts"},
                            "id_field": "id", "filters": ["email", "company", "lifecycle_stage"],
                            "default_limit": 50, "max_limit": 500, "cache_ttl_ms": 30000}]$extra_http},
  "pipelines": [{
    "name": "contacts-seed",
    "reader": {"plugin": "files", "options": {"dir": "contacts-in", "pattern": "*.ndjson", "format": "ndjson", "after": "delete"}},
    "writer": {"plugin": "docstore", "options": {"path": "contacts.db", "collection": "contacts", "upsert_key": ["id"]}},
    "schedule": {"interval_ms": 3600000}
  }, {
    "name": "load",
    "reader": {"plugin": "files", "options": {"dir": "in", "pattern": "*.ndjson", "format": "ndjson", "after": "delete"}},
    "translators": [{"plugin": "mapping", "options": {
      "required": ["orderNo"],
      "rename": {"orderNo": "number", "summary": "title"},
      "to_utc": ["creationDate", "lastUpdateDate"],
      "set": {"source": "erp"},
      "key": "number"}}],
    "writer": {"plugin": "docstore", "options": {"path": "orders.db", "collection": "orders", "upsert_key": ["number"]}},
    "batch_size": 500,
    "schedule": {"poll_ms": 100}
  }]
}
JSON

# Keeps two input files waiting: hard links to the one generated file (no copy, no CPU).
(
  i=0
  while true; do
    n=$(find "$work/in" -maxdepth 1 -name '*.ndjson' | wc -l)
    while ((n < 2)); do
      i=$((i + 1)); ln "$work/orders.ndjson.src" "$work/in/orders-$i.ndjson"; n=$((n + 1))
    done
    sleep 0.2
  done
) &
pids+=($!)

(cd "$work" && BENCH_HTTP_KEY="$key" exec "$bin" run junction.json >"$work/junction.log" 2>&1) &
host_pid=$!
pids+=("$host_pid")
for _ in $(seq 200); do [[ -s "$work/port" ]] && break; sleep 0.05; done
[[ -s "$work/port" ]] || { echo "http_load.sh: the host did not start:" >&2; tail -5 "$work/junction.log" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$work/port")"

written() {  # records the pipeline's writer made durable, from /metrics
  curl -sf -H "X-API-Key: $key" "$base/metrics" | awk '
    /^junction_records_written_total\{/ && /pipeline="load"/ { s += $NF; found = 1 }
    /^junction_records_total\{/ && /pipeline="load"/ && /outcome="written"/ { t += $NF; tfound = 1 }
    END { if (found) printf "%d\n", s; else if (tfound) printf "%d\n", t; else print "none" }'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$host_pid/stat"; }  # the host's user + system time
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$host_pid/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$host_pid/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# records/s of the pipeline over `duration` seconds, and the host's CPU use meanwhile in
# % of one core ("<records/s> <cpu%>")
pipeline_rate() {
  local a b t0 t1 c0 c1
  a=$(written); c0=$(cpu_ticks); t0=$(date +%s.%N)
  sleep "$duration"
  b=$(written); c1=$(cpu_ticks); t1=$(date +%s.%N)
  [[ $a == none || $b == none ]] && { echo "http_load.sh: no records-written metric in /metrics" >&2; exit 1; }
  awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f %.0f", (b - a) / (t1 - t0), (c1 - c0) / hz / (t1 - t0) * 100 }'
}

sleep 5  # warm-up: the first files, the docstore's pages, the page cache
[[ $(written) == none ]] && { echo "http_load.sh: no records-written metric in /metrics" >&2; exit 1; }
contacts=$(curl -sf -H "X-API-Key: $key" "$base/contacts?limit=500" | jq '.items | length' || echo 0)
[[ $contacts == 500 ]] || { echo "http_load.sh: GET /contacts did not answer 500 contacts ($contacts); the log:" >&2; tail -5 "$work/junction.log" >&2; exit 1; }

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: bench/http_load.sh --duration $duration --cycles $cycles --connections $connections${rate:+ --rate $rate} --records $records${load_nice:+ --load-nice $load_nice}${load_idle:+ --load-idle}${http_workers:+ --http-workers $http_workers} --access-log $access_log --endpoints \"$endpoints\"; $(date -u +%FT%TZ)"
echo
echo "| endpoint | requests/s | p50 ms | p99 ms | non-2xx / errors | pipeline records/s quiet | under load | change (per cycle) | host CPU % quiet / load | host RSS MiB (end) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
# Each endpoint: `cycles` times a quiet window then a loaded one, and a last quiet window;
# the change is the loaded windows' mean against the quiet windows' mean (the machine's
# drift over a minute moves a single window by as much as the effect measured).
for path in $endpoints; do
  name=${path//\//_}; name=${name//[?&=]/_}
  quiet=() loaded=() qcpu=() lcpu=() changes=()
  read -r q c <<<"$(pipeline_rate)"; quiet+=("$q"); qcpu+=("$c")
  for ((cycle = 1; cycle <= cycles; cycle++)); do
    args=(-c "$connections" -d "$((duration + 2))" -H "X-API-Key=$key" --json)
    [[ -n $rate ]] && args+=(-R "$rate")
    sched=(nice -n "${load_nice:-0}")
    [[ -n ${load_idle:-} ]] && sched=(chrt --idle 0)
    "${sched[@]}" "$autocannon" "${args[@]}" "$base$path" >"$work/autocannon$name.$cycle.json" 2>"$work/autocannon.log" &
    load_pid=$!
    sleep 1  # autocannon's start-up; it runs a second past the measured window
    read -r l c <<<"$(pipeline_rate)"; loaded+=("$l"); lcpu+=("$c")
    wait "$load_pid"
    rss=$(rss_kib)
    read -r q c <<<"$(pipeline_rate)"; quiet+=("$q"); qcpu+=("$c")
    changes+=("$(awk -v b="${quiet[cycle - 1]}" -v l="$l" -v a="$q" 'BEGIN { printf "%+.0f%%", (l / ((b + a) / 2) - 1) * 100 }')")
  done
  mean() { awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.0f", s / NF }' <<<"$*"; }
  q_mean=$(mean "${quiet[@]}") l_mean=$(mean "${loaded[@]}")
  change=$(awk -v q="$q_mean" -v l="$l_mean" 'BEGIN { if (q > 0) printf "%+.1f%%", (l / q - 1) * 100; else print "-" }')
  jq -s -r --arg path "$path" --arg quiet "$q_mean" --arg loaded "$l_mean" --arg change "$change (${changes[*]})" \
     --arg cpu "$(mean "${qcpu[@]}") / $(mean "${lcpu[@]}")" --arg rss "$(mib "$rss")" \
     '"| GET \($path) | \(map(.requests.average) | add / length | floor) | \(map(.latency.p50) | add / length | floor) | \(map(.latency.p99) | add / length | floor) | \(map(.non2xx) | add) / \(map(.errors + .timeouts) | add) | \($quiet) | \($loaded) | \($change) | \($cpu) | \($rss) |"' \
     "$work"/autocannon"$name".*.json
done
echo
echo "host peak RSS (VmHWM): $(mib "$(hwm_kib)") MiB; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -TERM "$host_pid"
wait "$host_pid" || true
