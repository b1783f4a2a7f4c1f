#!/usr/bin/env bash
# Drives the showcase over HTTP with curl: every route, every error status, forms, multipart, a
# download, a redirect, sessions, CORS, static files and path traversal, and a clean SIGTERM.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
SERVER_LOG=$work/server.log start_server "$@"
json=(-H 'Content-Type: application/json')

check "tools.add query"        200 '5.0'   "$base/api/tools/add?a=2&b=3"
check "tools.add json array"   200 '5.5'   "${json[@]}" -d '[2.5,3]' "$base/api/tools/add"
check "tools.add json object"  200 '-1.0'  "${json[@]}" -d '{"a":2,"b":-3}' "$base/api/tools/add"
check "tools.add form"         200 '7.0'   -d 'a=3&b=4' "$base/api/tools/add"
check "tools.multiply"         200 '12.0'  "$base/api/tools/multiply?a=3&b=4"
check "tools.toUpperCase"      200 '"HÉLLO"' "${json[@]}" -d '{"text":"héllo"}' "$base/api/tools/toUpperCase"
check "tools.toLowerCase"      200 '"abc äö жσ"' "${json[@]}" -d '{"text":"ABC ÄÖ ЖΣ"}' "$base/api/tools/toLowerCase"
check "tools.reverseArray"     200 '[{"x":1},"b",1]' "${json[@]}" -d '{"items":[1,"b",{"x":1}]}' "$base/api/tools/reverseArray"
check "tools.reverseArray qs"  200 '[3,2,1]' "$base/api/tools/reverseArray?items=%5B1,2,3%5D"
check "tools.getSystemInfo"    200 '"frameworkVersion":"0.1.0"' "$base/api/tools/getSystemInfo"
check "tools.getSystemInfo os" 200 '"cpuCount":' "$base/api/tools/getSystemInfo"
check "tools.echo"             200 '{"deep":[null,true,1.5,"s"]}' "${json[@]}" -d '{"value":{"deep":[null,true,1.5,"s"]}}' "$base/api/tools/echo"
check "greet.hello"            200 '"Hello, Ada!"' "$base/api/greet/hello?name=Ada"
check "greet.hello nickname"   200 '"Hello, Ada (Countess)!"' "$base/api/greet/hello?name=Ada&nickname=Countess"
check "greet.hello positional" 200 '"Hello, Ada (Countess)!"' "${json[@]}" -d '["Ada","Countess"]' "$base/api/greet/hello"
check "progress.count as array" 200 '[{"step":1,"of":3,"percent":33.' "$base/api/progress/count?n=3&delay_ms=0"
check "describe"               200 '"name":"progress"' "$base/api/_describe"
check "health"                 200 '{"status":"ok","bus":{"kind":"local"}}' "$base/api/_health"
check "health, GET only"       405 '"kind":"method_not_allowed"' -X POST "$base/api/_health"
check "DNS rebinding: 421"     421 'does not answer to Host' -H 'Host: evil.example.com' "$base/api/tools/add?a=1&b=2"
check "... also for /mcp"      421 'does not answer to Host' -H 'Host: evil.example.com:80' -H 'Origin: http://evil.example.com:80' \
  "${json[@]}" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}' "$base/mcp"
check "localhost is fine"      200 '3.0' -H "Host: localhost:${base##*:}" "$base/api/tools/add?a=1&b=2"
check "OpenAPI"                200 '"openapi":"3.1.0"' "$base/api/_openapi.json"
check "OpenAPI, GET only"      405 '"kind":"method_not_allowed"' -X POST "$base/api/_openapi.json"
check "TypeScript"             200 '"tools.add": { params: { a: number; b: number; }; result: number }' "$base/api/_types.d.ts"
check "MCP over HTTP"          200 '"structuredContent":{"result":5.0}' "${json[@]}" \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tools.add","arguments":{"a":2,"b":3}}}' "$base/mcp"
check "MCP, GET"               405 '"code":-32000' "$base/mcp"
check "the browser client"     200 'export function invoke' "$base/_sb/switchboard.js"
check_header "its type"        'Content-Type: text/javascript' "$base/_sb/switchboard.js"
check "its declarations"       200 'export declare function invoke' "$base/_sb/switchboard.d.ts"
check "nothing else at /_sb/"  404 '"kind":"not_found"' "$base/_sb/other.js"

check "400 bad json"           400 '"where":"params' "${json[@]}" -d '{"a":2,' "$base/api/tools/add"
check "400 bad argument"       400 '"where":"params[1] (\"b\")"' "${json[@]}" -d '{"a":2,"b":"x"}' "$base/api/tools/add"
check "400 text for a number"  400 'expected number, found string' "$base/api/tools/add?a=2&b=x"
check "400 missing argument"   400 'missing required parameter' "$base/api/greet/hello"
check "400 unknown argument"   400 'unknown parameter' "$base/api/greet/hello?name=A&age=3"
check "400 bad percent"        400 'malformed percent-encoding' "$base/api/greet/hello?name=%zz"
check "404 unknown module"     404 '"kind":"not_found"' "$base/api/nope/add"
check "404 unknown endpoint"   404 '"kind":"not_found"' "$base/api/tools/nope"
check "405 method"             405 '"kind":"method_not_allowed"' -X DELETE "$base/api/tools/add"
check_header "405 Allow"       'Allow: GET, POST' -X DELETE "$base/api/tools/add"
check "405 post-only"          405 'GET is not allowed' "$base/api/demo/login?name=x"
check "408 timeout"            408 '"kind":"timeout"' "$base/api/demo/slow"
head -c 1100000 /dev/zero | tr '\0' 'a' > "$work/big"
check "413 body too large"     413 '"kind":"payload_too_large"' "${json[@]}" --data-binary "@$work/big" "$base/api/tools/echo"
check "415 media type"         415 '"kind":"unsupported_media_type"' -H 'Content-Type: text/csv' -d 'a,b' "$base/api/tools/add"
check "429"                    200 '1' "$base/api/demo/limited"
check "429"                    200 '2' "$base/api/demo/limited"
check "429"                    429 '"kind":"too_many_requests"' "$base/api/demo/limited"
check "500 internal"           500 '"kind":"internal"' "$base/api/demo/fails"
if curl -s "$base/api/demo/fails" | grep -q 'stays in the server log'; then
  echo "FAIL 500 leaks what()"; failures=$((failures+1)); else passes=$((passes+1)); fi

printf 'hello upload' > "$work/note.txt"
check "multipart fields+file"  200 '"filename":"note.txt","contentType":"text/plain","size":12' \
  -F title=report -F "attachment=@$work/note.txt;type=text/plain" "$base/api/demo/upload"
check "multipart title"        200 '"title":"report"' -F title=report -F "a=@$work/note.txt" "$base/api/demo/upload"
check "binary download"        200 'id,value' "$base/api/demo/download?name=data.csv"
check_header "download header" 'Content-Disposition: attachment; filename="data.csv"' "$base/api/demo/download?name=data.csv"
check_header "download type"   'Content-Type: text/csv' "$base/api/demo/download"
check_header "redirect"        'Location: /api/greet/hello?name=Redirected' "$base/api/demo/moved"
check "redirect status"        307 '' "$base/api/demo/moved"
check "redirect followed"      200 '"Hello, Redirected!"' -L "$base/api/demo/moved"
check_header "html form"       'Content-Type: text/html' "$base/api/demo/page"

check "session: not logged in" 401 '"kind":"unauthorized"' "$base/api/demo/whoami"
check "session: login"         200 'logged in as ada' -c "$work/jar" -d 'name=ada' "$base/api/demo/login"
check "session: whoami"        200 '"ada"' -b "$work/jar" "$base/api/demo/whoami"
check_header "session cookie"  'HttpOnly' -d 'name=x' "$base/api/demo/login"

check_header "cors preflight"  'Access-Control-Allow-Origin: http://localhost:5173' -X OPTIONS \
  -H 'Origin: http://localhost:5173' -H 'Access-Control-Request-Method: POST' "$base/api/tools/add"
check_header "cors methods"    'Access-Control-Allow-Methods: GET, POST, OPTIONS' -X OPTIONS \
  -H 'Origin: http://localhost:5173' -H 'Access-Control-Request-Method: POST' "$base/api/tools/add"
check "cors preflight status"  204 '' -X OPTIONS -H 'Origin: http://localhost:5173' "$base/api/tools/add"
check "cors other origin"      403 '' -X OPTIONS -H 'Origin: http://evil.example' "$base/api/tools/add"
check_header "cors simple"     'Access-Control-Allow-Origin: http://localhost:5173' -H 'Origin: http://localhost:5173' "$base/api/tools/add?a=1&b=2"

check "static index"           200 'switchboard showcase' "$base/"
check_header "static type"     'Content-Type: text/html' "$base/index.html"
check "static missing"         404 '"kind":"not_found"' "$base/nope.html"
check "traversal .."           404 '' --path-as-is "$base/../../../../etc/passwd"
check "traversal encoded"      404 '' --path-as-is "$base/%2e%2e/%2e%2e/%2e%2e/etc/passwd"
check "traversal mixed"        404 '' --path-as-is "$base/public/..%2f..%2f..%2fetc/passwd"
check "traversal absolute"     404 '' --path-as-is "$base//etc/passwd"
if curl -s --path-as-is "$base/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd" | grep -q 'root:'; then
  echo "FAIL traversal served /etc/passwd"; failures=$((failures+1)); else passes=$((passes+1)); fi

stop_server
trap 'rm -rf "$work"' EXIT
summary showcase_http
