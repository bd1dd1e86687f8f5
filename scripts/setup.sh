#!/usr/bin/env bash
# Installs everything Junction needs to build and test on Debian 12, idempotently:
# Debian packages (compiler, CMake, Ninja, Boost 1.81, doctest, libmongoc, SQLite,
# libcurl, OpenSSL; clang and libFuzzer for the fuzz preset; python3-requests for the peer
# of bench/rest_databox.sh; python3-flask, python3-jsonschema and gunicorn for the peer of
# bench/submissions.sh; promtool, from the prometheus package, for the metrics tests;
# libnats-dev, the NATS C client (JetStream and KV) of the nats plugin; nats-server for
# its tests; the mold linker, which CMake uses when found; chromium for the status page's browser
# test; the sqlite3 shell, with which scripts/example-contacts.sh shows the docstore)
# and the npm test servers (with playwright-core, which drives that chromium). Safe to
# run again: it skips what is present.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PACKAGES=(
  g++ cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-log1.81-dev
  libboost-program-options1.81-dev libboost-thread1.81-dev libboost-filesystem1.81-dev
  doctest-dev libmongoc-dev libbson-dev libsqlite3-dev libcurl4-openssl-dev
  libssl-dev libboost-url1.81-dev chromium
  libboost-locale1.81-dev
  time libjemalloc-dev curl python3-requests
  python3-flask python3-jsonschema gunicorn
  clang libfuzzer-14-dev
  mold sqlite3
  libnats-dev
  openssl
)
# Node.js (18, Debian 12's, or newer) runs the test servers and the browser test's
# playwright-core; keep an existing node/npm (e.g. NodeSource's, which conflicts with
# Debian's npm package) and install Debian's only when absent.
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

# Two packages whose binaries we want, not their services: promtool (Debian's prometheus
# package) validates the /metrics exposition in the tests, and nats-server runs the
# JetStream clusters of the nats plugin's tests, bench and example on loopback ports of
# their own. Neither should run as a service on every developer machine and CI: a
# policy-rc.d that answers 101 ("action forbidden") stops the packages' maintainer scripts
# from starting them. It is put there only for this install (and only when a package is
# missing), then removed, so that setup.sh stays idempotent and leaves other services alone.
no_service=()
for p in prometheus nats-server; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || no_service+=("$p")
done
if ((${#no_service[@]})); then
  echo "setup: installing ${no_service[*]} (binaries only; their services are not started)" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    own_policy=1
  fi
  $SUDO apt-get update -qq
  status=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${no_service[@]}" >/dev/null || status=$?
  ((own_policy)) && $SUDO rm -f "$policy"
  ((status == 0)) || exit "$status"
fi

if [[ "${JUNCTION_SKIP_NPM:-}" != "1" && -f "$here/../tests/servers/package.json" ]]; then
  "$here/install-test-servers.sh"
fi
