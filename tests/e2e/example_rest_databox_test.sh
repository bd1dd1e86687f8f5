#!/usr/bin/env bash
# scripts/example-rest-databox.sh, the README's one command for job 2, runs as shipped
# (with the built binary, no set-up): both runs push, the push log is listed, the fake
# Databox holds every issue once, and the second run pushes fewer rows than the first.
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; echo "---- output:" >&2; cat "$work/out.txt" >&2; exit 1; }

EXAMPLE_DIR="$work/example" "$JUNCTION_SOURCE_DIR/scripts/example-rest-databox.sh" >"$work/out.txt" 2>&1 ||
  fail "the script exited with $?"
out="$(cat "$work/out.txt")"

first="$(sed -n 's/^== first run: \([0-9]*\) rows pushed to Databox$/\1/p' <<<"$out")"
second="$(sed -n 's/^== second run: \([0-9]*\) rows pushed to Databox (the first pushed [0-9]*)$/\1/p' <<<"$out")"
# --demo: 12 issues of acme/widgets (3 pull requests among 15) and 5 of acme/gears
[[ "$first" == 17 ]] || fail "first run pushed '$first' rows, expected 17"
[[ -n "$second" && "$second" -gt 0 && "$second" -lt "$first" ]] || fail "second run pushed '$second' rows, expected 1..$((first - 1))"

# the push log is listed, with the dataset and the columns
grep -q '^SENT AT  *PIPELINE  *PROVIDER  *TARGET  *ROWS  *RESULT' <<<"$out" || fail "no push log table"
[[ "$(grep -c '^[0-9T:.-]*Z  *github-issues  *databox  *github_issues (.*ok  *11 (id, number' <<<"$out")" -ge 3 ]] ||
  fail "fewer than 3 ok pushes listed"
# the rows: 17 after the first run, 18 after the second (one edited in place, one new)
grep -q '^dataset github_issues (primary key id): 17 rows$' <<<"$out" || fail "the first listing does not hold 17 rows"
grep -q '^dataset github_issues (primary key id): 18 rows$' <<<"$out" || fail "the second listing does not hold 18 rows"
grep -q 'title="Issue 1 of acme/widgets (edited)"' <<<"$out" || fail "the edited issue is not in Databox"
# the schema table
grep -q '^| `milestone` | string | yes |  | `$.milestone.title` |' <<<"$out" || fail "no schema table"
# the fake keys appear only where the script sets them, never in junction's output
! grep -v '^export\|GITHUB_TOKEN=\|DATABOX_API_KEY=' <<<"$out" | grep -q 'ghp_FakeGitHubToken0123456789\|dbx-test-key-s3cret' ||
  fail "a key in the output"
# the fakes are stopped
[[ -z "$(pgrep -f "port-file $work/example/" || true)" ]] || fail "a fake server is still running"
echo "ok: first run $first rows, second $second"
