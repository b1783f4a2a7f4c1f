# Shared by the end-to-end scripts: start a server on a free port, check responses with curl.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() {  # binary args...; sets $pid and $base
  local port; port=$(free_port)
  "$@" --port "$port" 2>"${SERVER_LOG:-server.log}" &
  pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 200); do curl -s -o /dev/null "$base/api/_describe" && return 0; sleep 0.05; done
  echo "server did not start"; cat "${SERVER_LOG:-server.log}"; return 1
}

passes=0; failures=0
# check NAME STATUS BODY_SUBSTRING curl-args...   (BODY_SUBSTRING may be empty)
check() {
  local name=$1 status=$2 body=$3; shift 3
  local out code
  out=$(curl -s -o /dev/stdout -w '\n%{http_code}' "$@")
  code=${out##*$'\n'}; out=${out%$'\n'*}
  if [[ "$code" == "$status" && "$out" == *"$body"* ]]; then passes=$((passes+1))
  else echo "FAIL $name: got $code '${out:0:300}', want $status containing '$body'"; failures=$((failures+1)); fi
}
# check_header NAME HEADER_SUBSTRING curl-args...
check_header() {
  local name=$1 want=$2; shift 2
  local headers; headers=$(curl -s -D - -o /dev/null "$@" | tr -d '\r')
  if [[ "$headers" == *"$want"* ]]; then passes=$((passes+1))
  else echo "FAIL $name: headers lack '$want':"; echo "$headers"; failures=$((failures+1)); fi
}
stop_server() {  # SIGTERM must end the server with exit status 0
  kill -TERM "$pid"
  if wait "$pid"; then passes=$((passes+1)); else echo "FAIL exit status after SIGTERM"; failures=$((failures+1)); fi
}
summary() { echo "$1: $passes passed, $failures failed"; ((failures == 0)); }
