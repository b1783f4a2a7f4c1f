#!/usr/bin/env python3
"""Heap allocations per pipelined JSON-RPC call through a stdio tool, counted by the LD_PRELOAD
library malloc_counter: two runs that differ only in their number of calls, so that start-up and
warm-up cancel out. Once warm, a call allocates nothing; what the extra calls may add is the growth
of reused buffers (bounded, not per call).

usage: alloc_count.py COUNTER_SO BINARY [ARGS...]
"""
import json
import os
import subprocess
import sys
import tempfile
import threading

SMALL, LARGE = 20000, 120000
ALLOWED_EXTRA = 32  # buffer growth: a few doublings, whatever the number of calls


def run(counter, command, n, work):
    out = os.path.join(work, f"allocs.{n}")
    env = dict(os.environ, LD_PRELOAD=counter, MALLOC_COUNTER_OUT=out)
    p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=1 << 16)
    requests = "".join(
        json.dumps({"jsonrpc": "2.0", "method": "tools.add" if i % 3 else "tools.multiply",
                    "params": [i, (i % 97) - 40], "id": i if i % 2 else f"r{i}"}) + "\n"
        for i in range(n)).encode()

    def write():
        p.stdin.write(requests)
        p.stdin.close()

    writer = threading.Thread(target=write)
    writer.start()
    answers = sum(1 for line in p.stdout if b'"result"' in line)
    writer.join()
    assert p.wait(60) == 0
    assert answers == n, (answers, n)
    with open(out) as f:
        return int(f.read())


def main():
    counter, command = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as work:
        small = run(counter, command, SMALL, work)
        large = run(counter, command, LARGE, work)
    extra = large - small
    print(f"allocations: {small} for {SMALL} calls, {large} for {LARGE}: {extra} for {LARGE - SMALL} more calls "
          f"({extra / (LARGE - SMALL):.6f} per call)")
    assert small > 0, "the counter counted nothing: LD_PRELOAD did not take"
    assert extra <= ALLOWED_EXTRA, f"{extra} allocations for {LARGE - SMALL} more calls"


if __name__ == "__main__":
    main()
