# Shared by the example scripts (scripts/example-*.sh), sourced after `set -euo pipefail`
# with $root set to the checkout and the working directory there:
#   example_build "what" TARGET...  set up and build the host and those plugins, unless
#                                   JUNCTION_BIN names a built host (the tests set it);
#                                   sets $junction
#   example_workdir DEFAULT         $work: EXAMPLE_DIR or DEFAULT, emptied
#   start_server NAME SCRIPT ARGS   a node fake of tests/servers on a free loopback port
#                                   (in $work/NAME.port; its log $work/NAME.log), stopped
#                                   when the script exits
#   call METHOD URL                 the body of a call (the fakes' control endpoints)
#   start_junction CONFIG PORT_FILE [LOG]
#                                   the daemon (`junction run CONFIG`, its log LOG or
#                                   $work/junction.log) until it serves; sets $api to its
#                                   URL and $junction_pid; stopped when the script exits

example_build() {
  local what="$1"
  shift
  if [[ -z "${JUNCTION_BIN:-}" ]]; then
    JUNCTION_SKIP_NPM=1 ./scripts/setup.sh   # the fakes are plain node: no npm package needed
    echo "== building the host and the $what plugins (build/release; the first time takes a few minutes)"
    cmake --preset release >/dev/null
    cmake --build --preset release --target junction "$@" >/dev/null
    JUNCTION_BIN="$root/build/release/bin/junction"
  fi
  junction="$JUNCTION_BIN"
}

example_workdir() {
  work="${EXAMPLE_DIR:-$1}"
  rm -rf "$work"
  mkdir -p "$work"
}

pids=()
stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_servers EXIT

start_server() {
  local name="$1" script="$2"
  shift 2
  node "tests/servers/$script" --port 0 --port-file "$work/$name.port" "$@" >"$work/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 100); do
    [[ -s "$work/$name.port" ]] && return 0
    sleep 0.05
  done
  echo "example: the fake $name did not start; its log:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

call() { node -e 'fetch(process.argv[2], {method: process.argv[1]}).then(r => r.text()).then(t => console.log(t))' "$1" "$2"; }

start_junction() {
  local config="$1" port_file="$2" log="${3:-$work/junction.log}"
  "$junction" ${JUNCTION_EXAMPLE_ARGS:-} run "$config" >"$log" 2>&1 &
  junction_pid=$!
  pids=("$!" "${pids[@]}")
  for _ in $(seq 200); do
    [[ -s "$port_file" ]] && break
    sleep 0.05
  done
  if [[ ! -s "$port_file" ]]; then
    echo "example: junction did not start serving; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  api="http://127.0.0.1:$(cat "$port_file")"
}
