#!/usr/bin/env python3
"""Test tools for the hub, speaking TYPE|sender|data on stdin/stdout (one role per process).

usage: tool.py ROLE NAME [options]   (see the roles below; --out FILE records what the role sees)
"""
import argparse
import json
import os
import select
import signal
import sys
import time


def send(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def escape(data):
    return data.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def split(line):
    """TYPE|sender|data at the first two '|' (None when malformed)."""
    parts = line.rstrip("\n").split("|", 2)
    return tuple(parts) if len(parts) == 3 else None


def record(path, text):
    if path:
        with open(path, "a") as f:
            f.write(text + "\n")


last_pid = {}


def poll_status(name, tool, state, new_pid, timeout=60.0):
    """Asks `status TOOL` until the tool is in `state` (running: and ready; with new_pid: under a pid
    not seen before), so tests wait for the hub, not for a guessed time. Returns the matching line."""
    end = time.time() + timeout
    while True:
        send(f"COMMAND|{name}|status {tool}")
        line = sys.stdin.readline()
        try:
            info = json.loads(line.split("|", 2)[2])["tools"][0]
        except (IndexError, KeyError, ValueError):
            info = {}
        matched = info.get("state") == state and (state != "running" or info.get("ready"))
        if matched and new_pid and info.get("pid") == last_pid.get(tool):
            matched = False
        if matched or time.time() > end:
            if info.get("pid"):
                last_pid[tool] = info["pid"]
            return line.rstrip("\n")
        time.sleep(0.05)


def wait_ready(name, tools, timeout=20):
    """Asks the hub for status until every tool named in `tools` is ready (lines read meanwhile are
    dropped: call this before anything else is expected)."""
    import json
    wanted = set(filter(None, tools.split(",")))
    end = time.time() + timeout
    while wanted and time.time() < end:
        send(f"COMMAND|{name}|status")
        while True:
            line = sys.stdin.readline()
            if not line:
                return
            parts = split(line)
            if parts and parts[0] == "COMMAND_RESULT":
                break
        ready = {t["name"] for t in json.loads(parts[2]).get("tools", []) if t["ready"]}
        if wanted <= ready:
            return
        time.sleep(0.05)
    if wanted:
        raise SystemExit("tools never ready: " + ",".join(sorted(wanted)))


def lines():
    for line in sys.stdin:
        parts = split(line)
        if parts:
            yield parts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role")
    ap.add_argument("name")
    ap.add_argument("--out")
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--expect", default="")
    ap.add_argument("--commands", default="")
    ap.add_argument("--wait-for", default="", help="tools that must be ready before the role starts")
    a = ap.parse_args()
    name = a.name

    if a.role == "responder":  # PING|x|d -> PONG|name|d
        send(f"SUBSCRIBE|{name}|PING")
        send(f"TOOL_READY|{name}|answers PING with PONG")
        for type_, sender, data in lines():
            record(a.out, f"{type_}|{sender}|{data}")
            send(f"PONG|{name}|{data}")

    elif a.role == "once":  # answers one PING, then exits 0
        send(f"SUBSCRIBE|{name}|PING")
        send(f"TOOL_READY|{name}|single use")
        for type_, sender, data in lines():
            send(f"PONG|{name}|{data}")
            record(a.out, "answered " + data)
            return 0

    elif a.role == "pinger":  # PINGs until every tool in --expect answered; records PONGs
        expected = set(filter(None, a.expect.split(",")))
        send(f"SUBSCRIBE|{name}|PONG")
        send(f"SUBSCRIBE|{name}|*")
        send(f"TOOL_READY|{name}|pings")
        wait_ready(name, a.wait_for)  # e.g. a logger that must see the PINGs
        payload = escape("a|b|c\nsecond line \\ backslash")
        seen = set()
        deadline = time.time() + 20
        while expected - seen and time.time() < deadline:
            send(f"PING|{name}|{payload}")
            end = time.time() + 0.2
            while time.time() < end:
                r, _, _ = select.select([sys.stdin], [], [], max(0, end - time.time()))
                if not r:
                    continue
                line = sys.stdin.readline()
                if not line:
                    return 1
                parts = split(line)
                if not parts:
                    continue
                record(a.out, "|".join(parts))
                if parts[1] == name:
                    record(a.out, "SELF-DELIVERY")
                if parts[0] == "PONG" and parts[2] == payload:
                    seen.add(parts[1])
        record(a.out, "DONE " + ",".join(sorted(seen)))
        while True:  # stay (exit on stdin EOF)
            if not sys.stdin.readline():
                return 0

    elif a.role == "logger":  # subscribed to everything
        send(f"SUBSCRIBE|{name}|*")
        send(f"TOOL_READY|{name}|logs everything")
        for line in sys.stdin:
            record(a.out, line.rstrip("\n"))

    elif a.role == "generator":  # TICK|name|k every interval, count times, then stays
        send(f"TOOL_READY|{name}|ticks")
        wait_ready(name, a.wait_for)
        pad = "x" * a.size
        for k in range(1, a.count + 1):
            send(f"TICK|{name}|{k}{':' + pad if pad else ''}")
            if a.interval:
                time.sleep(a.interval)
        send(f"GENERATED|{name}|{a.count}")
        while sys.stdin.readline():
            pass

    elif a.role == "crash":  # records a time stamp, then fails
        record(a.out, repr(time.time()))
        send(f"TOOL_READY|{name}|crashes")
        return 3

    elif a.role == "deaf":  # subscribes to everything and never reads stdin
        send(f"SUBSCRIBE|{name}|*")
        send(f"TOOL_READY|{name}|never reads")
        while True:
            time.sleep(1)

    elif a.role == "stubborn":  # ignores SIGTERM and stdin EOF
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        send(f"TOOL_READY|{name}|ignores SIGTERM")
        record(a.out, "started")
        while True:
            time.sleep(1)

    elif a.role == "asker":  # sends COMMAND lines (';'-separated), records COMMAND_RESULTs
        send(f"TOOL_READY|{name}|asks")
        for command in filter(None, a.commands.split(";")):
            if command.startswith("sleep "):
                time.sleep(float(command[6:]))
                continue
            if command.startswith("wait "):
                wait_ready(name, command[5:])
                continue
            if command.startswith("waitfile "):  # waitfile PATH TEXT: until the file holds TEXT
                path, _, text = command[9:].partition(" ")
                end = time.time() + 60
                while time.time() < end and text not in (open(path).read() if os.path.exists(path) else ""):
                    time.sleep(0.05)
                continue
            if command.startswith("until "):  # until TOOL STATE [new]: poll status, record the match
                tool, state, *new = command[6:].split()
                record(a.out, poll_status(name, tool, state, bool(new)))
                continue
            if command.startswith("emit "):  # emit TYPE data: an event, no answer awaited
                type_, _, data = command[5:].partition(" ")
                send(f"{type_}|{name}|{data}")
                continue
            send(f"COMMAND|{name}|{command}")
            line = sys.stdin.readline()
            record(a.out, line.rstrip("\n"))
        record(a.out, "ASKED")
        while sys.stdin.readline():
            pass

    elif a.role == "noisy":  # malformed and over-long lines, stderr, then a valid event
        send(f"TOOL_READY|{name}|noisy")
        wait_ready(name, a.wait_for)
        print("noise on stderr", file=sys.stderr, flush=True)
        send("this line has no bars")
        send("ONLY|one bar")
        sys.stdout.write("LONG|" + name + "|" + "y" * (a.size or 2_000_000) + "\n")
        sys.stdout.flush()
        send(f"AFTER|{name}|still here")
        while sys.stdin.readline():
            pass

    else:
        print("unknown role " + a.role, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
