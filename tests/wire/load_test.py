#!/usr/bin/env python3
"""sb::server under load that costs thread-per-connection servers their life:
  1. 1,000 slowloris clients (a byte of a head every second, reconnecting when refused): a normal
     client's /api/tools/add p99 stays within 2x its idle p99, and the thread count does not move;
  2. 10,000 idle keep-alive connections: all open at once, all served, RSS per connection reported.

usage: load_test.py path/to/wire_server [--sanitized]
  --sanitized: the server is an unoptimized ASan build, whose latencies say nothing about the
  server's; the latency comparison is then reported, not checked.
"""
import http.client
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from common import free_port, wait_until

SERVER = sys.argv[1]
SANITIZED = "--sanitized" in sys.argv[2:]
failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""), flush=True)
    if not ok:
        failures.append(name)


# Both this process and the server (which inherits it) need more descriptors than the default 1024.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
wanted = max(hard, 20000)
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))  # root may raise the hard limit too
except (ValueError, OSError):
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 10200:
    raise SystemExit(f"load_test: needs 10,200 descriptors, the limit is {resource.getrlimit(resource.RLIMIT_NOFILE)}")

port = free_port()
server = subprocess.Popen([SERVER, "--port", str(port), "--max-connections", "15000", "--io-threads", "2"],
                          stderr=subprocess.DEVNULL)


def status_field(name):
    for line in open(f"/proc/{server.pid}/status"):
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


deadline = time.monotonic() + 20
while True:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/probe/streams", timeout=1).read()
        break
    except OSError:
        if time.monotonic() > deadline:
            raise SystemExit("wire_server did not start")
        time.sleep(0.05)


def latencies(count):
    """Sequential /api/tools/add calls on one keep-alive connection, in milliseconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = []
    for i in range(count):
        started = time.perf_counter()
        conn.request("GET", f"/api/tools/add?a={i}&b=1")
        response = conn.getresponse()
        body = response.read()
        out.append((time.perf_counter() - started) * 1000)
        if response.status != 200 or body != f"{i + 1}.0".encode():
            raise SystemExit(f"unexpected answer {response.status} {body}")
    conn.close()
    return out


def p99(samples):
    return statistics.quantiles(samples, n=100)[98]


# ---- 1. slowloris --------------------------------------------------------------------------------
SLOWLORIS = r"""
import socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
head = b"GET /api/tools/add?a=1&b=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 10000
def opened():
    s = socket.socket(); s.setblocking(False)
    try: s.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    return [s, 0]
clients = [opened() for _ in range(count)]
print("open", flush=True)
# Each client sends its byte at its own moment of the second, as independent clients would: a burst
# of 1,000 sends at once would measure this process's share of a 2-core machine, not the server.
while True:
    started = time.monotonic()
    for i, c in enumerate(clients):
        time.sleep(max(0.0, started + i / count - time.monotonic()))
        try:
            c[0].send(head[c[1]:c[1] + 1]); c[1] += 1
        except OSError:
            c[0].close(); c[:] = opened()  # refused or timed out: come back, as an attacker would
    time.sleep(max(0.0, started + 1.0 - time.monotonic()))
"""

def descriptors():
    return len(os.listdir(f"/proc/{server.pid}/fd"))


def attack():
    """1,000 slow clients, once the server holds every one of their connections."""
    attacker = subprocess.Popen([sys.executable, "-c", SLOWLORIS, str(port), "1000"], stdout=subprocess.PIPE)
    attacker.stdout.readline()
    connected = wait_until(lambda: descriptors() >= fds_idle + 950, 60)
    return attacker, connected


latencies(300)  # warm up
threads_idle = status_field("Threads")
fds_idle = descriptors()
# Idle and attacked rounds alternate, so that whatever else the machine is doing weighs on both alike.
idle_rounds, loaded_rounds, threads_seen, all_connected = [], [], [], True
for _ in range(5):
    idle_rounds.append(p99(latencies(1000)))
    attacker, connected = attack()
    all_connected &= connected
    threads_seen.append(status_field("Threads"))
    loaded_rounds.append(p99(latencies(1000)))
    threads_seen.append(status_field("Threads"))
    attacker.kill()
    attacker.wait()
    wait_until(lambda: descriptors() <= fds_idle, 30)
check("slowloris: the slow clients connected in every round", all_connected)
idle, loaded = statistics.median(idle_rounds), statistics.median(loaded_rounds)
print(f"p99 idle {idle:.3f} ms (rounds {', '.join(f'{x:.3f}' for x in idle_rounds)}), "
      f"with 1000 slow clients {loaded:.3f} ms (rounds {', '.join(f'{x:.3f}' for x in loaded_rounds)})")
if SANITIZED:
    print(f"(ASan) slowloris: p99 {loaded / idle:.2f}x of idle")
else:
    check("slowloris: p99 within 2x of idle", loaded <= 2 * idle, f"{loaded:.3f} ms vs {idle:.3f} ms")
check("slowloris: thread count unchanged", all(t == threads_idle for t in threads_seen),
      f"{threads_idle} idle, {threads_seen} under attack")

# ---- 2. 10,000 idle keep-alive connections --------------------------------------------------------
COUNT = 10000
rss_before = status_field("VmRSS")
fds_before = len(os.listdir(f"/proc/{server.pid}/fd"))
held = []
started = time.monotonic()
for i in range(COUNT):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /api/tools/add?a=%d&b=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % i)
    held.append(s)
answered = 0
for i, s in enumerate(held):
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"%d.0" % (i + 1)):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    answered += data.startswith(b"HTTP/1.1 200") and data.endswith(b"%d.0" % (i + 1))
took = time.monotonic() - started
rss_after = status_field("VmRSS")
fds_open = len(os.listdir(f"/proc/{server.pid}/fd")) - fds_before
per_connection = (rss_after - rss_before) * 1024 / COUNT
print(f"{COUNT} keep-alive connections opened and served in {took:.1f} s; server RSS {rss_before} -> {rss_after} KiB, "
      f"{per_connection:.0f} bytes per idle connection; threads {status_field('Threads')}")
check("10,000 keep-alive connections all served", answered == COUNT, f"{answered} of {COUNT}")
check("10,000 keep-alive connections all held open", fds_open >= COUNT, f"{fds_open} descriptors")
# Workers may grow for the burst of 10,000 concurrent calls (and retire when idle); threads never
# follow the number of connections.
check("threads do not follow connections", status_field("Threads") < 64, f"{status_field('Threads')}")
check("another client is still served", latencies(10) is not None)
for s in held:
    s.close()
gone = False
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not gone:
    gone = len(os.listdir(f"/proc/{server.pid}/fd")) <= fds_before
    time.sleep(0.1)
check("descriptors back to baseline after the clients leave", gone, f"{len(os.listdir(f'/proc/{server.pid}/fd'))} vs {fds_before}")

server.send_signal(signal.SIGTERM)
check("exit 0 after SIGTERM", server.wait(timeout=15) == 0)
print(f"load_test: {len(failures)} failed")
sys.exit(1 if failures else 0)
