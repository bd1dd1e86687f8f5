#!/usr/bin/env bash
# Sets everything up (Debian packages, npm test servers), builds, and runs all tests
# with ctest: the release build first, then (in CI, or with JUNCTION_ASAN=1) the same
# suite under AddressSanitizer + UndefinedBehaviorSanitizer (clang), then (in CI, or with
# JUNCTION_FUZZ=1) every libFuzzer target of tests/fuzz, from the same build, for 10 s,
# two at a time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/setup.sh

# Each build and test step ends with one line of its wall and CPU seconds (user+sys, which
# other load on the machine changes less than wall time): the figures of bench/README.md,
# "CI build time".
timed() {
  local what=$1; shift
  /usr/bin/time -f "== $what: %e s wall, %U s user + %S s sys" "$@"
}

run_preset() {
  local preset=$1
  echo "== configure, build and test: preset $preset" >&2
  cmake --preset "$preset" >/dev/null
  timed "build $preset" cmake --build --preset "$preset"
  timed "test $preset" ctest --preset "$preset"
}

run_preset release
sanitize=false fuzz=false
if [[ "${CI:-}" == "true" || "${JUNCTION_ASAN:-}" == "1" ]]; then sanitize=true; fi
if [[ "${CI:-}" == "true" || "${JUNCTION_FUZZ:-}" == "1" ]]; then fuzz=true; fi
# One clang build serves both: the suite under the sanitizers, and the fuzz targets.
if $sanitize || $fuzz; then
  echo "== configure and build: preset asan (the suite and the fuzz targets)" >&2
  cmake --preset asan >/dev/null
  timed "build asan" cmake --build --preset asan
fi
if $sanitize; then timed "test asan" ctest --preset asan; fi
if $fuzz; then timed "test fuzz" ctest --preset fuzz; fi
