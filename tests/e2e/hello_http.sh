#!/usr/bin/env bash
# Drives examples/hello_http with curl: success, binding errors, 404, 405, 415, and a clean SIGTERM.
set -euo pipefail
server=$1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$server" --port "$port" 2>server.log &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -s "$base/api/_describe" >/dev/null && break; sleep 0.05; done
failures=0; passes=0
check() {  # name expected_status expected_body curl-args...
  local name=$1 status=$2 body=$3; shift 3
  local out code
  out=$(curl -s -o /dev/stdout -w '\n%{http_code}' "$@")
  code=${out##*$'\n'}; out=${out%$'\n'*}
  if [[ "$code" == "$status" && "$out" == *"$body"* ]]; then passes=$((passes+1))
  else echo "FAIL $name: got $code $out, want $status containing $body"; failures=$((failures+1)); fi
}
check "query by field name" 200 '"Hello, Ada (Countess)!"' "$base/api/greet/hello?name=Ada&nickname=Countess"
check "percent-decoding" 200 '"Hello, Ada Lovelace!"' "$base/api/greet/hello?name=Ada%20Lovelace"
check "json object" 200 '5.0' -H 'Content-Type: application/json' -d '{"a":2,"b":3}' "$base/api/tools/add"
check "json array" 200 '6.0' -H 'Content-Type: application/json' -d '[2,3]' "$base/api/tools/multiply"
check "form body" 200 '5.5' -d 'a=2.5&b=3' "$base/api/tools/add"
check "bad argument names it" 400 '"where":"params[1] (\"b\")"' -H 'Content-Type: application/json' -d '{"a":2,"b":"x"}' "$base/api/tools/add"
check "bad json says where" 400 '"kind":"invalid_argument"' -H 'Content-Type: application/json' -d '{"a":2,' "$base/api/tools/add"
check "missing argument" 400 'missing required parameter' "$base/api/tools/add?a=1"
check "unknown endpoint" 404 '"kind":"not_found"' "$base/api/tools/nope"
check "method not allowed" 405 '"kind":"method_not_allowed"' -X DELETE "$base/api/tools/add"
check "unsupported media type" 415 '"kind":"unsupported_media_type"' -H 'Content-Type: text/csv' -d 'a,b' "$base/api/tools/add"
check "describe" 200 '"name":"greet"' "$base/api/_describe"
kill -TERM $pid
wait $pid && passes=$((passes+1)) || { echo "FAIL exit status after SIGTERM"; failures=$((failures+1)); }
trap - EXIT
echo "hello_http: $passes passed, $failures failed"
((failures == 0))
