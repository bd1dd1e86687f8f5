#!/usr/bin/env bash
# The SDK as a third-party author gets it: install this build tree to a fresh prefix,
# build examples/plugin-template (the csvdir plugin) from a copy outside the source
# tree against that prefix only, run its unit tests, and check that the INSTALLED host
# loads it beside the bundled plugins and runs it end to end: csvdir reader -> csvdir
# translator -> the bundled files writer, through a crash after the commit, a resume
# mid-file, the release of every input file, and a run that changes nothing.
# Needs the whole tree built first (cmake --install installs everything).
set -euo pipefail

fail() { echo "sdk_install_test: FAIL: $*" >&2; exit 1; }
phase() { echo "== $* (${SECONDS}s)"; }

: "${JUNCTION_BUILD_DIR:?set by ctest}" "${JUNCTION_SOURCE_DIR:?set by ctest}"
cmake_bin="${CMAKE_COMMAND:-cmake}"
ctest_bin="${CTEST_COMMAND:-ctest}"
work="$(mktemp -d "${TMPDIR:-/tmp}/junction-sdk-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

phase "install $JUNCTION_BUILD_DIR to $prefix"
"$cmake_bin" --install "$JUNCTION_BUILD_DIR" --prefix "$prefix" >"$work/install.log" 2>&1 \
  || { tail -20 "$work/install.log" >&2; fail "cmake --install failed (is the whole tree built?)"; }
[[ -x "$prefix/bin/junction" ]] || fail "no $prefix/bin/junction after install"
[[ -f "$prefix/include/junction/sdk/sdk.hpp" ]] || fail "SDK headers not installed"
[[ -f "$prefix/include/junction/sdk/testing.hpp" ]] || fail "the SDK's test harness is not installed"
version_file="$prefix/lib/cmake/JunctionSDK/JunctionSDKConfigVersion.cmake"
[[ -f "$version_file" ]] || fail "JunctionSDKConfigVersion.cmake not installed in $prefix/lib/cmake/JunctionSDK"
abi_major="$(sed -n 's/^#define JUNCTION_SDK_ABI_MAJOR \([0-9]*\)$/\1/p' "$prefix/include/junction/sdk/abi.hpp")"
abi_minor="$(sed -n 's/^#define JUNCTION_SDK_ABI_MINOR \([0-9]*\)$/\1/p' "$prefix/include/junction/sdk/abi.hpp")"
grep -q "set(PACKAGE_VERSION \"$abi_major\\.$abi_minor\\.[0-9]*\")" "$version_file" \
  || fail "the SDK package's version is not the ABI version $abi_major.$abi_minor: $(grep 'set(PACKAGE_VERSION "' "$version_file")"
# SameMajorVersion: a request for 2.0 or 2.<minor> finds it; 2.<minor+1>, 3.0 and 1.0 do not.
printf 'include("%s")\nif(PACKAGE_VERSION_COMPATIBLE)\n  message("yes")\nelse()\n  message("no")\nendif()\n' \
  "$version_file" >"$work/version_check.cmake"
for want in "$abi_major.0=yes" "$abi_major.$abi_minor=yes" "$abi_major.$((abi_minor + 1))=no" \
            "$((abi_major + 1)).0=no" "$((abi_major - 1)).0=no"; do
  got="$("$cmake_bin" -DPACKAGE_FIND_VERSION="${want%=*}" -DPACKAGE_FIND_VERSION_MAJOR="${want%%.*}" \
    -P "$work/version_check.cmake" 2>&1)"
  [[ "$got" == "${want#*=}" ]] || fail "find_package(JunctionSDK ${want%=*}) would say '$got', expected ${want#*=}"
done
# No installed header may send an author to a document that is not installed (none is).
if grep -rnE '[A-Za-z_]+\.md\b|README' "$prefix/include/junction/sdk"; then
  fail "an installed header cites a file that is not installed (above)"
fi

bundled_dir="$prefix/lib/junction/plugins"
mapfile -t bundled < <(find "$bundled_dir" -maxdepth 1 -name 'lib*.so' -printf '%f\n' 2>/dev/null | sort)
((${#bundled[@]} > 0)) || fail "no bundled plugin installed in $bundled_dir"

phase "build the template out of tree"
cp -r "$JUNCTION_SOURCE_DIR/examples/plugin-template" "$work/template"
rm -rf "$work/template/build"
build="$work/template-build"
generator_args=()
[[ -n "${JUNCTION_CMAKE_GENERATOR:-}" ]] && generator_args=(-G "$JUNCTION_CMAKE_GENERATOR")
compiler_args=()
[[ -n "${JUNCTION_CXX_COMPILER:-}" ]] && compiler_args=(-DCMAKE_CXX_COMPILER="$JUNCTION_CXX_COMPILER")
# Debug whatever the host's build: it compiles in half the time, and a plugin's
# optimization level is no part of the ABI the host checks.
"$cmake_bin" -S "$work/template" -B "$build" "${generator_args[@]}" "${compiler_args[@]}" \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" 2>&1 \
  || { cat "$work/configure.log" >&2; fail "the template does not configure against the installed SDK"; }
# The template must not have found the SDK anywhere else (e.g. a build tree in the
# user package registry).
grep -q "JunctionSDK_DIR:PATH=$prefix/" "$build/CMakeCache.txt" \
  || fail "the template found the SDK outside $prefix: $(grep JunctionSDK_DIR "$build/CMakeCache.txt")"
"$cmake_bin" --build "$build" --parallel 2 >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log" >&2; fail "the template does not build against the installed SDK"; }
plugin_so="$build/libjunction_csvdir.so"
[[ -f "$plugin_so" ]] || fail "no libjunction_csvdir.so in the template build"
[[ -x "$build/csvdir_test" ]] || fail "the template's unit tests were not built (doctest not found? Debian: doctest-dev)"

phase "run the template's unit tests"
"$ctest_bin" --test-dir "$build" --output-on-failure >"$work/ctest.log" 2>&1 \
  || { cat "$work/ctest.log" >&2; fail "the template's unit tests failed"; }
grep -q "100% tests passed, 0 tests failed out of 1" "$work/ctest.log" \
  || { cat "$work/ctest.log" >&2; fail "the template's unit tests are not registered with CTest"; }

phase "load it with the installed host"
junction() { env -u JUNCTION_PLUGIN_PATH "$prefix/bin/junction" --plugin-dir "$build" "$@"; }
# JUNCTION_PLUGIN_PATH is cleared so only --plugin-dir and the bundled folder count.
junction plugins list >"$work/list.out" 2>"$work/list.err" \
  || { cat "$work/list.out" "$work/list.err" >&2; fail "installed junction plugins list exited non-zero"; }
cat "$work/list.out"
[[ -s "$work/list.err" ]] && { cat "$work/list.err" >&2; fail "the installed host refused a plugin (stderr above)"; }
grep -Eq "^csvdir +0\.2\.0 +experimental +reader,translator +$plugin_so$" "$work/list.out" \
  || fail "the template's plugin is not listed from $build"
for lib in "${bundled[@]}"; do
  grep -q " $bundled_dir/$lib\$" "$work/list.out" || fail "bundled $lib from $bundled_dir is not listed"
done
junction plugins describe csvdir --json >"$work/describe.json" || fail "plugins describe csvdir failed"
grep -q '"name":"dir","type":"path"' "$work/describe.json" || fail "the reader's dir option is not described as a path"
grep -q '"name":"fields"' "$work/describe.json" || fail "the translator's options are not described"
junction plugins describe csvdir >"$work/describe.txt" || fail "plugins describe csvdir failed"
grep -q "built against SDK $abi_major\.$abi_minor\.[0-9]* (ABI $abi_major\.$abi_minor)" "$work/describe.txt" \
  || fail "the plugin is not built for ABI $abi_major.$abi_minor: $(grep 'built against' "$work/describe.txt")"

phase "run a pipeline end to end"
run_dir="$work/run"
mkdir -p "$run_dir/in" "$run_dir/whole"
# people: batches of one record, at most two in flight (queue_depth 1, one worker), so
# the first group written ends inside a.csv (5 lines); whole: one batch holds all of c.csv.
cat >"$run_dir/pipelines.json" <<'EOF'
{
  "pipelines": [
    {
      "name": "people",
      "reader": {"plugin": "csvdir", "options": {"dir": "in"}},
      "translators": [{"plugin": "csvdir", "options": {"fields": ["name"]}}],
      "writer": {"plugin": "files", "options": {"dir": "out", "file_name": "{id}.json"}},
      "batch_size": 1, "queue_depth": 1, "workers": 1
    },
    {
      "name": "whole",
      "reader": {"plugin": "csvdir", "options": {"dir": "whole", "after": "delete"}},
      "translators": [{"plugin": "csvdir", "options": {"fields": ["name"]}}],
      "writer": {"plugin": "files", "options": {"dir": "out", "file_name": "{id}.json"}},
      "batch_size": 100
    }
  ]
}
EOF
printf 'id,name\n1,ada\n2,grace\n3,edsger\n4,barbara\n5,ken\n' >"$run_dir/in/a.csv"
printf 'id,name\n6,niklaus\n7,tony,hoare\n8,donald\n' >"$run_dir/in/b.csv"  # id 7: three fields
printf 'id,name\n9,frances\n10,alan\n' >"$run_dir/whole/c.csv"
cfg="$run_dir/pipelines.json"
junction validate "$cfg" >"$work/validate.out" 2>&1 || { cat "$work/validate.out" >&2; fail "validate refused the config"; }

# The read count of a run's summary line: "run finished pipeline=NAME ... read=N ...".
read_count() {
  sed -n "s/.*run finished pipeline=$1 .* read=\([0-9]*\) .*/\1/p" "$2" | tail -1
}
count_files() { find "$1" -maxdepth 1 -type f | wc -l; }
dead_letters() { junction dead-letters "$cfg" "$1" --json --all | grep -c '"reason"' || true; }

# 1. The host exits right after committing the first group, before acknowledge():
#    nothing may be released yet.
set +e
junction run "$cfg" --once --pipeline people --test-fault exit_before_ack >"$work/run1.log" 2>&1
rc=$?
set -e
[[ $rc == 86 ]] || { cat "$work/run1.log" >&2; fail "run 1 was to exit 86 before acknowledge(), exited $rc"; }
written1=$(count_files "$run_dir/out")
((written1 >= 1 && written1 < 5)) \
  || fail "the first group was to end inside a.csv (5 records), $written1 written (batch_size 1, queue_depth 1)"
[[ -f "$run_dir/in/a.csv" && -f "$run_dir/in/b.csv" ]] || fail "a file was released before its records were acknowledged"

# 2. The next run resumes a.csv after the committed line: it reads exactly what was not
#    committed, writes everything, dead-letters the bad line once, releases both files.
junction run "$cfg" --once --pipeline people >"$work/run2.log" 2>&1 || { cat "$work/run2.log" >&2; fail "run 2 failed"; }
read2=$(read_count people "$work/run2.log")
[[ "$read2" == $((8 - written1)) ]] \
  || { cat "$work/run2.log" >&2; fail "run 2 read ${read2:-?} records, expected 8 - $written1 committed = $((8 - written1))"; }
[[ ! -e "$run_dir/in/a.csv" && ! -e "$run_dir/in/b.csv" ]] || fail "an input file was not released: $(ls "$run_dir/in")"
[[ -f "$run_dir/in/done/a.csv" && -f "$run_dir/in/done/b.csv" ]] || fail "the input files are not in in/done/"
[[ $(count_files "$run_dir/out") == 7 ]] || fail "expected 7 output files, got: $(ls "$run_dir/out")"
grep -qx '{"id":"5","name":"KEN"}' "$run_dir/out/5.json" || fail "5.json is not translated: $(cat "$run_dir/out/5.json")"
[[ ! -e "$run_dir/out/7.json" ]] || fail "the malformed line 7 was written"
[[ $(dead_letters people) == 1 ]] || fail "expected the malformed line as one dead letter, got $(dead_letters people)"
junction dead-letters "$cfg" people --json | grep -q '"reason":"expected 2 fields, got 3".*"source":"b.csv@' \
  || fail "the dead letter does not say why: $(junction dead-letters "$cfg" people --json)"

# 3. A crash after the whole of c.csv was committed: the next run releases c.csv
#    without reading it again.
set +e
junction run "$cfg" --once --pipeline whole --test-fault exit_before_ack >"$work/run3.log" 2>&1
rc=$?
set -e
[[ $rc == 86 ]] || { cat "$work/run3.log" >&2; fail "run 3 was to exit 86 before acknowledge(), exited $rc"; }
[[ -f "$run_dir/whole/c.csv" ]] || fail "c.csv was released before its records were acknowledged"
junction run "$cfg" --once --pipeline whole >"$work/run4.log" 2>&1 || { cat "$work/run4.log" >&2; fail "run 4 failed"; }
[[ "$(read_count whole "$work/run4.log")" == 0 ]] \
  || { cat "$work/run4.log" >&2; fail "c.csv was read again after its records were committed"; }
[[ ! -e "$run_dir/whole/c.csv" ]] || fail "c.csv, fully committed, was not released (after: delete)"
[[ $(count_files "$run_dir/out") == 9 ]] || fail "expected 9 output files, got: $(ls "$run_dir/out")"

# 4. Once more: nothing to read, nothing changes.
snapshot() { (cd "$run_dir" && find in whole out -type f -print0 | sort -z | xargs -0 sha256sum); }
snapshot >"$work/before"
junction run "$cfg" --once >"$work/run5.log" 2>&1 || { cat "$work/run5.log" >&2; fail "run 5 failed"; }
[[ "$(read_count people "$work/run5.log")" == 0 && "$(read_count whole "$work/run5.log")" == 0 ]] \
  || { cat "$work/run5.log" >&2; fail "a run after everything was released read something"; }
snapshot >"$work/after"
diff "$work/before" "$work/after" >&2 || fail "a run after everything was released changed the files (diff above)"
[[ $(dead_letters people) == 1 ]] || fail "a run after everything was released added a dead letter"

# check_options is the plugin's, and `junction validate` runs it.
sed 's/"dir": "in"}/"dir": "in", "after": "delete", "done_dir": "old"}/' "$cfg" >"$run_dir/bad.json"
set +e
junction validate "$run_dir/bad.json" >"$work/bad.out" 2>&1
rc=$?
set -e
[[ $rc == 3 ]] || { cat "$work/bad.out" >&2; fail "validate accepted done_dir with after: delete (exit $rc)"; }
grep -q 'pipelines\[0\].reader.options.done_dir: only used with after: move, and after is delete' "$work/bad.out" \
  || { cat "$work/bad.out" >&2; fail "validate did not show the plugin's check_options message"; }

echo "sdk_install_test: OK in ${SECONDS}s (csvdir: unit tests, resume after $written1 committed, 2 files released," \
  "c.csv released unread; + ${#bundled[@]} bundled: ${bundled[*]})"
