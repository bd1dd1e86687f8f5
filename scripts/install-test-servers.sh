#!/usr/bin/env bash
# Installs the npm test servers (tests/servers/node_modules) from the committed
# package-lock.json, idempotently: nothing happens when the installed tree already
# matches the lock file. Needs node and npm (scripts/setup.sh installs them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
servers="$here/../tests/servers"

command -v npm >/dev/null || { echo "install-test-servers: npm not found (run scripts/setup.sh)" >&2; exit 1; }
cd "$servers"
# npm writes node_modules/.package-lock.json after a successful install; if it matches
# the committed lock, the tree is current.
if [[ -f node_modules/.package-lock.json ]] &&
   node -e '
     const a = require("./package-lock.json").packages, b = require("./node_modules/.package-lock.json").packages;
     const strip = (p) => Object.fromEntries(Object.entries(p).filter(([k]) => k !== "").map(([k, v]) => [k, v.version]));
     process.exit(JSON.stringify(strip(a)) === JSON.stringify(strip(b)) ? 0 : 1);' 2>/dev/null; then
  echo "install-test-servers: tests/servers/node_modules is up to date" >&2
  exit 0
fi
echo "install-test-servers: npm ci in tests/servers" >&2
npm ci --no-audit --no-fund --loglevel=error
