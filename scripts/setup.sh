#!/usr/bin/env bash
# Installs everything Junction needs to build and test on Debian 12, idempotently:
# Debian packages (compiler, CMake, Ninja, Boost 1.81, doctest, libmongoc, SQLite,
# libcurl, OpenSSL; clang and libFuzzer for the fuzz preset; python3-requests for the peer
# of bench/rest_databox.sh; the sqlite3 shell, with which scripts/example-contacts.sh shows
# the docstore) and the npm test servers. Safe to run again: it skips what is present.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PACKAGES=(
  g++ cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-log1.81-dev
  libboost-program-options1.81-dev libboost-thread1.81-dev libboost-filesystem1.81-dev
  doctest-dev libmongoc-dev libbson-dev libsqlite3-dev libcurl4-openssl-dev
  libssl-dev
  time libjemalloc-dev curl python3-requests
  clang libfuzzer-14-dev
  sqlite3
)
# Node.js runs the MongoDB-wire test server; keep an existing node/npm (e.g. NodeSource's,
# which conflicts with Debian's npm package) and install Debian's only when absent.
command -v node >/dev/null && command -v npm >/dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${JUNCTION_SKIP_NPM:-}" != "1" && -f "$here/../tests/servers/package.json" ]]; then
  "$here/install-test-servers.sh"
fi
