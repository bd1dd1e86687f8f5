#!/usr/bin/env bash
# Job 2 in one command: GitHub issues from the local fake GitHub into the local fake
# Databox. Sets up and builds what it needs, starts both fakes on free loopback ports,
# runs examples/rest/github-issues.json once, shows the push log, the rows Databox now
# holds and the dataset schema table, then changes issues on the fake GitHub and runs
# again: the second run pushes only what changed. The fakes stop when it ends.
#
# JUNCTION_BIN=path/to/junction skips the set-up and the build (the tests use it);
# EXAMPLE_DIR (default demo-data/rest-databox) holds the state store and the output.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/lib/example.sh

example_build "rest, databox and files" junction_plugin_rest junction_plugin_databox junction_plugin_files
config=examples/rest/github-issues.json
schema=examples/databox/schemas/github_issues.v2.json
example_workdir "$root/demo-data/rest-databox"

start_server github rest-apis.mjs --demo
start_server databox databox-server.mjs
github="http://127.0.0.1:$(cat "$work/github.port")"
databox="http://127.0.0.1:$(cat "$work/databox.port")"

# What the fakes accept (tests/servers/rest-apis.mjs, databox-server.mjs): not real keys.
export GITHUB_API="$github" GITHUB_TOKEN=ghp_FakeGitHubToken0123456789
export DATABOX_URL="$databox" DATABOX_API_KEY=dbx-test-key-s3cret
export JUNCTION_STATE="$work/github.state.db" REST_OUT="$work/out"

# The rows the fake Databox holds, one line each.
show_rows() {
  call GET "$databox/_control/datasets" | node -e '
    let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
      for (const d of JSON.parse(text).datasets) {
        console.log(`dataset ${d.title} (primary key ${d.primaryKeys.join(", ")}): ${d.rows.length} rows`);
        for (const r of d.rows) console.log(`  id=${r.id} number=${r.number} state=${r.state} updated_at=${r.updated_at} title=${JSON.stringify(r.title)}`);
      }
    });'
}

# The rows the pipeline's newest run pushed, from the push log.
rows_of_last_run() {
  "$junction" runs "$config" github-issues --pushes --json --limit 0 | node -e '
    let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
      const pushes = text.split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((p) => p.ok);
      const last = Math.max(...pushes.map((p) => p.run_id ?? 0));
      console.log(pushes.filter((p) => p.run_id === last).reduce((n, p) => n + p.rows, 0));
    });'
}

echo "== fake GitHub on $github (repositories acme/widgets and acme/gears), fake Databox on $databox"
echo
echo "== junction validate $config"
"$junction" validate "$config"
echo
echo "== junction run $config --once"
"$junction" run "$config" --once
first=$(rows_of_last_run)
echo "== first run: $first rows pushed to Databox"
echo
echo "== the push log (junction runs $config --pushes)"
"$junction" runs "$config" --pushes
echo
echo "== the rows now in the fake Databox ($databox/_control/datasets)"
show_rows
echo
echo "== the dataset schema (junction schema doc $schema)"
"$junction" schema doc "$schema"
echo
echo "== on the fake GitHub: issue 1 of acme/widgets edited, a new issue in acme/gears"
call POST "$github/_control/github/issue?repo=acme/widgets&number=1" >/dev/null
call POST "$github/_control/github/issue?repo=acme/gears" >/dev/null
echo
echo "== junction run $config --once (incremental: since= the last run's newest updated_at, minus a minute)"
"$junction" run "$config" --once
second=$(rows_of_last_run)
echo "== second run: $second rows pushed to Databox (the first pushed $first)"
echo
echo "== the push log, newest first"
"$junction" runs "$config" --pushes --limit 5
echo
echo "== the rows now in the fake Databox: updated in place by primary key"
show_rows
echo
echo "== done; the state store is $JUNCTION_STATE (junction runs $config --pushes --json for machines)"
