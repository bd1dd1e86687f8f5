# A NATS cluster with JetStream on loopback, for the examples and benchmarks: sourced
# after `set -euo pipefail`, with $work a folder of its own and the `pids` array and
# its EXIT trap of scripts/lib/example.sh (or their like).
#   start_nats_cluster N   N nats-server processes (N >= 1; 3 survives the loss of one),
#                          client and route ports free on 127.0.0.1, data and logs in
#                          $work/nats/nN; waits for its JetStream leader; sets
#                          $nats_servers ("nats://127.0.0.1:P1,nats://...") and
#                          nats_pids (node i's pid at index i-1)
#   kill_nats_node I       SIGKILLs node I (1-based)

nats_server_bin() {
  local p
  for p in /usr/sbin/nats-server /usr/bin/nats-server /usr/local/bin/nats-server; do
    [[ -x $p ]] && { echo "$p"; return; }
  done
  echo "nats-server is not installed: run scripts/setup.sh" >&2
  return 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_nats_cluster() {
  local n="$1" bin i j routes client_ports=() route_ports=()
  bin="$(nats_server_bin)"
  for ((i = 1; i <= n; i++)); do client_ports+=("$(free_port)"); route_ports+=("$(free_port)"); done
  nats_servers="" nats_pids=()
  for ((i = 1; i <= n; i++)); do
    local dir="$work/nats/n$i"
    mkdir -p "$dir"
    local args=(-a 127.0.0.1 -p "${client_ports[i - 1]}" -js -sd "$dir/data" --server_name "n$i")
    if ((n > 1)); then
      routes=""
      for ((j = 1; j <= n; j++)); do
        ((j == i)) || routes+="${routes:+,}nats://127.0.0.1:${route_ports[j - 1]}"
      done
      args+=(--cluster_name junction --cluster "nats://127.0.0.1:${route_ports[i - 1]}" --routes "$routes")
    fi
    "$bin" "${args[@]}" >"$dir/server.log" 2>&1 &
    pids+=("$!")
    nats_pids+=("$!")
    nats_servers+="${nats_servers:+,}nats://127.0.0.1:${client_ports[i - 1]}"
  done
  local want="Server is ready"
  ((n > 1)) && want="metadata leader"
  for _ in $(seq 300); do
    cat "$work"/nats/n*/server.log 2>/dev/null | grep -q "$want" && return 0
    sleep 0.1
  done
  echo "the NATS cluster did not start; its logs:" >&2
  tail -n 20 "$work"/nats/n*/server.log >&2
  return 1
}

kill_nats_node() { kill -KILL "${nats_pids[$1 - 1]}" 2>/dev/null || true; }
