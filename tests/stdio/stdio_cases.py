#!/usr/bin/env python3
"""End-to-end tests of sb::stdio with examples/stdio_tool as a child process.

usage: stdio_cases.py STDIO_TOOL CASE
"""
import json
import signal
import subprocess
import sys
import time


def run(tool, lines, args=(), timeout=30):
    """Writes the lines (bytes or str) to the tool, closes stdin, returns (stdout lines, stderr, rc)."""
    data = b"".join(l if isinstance(l, bytes) else (l + "\n").encode() for l in lines)
    r = subprocess.run([tool, *args], input=data, capture_output=True, timeout=timeout)
    return r.stdout.decode().splitlines(), r.stderr.decode(), r.returncode


def rpc(method, params=None, id_=1):
    m = {"jsonrpc": "2.0", "method": method, "id": id_}
    if params is not None:
        m["params"] = params
    return json.dumps(m)


def case_errors(tool):
    """Malformed, over-long, invalid and unknown requests get errors and the tool goes on."""
    out, err, rc = run(tool, [
        "this is not json",
        "x" * 3000,  # over the --max-line limit below
        rpc("tools.add", [1, 2], 1),
        "",
        '{"jsonrpc":"2.0","method":"tools.add","params":[2,2]}',  # notification: no answer
        '{"jsonrpc":"2.0","method":"tools.add","params":[1,2],"id":{"no":1}}',
        rpc("tools.nothing", [], 2),
        rpc("tools.add", ["a", 2], 3),
        (rpc("tools.add", [5, 5], 4) + "\r\n").encode(),
        b'{"jsonrpc":"2.0","method":"tools.echo","params":["caf\xc3\xa9 | \\n"],"id":5}\n',
        "[]",
    ], args=["--max-line", "1000", "--workers", "0"])
    assert rc == 0, (rc, err)
    messages = [json.loads(l) for l in out]
    assert len(messages) == 9, out
    assert messages[0] == {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
    too_long = messages[1]
    assert too_long["id"] is None and too_long["error"]["code"] == -32600, too_long
    assert too_long["error"]["data"]["kind"] == "payload_too_large" and "3000" in too_long["error"]["data"]["message"]
    assert messages[2] == {"jsonrpc": "2.0", "result": 3, "id": 1}, messages[2]
    assert messages[3]["error"]["code"] == -32600 and messages[3]["id"] is None, messages[3]
    assert messages[4]["error"]["code"] == -32601 and messages[4]["id"] == 2, messages[4]
    assert messages[5]["error"]["code"] == -32602 and messages[5]["id"] == 3, messages[5]
    assert messages[6] == {"jsonrpc": "2.0", "result": 10, "id": 4}, messages[6]
    assert messages[7]["result"] == "café | \n", messages[7]
    assert messages[8]["error"]["code"] == -32600, messages[8]


def case_overlong_memory(tool):
    """A 64 MiB line is skipped as it streams in: the tool's memory stays far below it."""
    p = subprocess.Popen([tool, "--workers", "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    chunk = b"y" * (1 << 20)
    for _ in range(64):
        p.stdin.write(chunk)
    p.stdin.write(b"\n" + (rpc("tools.add", [1, 1], 7) + "\n").encode())
    p.stdin.flush()
    with open(f"/proc/{p.pid}/status") as f:
        rss_kib = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    p.stdin.close()
    out = p.stdout.read().decode().splitlines()
    assert p.wait(10) == 0
    assert json.loads(out[0])["error"]["data"]["kind"] == "payload_too_large", out
    assert json.loads(out[1]) == {"jsonrpc": "2.0", "result": 2, "id": 7}, out
    assert rss_kib < 32 * 1024, f"peak RSS {rss_kib} KiB"
    print(f"peak RSS {rss_kib} KiB after a 64 MiB line")


def case_stdout_guard(tool):
    """User code printing to stdout lands on stderr; stdout carries protocol lines only."""
    out, err, rc = run(tool, [rpc("tools.print", ["hello"], 1), rpc("tools.add", [1, 1], 2)])
    assert rc == 0
    assert all(json.loads(l)["jsonrpc"] == "2.0" for l in out), out
    assert "printed by user code: hello" in err, err
    assert len(out) == 2


def case_stream(tool):
    """A streaming endpoint sends one notification per value, then its response."""
    out, err, rc = run(tool, [rpc("progress.count", [3], "s"), rpc("progress.count", {"n": 2}),
                              '[' + rpc("progress.count", [2], "b") + ']'], args=["--workers", "0"])
    assert rc == 0, err
    m = [json.loads(l) for l in out]
    notes = [x for x in m[:3]]
    assert [n["params"] for n in notes] == [{"id": "s", "value": {"step": k, "of": 3}} for k in (1, 2, 3)], notes
    assert all(n["method"] == "stream" and "id" not in n for n in notes)
    assert m[3] == {"jsonrpc": "2.0", "result": None, "id": "s"}, m[3]
    assert [x["params"]["value"]["step"] for x in m[4:6]] == [1, 2] and m[4]["params"]["id"] == 1
    assert m[7] == [{"jsonrpc": "2.0", "result": [{"step": 1, "of": 2}, {"step": 2, "of": 2}], "id": "b"}], m[7]


def case_concurrent(tool):
    """With workers, a slow call does not hold up the calls behind it; at EOF calls in flight finish."""
    started = time.time()
    out, err, rc = run(tool, [rpc("tools.sleep", [400], "slow"), rpc("tools.add", [1, 2], "fast")])
    took = time.time() - started
    assert rc == 0, err
    ids = [json.loads(l)["id"] for l in out]
    assert ids == ["fast", "slow"], ids
    assert took >= 0.4
    # Sequential mode answers in request order.
    out, err, rc = run(tool, [rpc("tools.sleep", [100], "slow"), rpc("tools.add", [1, 2], "fast")],
                       args=["--workers", "0"])
    assert [json.loads(l)["id"] for l in out] == ["slow", "fast"], out


def case_sigterm(tool):
    """SIGTERM during a long stream: the stream stops, the tool exits 0."""
    p = subprocess.Popen([tool], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write((rpc("progress.count", [100000], 1) + "\n").encode())
    p.stdin.flush()
    first = p.stdout.readline()
    assert json.loads(first)["method"] == "stream"
    p.send_signal(signal.SIGTERM)
    rest, err = p.communicate(timeout=10)
    assert p.returncode == 0, (p.returncode, err)
    assert b"SIGTERM" in err


def case_events(tool):
    """The event protocol: announcements, routes, '|' and escapes in data, streams, results, errors."""
    out, err, rc = run(tool, [
        "PING|tester|a|b\\nc \\\\ d",
        "SHOUT|tester|hello|there",
        "GENERATE|tester|3",
        "GENERATE|tester|not json",
        "no bars here",
        "UNKNOWN|tester|ignored",
        "x" * 5000,
        "PING|tester|after",
    ], args=["--events", "--name", "t1", "--workers", "0", "--max-line", "4096"])
    assert rc == 0, err
    assert out[:4] == ["SUBSCRIBE|t1|GENERATE", "SUBSCRIBE|t1|PING", "SUBSCRIBE|t1|SHOUT",
                       "TOOL_READY|t1|switchboard example tool: PING, GENERATE, SHOUT"], out
    assert out[4] == "PONG|t1|a|b\\nc \\\\ d", out[4]
    assert out[5] == "SHOUT_RESULT|t1|HELLO|THERE", out[5]
    assert out[6:10] == ["TICK|t1|1", "TICK|t1|2", "TICK|t1|3", "GENERATE_RESULT|t1|done"], out[6:10]
    error = out[10].split("|", 2)
    assert error[:2] == ["ERROR", "t1"] and json.loads(error[2])["type"] == "GENERATE", out[10]
    assert out[11] == "PONG|t1|after" and len(out) == 12, out
    assert "not a TYPE|sender|data line: no bars here" in err and "exceeds the limit" in err, err


def main():
    tool, case = sys.argv[1:3]
    globals()["case_" + case](tool)
    print("ok:", case)


if __name__ == "__main__":
    main()
