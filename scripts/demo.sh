#!/usr/bin/env bash
# Sets everything up, builds, and runs the work-order demo on the embedded document
# store (no server needed): seeds customer files and TracOS documents, runs the
# inbound and outbound pipelines once, and shows what happened.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

JUNCTION_SKIP_NPM=1 ./scripts/setup.sh
echo "== building the host and its plugins (build/release; the first time takes a few minutes)"
cmake --preset release >/dev/null
cmake --build --preset release --target junction junction_plugin_files junction_plugin_tracos \
  junction_plugin_mapping junction_plugin_docstore junction_plugin_mongodb >/dev/null
junction="$root/build/release/bin/junction"

demo="$root/demo-data"
rm -rf "$demo"
mkdir -p "$demo/inbound" "$demo/outbound"
export DATA_INBOUND_DIR="$demo/inbound" DATA_OUTBOUND_DIR="$demo/outbound"
export DOCSTORE_PATH="$demo/tracos.db" JUNCTION_STATE="$demo/junction-state.db"
cp examples/workorders/seed/customer/*.json "$demo/inbound/"
export SEED_DIR="$root/examples/workorders/seed/tracos"

echo "== the bundled plugins"
"$junction" plugins list
echo
echo "== seeding TracOS with $(ls "$SEED_DIR" | wc -l) work orders not yet sent to the customer"
"$junction" --log-level warning run examples/workorders/seed.json --once
echo
echo "== junction validate examples/workorders/sync.json"
"$junction" validate examples/workorders/sync.json
echo
echo "== junction run examples/workorders/sync.json --once"
"$junction" run examples/workorders/sync.json --once
echo
echo "== run history (junction runs examples/workorders/sync.json)"
"$junction" runs examples/workorders/sync.json
echo
echo "== dead letters of the inbound pipeline (bad customer files, set aside in quarantine/)"
"$junction" dead-letters examples/workorders/sync.json inbound
echo
echo "== files written for the customer in $demo/outbound"
ls "$demo/outbound"
first="$(ls "$demo/outbound" | head -1)"
echo "-- $first:"; cat "$demo/outbound/$first"; echo
echo "== inbound folder after the run"
find "$demo/inbound" -type f | sed "s|$demo/||" | sort
echo
echo "== running it again changes nothing:"
"$junction" run examples/workorders/sync.json --once
echo
echo "== to explore the demo's data yourself:"
echo "export PATH=\"$root/build/release/bin:\$PATH\" DATA_INBOUND_DIR=$DATA_INBOUND_DIR DATA_OUTBOUND_DIR=$DATA_OUTBOUND_DIR DOCSTORE_PATH=$DOCSTORE_PATH JUNCTION_STATE=$JUNCTION_STATE"
echo "junction runs examples/workorders/sync.json; junction dead-letters examples/workorders/sync.json inbound"
