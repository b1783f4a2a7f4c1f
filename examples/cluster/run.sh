#!/usr/bin/env bash
# Three showcase instances on one Redis behind nginx: open http://127.0.0.1:8080/ in two browsers,
# or `curl 127.0.0.1:8080/api/_health` a few times. Ctrl-C stops everything.
#   examples/cluster/run.sh [path/to/showcase]   (default: build/examples/showcase/showcase)
# Needs redis-server and nginx (Debian: redis-server nginx-light).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
showcase=${1:-$here/../../build/examples/showcase/showcase}
run=$(mktemp -d)
mkdir -p "$run/tmp"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$run"; }
trap cleanup EXIT INT TERM

redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no --loglevel warning &
pids+=($!)
until redis-cli -p 6390 ping >/dev/null 2>&1; do sleep 0.1; done
for port in 8081 8082 8083; do
  "$showcase" --port "$port" --redis redis://127.0.0.1:6390 &
  pids+=($!)
done
nginx -p "$run" -c "$here/nginx.conf" -g 'daemon off;' &
pids+=($!)
echo "cluster: http://127.0.0.1:8080/ (instances on 8081-8083, Redis on 6390)" >&2
wait -n
