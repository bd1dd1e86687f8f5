#!/usr/bin/env bash
# scripts/example-submissions.sh, the README's one command for SPEC job 4, runs as shipped
# (with the built binary, no set-up; --exit instead of serving until Ctrl-C): the 202, the
# 400 with every problem, the exact sum check, the duplicate in substance with the first
# id, the Idempotency-Key replay and 422, the 415, the submission published, and each of
# the two formulas written once by each consumer; junction stopped afterwards.
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; echo "---- output:" >&2; cat "$work/out.txt" >&2; exit 1; }

EXAMPLE_DIR="$work/example" SUBMISSIONS_PORT=0 "$JUNCTION_SOURCE_DIR/scripts/example-submissions.sh" --exit \
  >"$work/out.txt" 2>&1 || fail "the script exited with $?"
out="$(cat "$work/out.txt")"

first="$(grep -o '"id":"[0-9a-f]*","duplicate":false' <<<"$out" | head -1 | cut -d'"' -f4)"
[[ -n "$first" ]] || fail "no 202 with an id"
grep -q '^202$' <<<"$out" || fail "no 202"
grep -q '"path":"/materials/2/name","message":"is required"' <<<"$out" || fail "no problem for the missing name"
grep -q '"path":"/materials/1/concentration","message":"expected number, got string"' <<<"$out" ||
  fail "no problem for the string concentration"
grep -q 'the sum of /materials/\*/concentration is 100.01, more than 100' <<<"$out" || fail "the sum check did not refuse 100.01"
grep -q "\"id\":\"$first\",\"duplicate\":true" <<<"$out" || fail "the duplicate in substance did not get the first id"
grep -q 'Idempotent-Replayed: true' <<<"$out" || fail "no replay of the idempotency key"
grep -q '^422$' <<<"$out" || fail "no 422 for the key reused with another body"
grep -q 'without Content-Type: application/json: 415' <<<"$out" || fail "no 415"
grep -q '"state":"published"' <<<"$out" || fail "the submission is not published"
grep -q '"concentration":15.5' <<<"$out" || fail "the payload's decimal is not rendered as sent"
grep -q '^== consumer formulas-to-files wrote 2 files' <<<"$out" || fail "the files consumer did not write 2 files"
grep -q '^== consumer formulas-to-store: 2 formulas' <<<"$out" || fail "the docstore consumer did not store 2 formulas"
grep -q "^$first  Chypre\$" <<<"$out" || fail "the stored formula is not keyed by its submission id"
[[ "$(sqlite3 "$work/example/queue.db" 'SELECT count(*) FROM messages')" == 2 ]] || fail "not exactly 2 messages published"
grep -q 'request method=POST path=/api/v1/submissions/formulas status=202' "$work/example/junction.log" ||
  fail "no access log line"
[[ -z "$(pgrep -f "run examples/submissions/submissions.json" | xargs -r ps -o pid=,args= -p | grep -F "$work" || true)" ]] ||
  fail "junction is still running"
echo "ok"
