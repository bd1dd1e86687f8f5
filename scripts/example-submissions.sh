#!/usr/bin/env bash
# SPEC job 4 in one command: fragrance formulas POSTed to the host's intake endpoint, each
# stored once with its outbox row in one transaction, relayed once to the embedded queue,
# consumed by two pipelines (a file per formula, and a docstore collection). Sets up and
# builds what it needs, starts the junction daemon (examples/submissions/submissions.json)
# on 127.0.0.1:$SUBMISSIONS_PORT (default 8091), then shows with curl: a 202, a 400 with
# every problem, a duplicate in substance (200, the first id), an Idempotency-Key replay
# and its 422, a submission's state, and what the consumers wrote. Then it keeps the daemon
# running for you until Ctrl-C; with --exit it stops there (the tests use it).
#
# JUNCTION_BIN=path/to/junction skips the set-up and the build (the tests use it);
# EXAMPLE_DIR (default demo-data/submissions) holds the stores and the consumers' output;
# SUBMISSIONS_API_KEY, when unset, is made up at random and printed.
set -euo pipefail
stay=1
[[ "${1:-}" == "--exit" ]] && stay=0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/lib/example.sh

example_build "docstore, queue, files and mapping" junction_plugin_docstore junction_plugin_queue \
  junction_plugin_files junction_plugin_mapping
config=examples/submissions/submissions.json
example_workdir "$root/demo-data/submissions"

export JUNCTION_STATE="$work/state.db" SUBMISSIONS_DB="$work/submissions.db" QUEUE_DB="$work/queue.db"
export FORMULAS_OUT="$work/formulas" FORMULAS_DB="$work/formulas.db"
export SUBMISSIONS_PORT="${SUBMISSIONS_PORT:-8091}" SUBMISSIONS_PORT_FILE="$work/junction.port"
export SUBMISSIONS_API_KEY="${SUBMISSIONS_API_KEY:-client-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

echo "== junction validate $config"
"$junction" validate "$config"
echo
echo "== junction run $config   (the daemon: the intake, the relay and two consumers)"
start_junction "$config" "$SUBMISSIONS_PORT_FILE"
url="$api/api/v1/submissions/formulas"

# POST a formula; prints the status line's code, the headers that matter, and the body.
submit() {
  local body="$1"
  shift
  curl -s -i -X POST -H "X-API-Key: $SUBMISSIONS_API_KEY" -H 'Content-Type: application/json' "$@" -d "$body" "$url" |
    tr -d '\r' | awk 'NR==1 {print $2} tolower($1) ~ /^(location|idempotent-replayed):$/ {print "  " $0} /^\{/ {print "  " $0}'
}

chypre='{"name": "Chypre", "materials": [{"name": "Bergamot oil", "concentration": 15.5}, {"name": "Oakmoss", "concentration": 2}]}'
echo "== POST a formula"
echo "   curl -H 'X-API-Key: \$SUBMISSIONS_API_KEY' -H 'Content-Type: application/json' -d '$chypre' $url"
submit "$chypre"
echo
bad='{"name": "", "materials": [{"name": "Musk", "concentration": 0}, {"name": "Rose", "concentration": "5"}, {"concentration": 100.5}]}'
echo "== POST a bad one: every problem, with its JSON Pointer"
echo "   -d '$bad'"
submit "$bad"
echo
over='{"name": "Too much", "materials": [{"name": "Vetiver", "concentration": 60}, {"name": "Iris", "concentration": 40.01}]}'
echo "== POST one whose concentrations add up to more than 100 (exactly: 100.01)"
submit "$over"
echo
same='{"name": "Chypre No. 2", "materials": [{"name": " OAKMOSS ", "concentration": 2.0}, {"name": "bergamot oil", "concentration": 15.50}]}'
echo "== POST the same formula in other words (another name, order, case, 15.50): a duplicate, the first id"
echo "   -d '$same'"
submit "$same"
echo
fougere='{"name": "Fougere", "materials": [{"name": "Lavender", "concentration": 20}, {"name": "Coumarin", "concentration": 3.5}]}'
echo "== POST with Idempotency-Key: order-7 (a client's retry gets the first answer again)"
submit "$fougere" -H 'Idempotency-Key: "order-7"'
echo "   ... the same request again:"
submit "$fougere" -H 'Idempotency-Key: "order-7"'
echo "   ... the same key with another body:"
submit "$chypre" -H 'Idempotency-Key: "order-7"'
echo
echo "== without Content-Type: application/json: $(curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-API-Key: $SUBMISSIONS_API_KEY" -d "$chypre" "$url")"
echo

# Wait until the consumers wrote both formulas.
for _ in $(seq 300); do
  [[ "$(ls "$FORMULAS_OUT" 2>/dev/null | wc -l)" -ge 2 && -s "$FORMULAS_DB" ]] &&
    [[ "$(sqlite3 "$FORMULAS_DB" 'SELECT count(*) FROM formulas' 2>/dev/null || echo 0)" -ge 2 ]] && break
  sleep 0.1
done
first="$(ls "$FORMULAS_OUT" | head -1)"
echo "== GET $url/${first%.json}"
curl -s -H "X-API-Key: $SUBMISSIONS_API_KEY" "$url/${first%.json}"
echo
echo
echo "== consumer formulas-to-files wrote $(ls "$FORMULAS_OUT" | wc -l) files in $FORMULAS_OUT"
echo "== consumer formulas-to-store: $(sqlite3 "$FORMULAS_DB" 'SELECT count(*) FROM formulas') formulas in $FORMULAS_DB:"
sqlite3 "$FORMULAS_DB" "SELECT json_extract(doc, '\$.submission_id') || '  ' || json_extract(doc, '\$.name') FROM formulas ORDER BY 1"
echo
if ((stay)); then
  echo "== junction serves on $api until Ctrl-C:"
  echo "   submit:  curl -H 'X-API-Key: $SUBMISSIONS_API_KEY' -H 'Content-Type: application/json' -d '{...}' $url"
  echo "   metrics: curl -H 'X-API-Key: $SUBMISSIONS_API_KEY' $api/metrics"
  echo "   its log: $work/junction.log"
  wait "${pids[0]}" || true
else
  echo "== done; the stores are in $work"
fi
