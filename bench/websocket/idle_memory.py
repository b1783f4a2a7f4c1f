#!/usr/bin/env python3
"""Resident memory per idle WebSocket connection on sb::server: opens N connections to /rpc of the
wire test server (handshake done, one call answered on each, then silent) and reads the server's
VmRSS before and after. Connections are opened in waves so that the handshakes overlap.

usage: idle_memory.py path/to/wire_server [N=10000]
"""
import base64
import os
import resource
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "wire"))
from common import start_server  # noqa: E402


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def handshake(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    return s


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("connection closed during the handshake")
        data += chunk
    if not data.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(data[:200])


def call(s):
    payload = b'{"jsonrpc":"2.0","method":"tools.add","params":[1,2],"id":1}'
    mask = os.urandom(4)
    s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    got = b""
    while len(got) < 2 or len(got) < 2 + got[1]:
        got += s.recv(4096)


def main():
    server_path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 100)), hard))
    proc, port = start_server(server_path, "--max-connections", str(n + 100), "--io-threads", "1")
    try:
        warm = [handshake(port) for _ in range(10)]
        for s in warm:
            read_head(s)
            call(s)
        before = rss_kib(proc.pid)
        sockets = []
        for start in range(0, n, 500):
            wave = [handshake(port) for _ in range(min(500, n - start))]
            for s in wave:
                read_head(s)
                call(s)
            sockets.extend(wave)
        after = rss_kib(proc.pid)  # every connection has answered a call: nothing is still being set up
        print(f"{n} idle WebSocket connections: RSS {before} KiB -> {after} KiB, "
              f"{(after - before) * 1024 / n:.0f} bytes per connection")
        for s in sockets + warm:
            s.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
