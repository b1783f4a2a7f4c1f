#!/usr/bin/env bash
# Drives examples/hello_http with curl: success, binding errors, 404, 405, 415, and a clean SIGTERM.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
SERVER_LOG=$work/server.log start_server "$1"
json=(-H 'Content-Type: application/json')
check "query by field name" 200 '"Hello, Ada (Countess)!"' "$base/api/greet/hello?name=Ada&nickname=Countess"
check "percent-decoding" 200 '"Hello, Ada Lovelace!"' "$base/api/greet/hello?name=Ada%20Lovelace"
check "json object" 200 '5.0' "${json[@]}" -d '{"a":2,"b":3}' "$base/api/tools/add"
check "json array" 200 '6.0' "${json[@]}" -d '[2,3]' "$base/api/tools/multiply"
check "form body" 200 '5.5' -d 'a=2.5&b=3' "$base/api/tools/add"
check "bad argument names it" 400 '"where":"params[1] (\"b\")"' "${json[@]}" -d '{"a":2,"b":"x"}' "$base/api/tools/add"
check "bad json says where" 400 '"kind":"invalid_argument"' "${json[@]}" -d '{"a":2,' "$base/api/tools/add"
check "missing argument" 400 'missing required parameter' "$base/api/tools/add?a=1"
check "unknown endpoint" 404 '"kind":"not_found"' "$base/api/tools/nope"
check "method not allowed" 405 '"kind":"method_not_allowed"' -X DELETE "$base/api/tools/add"
check "unsupported media type" 415 '"kind":"unsupported_media_type"' -H 'Content-Type: text/csv' -d 'a,b' "$base/api/tools/add"
check "describe" 200 '"name":"greet"' "$base/api/_describe"
stop_server
trap 'rm -rf "$work"' EXIT
summary hello_http
