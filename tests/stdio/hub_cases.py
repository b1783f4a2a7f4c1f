#!/usr/bin/env python3
"""End-to-end tests of the hub with real child processes (Python tools from tool.py and the C++
examples/stdio_tool).

usage: hub_cases.py HUB STDIO_TOOL CASE
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "tool.py")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def py_tool(name, role, *args, **extra):
    entry = {"name": name, "command": PY, "args": [TOOL, role, name, *map(str, args)]}
    entry.update(extra)
    return entry


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def wait_for(predicate, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Hub:
    def __init__(self, hub, work, tools, grace=0.5, level="debug"):
        self.work = work
        self.log = os.path.join(work, "hub.log")
        config = {"core": {"log_file": self.log, "log_level": level, "shutdown_grace_sec": grace}, "tools": tools}
        self.config = os.path.join(work, "config.json")
        with open(self.config, "w") as f:
            json.dump(config, f)
        self.process = subprocess.Popen([hub, self.config], stdin=subprocess.DEVNULL)

    def text(self):
        return read(self.log)

    def stop(self, timeout=10):
        started = time.time()
        self.process.send_signal(signal.SIGTERM)
        rc = self.process.wait(timeout)
        assert rc == 0, f"hub exit code {rc}"
        return time.time() - started


def results(path):
    out = []
    for line in read(path).splitlines():
        if line.startswith("COMMAND_RESULT|hub|"):
            out.append(json.loads(line.split("|", 2)[2]))
    return out


def case_routing(hub, stdio_tool, work):
    """PING/PONG through a Python and a C++ responder; '|' and escapes in data; no self-delivery; a
    logger subscribed to *; malformed and over-long lines are skipped; a C++ periodic generator."""
    pinger_out, log_out = os.path.join(work, "pinger.txt"), os.path.join(work, "log.txt")
    h = Hub(hub, work, [
        py_tool("resp", "responder"),
        {"name": "cpp", "command": stdio_tool, "args": ["--events", "--name", "cpp"]},
        py_tool("log", "logger", "--out", log_out),
        py_tool("noisy", "noisy", "--wait-for", "log"),
        py_tool("pinger", "pinger", "--expect", "resp,cpp", "--wait-for", "log", "--out", pinger_out),
        py_tool("ask", "asker", "--commands", "wait log,cpp;emit GENERATE 3", "--out", os.path.join(work, "ask.txt")),
    ])
    try:
        wait_for(lambda: "DONE" in read(pinger_out), 20, "PONGs from both responders")
        wait_for(lambda: "GENERATE_RESULT|cpp|done" in read(log_out), 10, "the C++ generator")
        wait_for(lambda: "AFTER|noisy|still here" in read(log_out), 10, "the noisy tool's valid line")
    finally:
        h.stop()
    pinger, log, text = read(pinger_out), read(log_out), h.text()
    payload = "a|b|c\\nsecond line \\\\ backslash"
    assert "DONE cpp,resp" in pinger, pinger
    assert "SELF-DELIVERY" not in pinger, "a sender received its own event"
    assert f"PONG|resp|{payload}" in pinger and f"PONG|cpp|{payload}" in pinger, pinger
    assert f"PING|pinger|{payload}" in log, log
    assert [l for l in log.splitlines() if l.startswith("TICK|cpp|")] == [f"TICK|cpp|{k}" for k in (1, 2, 3)], log
    assert "LONG|" not in log, "an over-long line was routed"
    assert "|log|" not in log, "the logger received its own lines"
    assert "[noisy] noise on stderr" in text, "stderr is not in the hub log"
    assert "[noisy] not a TYPE|sender|data line: this line has no bars" in text
    assert "[noisy] not a TYPE|sender|data line: ONLY|one bar" in text
    assert "[noisy] skipped a line of 2000011 bytes" in text


def case_commands(hub, stdio_tool, work):
    """list, status, stop, start, restart, unknown commands, and a JSON-RPC call to a jsonrpc tool."""
    ask_out = os.path.join(work, "ask.txt")
    commands = ";".join([
        "wait resp,calc", "list", "call calc tools.add [2,3]", "call calc tools.nothing []", "status resp",
        "stop resp", "until resp stopped", "start resp", "until resp running", "restart resp",
        "until resp running new", "start nosuch", "frobnicate",
    ])
    h = Hub(hub, work, [
        py_tool("resp", "responder"),
        {"name": "calc", "command": stdio_tool, "protocol": "jsonrpc"},
        py_tool("ask", "asker", "--commands", commands, "--out", ask_out),
    ])
    try:
        wait_for(lambda: "ASKED" in read(ask_out), 20, "the asker")
    finally:
        h.stop()
    r = results(ask_out)
    assert len(r) == 12, r
    assert r[0]["tools"] == ["resp", "calc", "ask"], r[0]
    assert r[1]["ok"] and r[1]["response"]["result"] == 5, r[1]
    assert not r[2]["ok"] and r[2]["response"]["error"]["code"] == -32601, r[2]
    assert r[3]["tools"][0]["state"] == "running" and r[3]["tools"][0]["ready"], r[3]
    first_pid = r[3]["tools"][0]["pid"]
    assert r[4]["ok"] and r[4]["message"] == "stopping resp", r[4]
    assert r[5]["tools"][0]["state"] == "stopped" and r[5]["tools"][0]["last_exit"] == "exit 0", r[5]
    assert r[6]["ok"] and r[6]["message"] == "started resp", r[6]
    assert r[7]["tools"][0]["state"] == "running", r[7]
    second_pid = r[7]["tools"][0]["pid"]
    assert r[8]["ok"], r[8]
    assert r[9]["tools"][0]["state"] == "running" and r[9]["tools"][0]["pid"] not in (first_pid, second_pid), r[9]
    assert r[9]["tools"][0]["subscriptions"] == ["PING"], r[9]
    assert not r[10]["ok"] and not r[11]["ok"], r[10:]


def case_single_use(hub, stdio_tool, work):
    """A tool that exits (0) after one answer is not restarted under on-failure."""
    pinger_out = os.path.join(work, "pinger.txt")
    h = Hub(hub, work, [
        py_tool("once", "once", restart_policy="on-failure"),
        py_tool("pinger", "pinger", "--expect", "once", "--out", pinger_out),
    ])
    try:
        wait_for(lambda: "DONE once" in read(pinger_out), 20, "the single-use tool's answer")
        wait_for(lambda: "[once] exit 0, not restarted" in h.text(), 10, "the single-use tool's exit")
        time.sleep(0.5)
    finally:
        h.stop()
    text = h.text()
    assert text.count("[once] started") == 1, text
    assert "[once] stopping" not in text, text


def case_crash_backoff(hub, stdio_tool, work):
    """A tool crashing in a loop is restarted with doubling delays, capped at restart_max_delay_sec."""
    stamps = os.path.join(work, "stamps.txt")
    h = Hub(hub, work, [py_tool("crash", "crash", "--out", stamps, restart_initial_delay_sec=0.05,
                                restart_max_delay_sec=0.4, restart_policy="on-failure")])
    try:
        wait_for(lambda: len(read(stamps).split()) >= 8, 20, "eight starts")
    finally:
        h.stop()
    times = [float(t) for t in read(stamps).split()]
    gaps = [b - a for a, b in zip(times, times[1:])]
    print("gaps:", " ".join(f"{g:.3f}" for g in gaps))
    # Each gap is the delay plus the tool's start-up, which a loaded machine stretches without
    # bound: so the delays are read from the hub's log, and the gaps only bound them from below.
    text = h.text()
    delays = [float(d) for d in re.findall(r"\[crash\] exit 3, restarting in ([0-9.]+) s", text)]
    print("delays:", delays)
    assert delays[:5] == [0.05, 0.1, 0.2, 0.4, 0.4], delays
    assert all(d == 0.4 for d in delays[4:]), delays
    assert all(g >= d for g, d in zip(gaps, delays)), (gaps, delays)


def case_slow_reader(hub, stdio_tool, work):
    """A tool that never reads its stdin gets a bounded queue and drops; nobody else is held up."""
    log_out, ask_out = os.path.join(work, "log.txt"), os.path.join(work, "ask.txt")
    count = 3000
    h = Hub(hub, work, [
        py_tool("deaf", "deaf", queue_bytes=65536),
        py_tool("log", "logger", "--out", log_out),
        py_tool("gen", "generator", "--count", count, "--interval", 0, "--size", 300, "--wait-for", "log,deaf"),
        py_tool("ask", "asker", "--commands", f"waitfile {log_out} GENERATED|gen|{count};status deaf", "--out", ask_out),
    ], level="info")
    try:
        wait_for(lambda: f"GENERATED|gen|{count}" in read(log_out), 30, "every TICK at the logger")
        wait_for(lambda: "ASKED" in read(ask_out), 20, "the asker")
    finally:
        h.stop()
    ticks = [l for l in read(log_out).splitlines() if l.startswith("TICK|gen|")]
    assert len(ticks) == count, len(ticks)
    assert [int(l.split("|")[2].split(":")[0]) for l in ticks] == list(range(1, count + 1))
    status = results(ask_out)[0]["tools"][0]
    print("deaf:", status)
    assert status["dropped"] > 0 and status["queued_bytes"] <= 65536, status
    assert "[deaf] not reading: inbound queue full" in h.text()


def case_shutdown(hub, stdio_tool, work):
    """SIGTERM: stdin closed, then SIGTERM, then SIGKILL for a tool that ignores both; exit 0."""
    out = os.path.join(work, "stubborn.txt")
    h = Hub(hub, work, [py_tool("stubborn", "stubborn", "--out", out), py_tool("resp", "responder"),
                        {"name": "cpp", "command": stdio_tool, "args": ["--events", "--name", "cpp"]}], grace=0.4)
    wait_for(lambda: "started" in read(out), 10, "the stubborn tool")
    took = h.stop()
    text = h.text()
    assert "[stubborn] still running: SIGTERM" in text and "[stubborn] still running: SIGKILL" in text, text
    assert "[stubborn] exited: signal 9" in text, text
    assert "[resp] exited: exit 0" in text and "[cpp] exited: exit 0" in text, text
    assert "[resp] still running" not in text and "[cpp] still running" not in text, text
    assert 0.7 < took < 5, took


def case_bad_config(hub, stdio_tool, work):
    """A config without a tool's command is refused with a message, exit code 2."""
    path = os.path.join(work, "bad.json")
    for text, message in [('{"tools":[{"name":"a"}]}', '"command" is required'),
                          ('{"tools":[{"name":"a","command":"x","restart_policy":"sometimes"}]}', "restart_policy"),
                          ('{"tools":[', "hub config")]:
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([hub, path], capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and message in r.stderr, (r.returncode, r.stderr)
    r = subprocess.run([hub, os.path.join(work, "missing.json")], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "cannot open" in r.stderr


def main():
    hub, stdio_tool, case = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="hub_" + case + "_") as work:
        try:
            globals()["case_" + case](os.path.abspath(hub), os.path.abspath(stdio_tool), work)
        except BaseException:
            print("---- hub log ----\n" + read(os.path.join(work, "hub.log"))[-6000:], file=sys.stderr)
            raise
    print("ok:", case)


if __name__ == "__main__":
    main()
