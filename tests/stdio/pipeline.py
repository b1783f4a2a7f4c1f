#!/usr/bin/env python3
"""Pipelines 10,000 JSON-RPC 2.0 requests (tools.add and tools.multiply) into a tool serving over
stdio, reading the answers while it writes, and checks every answer by id; then closes stdin and
expects exit code 0.

usage: pipeline.py [BINARY [ARGS...]]   (default: examples/stdio_tool in the build tree, via $STDIO_TOOL)
e.g.   pipeline.py build/examples/showcase/showcase --stdio
"""
import json
import os
import subprocess
import sys
import threading
import time

N = int(os.environ.get("PIPELINE_REQUESTS", "10000"))


def main():
    command = sys.argv[1:] or [os.environ.get("STDIO_TOOL", "stdio_tool")]
    p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1 << 16)
    expected = {}
    requests = []
    for i in range(N):
        method = "tools.add" if i % 3 else "tools.multiply"
        a, b = i, (i % 97) - 40
        rid = i if i % 2 else f"r{i}"  # numbers and strings as ids
        requests.append(json.dumps({"jsonrpc": "2.0", "method": method, "params": [a, b], "id": rid}) + "\n")
        expected[json.dumps(rid)] = a + b if method == "tools.add" else a * b

    def write():
        for r in requests:
            p.stdin.write(r.encode())
        p.stdin.close()

    started = time.time()
    writer = threading.Thread(target=write)
    writer.start()
    seen = set()
    for raw in p.stdout:
        message = json.loads(raw)
        assert message.get("jsonrpc") == "2.0", message
        key = json.dumps(message["id"])
        assert key in expected, f"unexpected id {key}"
        assert key not in seen, f"id {key} answered twice"
        assert "result" in message, message
        assert message["result"] == expected[key], (message, expected[key])
        seen.add(key)
    writer.join()
    rc = p.wait(30)
    took = time.time() - started
    assert len(seen) == N, f"{N - len(seen)} requests unanswered"
    assert rc == 0, f"exit code {rc}"
    print(f"ok: {N} pipelined requests answered and checked in {took:.2f} s ({N / took:.0f}/s), exit 0")


if __name__ == "__main__":
    main()
