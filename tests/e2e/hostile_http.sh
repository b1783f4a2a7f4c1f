#!/usr/bin/env bash
# A hostile client against the showcase (either server): escapes and invalid UTF-8 in
# every place, bodies and headers past the limits, Range on API answers, forged Last-Event-IDs,
# sessions that must not pile up, CORS with "*", collected streams left behind, and SIGTERM while
# they run. Each check here failed before the hardening that it covers.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
showcase=("$@")  # the binary and the flags choosing its server
work=$(mktemp -d)
SERVER_LOG="$work/server.log"
start_server "${showcase[@]}" || exit 1
json=(-H 'Content-Type: application/json')

# Escaped strings reach std::string_view parameters.
check "string_view: query escape"   200 '"Hello, O\"Brien!"' "$base/api/greet/hello?name=O%22Brien"
check "string_view: json escape"    200 '"Hello, café!"' "${json[@]}" -d '["caf\u00e9"]' "$base/api/greet/hello"
check "string_view: object escapes" 200 '"Hello, a\\b (\"q\")!"' "${json[@]}" -d '{"name":"a\\b","nickname":"\"q\""}' "$base/api/greet/hello"

# Error bodies stay JSON whatever the request held.
valid_json() { /usr/bin/python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))'; }
for path in '/api/tools/%ff' '/api/%fe%ff/x' '/api/tools/%c3%28'; do
  if curl -s --path-as-is "$base$path" | valid_json; then passes=$((passes+1))
  else echo "FAIL error body for $path is not valid JSON: $(curl -s --path-as-is "$base$path")"; failures=$((failures+1)); fi
done
check "utf-8: query value"          400 '"where":"params.name"' "$base/api/greet/hello?name=%ff"
check "utf-8: query value message"  400 'not valid UTF-8 (byte 0)' "$base/api/greet/hello?name=%ff"
check "nameless field"              400 'has no name' "$base/api/greet/hello?=x"

# Media types compare case-insensitively.
check "Content-Type case"           200 '5.0' -H 'Content-Type: APPLICATION/JSON; Charset=UTF-8' -d '[2,3]' "$base/api/tools/add"

# A result with no JSON form is the caller's error (422), not the server's (500).
check "overflow to infinity"        422 '"kind":"unprocessable"' "$base/api/tools/add?a=1e308&b=1e308"

# Bodies past the limit are refused however they are framed.
head -c 1200000 /dev/zero | tr '\0' 'a' > "$work/big"
check "chunked body over the limit" 413 '"kind":"payload_too_large"' "${json[@]}" -H 'Transfer-Encoding: chunked' \
  --data-binary "@$work/big" "$base/api/tools/echo"
check "chunked body within"         200 '"x"' "${json[@]}" -H 'Transfer-Encoding: chunked' -d '{"value":"x"}' "$base/api/tools/echo"
check "chunked multipart"           200 '"size":12' -H 'Transfer-Encoding: chunked' -F title=t \
  -F "a=@$(printf 'hello world\n' > "$work/note.txt"; echo "$work/note.txt")" "$base/api/demo/upload"
check "chunked GET"                 411 'Content-Length' -H 'Transfer-Encoding: chunked' -X GET -d 'x' "$base/api/tools/add?a=1&b=2"

# Bodies are read only by endpoints: elsewhere neither chunked, compressed nor endless bodies.
check "chunked to a non-endpoint"   411 'Content-Length' "${json[@]}" -H 'Transfer-Encoding: chunked' -d '{}' "$base/api/nope"
check "compressed to a static path" 415 'compressed' -H 'Content-Encoding: gzip' --data-binary "@$work/big" "$base/index.html"
check "POST without a length"       200 '3.0' -m 5 -X POST "$base/api/tools/add?a=1&b=2"
# Multipart part headers count against the body limit (many empty parts with long names).
/usr/bin/python3 - "$work/parts" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(400):
        f.write(b"--XX\r\nContent-Disposition: form-data; name=\"" + b"n" * 4000 + b"\"\r\n\r\n\r\n")
    f.write(b"--XX--\r\n")
PY
check "multipart part headers"      413 '"kind":"payload_too_large"' -H 'Content-Type: multipart/form-data; boundary=XX' \
  -H 'Transfer-Encoding: chunked' --data-binary "@$work/parts" "$base/api/demo/upload"

printf -- '--XX\r\nContent-Disposition: form-data; name="title"\r\n\r\nt\r\n--XX\r\nContent-Disposition: form-data; name="a"; filename="n.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n' > "$work/form"
check "multipart media type case"   200 '"filename":"n.txt"' -H 'Content-Type: Multipart/Form-Data; boundary=XX' \
  --data-binary "@$work/form" "$base/api/demo/upload"

# Range applies to static files only.
check "Range on /api ignored"       200 '"Hello, Ada!"' -H 'Range: bytes=0-3' "$base/api/greet/hello?name=Ada"
check "Range on errors ignored"     404 '"kind":"not_found"' -H 'Range: bytes=0-3' "$base/api/tools/nope"
check "Range on a static file"      206 '<!do' -H 'Range: bytes=0-3' "$base/index.html"
check "Range on a missing file"     404 '"kind":"not_found"' -H 'Range: bytes=0-3' "$base/nope.html"

# Header count and size have a budget.
many=(); for i in $(seq 150); do many+=(-H "X-Filler-$i: x"); done
# cpp-httplib 0.18 refuses more than 100 fields itself (400) before the policy sees them; 0.11 does not.
out=$(curl -s -w '\n%{http_code}' "${many[@]}" "$base/api/tools/add?a=1&b=2")
case "${out##*$'\n'}" in
  431) [[ "$out" == *'request header fields too large'* ]] ;;
  400) [[ "$out" == *'"kind":"invalid_argument"'* ]] ;;
  *) false ;;
esac && passes=$((passes+1)) || { echo "FAIL too many headers: $out"; failures=$((failures+1)); }
check "too large headers"           431 'request header fields too large' -H "X-Big: $(head -c 8000 /dev/zero | tr '\0' 'b')" \
  -H "X-Big2: $(head -c 8000 /dev/zero | tr '\0' 'b')" -H "X-Big3: $(head -c 8000 /dev/zero | tr '\0' 'b')" "$base/api/tools/add?a=1&b=2"

# A forged Last-Event-ID neither overflows nor skips the bound on n.
check "Last-Event-ID huge"          200 'data: {"step":1,"of":2' -H 'Last-Event-ID: 99999999999999999999' "$base/sse/progress/count?n=2&delay_ms=0"
check "Last-Event-ID negative"      200 'data: {"step":1,"of":2' -H 'Last-Event-ID: -2147483648' "$base/sse/progress/count?n=2&delay_ms=0"
check "Last-Event-ID resumes"       200 'data: {"step":2,"of":2' -H 'Last-Event-ID: 1' "$base/sse/progress/count?n=2&delay_ms=0"

# Sessions: nothing is stored or sent for refused or read-only calls; a login gets a new id.
check_absent_header() {
  local name=$1 unwanted=$2; shift 2
  local headers; headers=$(curl -s -D - -o /dev/null "$@" | tr -d '\r')
  if [[ "$headers" != *"$unwanted"* ]]; then passes=$((passes+1))
  else echo "FAIL $name: headers hold '$unwanted':"; echo "$headers"; failures=$((failures+1)); fi
}
check_absent_header "no session for a 401" 'Set-Cookie' "$base/api/demo/whoami"
curl -s -c "$work/jar" -d 'name=ada' "$base/api/demo/login" >/dev/null
first=$(awk '/sb_session/ {print $7}' "$work/jar")
check "whoami after login"          200 '"ada"' -b "$work/jar" "$base/api/demo/whoami"
check_absent_header "no new cookie for a read" 'Set-Cookie' -b "$work/jar" "$base/api/demo/whoami"
curl -s -b "$work/jar" -c "$work/jar" -d 'name=grace' "$base/api/demo/login" >/dev/null
second=$(awk '/sb_session/ {print $7}' "$work/jar")
if [[ -n "$first" && -n "$second" && "$first" != "$second" ]]; then passes=$((passes+1))
else echo "FAIL session id not renamed on login: '$first' -> '$second'"; failures=$((failures+1)); fi
check "old id is worthless"         401 '"kind":"unauthorized"' -H "Cookie: sb_session=$first" "$base/api/demo/whoami"
check "new id works"                200 '"grace"' -b "$work/jar" "$base/api/demo/whoami"

# A collected stream stops when its client hangs up (streams open drop back to 0).
clients=()
for _ in 1 2 3 4 5; do curl -s -m 1 -o /dev/null "$base/api/progress/count?n=10000&delay_ms=5000" & clients+=($!); done
wait "${clients[@]}"
open_streams() { curl -s "$base/api/demo/streams" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["open"])'; }
# Well inside the 30 s call deadline, which would end them too: this is the hang-up being noticed.
for _ in $(seq 150); do [[ "$(open_streams)" == 0 ]] && break; sleep 0.1; done
if [[ "$(open_streams)" == 0 ]]; then passes=$((passes+1))
else echo "FAIL collected streams still open after their clients left: $(open_streams)"; failures=$((failures+1)); fi

# SIGTERM with collected streams and SSE streams in flight: exit 0, long before any of them ends.
clients=()
for _ in 1 2 3; do curl -s -m 60 -o /dev/null "$base/api/progress/count?n=10000&delay_ms=5000" & clients+=($!); done
for _ in 1 2 3; do curl -s -m 60 -N -o /dev/null "$base/sse/progress/count?n=10000&delay_ms=5000" & clients+=($!); done
for _ in $(seq 300); do [[ "$(open_streams)" == 6 ]] && break; sleep 0.1; done
started=$(date +%s)
stop_server
took=$(( $(date +%s) - started ))
if ((took <= 5)); then passes=$((passes+1)); else echo "FAIL SIGTERM took ${took}s"; failures=$((failures+1)); fi
wait "${clients[@]}"

# CORS "*": any origin may call, never with credentials.
start_server "${showcase[@]}" --cors-origin '*' --cors-origin 'http://trusted.example' || exit 1
check_header "cors *"               'Access-Control-Allow-Origin: *' -H 'Origin: http://evil.example' "$base/api/tools/add?a=1&b=2"
check_absent_header "cors * no credentials" 'Access-Control-Allow-Credentials' -H 'Origin: http://evil.example' "$base/api/tools/add?a=1&b=2"
check_header "cors listed credentials" 'Access-Control-Allow-Credentials: true' -H 'Origin: http://trusted.example' "$base/api/tools/add?a=1&b=2"
check_header "cors listed origin"   'Access-Control-Allow-Origin: http://trusted.example' -H 'Origin: http://trusted.example' "$base/api/tools/add?a=1&b=2"
stop_server

trap 'rm -rf "$work"' EXIT
summary hostile_http
