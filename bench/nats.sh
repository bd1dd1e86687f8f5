#!/usr/bin/env bash
# JetStream benchmarks (issue 13), on loopback only, nothing downloaded:
#  1. publish: the nats writer (junction::nats::NatsWriter through the SDK's test harness)
#     against the floor, a bare libnats js_PublishMsgAsync loop with the writer's settings
#     (bench/nats_publish.cpp), N messages of ~315 bytes in batches of 500; on a single
#     standalone server (R1), and on a three-node cluster with R1 and R3 streams.
#  2. pipeline: an R3 input stream preloaded with M messages, then 1, 2 and 3 `junction run`
#     daemons with the same config (bench/configs/nats_pipeline.json: nats reader on the
#     input's one durable consumer -> mapping -> nats writer to an R3 output stream), each
#     with its own state file and log; the time until the output stream holds M messages,
#     and the CPU seconds of every junction process and nats-server (/proc/<pid>/stat).
#
#   bench/nats.sh [--build DIR] [--count N] [--messages M] [--reps R] [--hosts "1 2 3"]
#                 [--rounds K] [--only publish|pipeline] [--work DIR] [--poll-ms MS]
#
#   --build DIR    DIR/bin/junction and DIR/bin/bench_nats_publish (default build/release);
#                  plugins: the binary's bundled folder, or JUNCTION_PLUGIN_PATH
#   --count N      messages per publish run (default 200000)
#   --messages M   messages through the pipeline (default 100000)
#   --reps R       publish runs per mode and stream (default 3, the median is reported)
#   --rounds K     pipeline: the host counts K times over (default 1), every run reported
#   --work DIR     keep servers' data and logs there (cleared first); default a temp folder,
#                  removed at the end
# Exit code 1 when a junction process exited non-zero (or crashed), a wait timed out, or
# the output stream did not hold exactly M messages; the tables are printed first.
# Every server and daemon it starts is killed on exit (by PID).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/release"
count=200000
messages=100000
reps=3
hosts_list="1 2 3"
only=""
work=""
poll_ms=100
rounds=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --hosts) hosts_list="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --poll-ms) poll_ms="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "nats.sh: unknown argument $1 (--help)" >&2; exit 2 ;;
  esac
done

junction="$build/bin/junction"
tool="$build/bin/bench_nats_publish"
server_bin=""
for p in /usr/sbin/nats-server /usr/bin/nats-server /usr/local/bin/nats-server; do
  [[ -x "$p" ]] && { server_bin="$p"; break; }
done
[[ -n "$server_bin" ]] || { echo "nats.sh: nats-server is not installed (scripts/setup.sh)" >&2; exit 1; }
[[ -x "$tool" ]] || { echo "nats.sh: $tool missing: cmake --build $build --target bench_nats_publish" >&2; exit 1; }
if [[ "$only" != "publish" && ! -x "$junction" ]]; then
  echo "nats.sh: $junction missing" >&2; exit 1
fi

keep_work=1
if [[ -z "$work" ]]; then
  work="$(mktemp -d /tmp/junction-nats-bench.XXXXXX)"
  keep_work=0
else
  mkdir -p "$work"
  rm -rf "${work:?}/cluster" "${work:?}/single" "${work:?}/pipeline"
fi

pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ $keep_work -eq 0 ]]; then rm -rf "${work:?}"; fi
}
trap cleanup EXIT
# A child reaped by `wait` is no longer ours: its PID may be reused, so the trap forgets it.
forget() {
  local x keep=()
  for x in "${pids[@]}"; do [[ "$x" != "$1" ]] && keep+=("$x"); done
  pids=("${keep[@]}")
}
trap 'exit 130' INT TERM

hz=$(getconf CLK_TCK)
# utime+stime of a process, in clock ticks (0 when it is gone).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
secs() { awk -v t="$1" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}'; }
median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

# Free loopback ports, all held at once so they differ.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_log() {  # file pattern seconds
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    if ((SECONDS > deadline)); then echo "nats.sh: no \"$2\" in $1 within $3 s:" >&2; tail -20 "$1" >&2; exit 1; fi
    sleep 0.05
  done
}

read -r -a ports <<<"$(free_ports 7)"
single_url="nats://127.0.0.1:${ports[6]}"
cluster_urls=()
server_pids=()
start_cluster() {
  local i j routes dir
  for i in 0 1 2; do
    routes=""
    for j in 0 1 2; do
      [[ $j -ne $i ]] && routes+="${routes:+,}nats://127.0.0.1:${ports[$((3 + j))]}"
    done
    dir="$work/cluster/n$((i + 1))"
    mkdir -p "$dir"
    "$server_bin" -a 127.0.0.1 -p "${ports[$i]}" -js -sd "$dir/data" --server_name "n$((i + 1))" \
      --cluster_name junction-bench --cluster "nats://127.0.0.1:${ports[$((3 + i))]}" --routes "$routes" \
      >"$dir/server.log" 2>&1 &
    pids+=($!)
    server_pids+=($!)
    cluster_urls+=("nats://127.0.0.1:${ports[$i]}")
  done
  for i in 1 2 3; do wait_log "$work/cluster/n$i/server.log" "Server is ready" 20; done
  local deadline=$((SECONDS + 30))
  until cat "$work"/cluster/n*/server.log | grep -q "metadata leader"; do
    if ((SECONDS > deadline)); then echo "nats.sh: the cluster elected no JetStream leader in 30 s" >&2; exit 1; fi
    sleep 0.05
  done
}
cluster_csv() { local IFS=,; echo "${cluster_urls[*]}"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM; $("$server_bin" --version 2>&1 | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"

start_cluster

# ---------------------------------------------------------------- publish
url_of() {  # server name -> its client URL
  case "$1" in
    n1) echo "${cluster_urls[0]}" ;; n2) echo "${cluster_urls[1]}" ;; n3) echo "${cluster_urls[2]}" ;;
    *) echo "$single_url" ;;
  esac
}
if [[ -z "$only" || "$only" == "publish" ]]; then
  mkdir -p "$work/single"
  "$server_bin" -a 127.0.0.1 -p "${ports[6]}" -js -sd "$work/single/data" --server_name s1 \
    >"$work/single/server.log" 2>&1 &
  single_pid=$!
  pids+=("$single_pid")
  wait_log "$work/single/server.log" "Server is ready" 20

  echo
  echo "publish: $count messages of ~315 bytes, batches of 500, max pending 4000, Nats-Msg-Id on each; median of $reps;"
  echo "the client connects to the stream leader's node; the stream is made once per row pair and purged between runs"
  printf '| %-26s | %-6s | %12s | %8s | %12s | %15s | %s |\n' "where" "mode" "msgs/s" "wall s" "client CPU s" "server(s) CPU s" "runs (msgs/s)"
  printf '|%s|%s|%s|%s|%s|%s|%s|\n' "---" "---" "---:" "---:" "---:" "---:" "---"
  for target in single-R1 cluster-R1 cluster-R3; do
    case "$target" in
      single-R1) all="$single_url"; replicas=1; watch=("$single_pid"); label="single server, R1" ;;
      cluster-R1) all="$(cluster_csv)"; replicas=1; watch=("${server_pids[@]}"); label="3-node cluster, R1" ;;
      cluster-R3) all="$(cluster_csv)"; replicas=3; watch=("${server_pids[@]}"); label="3-node cluster, R3" ;;
    esac
    leader="$("$tool" --servers "$all" --create-stream bench_pub --replicas "$replicas" | field leader)"
    [[ "$leader" == "-" || -z "$leader" ]] && leader=s1
    servers="$(url_of "$leader")"
    label+=" (leader $leader)"
    declare -A rates=() walls=() cpus=() scpus=()
    for ((r = 1; r <= reps; r++)); do
      for mode in floor writer; do
        before=0; for p in "${watch[@]}"; do before=$((before + $(ticks "$p"))); done
        line="$("$tool" --servers "$servers" --stream bench_pub --replicas "$replicas" --mode "$mode" --count "$count" --purge)" || {
          echo "nats.sh: publish run failed: $line" >&2; exit 1; }
        after=0; for p in "${watch[@]}"; do after=$((after + $(ticks "$p"))); done
        rates[$mode]+="$(field msgs_per_s <<<"$line") "
        walls[$mode]+="$(field seconds <<<"$line") "
        cpus[$mode]+="$(field cpu_s <<<"$line") "
        scpus[$mode]+="$(secs $((after - before))) "
      done
    done
    "$tool" --servers "$all" --delete-stream bench_pub
    for mode in floor writer; do
      m_rate=$(tr ' ' '\n' <<<"${rates[$mode]}" | grep . | median)
      m_wall=$(tr ' ' '\n' <<<"${walls[$mode]}" | grep . | median)
      m_cpu=$(tr ' ' '\n' <<<"${cpus[$mode]}" | grep . | median)
      m_scpu=$(tr ' ' '\n' <<<"${scpus[$mode]}" | grep . | median)
      printf '| %-26s | %-6s | %12s | %8s | %12s | %15s | %s |\n' "$label" "$mode" "$m_rate" "$m_wall" "$m_cpu" "$m_scpu" "${rates[$mode]% }"
    done
    unset rates walls cpus scpus
  done
  kill -TERM "$single_pid" 2>/dev/null || true
  wait "$single_pid" 2>/dev/null || true
  forget "$single_pid"
fi

# ---------------------------------------------------------------- pipeline
failures=0
if [[ -z "$only" || "$only" == "pipeline" ]]; then
  servers="$(cluster_csv)"
  config="$root/bench/configs/nats_pipeline.json"
  export BENCH_NATS_1="${cluster_urls[0]}" BENCH_NATS_2="${cluster_urls[1]}" BENCH_NATS_3="${cluster_urls[2]}"
  export BENCH_NATS_IN=bench_in BENCH_NATS_OUT=bench_out BENCH_NATS_REPLICAS=3 BENCH_POLL_MS="$poll_ms"
  echo
  echo "pipeline: $messages messages, nats (consumer relay of R3 stream bench_in) -> mapping -> nats (R3 stream bench_out), batch 500, poll_ms $poll_ms, $rounds round(s)"
  line="$("$tool" --servers "$servers" --stream bench_in --replicas 3 --mode floor --count "$messages" --keep)" || {
    echo "nats.sh: preloading bench_in failed: $line" >&2; exit 1; }
  echo "preloaded: $line"
  summary=()
  for ((round = 1; round <= rounds; round++)); do
  for hosts in $hosts_list; do
    # A new output stream and consumer, made as the plugin makes them, with their leaders
    # elected before the clock starts (else the first host to open creates them, and the
    # others' first publishes meet "no responders" until the R3 stream has a leader).
    "$tool" --servers "$servers" --setup-pipeline bench_in bench_out relay junction-deliveries --replicas 3
    dir="$work/pipeline/round$round-hosts$hosts"
    mkdir -p "$dir"
    s_before=(); for p in "${server_pids[@]}"; do s_before+=("$(ticks "$p")"); done
    jpids=()
    t0=$(date +%s%N)
    for ((h = 1; h <= hosts; h++)); do
      JUNCTION_STATE="$dir/host$h.state.db" "$junction" run "$config" >"$dir/host$h.log" 2>&1 &
      pids+=($!)
      jpids+=($!)
    done
    reached="$("$tool" --servers "$servers" --wait-stream bench_out --count "$messages" --since-ns "$t0" --timeout-s 600)" || {
      echo "nats.sh: $hosts host(s): $reached" >&2; failures=$((failures + 1)); }
    j_ticks=(); alive=()
    for p in "${jpids[@]}"; do
      if [[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" =~ ^[RSD]$ ]]; then alive+=(1); else alive+=(0); fi
      j_ticks+=("$(ticks "$p")")
    done
    s_ticks=(); for i in 0 1 2; do s_ticks+=($(($(ticks "${server_pids[$i]}") - ${s_before[$i]}))); done
    sleep 2  # acknowledgements land; a duplicate would show now
    out_count="$("$tool" --servers "$servers" --count-stream bench_out)"
    cinfo="$("$tool" --servers "$servers" --consumer-info bench_in relay)"
    for p in "${jpids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    exits=""
    for p in "${jpids[@]}"; do
      deadline=$((SECONDS + 30))
      while kill -0 "$p" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]]; do
        if ((SECONDS > deadline)); then echo "nats.sh: junction $p did not drain within 30 s: killed" >&2; kill -KILL "$p"; fi
        sleep 0.1
      done
      rc=0; wait "$p" 2>/dev/null || rc=$?
      forget "$p"
      exits+="${exits:+ }$rc"
      ((rc == 0)) || failures=$((failures + 1))
    done
    [[ "$out_count" == "$messages" ]] || failures=$((failures + 1))
    wall=$(field seconds <<<"$reached")
    first=$(field first_seconds <<<"$reached")
    jt=0; jlist=""
    for ((h = 0; h < hosts; h++)); do
      jt=$((jt + j_ticks[h]))
      if ((alive[h])); then jlist+="${jlist:+ + }$(secs "${j_ticks[$h]}")"; else jlist+="${jlist:+ + }died"; fi
    done
    st=$((s_ticks[0] + s_ticks[1] + s_ticks[2]))
    read_sum=0; written_sum=0; per_host=""
    for ((h = 1; h <= hosts; h++)); do
      # "run finished pipeline=nats-relay outcome=ok duration_ms=.. read=N written=N ..."
      r=$(awk '/run finished pipeline=nats-relay/ {for (i = 1; i <= NF; i++) if ($i ~ /^read=/) s += substr($i, 6)} END {print s + 0}' "$dir/host$h.log")
      w=$(awk '/run finished pipeline=nats-relay/ {for (i = 1; i <= NF; i++) if ($i ~ /^written=/) s += substr($i, 9)} END {print s + 0}' "$dir/host$h.log")
      read_sum=$((read_sum + r)); written_sum=$((written_sum + w)); per_host+="${per_host:+/}$w"
    done
    # Lines at WARN or ERROR, less the one every drain logs (SIGTERM received).
    problems=$(cat "$dir"/host*.log | grep -E '^[^ ]+ (WARN|ERROR)' | grep -vc 'received SIGTERM' || true)
    # Deliveries beyond the first of each message (the consumer's sequence counts them all).
    again=$(( $(field delivered_consumer_seq <<<"$cinfo") - $(field delivered_stream_seq <<<"$cinfo") ))
    rate=$(awk -v m="$messages" -v s="$wall" 'BEGIN {if (s > 0) printf "%.0f", m / s; else print "-"}')
    steady=$(awk -v m="$messages" -v s="$wall" -v f="$first" 'BEGIN {if (s > f && f != "") printf "%.0f", m / (s - f); else print "-"}')
    busy=$(awk -v j="$jt" -v s="$st" -v hz="$hz" -v w="$wall" -v n="$(nproc)" 'BEGIN {if (w > 0) printf "%.0f", 100 * (j + s) / hz / (w * n); else print "-"}')
    summary+=("$(printf '| %d | %d | %s | %s | %s | %s | %s (%s) | %s (%s + %s + %s) | %s%% | %s | %s / %s (%s) | %s | %s | %s |' \
      "$round" "$hosts" "$wall" "$first" "$rate" "$steady" "$(secs "$jt")" "$jlist" "$(secs "$st")" \
      "$(secs "${s_ticks[0]}")" "$(secs "${s_ticks[1]}")" "$(secs "${s_ticks[2]}")" "$busy" "$out_count" \
      "$read_sum" "$written_sum" "$per_host" "$again" "$problems" "$exits")")
    echo "round $round, hosts=$hosts: $reached; output $out_count; $cinfo; exits $exits; logs $dir"
    for ((h = 1; h <= hosts; h++)); do
      grep -E '^[^ ]+ (WARN|ERROR)' "$dir/host$h.log" | grep -v 'received SIGTERM' | head -5 | sed "s/^/  host$h: /" || true
    done
  done
  done
  echo
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "round" "hosts" "wall s to M" "first msg s" \
    "msgs/s" "msgs/s after first" "junction CPU s" "nats-servers CPU s (n1 + n2 + n3)" "of $(nproc) cores" "output msgs" \
    "read / written (per host)" "delivered again" "warn/error lines" "exit codes"
  printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---" "---:" "---:" "---"
  printf '%s\n' "${summary[@]}"
fi
if ((failures > 0)); then
  echo "nats.sh: $failures problem(s): a junction process exited non-zero, a wait timed out, or the output is not $messages messages (see above)" >&2
  exit 1
fi
