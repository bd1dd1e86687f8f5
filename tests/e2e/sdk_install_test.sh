#!/usr/bin/env bash
# The SDK as a third-party author gets it: install this build tree to a fresh prefix,
# build examples/plugin-template from a copy outside the source tree against that
# prefix only, and check that the INSTALLED host loads the new plugin beside the
# bundled ones. Needs the whole tree built first (cmake --install installs everything).
set -euo pipefail

fail() { echo "sdk_install_test: FAIL: $*" >&2; exit 1; }

: "${JUNCTION_BUILD_DIR:?set by ctest}" "${JUNCTION_SOURCE_DIR:?set by ctest}"
cmake_bin="${CMAKE_COMMAND:-cmake}"
work="$(mktemp -d "${TMPDIR:-/tmp}/junction-sdk-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

echo "== install $JUNCTION_BUILD_DIR to $prefix"
"$cmake_bin" --install "$JUNCTION_BUILD_DIR" --prefix "$prefix" >"$work/install.log" 2>&1 \
  || { tail -20 "$work/install.log" >&2; fail "cmake --install failed (is the whole tree built?)"; }
[[ -x "$prefix/bin/junction" ]] || fail "no $prefix/bin/junction after install"
[[ -f "$prefix/include/junction/sdk/sdk.hpp" ]] || fail "SDK headers not installed"
config="$(find "$prefix" -name JunctionSDKConfig.cmake -print -quit)"
[[ -n "$config" ]] || fail "JunctionSDKConfig.cmake not installed"

bundled_dir="$prefix/lib/junction/plugins"
mapfile -t bundled < <(find "$bundled_dir" -maxdepth 1 -name 'lib*.so' -printf '%f\n' 2>/dev/null | sort)
((${#bundled[@]} > 0)) || fail "no bundled plugin installed in $bundled_dir"

echo "== build the template out of tree"
cp -r "$JUNCTION_SOURCE_DIR/examples/plugin-template" "$work/template"
generator_args=()
[[ -n "${JUNCTION_CMAKE_GENERATOR:-}" ]] && generator_args=(-G "$JUNCTION_CMAKE_GENERATOR")
compiler_args=()
[[ -n "${JUNCTION_CXX_COMPILER:-}" ]] && compiler_args=(-DCMAKE_CXX_COMPILER="$JUNCTION_CXX_COMPILER")
"$cmake_bin" -S "$work/template" -B "$work/template-build" "${generator_args[@]}" "${compiler_args[@]}" \
  -DCMAKE_BUILD_TYPE="${JUNCTION_BUILD_TYPE:-Release}" -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" 2>&1 \
  || { cat "$work/configure.log" >&2; fail "the template does not configure against the installed SDK"; }
# The template must not have found the SDK anywhere else (e.g. a build tree in the
# user package registry).
grep -q "JunctionSDK_DIR:PATH=$prefix/" "$work/template-build/CMakeCache.txt" \
  || fail "the template found the SDK outside $prefix: $(grep JunctionSDK_DIR "$work/template-build/CMakeCache.txt")"
"$cmake_bin" --build "$work/template-build" >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; fail "the template does not build against the installed SDK"; }
[[ -f "$work/template-build/libjunction_uppercase.so" ]] || fail "no libjunction_uppercase.so in the template build"

echo "== run the installed host"
# JUNCTION_PLUGIN_PATH is cleared so only --plugin-dir and the bundled folder count.
if ! env -u JUNCTION_PLUGIN_PATH "$prefix/bin/junction" --plugin-dir "$work/template-build" plugins list \
     >"$work/list.out" 2>"$work/list.err"; then
  cat "$work/list.out" "$work/list.err" >&2
  fail "installed junction plugins list exited non-zero"
fi
cat "$work/list.out"
if [[ -s "$work/list.err" ]]; then
  cat "$work/list.err" >&2
  fail "the installed host refused a plugin (stderr above)"
fi
grep -Eq "^uppercase +0\.1\.0 +experimental +translator +$work/template-build/libjunction_uppercase\.so$" "$work/list.out" \
  || fail "the template's plugin is not listed from $work/template-build"
for lib in "${bundled[@]}"; do
  grep -q " $bundled_dir/$lib\$" "$work/list.out" || fail "bundled $lib from $bundled_dir is not listed"
done

"$prefix/bin/junction" --plugin-dir "$work/template-build" plugins describe uppercase --json >"$work/describe.json" \
  || fail "plugins describe uppercase failed"
grep -q '"name":"fields"' "$work/describe.json" || fail "the template's option schema is not described"

echo "sdk_install_test: OK (uppercase + ${#bundled[@]} bundled: ${bundled[*]})"
