#!/usr/bin/env bash
# SPEC job 3 in one command: HubSpot contacts from the local fake HubSpot (and its OAuth2
# token endpoint) into the embedded docstore as the internal Contact entity, served at
# GET /contacts behind an API key. Sets up and builds what it needs, starts the fake on a
# free loopback port and the junction daemon (examples/contacts/contacts.json, every 30 s)
# on 127.0.0.1:$CONTACTS_PORT (default 8090), waits for the first sync, then curls
# /contacts with the app's key, shows the dead letter (the contact without an e-mail),
# changes a contact upstream, asks for a run over the API and curls it again. Then it
# keeps the daemon running for you (the status page at http://127.0.0.1:8090/) until
# Ctrl-C; with --exit it stops there (the tests use it). Everything it started stops with it.
#
# JUNCTION_BIN=path/to/junction skips the set-up and the build (the tests use it);
# EXAMPLE_DIR (default demo-data/contacts) holds the state store and the docstore file;
# CONTACTS_API_KEY and JUNCTION_OPS_KEY, when unset, are made up at random and printed.
set -euo pipefail
stay=1
[[ "${1:-}" == "--exit" ]] && stay=0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/lib/example.sh

example_build "rest, mapping and docstore" junction_plugin_rest junction_plugin_mapping junction_plugin_docstore
config=examples/contacts/contacts.json
example_workdir "$root/demo-data/contacts"

start_server hubspot rest-apis.mjs --demo
hubspot="http://127.0.0.1:$(cat "$work/hubspot.port")"

# What the fake accepts (tests/servers/rest-apis.mjs): not real credentials.
export HUBSPOT_API="$hubspot" HUBSPOT_CLIENT_ID=hubspot-client HUBSPOT_CLIENT_SECRET=hubspot-client-s3cret
export HUBSPOT_REFRESH_TOKEN=hs-rt-initial-s3cret
export JUNCTION_STATE="$work/contacts.state.db" CONTACTS_DB="$work/contacts.db"

export CONTACTS_PORT="${CONTACTS_PORT:-8090}" CONTACTS_PORT_FILE="$work/junction.port"
# Demo keys (at least 16 characters); the daemon keeps only their hashes.
export CONTACTS_API_KEY="${CONTACTS_API_KEY:-app-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
export JUNCTION_OPS_KEY="${JUNCTION_OPS_KEY:-ops-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

count() { sqlite3 "$CONTACTS_DB" "SELECT count(*) FROM contacts"; }

echo "== fake HubSpot (and its OAuth2 token endpoint) on $hubspot: 25 contacts, one e-mail typed as '  Contact103@Example.COM ', one contact without e-mail"
echo
echo "== junction validate $config"
"$junction" validate "$config"
echo
echo "== junction run $config   (the daemon: a sync every 30 s, and the HTTP API)"
start_junction "$config" "$CONTACTS_PORT_FILE"
# the first run's end is in the run history
for _ in $(seq 300); do
  curl -s -H "X-API-Key: $CONTACTS_API_KEY" "$api/api/v1/runs?pipeline=contacts" | grep -q '"outcome":"ok"' && break
  sleep 0.1
done
echo "== first run: $(count) contacts in the docstore ($CONTACTS_DB, collection contacts)"
echo
echo "== curl -H 'X-API-Key: \$CONTACTS_API_KEY' '$api/contacts?limit=3'   (the internal Contact entity; no raw CRM payload)"
curl -s -H "X-API-Key: $CONTACTS_API_KEY" "$api/contacts?limit=3"
echo
echo "== curl -H 'X-API-Key: \$CONTACTS_API_KEY' '$api/contacts?email=contact103@example.com'"
curl -s -H "X-API-Key: $CONTACTS_API_KEY" "$api/contacts?email=contact103@example.com"
echo
echo "== without a key: $(curl -s -o /dev/null -w '%{http_code}' "$api/contacts")"
echo
echo "== the dead letters (GET /api/v1/dead-letters/contacts)"
curl -s -H "X-API-Key: $CONTACTS_API_KEY" "$api/api/v1/dead-letters/contacts" |
  node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{for(const d of JSON.parse(t).dead_letters) console.log(`#${d.id} ${d.reason}`)})'
echo
echo "== on the fake HubSpot: contact 105 edited; a run asked for over the API (POST /api/v1/pipelines/contacts/runs)"
call POST "$hubspot/_control/hubspot/update?id=105" >/dev/null
curl -s -X POST -H "X-API-Key: $JUNCTION_OPS_KEY" "$api/api/v1/pipelines/contacts/runs"
echo
for _ in $(seq 300); do
  [[ "$(curl -s -H "X-API-Key: $CONTACTS_API_KEY" "$api/api/v1/runs?pipeline=contacts" | grep -o '"outcome":"ok"' | wc -l)" -ge 2 ]] && break
  sleep 0.1
done
echo "== second run: $(count) contacts in the docstore"
echo
echo "== curl -H 'X-API-Key: \$CONTACTS_API_KEY' $api/contacts/105"
curl -s -H "X-API-Key: $CONTACTS_API_KEY" "$api/contacts/105"
echo
echo
if ((stay)); then
  echo "== junction serves on $api until Ctrl-C:"
  echo "   status page: $api/   (paste the operator key: $JUNCTION_OPS_KEY)"
  echo "   contacts:    curl -H 'X-API-Key: $CONTACTS_API_KEY' '$api/contacts?limit=5'"
  echo "   metrics:     curl -H 'X-API-Key: $CONTACTS_API_KEY' $api/metrics"
  echo "   its log:     $work/junction.log"
  wait "${pids[0]}" || true
else
  echo "== done; the docstore is $CONTACTS_DB, the state store $JUNCTION_STATE"
fi
