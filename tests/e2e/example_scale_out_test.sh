#!/usr/bin/env bash
# scripts/example-scale-out.sh, the README's one command for the scale-out, runs as shipped
# (with the built binary, no set-up; --exit instead of serving until Ctrl-C): a three-node
# NATS cluster and two hosts; both hosts process a share of the orders; orders-in runs on
# one of them (the APIs say which); killed, the other takes it over within the lease's
# TTL, a poll and the script's own polling, and the 500 later orders are archived once
# each; no host nor NATS server is left running. Label cluster (release build only).
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; echo "---- output:" >&2; cat "$work/out.txt" >&2; exit 1; }

EXAMPLE_DIR="$work/example" "$JUNCTION_SOURCE_DIR/scripts/example-scale-out.sh" --exit >"$work/out.txt" 2>&1 ||
  fail "the script exited with $?"
out="$(cat "$work/out.txt")"

grep -q '^== all 2,000 orders archived in [0-9]* ms' <<<"$out" || fail "the 2,000 orders were not archived"
shares="$(grep -A1 '^== all 2,000 orders archived' <<<"$out" | tail -1)"
[[ "$shares" =~ host\ a\ processed\ [1-9][0-9]*,\ host\ b\ processed\ [1-9] ]] || fail "not both hosts did a share: $shares"
grep -Eq '^     orders-in +one_host +owner [ab] ' <<<"$out" || fail "the API does not show who owns orders-in"
grep -Eq '^     orders-in +one_host +owner [ab] +standby' <<<"$out" || fail "the other host is not on standby"
grep -Eq '^     orders-process +every_host' <<<"$out" || fail "orders-process does not run on every host"
took="$(grep -o 'took orders-in over [0-9]* ms' <<<"$out" | grep -o '[0-9]*')"
[[ -n "$took" ]] || fail "nobody took orders-in over"
((took < 5000 + 500 + 2500)) || fail "the take-over took $took ms (TTL 5000 + poll 500)"
grep -q '^== all 2,500 orders archived, none twice (2500 files)' <<<"$out" || fail "not all 2,500 orders, once each"
[[ "$(find "$work/example/out" -name 'o-*.json' | wc -l)" == 2500 ]] || fail "not 2500 files"
[[ "$(find "$work/example/inbox" -maxdepth 1 -name '*.ndjson' | wc -l)" == 0 ]] || fail "inbox files left unread"
sleep 0.5
[[ -z "$(pgrep -af "nats-server.*$work" || true)" ]] || fail "a NATS server is still running"
echo "ok (take-over in $took ms)"
