#!/usr/bin/env bash
# Side-by-side HTTP benchmark, one run: switchboard (showcase) vs bare cpp-httplib on GET /api/tools/add.
#   bench/http/run.sh BUILD_DIR [SECONDS]
# Needs wrk and h2load (Debian: wrk, nghttp2-client), node for the SSE load. Loopback only.
set -euo pipefail
build=${1:?build dir}; secs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return; sleep 0.05; done; echo "no server at $1"; exit 1; }

sp=$(port); "$build/examples/showcase/showcase" --port "$sp" 2>/dev/null & pids+=($!)
bp=$(port); "$build/bench/http/bench_http_bare" --port "$bp" 2>/dev/null & pids+=($!)
b64=$(port); "$build/bench/http/bench_http_bare" --port "$b64" --threads 64 2>/dev/null & pids+=($!)
path="/api/tools/add?a=2&b=3"
for p in $sp $bp $b64; do wait_up "http://127.0.0.1:$p$path"; done

rps() { wrk -t2 -c"$2" -d"${secs}s" --latency "http://127.0.0.1:$1$path" | awk '/Requests\/sec/ {print $2}'; }
echo "== throughput (wrk -t2, keep-alive, ${secs}s each, interleaved)"
for c in 8 64; do
  s1=$(rps "$sp" "$c"); b1=$(rps "$bp" "$c"); s2=$(rps "$sp" "$c"); b2=$(rps "$bp" "$c")
  s=$(echo "($s1+$s2)/2" | bc -l); b=$(echo "($b1+$b2)/2" | bc -l)
  printf "c=%-3s switchboard %9.0f req/s   bare cpp-httplib (8 threads) %9.0f req/s   ratio %.2f\n" "$c" "$s" "$b" "$(echo "$s/$b" | bc -l)"
done
c64=$(rps "$b64" 64); printf "c=64  bare cpp-httplib with 64 threads %9.0f req/s\n" "$c64"

echo "== fairness at 64 connections (h2load --h1, 20000 requests): per-client req/s min / max"
fair() {
  h2load --h1 -c64 -n20000 "http://127.0.0.1:$1$path" 2>/dev/null | awk '/req\/s/ && /min/ {next} /^req\/s/ {printf "min %s max %s -> min/max %.2f\n", $3, $4, ($4>0)?$3/$4:0}'
}
printf "switchboard:                  "; fair "$sp"
printf "bare cpp-httplib (8 threads): "; fair "$bp"

echo "== SSE: /api p99 latency idle vs with 1000 open streams (wrk -c8)"
p99() { wrk -t2 -c8 -d"${secs}s" --latency "http://127.0.0.1:$sp$path" | awk '/ 99%/ {print $2}'; }
idle=$(p99)
# Mostly idle streams (a value every 5 s, heartbeats), as dashboards and progress views hold them.
node "$here/open_streams.mjs" "http://127.0.0.1:$sp/sse/progress/count?n=100000&delay_ms=5000" 1000 "$((secs * 2 + 20))" &
streams=$!; pids+=($streams)
sleep 10  # let all 1000 connect before measuring
loaded=$(p99)
echo "p99 idle $idle   p99 with 1000 streams $loaded"
kill $streams 2>/dev/null || true
