#!/usr/bin/env python3
"""sb::server on the wire: keep-alive, pipelining, 100-continue, HEAD, HTTP/1.0, every malformed head
the parser refuses (status, then close), header/body/idle timeouts, the connection cap, and an SSE
client that never reads. Raw sockets, so that nothing between the test and the server is lenient.

usage: wire_test.py path/to/wire_server
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from common import start_server, wait_until

SERVER = sys.argv[1]
failures = []
passes = 0


def check(name, ok, detail=""):
    global passes
    if ok:
        passes += 1
    else:
        failures.append(name)
        print(f"FAIL {name}: {detail}", flush=True)


class Server:
    def __init__(self, *flags):
        self.proc, self.port = start_server(SERVER, *flags)

    def connections(self):
        """The connections the server holds a socket for (established, or closed by the client but
        not yet by the server), from the kernel's tables."""
        held = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = open(table).read().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                held += local_port == self.port and fields[3] in ("01", "08")
        return held

    def get_json(self, path):
        return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10).read())

    def wait_until(self, predicate, seconds=20):
        return wait_until(predicate, seconds)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = "hung"
        check("exit 0 after SIGTERM", code == 0, f"exit {code}")


def connect(server, timeout=10):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    """Reads responses off one connection, keeping what follows each one."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buffer += data

    def response(self, head_only=False):
        while b"\r\n\r\n" not in self.buffer:
            self.fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == 100:
            return status, headers, b""
        length = int(headers.get("content-length", "0"))
        if head_only:
            length = 0
        while len(self.buffer) < length:
            self.fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body


def closed_within(sock, seconds):
    """True when the server closes the connection within `seconds` (EOF or reset)."""
    sock.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def exchange(server, raw):
    s = connect(server)
    s.sendall(raw)
    r = Reader(s)
    try:
        status, headers, body = r.response()
    except EOFError:
        return None, {}, b"", True
    return status, headers, body, closed_within(s, 5)


GET_ADD = b"GET /api/tools/add?a=%d&b=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def keep_alive_and_pipelining(server):
    s = connect(server)
    r = Reader(s)
    s.sendall(GET_ADD % 1)
    status, _, body = r.response()
    s.sendall(GET_ADD % 2)
    status2, _, body2 = r.response()
    check("keep-alive: two requests on one connection", (status, body, status2, body2) == (200, b"2.0", 200, b"3.0"),
          f"{status} {body} {status2} {body2}")
    # 16 requests in one write, mixing a POST with a body, a chunked POST, a 404 and a HEAD: answered
    # in order.
    batch = b""
    expected = []
    for i in range(16):
        if i % 5 == 1:
            body = json.dumps({"text": f"t{i}"}).encode()
            batch += b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            expected.append((200, f'"t{i}"'.encode(), False))
        elif i % 5 == 2:
            body = json.dumps({"text": f"c{i}"}).encode()
            batch += b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
            expected.append((200, f'"c{i}"'.encode(), False))
        elif i % 5 == 3:
            batch += b"GET /api/tools/nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            expected.append((404, None, False))
        elif i % 5 == 4:
            batch += b"HEAD /api/tools/add?a=1&b=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            expected.append((200, b"", True))
        else:
            batch += GET_ADD % i
            expected.append((200, f"{i + 1}.0".encode(), False))
    s.sendall(batch)
    got = []
    for status_want, body_want, head in expected:
        status, headers, body = r.response(head_only=head)
        got.append((status, body))
        if status != status_want or (body_want is not None and body != body_want):
            break
    want = [(st, b) for st, b, _ in expected]
    check("pipelining: 16 answers in request order",
          all(g[0] == w[0] and (w[1] is None or g[1] == w[1]) for g, w in zip(got, want)) and len(got) == 16,
          f"got {got}")
    s.close()
    # Answers to requests already read are written together (up to 32 or 64 KiB at once): 100 of them,
    # then a malformed one, answered after all the others, and a stream after a batch.
    s = connect(server)
    r = Reader(s)
    s.sendall(b"".join(GET_ADD % i for i in range(100)) + b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n")
    answers = [r.response() for _ in range(101)]
    check("pipelining: 100 answers in order, then the refusal of a malformed one",
          [(st, b) for st, _, b in answers[:100]] == [(200, f"{i + 1}.0".encode()) for i in range(100)]
          and answers[100][0] == 400 and closed_within(s, 5), f"{[a[0] for a in answers]}")
    s = connect(server)
    r = Reader(s)
    s.sendall(GET_ADD % 1 + GET_ADD % 2 + b"GET /sse/probe/waiting?wait_ms=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    first, second, stream = r.response(), r.response(), r.response(head_only=True)
    while b"data: 2\n" not in r.buffer:
        r.fill()
    check("pipelining: answers, then a stream", (first[2], second[2], stream[0]) == (b"2.0", b"3.0", 200)
          and stream[1].get("content-type") == "text/event-stream", f"{first} {second} {stream}")
    s.close()


def split_bodies(server):
    # A body that arrives in pieces, its last piece together with the next request: both answered.
    s = connect(server)
    r = Reader(s)
    text = "y" * 6000
    body = json.dumps({"text": text}).encode()
    s.sendall(b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
              + body[:100])
    time.sleep(0.05)
    s.sendall(body[100:3000])
    time.sleep(0.05)
    s.sendall(body[3000:] + GET_ADD % 7)
    status, _, got = r.response()
    status2, _, got2 = r.response()
    check("a body in pieces, then a pipelined request: both intact",
          (status, got, status2, got2) == (200, json.dumps(text).encode(), 200, b"8.0"), f"{status} {got[:40]} {status2} {got2}")
    # A pipelined POST whose body arrives after the first answer has gone out.
    s.sendall(GET_ADD % 1 + b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"text\":")
    status, _, got = r.response()
    time.sleep(0.1)
    s.sendall(b'"later"}')
    status2, _, got2 = r.response()
    check("a pipelined body that arrives later", (status, got, status2, got2) == (200, b"2.0", 200, b'"later"'),
          f"{status} {got} {status2} {got2}")
    # The same with chunked framing.
    s.sendall(b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"tex")
    time.sleep(0.05)
    s.sendall(b"\r\nb\r\nt\":\"chunk\"}\r\n0\r\n\r\n" + GET_ADD % 2)
    status, _, got = r.response()
    status2, _, got2 = r.response()
    check("a chunked body in pieces, then a pipelined request", (status, got, status2, got2) == (200, b'"chunk"', 200, b"3.0"),
          f"{status} {got} {status2} {got2}")
    s.close()


def continue_and_head(server):
    s = connect(server)
    r = Reader(s)
    body = b'{"text":"after continue"}'
    s.sendall(b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
    status, _, _ = r.response()
    check("Expect: 100-continue gets 100 before the body", status == 100, f"{status}")
    s.sendall(body)
    status, _, got = r.response()
    check("then the answer", (status, got) == (200, b'"after continue"'), f"{status} {got}")
    s.sendall(b"HEAD /api/tools/add?a=1&b=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status, headers, _ = r.response(head_only=True)
    check("HEAD: the length of the GET answer, no body", status == 200 and headers.get("content-length") == "3",
          f"{status} {headers}")
    s.sendall(GET_ADD % 5)
    status, _, got = r.response()
    check("the connection goes on after HEAD", (status, got) == (200, b"6.0"), f"{status} {got}")
    s.close()
    # A body over the limit is refused before the client sends it.
    status, headers, got, closed = exchange(
        server, b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n")
    check("Expect with a body over the limit: 413 without 100, then close",
          status == 413 and b"payload_too_large" in got and closed, f"{status} {got} closed={closed}")
    # HTTP/1.0 without keep-alive closes; with it, stays.
    status, headers, got, closed = exchange(server, b"GET /api/tools/add?a=1&b=1 HTTP/1.0\r\n\r\n")
    check("HTTP/1.0: answered, then closed", status == 200 and got == b"2.0" and closed, f"{status} {got} {closed}")
    s = connect(server)
    r = Reader(s)
    s.sendall(b"GET /api/tools/add?a=1&b=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    status, headers, _ = r.response()
    s.sendall(b"GET /api/tools/add?a=2&b=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    status2, _, got = r.response()
    check("HTTP/1.0 keep-alive", status == 200 and headers.get("connection", "").lower() == "keep-alive" and got == b"3.0",
          f"{status} {headers} {got}")
    s.close()
    status, headers, got, closed = exchange(server, b"GET /api/tools/add?a=1&b=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    check("Connection: close is honoured", status == 200 and closed and headers.get("connection") == "close",
          f"{status} {headers} {closed}")


MALFORMED = [
    ("both Content-Length and Transfer-Encoding", 400,
     b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("differing Content-Length", 400, b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
    ("malformed Content-Length", 400, b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3x\r\n\r\nabc"),
    ("negative Content-Length", 400, b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n"),
    ("obs-fold", 400, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n  folded\r\n\r\n"),
    ("bare CR", 400, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\rX-A: a\r\n\r\n"),
    ("bare LF line ending", 400, b"GET / HTTP/1.1\nHost: t\n\n"),
    ("NUL in a value", 400, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\x00b\r\n\r\n"),
    ("invalid header name", 400, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX(A): a\r\n\r\n"),
    ("space before the colon", 400, b"GET / HTTP/1.1\r\nHost : t\r\n\r\n"),
    ("missing Host on 1.1", 400, b"GET / HTTP/1.1\r\nX-A: a\r\n\r\n"),
    ("repeated Host", 400, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    ("unknown transfer coding", 501, b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
    ("HTTP/2.0 in a request line", 505, b"GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n"),
    ("request target too long", 414, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    ("too many header fields", 431, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(120)) + b"\r\n"),
    ("head too large", 431, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: " + b"v" * 17000 + b"\r\n\r\n"),
    ("unknown expectation", 417, b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}"),
    ("malformed chunk size", 400, b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
    ("garbage request line", 400, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
]


def malformed(server):
    for name, want, raw in MALFORMED:
        status, _, body, closed = exchange(server, raw)
        ok = status == want and closed and body.startswith(b'{"error":')
        check(f"malformed: {name} -> {want} and close", ok, f"got {status} {body[:120]} closed={closed}")


def timeouts():
    server = Server("--header-timeout-ms", "800", "--body-timeout-ms", "800", "--idle-timeout-ms", "600")
    # A client trickling its head a byte at a time is answered 408 at the header deadline, however
    # often it sends.
    s = connect(server)
    started = time.monotonic()
    answer = b""
    s.settimeout(0.1)
    for byte in b"GET /api/tools/add?a=1&b=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 200:
        try:
            s.send(bytes([byte]))
        except OSError:
            break
        try:
            data = s.recv(4096)
            if data:
                answer += data
            else:
                break
        except socket.timeout:
            pass
        if time.monotonic() - started > 6:
            break
    took = time.monotonic() - started
    check("slow head: 408 at the header deadline", answer.startswith(b"HTTP/1.1 408") and 0.7 < took < 4,
          f"{answer[:60]} after {took:.1f}s")
    s.close()
    s = connect(server)
    s.sendall(b"POST /api/tools/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"te")
    started = time.monotonic()
    r = Reader(s)
    try:
        status, _, _ = r.response()
    except (EOFError, OSError):
        status = None
    took = time.monotonic() - started
    check("slow body: 408 at the body deadline", status == 408 and 0.6 < took < 4, f"{status} after {took:.1f}s")
    s.close()
    s = connect(server)
    r = Reader(s)
    s.sendall(GET_ADD % 1)
    r.response()
    started = time.monotonic()
    closed = closed_within(s, 5)
    took = time.monotonic() - started
    check("idle keep-alive connection closed at the idle timeout", closed and 0.4 < took < 4, f"closed={closed} after {took:.1f}s")
    s.close()
    server.stop()


def connection_cap():
    server = Server("--max-connections", "8")
    # The start-up probe's connection may not have been closed by a busy server yet: it would count.
    server.wait_until(lambda: server.connections() == 0, 20)
    held = [connect(server) for _ in range(8)]
    answers = []
    for s in held:
        s.sendall(b"GET /api/tools/add?a=1&b=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answers.append(Reader(s).response()[0])
    check("up to the connection cap, every connection is served", answers == [200] * 8, f"{answers}")
    status, headers, body, closed = exchange(server, GET_ADD % 1)
    check("past the connection cap: 503 with Retry-After, then close",
          status == 503 and headers.get("retry-after") == "1" and b"max_connections" in body and closed,
          f"{status} {headers} {body}")
    for s in held:
        s.close()
    ok = server.wait_until(lambda: exchange(server, GET_ADD % 1)[0] == 200, 10)
    check("served again once connections close", ok)
    server.stop()


def slow_consumer():
    server = Server("--max-send-queue", "262144")
    s = connect(server)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /sse/probe/flood?size=8192 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    # The client reads nothing: the stream must end (its clean-up runs) and memory stay bounded.
    ended = server.wait_until(lambda: server.get_json("/api/probe/streams")["finished"] >= 1, 20)
    check("an SSE client that never reads is cut off", ended, server.get_json("/api/probe/streams"))
    status, _, body, _ = exchange(server, GET_ADD % 1)
    check("others are served meanwhile", (status, body) == (200, b"2.0"), f"{status} {body}")
    rss = int(open(f"/proc/{server.proc.pid}/status").read().split("VmRSS:")[1].split()[0])
    check("server memory stays bounded (< 200 MiB RSS)", rss < 200 * 1024, f"{rss} KiB")
    s.close()
    # A client that leaves an idle stream: its endpoint wakes and returns at once, not at its next value.
    s = connect(server)
    s.sendall(b"GET /sse/probe/idle?wait_ms=60000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    r = Reader(s)
    status, headers, _ = r.response(head_only=True)
    check("SSE head", status == 200 and headers.get("content-type") == "text/event-stream" and "content-length" not in headers,
          f"{status} {headers}")
    opened = server.wait_until(lambda: server.get_json("/api/probe/streams")["open"] == 1, 10)
    before = server.get_json("/api/probe/streams")
    status, headers, body, closed = exchange(server, b"HEAD /sse/probe/idle?wait_ms=60000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    time.sleep(0.2)
    check("HEAD on a stream: its head, no body, the endpoint never runs",
          status == 200 and body == b"" and closed and server.get_json("/api/probe/streams") == before,
          f"{status} {body} {closed} {server.get_json('/api/probe/streams')} vs {before}")
    s.close()
    left = server.wait_until(lambda: server.get_json("/api/probe/streams")["open"] == 0, 5)
    check("a stream's clean-up runs as soon as its client leaves", opened and left, server.get_json("/api/probe/streams"))
    server.stop()


def blocking_endpoints():
    # One I/O thread and endpoints that block it: other clients are still served within moments,
    # because the monitor adds a thread to the loop.
    server = Server("--io-threads", "1")
    sleepers = []
    for _ in range(4):
        s = connect(server, timeout=20)
        s.sendall(b"GET /api/probe/sleep?ms=4000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sleepers.append(s)
    time.sleep(0.2)  # the sleepers are inside their calls
    started = time.monotonic()
    s = connect(server)
    s.sendall(GET_ADD % 1)
    status, _, body = Reader(s).response()
    took = time.monotonic() - started
    s.close()
    check("blocking endpoints do not stall the others", (status, body) == (200, b"2.0") and took < 1.5,
          f"{status} {body} after {took:.2f}s")
    answers = [Reader(s).response() for s in sleepers]
    check("and they are answered too", all(a[0] == 200 and a[2] == b"4000" for a in answers), f"{answers}")
    for s in sleepers:
        s.close()
    server.stop()


def main():
    server = Server()
    keep_alive_and_pipelining(server)
    split_bodies(server)
    continue_and_head(server)
    malformed(server)
    status, _, body, _ = exchange(server, GET_ADD % 41)
    check("still serving after every refusal", (status, body) == (200, b"42.0"), f"{status} {body}")
    server.stop()
    timeouts()
    blocking_endpoints()
    connection_cap()
    slow_consumer()
    print(f"server_wire: {passes} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


main()
