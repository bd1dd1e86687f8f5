#!/usr/bin/env bash
# Soak test (outside CI): the daemon for a long time against a folder fed continuously,
# with a MongoDB outage in the middle; RSS, open file descriptors and threads sampled
# into a CSV; a summary at the end (first/last/max of each, and whether all input
# arrived). bench/README.md "Soak" has the figures.
#
#   bench/soak.sh [--minutes M] [--outage S] [--rate N] [--interval-ms MS] [--build DIR] [--work DIR]
#
#   --minutes      how long the feeder runs (default 60)
#   --outage       seconds MongoDB is down, starting at half time (default 60)
#   --rate         work-order files written every 2 s (default 10)
#   --interval-ms  the pipelines' schedule (default 3000)
#   --build        build folder with bin/junction and lib/junction/plugins (default build/release)
#   --work         scratch folder, kept at the end (default: a new folder under /tmp)
#
# What runs: examples/workorders/sync-mongodb.json (inbound files -> tracos -> MongoDB,
# outbound MongoDB -> tracos -> files), as the daemon, against the MongoDB-wire test
# server (tests/servers/mongo-server.mjs) started with --data, so that stopping it
# (SIGTERM) and starting it again keeps its documents: a real outage, not a wipe.
# The outbound pipeline runs too (polling; the inbound orders are written isSynced=true,
# so it finds nothing to send). Exit code 0 when every work order fed arrived in MongoDB
# and was moved to processed/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
minutes=60 outage=60 rate=10 interval=3000 build="$root/build/release" work=""
while (($#)); do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --outage) outage="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --interval-ms) interval="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin="$build/bin/junction"
[[ -x "$bin" ]] || { echo "soak.sh: $bin not found: cmake --build $build --target junction files_plugins" >&2; exit 2; }
[[ -d "$root/tests/servers/node_modules/bson" ]] || { echo "soak.sh: run scripts/install-test-servers.sh" >&2; exit 2; }
work="${work:-$(mktemp -d /tmp/junction-soak.XXXXXX)}"
mkdir -p "$work/inbound" "$work/outbound"
echo "soak.sh: working in $work" >&2

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_mongo() {  # $1: port (0 the first time)
  rm -f "$work/mongo.port"
  node "$root/tests/servers/mongo-server.mjs" --port "$1" --port-file "$work/mongo.port" --quiet \
    --data "$work/mongo.data" >>"$work/mongo.log" 2>&1 &
  mongo_pid=$!
  for _ in $(seq 200); do [[ -s "$work/mongo.port" ]] && break; sleep 0.05; done
  [[ -s "$work/mongo.port" ]] || { echo "soak.sh: the MongoDB test server did not start" >&2; exit 1; }
}
start_mongo 0
port="$(cat "$work/mongo.port")"

export MONGO_URI="mongodb://127.0.0.1:$port" JUNCTION_STATE="$work/state.db" SYNC_INTERVAL_MS="$interval"
export DATA_INBOUND_DIR="$work/inbound" DATA_OUTBOUND_DIR="$work/outbound" MONGO_DATABASE=soak
"$bin" --plugin-dir "$build/lib/junction/plugins" --log-format json run "$root/examples/workorders/sync-mongodb.json" \
  >"$work/junction.out" 2>"$work/junction.log" &
jpid=$!
pids+=("$jpid")

# The feeder: $rate new work orders every 2 s, each written under a temporary name and
# renamed, as a customer's system would drop them.
python3 - "$work/inbound" "$rate" "$((minutes * 60))" >"$work/fed" <<'PY' &
import json, os, sys, time
folder, rate, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
flags = ["isPending", "isDone", "isOnHold", "isCanceled", None]
n, until = 0, time.time() + seconds
while time.time() < until:
    for _ in range(rate):
        n += 1
        o = {"orderNo": n, "summary": f"soak order {n}", "isActive": True, "isCanceled": False, "isDeleted": False,
             "isDone": False, "isOnHold": False, "isPending": False, "isSynced": False,
             "creationDate": "2026-01-01T10:00:00+01:00", "lastUpdateDate": "2026-01-02T10:00:00Z", "deletedDate": None}
        if flags[n % 5]: o[flags[n % 5]] = True
        tmp = os.path.join(folder, f".{n}.tmp")
        with open(tmp, "w") as f: json.dump(o, f)
        os.rename(tmp, os.path.join(folder, f"{n}.json"))
    time.sleep(2)
print(n)
PY
feeder=$!
pids+=("$feeder")

# The sampler: every 10 s.
echo "elapsed_s,rss_kib,fds,threads,inbound_left,processed" >"$work/samples.csv"
sample() {
  local rss threads fds
  rss="$(awk '/^VmRSS/ {print $2}' "/proc/$jpid/status" 2>/dev/null || echo 0)"
  threads="$(awk '/^Threads/ {print $2}' "/proc/$jpid/status" 2>/dev/null || echo 0)"
  fds="$(ls "/proc/$jpid/fd" 2>/dev/null | wc -l)"
  echo "$(($(date +%s) - t0)),$rss,$fds,$threads,$(find "$work/inbound" -maxdepth 1 -name '*.json' | wc -l),$(find "$work/inbound/processed" -name '*.json' 2>/dev/null | wc -l)" \
    >>"$work/samples.csv"
}
t0=$(date +%s)
half=$((minutes * 30))
outage_done=0
while kill -0 "$feeder" 2>/dev/null; do
  sample
  now=$(($(date +%s) - t0))
  if ((outage_done == 0 && now >= half)); then
    echo "soak.sh: MongoDB down at ${now} s for ${outage} s" >&2
    kill -TERM "$mongo_pid"; wait "$mongo_pid" || true
    sleep "$outage"
    start_mongo "$port"
    echo "soak.sh: MongoDB back at $(($(date +%s) - t0)) s" >&2
    outage_done=1
  fi
  sleep 10
done
fed="$(cat "$work/fed")"
# Let the pipelines catch up (the folder empty), then stop.
for _ in $(seq 60); do
  sample
  left="$(find "$work/inbound" -maxdepth 1 -name '*.json' | wc -l)"
  ((left == 0)) && break
  sleep 10
done
kill -TERM "$jpid"; wait "$jpid" && jrc=0 || jrc=$?
kill -TERM "$mongo_pid"; wait "$mongo_pid" || true

# node resolves "bson" from the working folder: count from tests/servers.
in_mongo="$(cd "$root/tests/servers" && node --input-type=module -e '
  import { EJSON } from "bson"; import { readFileSync } from "node:fs";
  const numbers = new Set();
  for (const line of readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) {
    const c = EJSON.parse(line);
    if (c.db === "soak" && c.coll === "workorders") for (const d of c.docs) numbers.add(Number(d.number));
  }
  console.log(numbers.size);' "$work/mongo.data")"
processed="$(find "$work/inbound/processed" -name '*.json' | wc -l)"
left="$(find "$work/inbound" -maxdepth 1 -name '*.json' | wc -l)"
quarantined="$( (find "$work/inbound/quarantine" -name '*.json' 2>/dev/null || true) | wc -l)"

summary() {  # column name, CSV column number
  awk -F, -v c="$2" -v name="$1" 'NR == 2 {first = $c} NR > 1 {last = $c; if ($c > max) max = $c}
    END {printf "%-8s first %s, last %s, max %s\n", name, first, last, max}' "$work/samples.csv"
}
echo "soak: ${minutes} min, MongoDB down ${outage} s at half time, $rate files / 2 s, schedule ${interval} ms"
summary rss_kib 2
summary fds 3
summary threads 4
echo "fed $fed, in MongoDB $in_mongo, processed $processed, left $left, quarantined $quarantined; junction exit code $jrc after SIGTERM"
echo "log lines: $(wc -l <"$work/junction.log"), errors: $(grep -c '"level":"error"' "$work/junction.log" || true)"
echo "samples: $work/samples.csv"
[[ "$in_mongo" == "$fed" && "$processed" == "$fed" && "$jrc" == 0 ]]
