#!/usr/bin/env bash
# Cross-instance broadcast, end to end: switchboard (two showcase instances with --redis) against
# Socket.IO 4 with @socket.io/redis-adapter (two Node instances), on one redis-server, measured by the
# same Node load client (fanout_client.mjs): N subscribers on instance B, a publisher on A.
#   bench/redis/run.sh BUILD_DIR     (npm ci in bench/redis first; needs redis-server)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
cd "$here"
[[ -d node_modules ]] || npm ci --no-audit --no-fund >/dev/null
port() { python3 -c 'import random; print(random.randint(20000, 31999))'; }
redis_port=$(port)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >/dev/null &
pids+=($!)
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done
wait_up() { for _ in $(seq 200); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }
sb_a=$(port); sb_b=$(port); io_a=$(port); io_b=$(port)
for p in $sb_a $sb_b; do
  "$build/examples/showcase/showcase" --port "$p" --redis "redis://127.0.0.1:$redis_port" 2>/dev/null &
  pids+=($!)
done
for p in $io_a $io_b; do
  node socketio_server.mjs "$p" "redis://127.0.0.1:$redis_port" 2>/dev/null &
  pids+=($!)
done
for p in $sb_a $sb_b $io_a $io_b; do wait_up "$p"; done
# subscribers, messages flat out, messages paced, pace (per second)
scenarios=("1 20000 2000 1000" "1000 200 200 20")
echo "| server | subscribers | messages/s flat out | p50 µs | p99 µs (paced) |"
echo "|---|---|---|---|---|"
for scenario in "${scenarios[@]}"; do
  read -r n flat paced pace <<<"$scenario"
  for kind in sb socketio; do
    if [[ $kind == sb ]]; then a=$sb_a; b=$sb_b; else a=$io_a; b=$io_b; fi
    fast=$(node fanout_client.mjs "$kind" "$a" "$b" "$n" "$flat" 0)
    slow=$(node fanout_client.mjs "$kind" "$a" "$b" "$n" "$paced" "$pace")
    python3 - "$kind" "$n" "$fast" "$slow" <<'PY'
import json, sys
kind, n, fast, slow = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
name = "switchboard (showcase)" if kind == "sb" else "Socket.IO 4.8.4"
print(f"| {name} | {n} | {fast.get('per_second', fast.get('error'))} | {slow.get('p50_us', '-')} | {slow.get('p99_us', slow.get('error'))} |")
PY
  done
done
