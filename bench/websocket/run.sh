#!/usr/bin/env bash
# Side-by-side WebSocket benchmark, loopback only. Servers, all started here on free ports, each with
# an echo at any path and a broadcast room at its room path:
#   sb      bench_ws_sb: handler modules on sb::server, one I/O thread per core (sb_server.cpp)
#   beast   bench_ws_beast: Boost.Beast, 2 threads (beast_server.cpp)
#   wspp    bench_ws_wspp: WebSocket++ 0.8.2, 2 threads (wspp_server.cpp), when it was built
#   ws      npm ws on Node.js, one thread (ws_server.mjs), when node and tests/e2e/node_modules are there
# Rows: echo of 64 B, 1 KiB and 64 KiB text messages over one connection ping-pong (1 in flight) and
# over 8 connections with 16 in flight each; the servers run interleaved (A B C D, twice) and each cell
# is the mean of the two. Then the fan-out: one message broadcast to 10,000 connections of a room, time
# until the last one has it (median of 5 rounds per server).
#   bench/websocket/run.sh BUILD_DIR [SECONDS]     (SECONDS per run, default 3)
# Builds its targets in BUILD_DIR first (they are not part of `all`).
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}; secs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
fanout_conns=${FANOUT_CONNECTIONS:-10000}
targets=(bench_ws_client bench_ws_sb bench_ws_beast)
grep -q "bench_ws_wspp" <(cmake --build "$build" --target help 2>/dev/null) && targets+=(bench_ws_wspp)
cmake --build "$build" -j2 --target "${targets[@]}" >/dev/null
client=$build/bench/websocket/bench_ws_client

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {  # port
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done
  echo "run.sh: no server on port $1"; exit 1
}

names=(sb beast)
declare -A srv_port srv_pid room_path
start() {  # name, room path, command...
  local name=$1 room=$2; shift 2
  local p; p=$(port)
  "$@" --port "$p" >"$tmp/$name.log" 2>&1 & pids+=($!)
  srv_port[$name]=$p; srv_pid[$name]=$!; room_path[$name]=$room
}
start sb /ws/bench/room "$build/bench/websocket/bench_ws_sb" --host 127.0.0.1
start beast /room "$build/bench/websocket/bench_ws_beast" --host 127.0.0.1 --threads 2
if [[ -x $build/bench/websocket/bench_ws_wspp ]]; then
  names+=(wspp); start wspp /room "$build/bench/websocket/bench_ws_wspp" --host 127.0.0.1 --threads 2
else
  echo "(WebSocket++ not built: install libwebsocketpp-dev and configure again)"
fi
node_modules=$here/../../tests/e2e/node_modules
if command -v node >/dev/null && [[ -d $node_modules/ws ]]; then
  # An ES module finds packages next to itself only: it runs from $tmp, next to a link to them.
  cp "$here/ws_server.mjs" "$tmp/" && ln -s "$(cd "$node_modules" && pwd)" "$tmp/node_modules"
  names+=(ws); start ws /room node "$tmp/ws_server.mjs" --host 127.0.0.1
else
  echo "(npm ws not found: run 'npm ci' in tests/e2e for it)"
fi
for n in "${names[@]}"; do wait_up "${srv_port[$n]}"; done

# utime + stime of a process, in clock ticks.
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

declare -A cpu_ticks cpu_msgs
row() {  # label, conns, inflight, size
  local label=$1 c=$2 k=$3 size=$4 rep n
  declare -A rate p50 p99
  for n in "${names[@]}"; do rate[$n]=0; p50[$n]=0; p99[$n]=0; done
  for rep in 1 2; do
    for n in "${names[@]}"; do
      local t0 t1 out
      t0=$(ticks "${srv_pid[$n]}")
      out=$("$client" echo --port "${srv_port[$n]}" --path /echo --conns "$c" --inflight "$k" --size "$size" --seconds "$secs")
      t1=$(ticks "${srv_pid[$n]}")
      rate[$n]=$(awk -v a="${rate[$n]}" -v b="$(field "$out" round_trips_per_s)" 'BEGIN { print a + b / 2 }')
      p50[$n]=$(awk -v a="${p50[$n]}" -v b="$(field "$out" p50_us)" 'BEGIN { print a + b / 2 }')
      p99[$n]=$(awk -v a="${p99[$n]}" -v b="$(field "$out" p99_us)" 'BEGIN { print a + b / 2 }')
      cpu_ticks[$label.$n]=$(( ${cpu_ticks[$label.$n]:-0} + t1 - t0 ))
      cpu_msgs[$label.$n]=$(( ${cpu_msgs[$label.$n]:-0} + $(field "$out" messages) ))
    done
  done
  local line
  line=$(printf "%-18s" "$label")
  for n in "${names[@]}"; do line+=$(printf "%9.0f %6.0f %7.0f " "${rate[$n]}" "${p50[$n]}" "${p99[$n]}"); done
  for n in "${names[@]:1}"; do
    line+=$(awk -v a="${rate[sb]}" -v b="${rate[$n]}" 'BEGIN { if (b > 0) printf "%8.2f", a / b; else printf "%8s", "-" }')
  done
  echo "$line"
}

labels=()
echo "== echo: round trips/s, p50 and p99 round-trip latency in µs (${secs}s per run, servers interleaved, mean of 2)"
head=$(printf "%-18s" workload)
for n in "${names[@]}"; do head+=$(printf "%9s %6s %7s " "$n rt/s" p50 p99); done
for n in "${names[@]:1}"; do head+=$(printf "%8s" "sb/$n"); done
echo "$head"
for size in 64 1024 65536; do
  labels+=("1x1 ${size}B"); row "1x1 ${size}B" 1 1 "$size"
  labels+=("8x16 ${size}B"); row "8x16 ${size}B" 8 16 "$size"
done

echo
echo "== server CPU-seconds per million messages echoed (utime+stime from /proc/PID/stat over both runs of a row)"
head=$(printf "%-18s" workload); for n in "${names[@]}"; do head+=$(printf "%10s" "$n"); done
[[ " ${names[*]} " == *" wspp "* ]] && head+=$(printf "%10s" "sb/wspp")
echo "$head"
for l in "${labels[@]}"; do
  line=$(printf "%-18s" "$l")
  for n in "${names[@]}"; do
    line+=$(awk -v t="${cpu_ticks[$l.$n]}" -v r="${cpu_msgs[$l.$n]}" -v hz="$hz" \
      'BEGIN { if (r > 0) printf "%10.2f", t / hz / r * 1e6; else printf "%10s", "-" }')
  done
  if [[ " ${names[*]} " == *" wspp "* ]]; then
    line+=$(awk -v a="${cpu_ticks[$l.sb]}" -v am="${cpu_msgs[$l.sb]}" -v b="${cpu_ticks[$l.wspp]}" -v bm="${cpu_msgs[$l.wspp]}" \
      'BEGIN { if (b > 0 && am > 0 && bm > 0) printf "%10.2f", (a / am) / (b / bm); else printf "%10s", "-" }')
  fi
  echo "$line"
done

echo
echo "== fan-out: one 64 B message broadcast to $fanout_conns connections of a room, µs until the last has it"
for n in "${names[@]}"; do
  out=$("$client" fanout --port "${srv_port[$n]}" --path "${room_path[$n]}" --conns "$fanout_conns" --size 64 --rounds 5)
  printf "%-8s median %9s µs   rounds %s\n" "$n" "$(field "$out" median_us)" "$(field "$out" rounds_us)"
done
