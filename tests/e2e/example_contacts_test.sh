#!/usr/bin/env bash
# scripts/example-contacts.sh, the README's one command for SPEC job 3, runs as shipped
# (with the built binary, no set-up; --exit instead of serving until Ctrl-C): 24 contacts
# stored as the Contact entity and served at GET /contacts behind the key (the one
# without an e-mail a dead letter), the messy e-mail normalized, the edit of the run asked
# for over the API served, no credential in the output, and the fake and junction stopped.
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; echo "---- output:" >&2; cat "$work/out.txt" >&2; exit 1; }

EXAMPLE_DIR="$work/example" CONTACTS_PORT=0 "$JUNCTION_SOURCE_DIR/scripts/example-contacts.sh" --exit >"$work/out.txt" 2>&1 ||
  fail "the script exited with $?"
out="$(cat "$work/out.txt")"

# --demo: 25 contacts, contact 107 without an e-mail
grep -q '^== first run: 24 contacts in the docstore' <<<"$out" || fail "the first run did not store 24 contacts"
grep -q '^== second run: 24 contacts in the docstore' <<<"$out" || fail "the second run changed the count"
grep -q '"id":"103","email":"contact103@example.com"' <<<"$out" || fail "contact 103's e-mail is not normalized"
grep -q '"full_name":"First101 Last101"' <<<"$out" || fail "no full_name"
grep -q '"source":"hubspot"' <<<"$out" || fail "no source"
! grep -q '"properties"' <<<"$out" || fail "a raw properties field in the docstore"
grep -q 'required: missing properties.email' <<<"$out" || fail "no dead letter for the contact without e-mail"
grep -q '"id":"105",.*"first_name":"First105 (edited)"' <<<"$out" || fail "the edit is not stored"
grep -q '^== without a key: 401' <<<"$out" || fail "GET /contacts without a key was not refused"
grep -q '"next_after":"' <<<"$out" || fail "the first page has no cursor to the next"
grep -q 'run finished pipeline=contacts outcome=ok' "$work/example/junction.log" || fail "no ok run summary"
grep -q 'request method=GET path=/contacts status=200' "$work/example/junction.log" || fail "no access log line"
# the fake credentials appear only where the script sets them, never in junction's output
! grep -v '^export\|HUBSPOT_CLIENT_SECRET=\|HUBSPOT_REFRESH_TOKEN=' <<<"$out" |
  grep -q 'hubspot-client-s3cret\|hs-rt-initial-s3cret\|hs-at-s3cret' || fail "a credential in the output"
[[ -z "$(pgrep -f "port-file $work/example/" || true)" ]] || fail "the fake is still running"
[[ -z "$(pgrep -f "run examples/contacts/contacts.json" | xargs -r ps -o pid=,args= -p | grep -F "$work" || true)" ]] ||
  fail "junction is still running"
echo "ok"
