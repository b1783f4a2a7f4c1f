#!/usr/bin/env python3
"""Heap allocations per warmed keep-alive request through sb::server, counted in the real process by
the LD_PRELOAD library malloc_counter: two runs that differ only in their number of requests (on one
keep-alive connection, GETs with a query and POSTs with a JSON body, pipelined in batches), so that
start-up and warm-up cancel out. Once warm, a request allocates nothing in the framework's path;
what the extra requests may add is the growth of reused buffers (bounded, not per request).

usage: alloc_test.py COUNTER_SO SHOWCASE
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from common import free_port

SMALL, LARGE = 3000, 23000
ALLOWED_EXTRA = 32
BATCH = 50


def request(i):
    if i % 2:
        return b"GET /api/tools/add?a=%d&b=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (i, i % 7)
    body = b"[%d,%d]" % (i, i % 7)
    return b"POST /api/tools/add HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body), body)


def run(counter, showcase, n, work):
    out = os.path.join(work, f"allocs.{n}")
    port = free_port()
    env = dict(os.environ, LD_PRELOAD=counter, MALLOC_COUNTER_OUT=out)
    server = subprocess.Popen([showcase, "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("showcase did not start")
            time.sleep(0.05)
    answered = 0
    buffer = b""
    for start in range(0, n, BATCH):
        s.sendall(b"".join(request(i) for i in range(start, min(n, start + BATCH))))
        for i in range(start, min(n, start + BATCH)):
            while True:
                head_end = buffer.find(b"\r\n\r\n")
                if head_end >= 0:
                    length = int(buffer[:head_end].lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                    if len(buffer) >= head_end + 4 + length:
                        break
                data = s.recv(65536)
                if not data:
                    raise SystemExit("connection closed early")
                buffer += data
            body = buffer[head_end + 4:head_end + 4 + length]
            buffer = buffer[head_end + 4 + length:]
            answered += body == b"%d.0" % (i + i % 7)
    s.close()
    server.send_signal(signal.SIGTERM)
    assert server.wait(30) == 0
    assert answered == n, (answered, n)
    with open(out) as f:
        return int(f.read())


def main():
    counter, showcase = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as work:
        small = run(counter, showcase, SMALL, work)
        large = run(counter, showcase, LARGE, work)
    extra = large - small
    per_request = extra / (LARGE - SMALL)
    print(f"allocations: {small} for {SMALL} requests, {large} for {LARGE}: "
          f"{extra} more for {LARGE - SMALL} more requests ({per_request:.4f} per request)")
    if extra > ALLOWED_EXTRA:
        print(f"FAIL: warmed keep-alive requests allocate ({extra} > {ALLOWED_EXTRA})")
        sys.exit(1)
    print("server_alloc: 0 allocations per warmed keep-alive request")


main()
