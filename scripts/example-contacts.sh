#!/usr/bin/env bash
# SPEC job 3's sync half in one command: HubSpot contacts from the local fake HubSpot (and
# its OAuth2 token endpoint) into the embedded docstore as the internal Contact entity.
# Sets up and builds what it needs, starts the fake on a free loopback port, runs
# examples/contacts/contacts.json once, prints a few stored contacts and the dead letter
# (the contact without an e-mail), changes a contact upstream and runs again: the second
# run takes only what changed. The fake stops when it ends.
# (Once the host serves HTTP, this runs the daemon and curls GET /contacts instead.)
#
# JUNCTION_BIN=path/to/junction skips the set-up and the build (the tests use it);
# EXAMPLE_DIR (default demo-data/contacts) holds the state store and the docstore file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ -z "${JUNCTION_BIN:-}" ]]; then
  JUNCTION_SKIP_NPM=1 ./scripts/setup.sh   # the fake is plain node: no npm package needed
  echo "== building the host and the rest, mapping and docstore plugins (build/release; the first time takes a few minutes)"
  cmake --preset release >/dev/null
  cmake --build --preset release --target junction junction_plugin_rest junction_plugin_mapping \
    junction_plugin_docstore >/dev/null
  JUNCTION_BIN="$root/build/release/bin/junction"
fi
junction="$JUNCTION_BIN"
config=examples/contacts/contacts.json

work="${EXAMPLE_DIR:-$root/demo-data/contacts}"
rm -rf "$work"
mkdir -p "$work"

pids=()
stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_servers EXIT

node tests/servers/rest-apis.mjs --port 0 --port-file "$work/hubspot.port" --demo >"$work/hubspot.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do
  [[ -s "$work/hubspot.port" ]] && break
  sleep 0.05
done
if [[ ! -s "$work/hubspot.port" ]]; then
  echo "example: the fake HubSpot did not start; its log:" >&2
  cat "$work/hubspot.log" >&2
  exit 1
fi
hubspot="http://127.0.0.1:$(cat "$work/hubspot.port")"

# What the fake accepts (tests/servers/rest-apis.mjs): not real credentials.
export HUBSPOT_API="$hubspot" HUBSPOT_CLIENT_ID=hubspot-client HUBSPOT_CLIENT_SECRET=hubspot-client-s3cret
export HUBSPOT_REFRESH_TOKEN=hs-rt-initial-s3cret
export JUNCTION_STATE="$work/contacts.state.db" CONTACTS_DB="$work/contacts.db"

call() { node -e 'fetch(process.argv[2], {method: process.argv[1]}).then(r => r.text()).then(t => console.log(t))' "$1" "$2"; }

# show_contacts [WHERE]: stored contacts, one JSON document a line (the docstore is SQLite)
show_contacts() {
  sqlite3 "$CONTACTS_DB" "SELECT json_remove(doc, '\$._id') FROM contacts ${1:-} ORDER BY json_extract(doc, '\$.id') LIMIT 5"
}
count() { sqlite3 "$CONTACTS_DB" "SELECT count(*) FROM contacts"; }

echo "== fake HubSpot (and its OAuth2 token endpoint) on $hubspot: 25 contacts, one e-mail typed as '  Contact103@Example.COM ', one contact without e-mail"
echo
echo "== junction validate $config"
"$junction" validate "$config"
echo
echo "== junction run $config --once   (the daemon, without --once, runs it every 30 s)"
"$junction" run "$config" --once
echo "== first run: $(count) contacts in the docstore ($CONTACTS_DB, collection contacts)"
echo
echo "== the first five, as the internal Contact entity (no raw CRM payload stored)"
show_contacts
echo
echo "== the dead letters (junction dead-letters $config contacts)"
"$junction" dead-letters "$config" contacts
echo
echo "== on the fake HubSpot: contact 105 edited"
call POST "$hubspot/_control/hubspot/update?id=105" >/dev/null
echo
echo "== junction run $config --once   (incremental: lastmodifieddate >= the last run's newest, minus 5 minutes)"
"$junction" run "$config" --once
echo "== second run: $(count) contacts in the docstore"
echo
echo "== contact 105 now"
show_contacts "WHERE json_extract(doc, '\$.id') = '105'"
echo
echo "== done; the docstore is $CONTACTS_DB, the state store $JUNCTION_STATE"
echo "   (junction runs $config for the run history)"
