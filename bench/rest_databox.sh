#!/usr/bin/env bash
# Issue 10's benchmark: N GitHub issues (pages of 100, Link pagination) from the local
# fake GitHub through rest -> mapping -> databox into the local fake Databox, against a
# Python peer doing the same with `requests` (bench/rest_peer.py). Prints one Markdown
# table: wall time, CPU (user+sys) and peak RSS of each process, from /usr/bin/time, and
# checks that each dataset ends with N rows.
#
#   bench/rest_databox.sh [--records N] [--reps R] [--build DIR]
#
# Needs a Release build: cmake --build build/release --target junction
#   junction_plugin_rest junction_plugin_mapping junction_plugin_databox
# and python3-requests (scripts/setup.sh installs it). Both fakes run on 127.0.0.1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
records=100000 reps=3 build="$root/build/release"
while (($#)); do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "rest_databox.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start() {  # start NAME SCRIPT ARGS...: sets PORT
  local name="$1" script="$2"; shift 2
  rm -f "$work/$name.port"
  node "$root/tests/servers/$script" --port 0 --port-file "$work/$name.port" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [[ -s "$work/$name.port" ]] && break; sleep 0.1; done
  PORT="$(cat "$work/$name.port")"
}

export GITHUB_TOKEN=ghp_FakeGitHubToken0123456789 DATABOX_API_KEY=dbx-test-key-s3cret
export BENCH_SCHEMA="$root/examples/databox/schemas/github_issues.v2.json"
echo "| run | wall s | CPU s (user+sys) | peak RSS MiB | records/s | rows in dataset |"
echo "|---|---:|---:|---:|---:|---:|"
for rep in $(seq "$reps"); do
  for who in junction python; do
    # fresh fakes each time, so neither run finds the other's dataset or a warm server
    start github rest-apis.mjs; gh="$PORT"
    start databox databox-server.mjs; dbx="$PORT"
    curl -sf -X POST "http://127.0.0.1:$gh/_control/github/repo?name=bench/big&issues=$records&prs=0&commits=0" >/dev/null
    export GITHUB_API="http://127.0.0.1:$gh" DATABOX_URL="http://127.0.0.1:$dbx" BENCH_STATE="$work/state-$rep.db"
    rm -f "$BENCH_STATE"*
    if [[ $who == junction ]]; then
      /usr/bin/time -o "$work/time" -f "%e %U %S %M" "$build/bin/junction" --log-level warning \
        run "$here/configs/rest_databox.json" --once >"$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
    else
      /usr/bin/time -o "$work/time" -f "%e %U %S %M" python3 "$here/rest_peer.py" "$GITHUB_API" bench/big \
        "$GITHUB_TOKEN" "$DATABOX_URL" "$DATABOX_API_KEY" >"$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
    fi
    rows="$(curl -sf "http://127.0.0.1:$dbx/_control/datasets" |
      python3 -c 'import json,sys; print(sum(len(d["rows"]) for d in json.load(sys.stdin)["datasets"]))')"
    read -r wall user sys rss <"$work/time"
    awk -v who="$who $rep" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v n="$records" -v rows="$rows" \
      'BEGIN { printf "| %s | %.2f | %.2f | %.1f | %d | %d |\n", who, w, u + s, r / 1024, n / w, rows }'
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
  done
done
