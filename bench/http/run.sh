#!/usr/bin/env bash
# Side-by-side HTTP benchmark, loopback only. Servers, all started here on free ports:
#   sb      showcase on sb::server (the default)
#   httplib showcase --httplib
#   beast   bench_http_beast: bare Boost.Beast, 2 io threads, same work (beast_peer.cpp)
#   epoll   bench_http_epoll: fixed "5.0" for every request head, 2 threads (epoll_ceiling.cpp), the ceiling
#   drogon  optional, with DROGON_ROOT=ROOT: drogon_peer.cpp, 2 threads, run in the Debian 13 chroot ROOT
#           where drogon_chroot.sh ROOT built it
# Workloads: GET /api/tools/add?a=2&b=3, POST /api/tools/add [2,3], a 1 KiB static file, at 1/8/64/512
# keep-alive connections, and GET pipelined 16 deep at 64 connections. Each row runs the servers
# interleaved (A B C D, twice) and averages. Then h2load fairness at 512 clients, then (with node) the
# SSE latency check.
#   [DROGON_ROOT=/var/tmp/trixie] bench/http/run.sh BUILD_DIR [SECONDS]     (SECONDS per wrk run, default 5)
# Needs wrk and h2load (Debian: wrk, nghttp2-client), curl, python3; node for the SSE part.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}; secs=${2:-${SECONDS_PER_RUN:-5}}
here=$(cd "$(dirname "$0")" && pwd)
for tool in wrk h2load curl python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (Debian: apt-get install wrk nghttp2-client curl python3)"; exit 1; }
done
showcase=$build/examples/showcase/showcase; beast=$build/bench/http/bench_http_beast; epoll=$build/bench/http/bench_http_epoll
for bin in "$showcase" "$beast" "$epoll"; do
  [[ -x $bin ]] || { echo "run.sh: $bin missing; build targets showcase bench_http_beast bench_http_epoll"; exit 1; }
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
  for _ in $(seq 200); do curl -s -o /dev/null --max-time 1 "$1" && return; sleep 0.05; done
  echo "run.sh: no server at $1"; exit 1
}

# The 1 KiB static file and the wrk scripts.
mkdir -p "$tmp/public"
python3 -c 'import sys; sys.stdout.write(("0123456789abcdef" * 64)[:1023] + "\n")' > "$tmp/public/file1k.html"
cat > "$tmp/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = "[2,3]"
wrk.headers["Content-Type"] = "application/json"
EOF
cat > "$tmp/pipeline.lua" <<'EOF'
local depth = 16
init = function(args)
  local parts = {}
  for i = 1, depth do parts[i] = wrk.format("GET", "/api/tools/add?a=2&b=3") end
  batch = table.concat(parts)
end
request = function() return batch end
EOF

names=(sb httplib beast epoll)
drogon_root=${DROGON_ROOT:-}
if [[ -n $drogon_root ]]; then
  [[ -x $drogon_root/opt/sb-bench/drogon_peer ]] || { echo "run.sh: no drogon_peer in $drogon_root (run bench/http/drogon_chroot.sh $drogon_root)"; exit 1; }
  names+=(drogon)
fi
declare -A srv_port srv_pid
start() {  # name, command...
  local name=$1; shift
  local p; p=$(port)
  "$@" --port "$p" >"$tmp/$name.log" 2>&1 & pids+=($!)
  srv_port[$name]=$p; srv_pid[$name]=$!
}
start sb "$showcase" --host 127.0.0.1 --static "$tmp/public"
start httplib "$showcase" --host 127.0.0.1 --static "$tmp/public" --httplib
start beast "$beast" --host 127.0.0.1 --static "$tmp/public" --threads 2
start epoll "$epoll" --host 127.0.0.1 --threads 2
if [[ -n $drogon_root ]]; then  # the chroot sees its own tree only: the static file goes in there
  mkdir -p "$drogon_root/opt/sb-bench/public"
  cp "$tmp/public/file1k.html" "$drogon_root/opt/sb-bench/public/"
  start drogon chroot "$drogon_root" /opt/sb-bench/drogon_peer --host 127.0.0.1 --static /opt/sb-bench/public --threads 2
fi
for n in "${names[@]}"; do wait_up "http://127.0.0.1:${srv_port[$n]}/api/tools/add?a=2&b=3"; done
for n in "${names[@]}"; do  # the same answers before measuring them (epoll answers 5.0 to everything)
  [[ $n == epoll ]] && continue
  got=$(curl -s "http://127.0.0.1:${srv_port[$n]}/api/tools/add?a=2&b=3")
  [[ $got == 5.0 ]] || { echo "run.sh: $n answered GET with '$got'"; exit 1; }
  got=$(curl -s -X POST -H 'Content-Type: application/json' -d '[2,3]' "http://127.0.0.1:${srv_port[$n]}/api/tools/add")
  [[ $got == 5.0 ]] || { echo "run.sh: $n answered POST with '$got'"; exit 1; }
  got=$(curl -s "http://127.0.0.1:${srv_port[$n]}/file1k.html" | wc -c)
  [[ $got == 1024 ]] || { echo "run.sh: $n served $got bytes for the static file"; exit 1; }
done

# utime + stime of a process, in clock ticks.
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# One wrk run: prints "req/s requests errors".
run_wrk() {  # name, connections, path, [lua]
  local url="http://127.0.0.1:${srv_port[$1]}$3" threads=2 args=()
  (( $2 < 2 )) && threads=1
  [[ -n ${4:-} ]] && args=(-s "$4")
  wrk -t"$threads" -c"$2" -d"${secs}s" --timeout 5s "${args[@]}" "$url" 2>&1 | awk '
    /Requests\/sec/ { rps = $2 }
    / requests in / { reqs = $1 }
    /Socket errors/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    /Non-2xx/ { err += $NF }
    END { printf "%s %s %d\n", rps + 0, reqs + 0, err }'
}

declare -A cpu_ticks cpu_reqs
row() {  # label, connections, path, [lua]
  local label=$1 c=$2 path=$3 lua=${4:-} rep n
  declare -A sum errs
  for n in "${names[@]}"; do sum[$n]=0; errs[$n]=0; done
  for rep in 1 2; do
    for n in "${names[@]}"; do
      local t0 t1 out rps reqs err
      t0=$(ticks "${srv_pid[$n]}")
      out=$(run_wrk "$n" "$c" "$path" "$lua"); read -r rps reqs err <<<"$out"
      t1=$(ticks "${srv_pid[$n]}")
      sum[$n]=$(awk -v a="${sum[$n]}" -v b="$rps" 'BEGIN { print a + b }')
      errs[$n]=$(( ${errs[$n]} + err ))
      cpu_ticks[$label.$n]=$(( ${cpu_ticks[$label.$n]:-0} + t1 - t0 ))
      cpu_reqs[$label.$n]=$(( ${cpu_reqs[$label.$n]:-0} + reqs ))
    done
  done
  local cells="" n2 avg
  declare -A mean
  for n in "${names[@]}"; do
    avg=$(awk -v s="${sum[$n]}" 'BEGIN { printf "%.0f", s / 2 }')
    mean[$n]=$avg
    mark=" "; (( ${errs[$n]} > 0 )) && mark="*"
    cells+=$(printf "%10s%s" "$avg" "$mark")
  done
  for n2 in "${names[@]:1}"; do
    cells+=$(awk -v a="${mean[sb]}" -v b="${mean[$n2]}" 'BEGIN { if (b > 0) printf "%9.2f", a / b; else printf "%9s", "-" }')
  done
  printf "%-16s%s\n" "$label" "$cells"
  for n in "${names[@]}"; do (( ${errs[$n]} > 0 )) && echo "    * $n: ${errs[$n]} socket errors or non-2xx answers" || true; done
}

get="/api/tools/add?a=2&b=3"
labels=()
echo "== throughput, req/s (wrk -t2, keep-alive, ${secs}s per run, servers interleaved, mean of 2; c=1 uses -t1)"
head=$(printf "%-16s%11s" workload sb::server); for n in "${names[@]:1}"; do head+=$(printf "%11s" "$n"); done
for n in "${names[@]:1}"; do head+=$(printf "%9s" "sb/${n:0:5}"); done
echo "$head"
for c in 1 8 64 512; do labels+=("GET c=$c"); row "GET c=$c" "$c" "$get"; done
for c in 1 8 64 512; do labels+=("POST c=$c"); row "POST c=$c" "$c" /api/tools/add "$tmp/post.lua"; done
for c in 1 8 64 512; do labels+=("static c=$c"); row "static c=$c" "$c" /file1k.html; done
labels+=("GET pipe16 c=64"); row "GET pipe16 c=64" 64 "$get" "$tmp/pipeline.lua"
echo "(epoll answers every request, the static file and POST included, with the fixed 3-byte 5.0: a ceiling, not a peer)"

echo
echo "== server CPU-seconds per million requests (utime+stime from /proc/PID/stat over both runs of a row)"
cpu_names=(sb beast httplib); [[ -n $drogon_root ]] && cpu_names+=(drogon)
head=$(printf "%-16s" workload); for n in "${cpu_names[@]}"; do head+=$(printf "%11s" "${n/#sb/sb::server}"); done
echo "$head"
for l in "${labels[@]}"; do
  line=$(printf "%-16s" "$l")
  for n in "${cpu_names[@]}"; do
    line+=$(awk -v t="${cpu_ticks[$l.$n]}" -v r="${cpu_reqs[$l.$n]}" -v hz="$hz" \
      'BEGIN { if (r > 0) printf "%11.2f", t / hz / r * 1e6; else printf "%11s", "-" }')
  done
  echo "$line"
done

echo
echo "== fairness: h2load --h1 -t2 -c512 -D ${secs}s, GET; per-client req/s min / max"
fair() {
  h2load --h1 -t2 -c512 -D "$secs" "http://127.0.0.1:${srv_port[$1]}$get" 2>/dev/null | awk '
    /^requests:/ { done = $8 }
    /^req\/s/ { printf "min %8.1f  max %8.1f  mean %8.1f  min/max %.2f   (%s requests done)\n", $3, $4, $5, ($4 > 0) ? $3 / $4 : 0, done }'
}
for n in sb beast ${drogon_root:+drogon}; do printf "%-11s" "$n:"; fair "$n"; done

if command -v node >/dev/null; then
  echo
  echo "== SSE on sb::server: /api p99 latency idle vs with 1000 open streams (wrk -c8)"
  p99() { wrk -t2 -c8 -d"${secs}s" --latency "http://127.0.0.1:${srv_port[sb]}$get" | awk '/ 99%/ {print $2}'; }
  idle=$(p99)
  # Mostly idle streams (a value every 5 s, heartbeats), as dashboards and progress views hold them.
  # progress.count is a coroutine: on sb::server its streams hold no thread between values.
  node "$here/open_streams.mjs" "http://127.0.0.1:${srv_port[sb]}/sse/progress/count?n=10000&delay_ms=5000" 1000 "$((secs * 2 + 60))" &
  streams=$!; pids+=($streams)
  open_now() { curl -s "http://127.0.0.1:${srv_port[sb]}/api/demo/streams" | sed 's/.*"open":\([0-9]*\).*/\1/'; }
  for _ in $(seq 600); do [[ "$(open_now)" -ge 1000 ]] && break; sleep 0.1; done
  echo "streams open on the server: $(open_now)"
  loaded=$(p99)
  echo "p99 idle $idle   p99 with 1000 streams $loaded   (still open: $(open_now))"
  kill "$streams" 2>/dev/null || true
else
  echo "(node not found: SSE latency check skipped)"
fi
