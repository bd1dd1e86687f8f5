#!/usr/bin/env bash
# SPEC job 4's intake under load (issue 12, "Benchmarks"): `junction run` with the
# submissions example's chain (docstore intake; the relay to the embedded queue and a
# consumer to files, both polling every --poll-ms) against npm autocannon: accepted
# submissions per second and p50/p99 latency with durable commits (synchronous=FULL),
# unique formulas and then half of them duplicates in substance; then the end-to-end
# latency from the 202 to the consumer's file, one submission at a time. The same load
# against the peer (bench/submissions_peer.py: Flask + SQLite, the same checks and
# durability, gunicorn with --peer-workers processes). Prints one markdown table;
# bench/README.md "Submissions" has the figures.
#
#   bench/submissions.sh [--duration S] [--connections N] [--e2e N] [--poll-ms MS]
#                        [--http-workers N] [--peer-workers N] [--peer-threads N] [--build DIR] [--work DIR]
#
#   --duration      seconds of each load (default 10)
#   --connections   autocannon connections (default 50)
#   --e2e           submissions timed end to end (default 200)
#   --poll-ms       the relay's and the consumer's poll interval (default 50)
#   --http-workers  junction's http.workers (default 4)
#   --peer-workers  gunicorn worker processes (default 4)
#   --peer-threads  threads per gunicorn worker (default 8: gthread workers, so 50
#                   connections are not queued behind 4 synchronous workers)
#   --build         build folder with bin/junction and lib/junction/plugins (default build/release)
#   --work          scratch folder, kept at the end (default: a new folder under /tmp)
#
# Needs node, scripts/install-test-servers.sh (autocannon) and scripts/setup.sh (gunicorn,
# python3-flask, python3-jsonschema).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
duration=10 connections=50 e2e=200 poll_ms=50 http_workers=4 peer_workers=4 peer_threads=8 build="$root/build/release" work=""
while (($#)); do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --e2e) e2e="$2"; shift 2 ;;
    --poll-ms) poll_ms="$2"; shift 2 ;;
    --http-workers) http_workers="$2"; shift 2 ;;
    --peer-workers) peer_workers="$2"; shift 2 ;;
    --peer-threads) peer_threads="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -/{/^#/p}' "$0"; exit 0 ;;
    *) echo "submissions.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin="$build/bin/junction"
[[ -x "$bin" ]] || { echo "submissions.sh: $bin not found: cmake --build $build" >&2; exit 2; }
[[ -d "$root/tests/servers/node_modules/autocannon" ]] || { echo "submissions.sh: autocannon not found: run scripts/install-test-servers.sh" >&2; exit 2; }
command -v gunicorn >/dev/null || { echo "submissions.sh: gunicorn not found: run scripts/setup.sh" >&2; exit 2; }
command -v jq >/dev/null || { echo "submissions.sh: jq not found (scripts/setup.sh installs it)" >&2; exit 2; }
work="${work:-$(mktemp -d /tmp/junction-submissions.XXXXXX)}"
mkdir -p "$work"
echo "submissions.sh: working in $work" >&2

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
key="bench-submissions-key-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"

start_junction() {
  rm -rf "$work/j" && mkdir -p "$work/j"
  cp "$root/examples/submissions/formula.schema.json" "$work/j/"
  cat >"$work/j/c.json" <<JSON
{
  "state": "state.db",
  "http": {"listen": "127.0.0.1:0", "port_file": "port", "workers": $http_workers, "access_log": false,
           "api_keys": [{"id": "bench", "key_env": "BENCH_KEY", "scopes": ["operate"]}],
           "submissions": [{"route": "formulas", "plugin": "docstore",
             "options": {"path": "submissions.db", "collection": "formulas"},
             "schema_file": "formula.schema.json",
             "checks": [{"sum": "/materials/*/concentration", "at_most": "100"}],
             "identity": {"fields": {"materials": {"set_of": {"fields": {"name": "folded_text", "concentration": "decimal"}}}}}}]},
  "pipelines": [
    {"name": "relay", "schedule": {"poll_ms": $poll_ms}, "batch_size": 500,
     "reader": {"plugin": "docstore", "options": {"path": "submissions.db", "collection": "formulas", "outbox": true,
                                                  "ack_set": {"published_at": "\$now"}}},
     "writer": {"plugin": "queue", "options": {"path": "queue.db", "queue": "formulas", "dedup_id": "_id"}}},
    {"name": "to-files", "schedule": {"poll_ms": $poll_ms}, "batch_size": 500,
     "reader": {"plugin": "queue", "options": {"path": "queue.db", "queue": "formulas", "consumer": "files"}},
     "writer": {"plugin": "files", "options": {"dir": "out", "format": "object", "file_name": "{_id}.json"}}}]
}
JSON
  (cd "$work/j" && BENCH_KEY="$key" exec "$bin" --log-level warn run c.json >"$work/j/log" 2>&1) &
  pids+=("$!")
  for _ in $(seq 200); do [[ -s "$work/j/port" ]] && break; sleep 0.05; done
  [[ -s "$work/j/port" ]] || { echo "submissions.sh: junction did not start:" >&2; cat "$work/j/log" >&2; exit 1; }
  url="http://127.0.0.1:$(cat "$work/j/port")/api/v1/submissions/formulas"
}

start_peer() {
  rm -rf "$work/p" && mkdir -p "$work/p"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  (cd "$here" && exec gunicorn -w "$peer_workers" --threads "$peer_threads" -b "127.0.0.1:$port" --log-level warning \
     "submissions_peer:make_app('$work/p/peer.db', '$root/examples/submissions/formula.schema.json')" \
     >"$work/p/log" 2>&1) &
  pids+=("$!")
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
  url="http://127.0.0.1:$port/api/v1/submissions/formulas"
}

load() { node "$here/submissions_load.mjs" "$url" "$key" "$duration" "$connections" "$1"; }
row() {  # name dup json
  local j="$3"
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(jq -r .rps <<<"$j")" "$(jq -r .p50 <<<"$j")" \
    "$(jq -r .p99 <<<"$j")" "$(jq -c .statuses <<<"$j")"
}

echo "| intake | duplicates | submissions/s | p50 ms | p99 ms | statuses |"
echo "|---|---|---:|---:|---:|---|"
start_junction
row "junction (docstore intake, relay and consumer running)" "none" "$(load 0)"
row "junction (docstore intake, relay and consumer running)" "50%" "$(load 0.5)"
stored=$(sqlite3 "$work/j/submissions.db" 'SELECT count(*) FROM formulas')
sleep 2
e2e_json="$(node "$here/submissions_e2e.mjs" "$url" "$key" "$work/j/out" "$e2e")"
published=$(sqlite3 "$work/j/queue.db" 'SELECT count(*) FROM messages')
kill "${pids[-1]}" 2>/dev/null || true
start_peer
row "peer (Flask + SQLite, gunicorn -w $peer_workers --threads $peer_threads)" "none" "$(load 0)"
row "peer (Flask + SQLite, gunicorn -w $peer_workers --threads $peer_threads)" "50%" "$(load 0.5)"
peer_stored=$(sqlite3 "$work/p/peer.db" 'SELECT count(*) FROM submissions')
echo
echo "End to end (one at a time, $e2e submissions, poll_ms $poll_ms): $(jq -c . <<<"$e2e_json")"
echo "Junction stored $stored submissions under load and published $published messages in all (the e2e probes included); the peer stored $peer_stored."
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r)"
