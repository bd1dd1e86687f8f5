#!/usr/bin/env bash
# Scale-out in one command: a three-node NATS cluster (JetStream) and two Junction hosts
# running the same config (examples/scale-out/scale-out.json), all on this machine's
# loopback. 2,000 orders in a folder go through three pipelines: `orders-in` (the folder
# into the ORDERS stream) runs on one host at a time, by lease; `orders-process` and
# `archive` (shared consumers) run on both hosts, which split the orders. It shows each
# host's share and who holds `orders-in` (from each host's API), then kills that host
# (SIGKILL), drops 500 more orders in the folder, and shows the other host take the
# pipeline over after the lease's TTL and finish them. Then it keeps the hosts running
# for you until Ctrl-C; with --exit it stops there (the tests use it).
#
# JUNCTION_BIN=path/to/junction skips the set-up and the build (the tests use it);
# EXAMPLE_DIR (default demo-data/scale-out) holds the folders, stores and logs.
set -euo pipefail
stay=1
[[ "${1:-}" == "--exit" ]] && stay=0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/lib/example.sh
source scripts/lib/nats.sh

example_build "files, mapping and nats" junction_plugin_files junction_plugin_mapping junction_plugin_nats
config=examples/scale-out/scale-out.json
example_workdir "$root/demo-data/scale-out"
export ORDERS_INBOX="$work/inbox" ORDERS_OUT="$work/out"
export SCALE_OUT_API_KEY="${SCALE_OUT_API_KEY:-ops-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
mkdir -p "$ORDERS_INBOX" "$ORDERS_OUT"

# orders FIRST..LAST as NDJSON files of 100 orders each, in the inbox.
make_orders() {
  local first="$1" last="$2" i
  for ((i = first; i <= last; i += 100)); do
    awk -v a="$i" -v b="$((i + 99 < last ? i + 99 : last))" 'BEGIN {
      split("eu us apac", regions, " ")
      for (n = a; n <= b; n++)
        printf "{\"id\": \"o-%05d\", \"region\": \"%s\", \"amount\": %d.%02d}\n", n, regions[n % 3 + 1], n % 500, n % 100
    }' >"$ORDERS_INBOX/.orders-$i.tmp"
    mv "$ORDERS_INBOX/.orders-$i.tmp" "$ORDERS_INBOX/orders-$(printf %05d "$i").ndjson"
  done
}

archived() { find "$ORDERS_OUT" -name 'o-*.json' | wc -l; }
wait_archived() {
  local want="$1"
  for _ in $(seq 600); do
    (($(archived) >= want)) && return 0
    sleep 0.1
  done
  echo "example: only $(archived) of $want orders were archived; the hosts' logs are in $work/*/junction.log" >&2
  exit 1
}
# Each host's API: the pipelines, with where they run and who holds them.
pipelines_of() {
  curl -s -H "Authorization: Bearer $SCALE_OUT_API_KEY" "$1/api/v1/pipelines" |
    python3 -c 'import json, sys
for p in json.load(sys.stdin)["pipelines"]:
    print("     %-15s %-10s owner %-7s %s" % (p["name"], p.get("placement"), p.get("owner") or "-", p["state"]))'
}
owner_of_orders_in() {
  curl -s -H "Authorization: Bearer $SCALE_OUT_API_KEY" "$1/api/v1/pipelines" |
    python3 -c 'import json, sys
print(next(p.get("owner") or "" for p in json.load(sys.stdin)["pipelines"] if p["name"] == "orders-in"))'
}
shares() {
  cat "$ORDERS_OUT"/o-*.json | python3 -c 'import collections, json, sys
c = collections.Counter(json.loads(l)["processed_by"] for l in sys.stdin.read().replace("}{", "}\n{").splitlines() if l.strip())
print("   " + ", ".join("host %s processed %d" % kv for kv in sorted(c.items())))'
}

echo "== a three-node NATS cluster with JetStream on 127.0.0.1"
start_nats_cluster 3
export NATS_SERVERS="$nats_servers"
echo "   $NATS_SERVERS"
echo "== junction validate $config"
JUNCTION_STATE=x JUNCTION_HOST=x JUNCTION_PORT_FILE=x "$junction" validate "$config"

declare -A api_of pid_of
for host in a b; do
  mkdir -p "$work/$host"
  echo "== host $host: junction run $config   (JUNCTION_HOST=$host, its own state store and API port)"
  JUNCTION_HOST=$host JUNCTION_STATE="$work/$host/state.db" JUNCTION_PORT_FILE="$work/$host/port" \
    start_junction "$config" "$work/$host/port" "$work/$host/junction.log"
  api_of[$host]=$api
  pid_of[$host]=$junction_pid
done

# Both hosts' consumers ready (a run of orders-process ended on each), then the orders.
state_of() {
  curl -s -H "Authorization: Bearer $SCALE_OUT_API_KEY" "$1/api/v1/pipelines" |
    python3 -c 'import json, sys
print(next(p["state"] for p in json.load(sys.stdin)["pipelines"] if p["name"] == sys.argv[1]))' "$2"
}
for host in a b; do
  for _ in $(seq 400); do
    [[ "$(state_of "${api_of[$host]}" orders-process)" == scheduled ]] && break
    sleep 0.05
  done
done
echo "== 2,000 orders in $ORDERS_INBOX (20 files)"
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
start=$(date +%s%N)
make_orders 1 2000
wait_archived 2000
echo "== all 2,000 orders archived in $(ms_since "$start") ms, shared by the hosts:"
shares
for host in a b; do
  echo "   host $host's API (${api_of[$host]}/api/v1/pipelines):"
  pipelines_of "${api_of[$host]}"
done

owner="$(owner_of_orders_in "${api_of[a]}")"
[[ -n $owner ]] || { echo "example: nobody holds orders-in" >&2; exit 1; }
other=a
[[ $owner == a ]] && other=b
echo
echo "== host $owner holds orders-in; kill -9 it, and drop 500 more orders in the folder"
kill -KILL "${pid_of[$owner]}"
killed=$(date +%s%N)
make_orders 2001 2500
for _ in $(seq 300); do
  [[ "$(owner_of_orders_in "${api_of[$other]}")" == "$other" ]] && break
  sleep 0.1
done
[[ "$(owner_of_orders_in "${api_of[$other]}")" == "$other" ]] || { echo "example: host $other did not take orders-in over" >&2; exit 1; }
echo "   host $other took orders-in over $(ms_since "$killed") ms later (the lease TTL is 5 s; it resumes from the positions in the cluster)"
wait_archived 2500
echo "== all 2,500 orders archived, none twice ($(archived) files):"
shares
echo "   host $other's API:"
pipelines_of "${api_of[$other]}"
echo
echo "The folders, stores and logs are in $work."
if ((stay)); then
  echo "Host $other is still running (its API: ${api_of[$other]}, key in SCALE_OUT_API_KEY=$SCALE_OUT_API_KEY). Ctrl-C stops it and the cluster."
  wait "${pid_of[$other]}" || true
fi
