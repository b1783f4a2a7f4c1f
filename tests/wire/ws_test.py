#!/usr/bin/env python3
"""WebSocket on sb::server, from raw sockets (a client that breaks every rule it can): handshake
refusals, ping and pong, the close handshake, each protocol error's close code as it reaches the
wire, invalid UTF-8 failing before its frame is complete, the message limit, JSON-RPC at /rpc
(calls, batches, notifications, streams), a client that does not read, a silent client dropped by
the heartbeat, the server's stop, cancelling a stream (rpc.cancel), the message rate, idleness and
per-address limits, authentication by a first message, and permessage-deflate (negotiation,
compressed calls and answers, bombs, bad data, RSV1 rules).

usage: ws_test.py path/to/wire_server
"""
import base64
import hashlib
import json
import os
import signal
import socket
import struct
import sys
import time
import urllib.request
import zlib

from common import start_server, wait_until

SERVER = sys.argv[1]
failures = []
passes = 0
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


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

    def streams(self):
        return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/probe/streams", timeout=5).read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)


def client_frame(opcode, payload=b"", fin=True, masked=True, rsv=0):
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    mask_bit = 0x80 if masked else 0
    n = len(payload)
    if n < 126:
        head += bytes([mask_bit | n])
    elif n <= 0xFFFF:
        head += bytes([mask_bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class Client:
    def __init__(self, port, path="/rpc", extra=b"", timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.key = base64.b64encode(os.urandom(16))
        self.sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Key: " + self.key +
                          b"\r\nSec-WebSocket-Version: 13\r\n" + extra + b"\r\n")
        self.buffer = bytearray()
        self.pos = 0
        head = self._read_until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1]) if head else 0
        self.head = head
        if self.status == 101:
            accept = base64.b64encode(hashlib.sha1(self.key + GUID).digest())
            check("handshake: the accept key", b"Sec-WebSocket-Accept: " + accept in head, head)

    # The bytes received and not yet taken are buffer[pos:]: taking a frame does not copy the rest
    # (thousands of small frames would otherwise cost quadratic time).
    def _fill(self, size):
        chunk = self.sock.recv(size)
        if not chunk:
            return False
        if self.pos > 65536:
            del self.buffer[:self.pos]
            self.pos = 0
        self.buffer += chunk
        return True

    def _read_until(self, marker):
        while self.buffer.find(marker, self.pos) < 0:
            if not self._fill(65536):
                return b""
        at = self.buffer.find(marker, self.pos) + len(marker)
        out = bytes(self.buffer[self.pos:at])
        self.pos = at
        return out

    def _read_exact(self, n):
        while len(self.buffer) - self.pos < n:
            if not self._fill(max(65536, n - (len(self.buffer) - self.pos))):
                raise EOFError
        out = bytes(self.buffer[self.pos:self.pos + n])
        self.pos += n
        return out

    def send(self, opcode, payload=b"", **kw):
        self.sock.sendall(client_frame(opcode, payload, **kw))

    def text(self, value):
        self.send(1, json.dumps(value).encode() if not isinstance(value, (bytes, str)) else
                  (value.encode() if isinstance(value, str) else value))

    def frame(self):
        """(opcode, payload) of the next frame from the server; None when the connection ended."""
        try:
            b0, b1 = self._read_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read_exact(8))[0]
            if b1 & 0x80:
                raise AssertionError("a server frame is masked")
            self.rsv = b0 & 0x70
            return b0 & 0x0F, self._read_exact(n)
        except (EOFError, ConnectionResetError):
            return None

    def message(self):
        """The next data message as JSON (control frames are skipped)."""
        while True:
            f = self.frame()
            if f is None or f[0] == 8:
                return f
            if f[0] in (1, 2):
                return json.loads(f[1])

    def close_code(self):
        """Reads until the server's close frame: its code (None when the connection just ended)."""
        while True:
            f = self.frame()
            if f is None:
                return None
            if f[0] == 8:
                return struct.unpack(">H", f[1][:2])[0] if len(f[1]) >= 2 else 1005

    def ended(self, seconds=5):
        """The server ended the TCP connection (EOF or reset) within `seconds`."""
        self.sock.settimeout(seconds)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def rpc(method, params, id=1):
    return {"jsonrpc": "2.0", "method": method, "params": params, "id": id}


# ---- handshakes ----------------------------------------------------------------------------------
s = Server("--ws-max-message", "65536", "--max-send-queue", "65536")


def raw_handshake(text):
    c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    c.sendall(text)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    c.close()
    return data


good = (b"GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
answer = raw_handshake(good + b"\r\n")
check("handshake: 101 with the RFC's accept key", answer.startswith(b"HTTP/1.1 101 ") and
      b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in answer, answer)
answer = raw_handshake(good.replace(b"Version: 13", b"Version: 8") + b"\r\n")
check("handshake: another version is 426 naming 13", answer.startswith(b"HTTP/1.1 426 ") and
      b"Sec-WebSocket-Version: 13\r\n" in answer, answer)
check("handshake: a short key is 400",
      raw_handshake(good.replace(b"dGhlIHNhbXBsZSBub25jZQ==", b"c2hvcnQ=") + b"\r\n").startswith(b"HTTP/1.1 400 "))
check("handshake: no Connection: Upgrade is 400",
      raw_handshake(good.replace(b"Connection: Upgrade", b"Connection: keep-alive") + b"\r\n").startswith(b"HTTP/1.1 400 "))
check("handshake: a foreign page's origin is 403",
      raw_handshake(good + b"Origin: http://evil.example\r\n\r\n").startswith(b"HTTP/1.1 403 "))
check("handshake: the server's own origin is accepted",
      raw_handshake(good + b"Origin: http://127.0.0.1\r\n\r\n").startswith(b"HTTP/1.1 101 "))
answer = raw_handshake(good.replace(b"/rpc", b"/nowhere") + b"\r\n")
check("handshake: no WebSocket at the path is 404", answer.startswith(b"HTTP/1.1 404 "), answer)
# A request pipelined before the upgrade is answered first, in order.
raw = socket.create_connection(("127.0.0.1", s.port), timeout=10)
raw.sendall(b"GET /api/tools/add?a=1&b=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + good + b"\r\n")
data = b""
while b"HTTP/1.1 101 " not in data or not data.endswith(b"\r\n\r\n"):
    chunk = raw.recv(4096)
    if not chunk:
        break
    data += chunk
check("pipelined: the answer before the upgrade goes first",
      data.startswith(b"HTTP/1.1 200 ") and data.index(b"3.0") < data.index(b"HTTP/1.1 101 "), data)
raw.sendall(client_frame(9, b"after"))
pong = b""
while len(pong) < 7:
    chunk = raw.recv(7 - len(pong))
    if not chunk:
        break
    pong += chunk
check("pipelined: then the connection is a WebSocket", pong == b"\x8a\x05after", pong)
raw.close()
check("handshake: plain HTTP still works on the port",
      urllib.request.urlopen(f"http://127.0.0.1:{s.port}/api/tools/add?a=2&b=3", timeout=5).read() == b"5.0")

# ---- JSON-RPC at /rpc ----------------------------------------------------------------------------
c = Client(s.port)
check("rpc: upgraded", c.status == 101, c.head)
c.text(rpc("tools.add", [2, 3], 7))
check("rpc: a call", c.message() == {"jsonrpc": "2.0", "result": 5.0, "id": 7})
c.text(rpc("tools.add", {"a": 1, "b": 2}, "x"))
check("rpc: named parameters, a string id", c.message() == {"jsonrpc": "2.0", "result": 3.0, "id": "x"})
c.text([rpc("tools.add", [1, 1], 1), {"jsonrpc": "2.0", "method": "tools.add", "params": [0, 0]},
        rpc("tools.nope", [], 2)])
batch = c.message()
check("rpc: a batch answers its calls, not its notification",
      isinstance(batch, list) and len(batch) == 2 and batch[0]["result"] == 2.0 and
      batch[1]["error"]["code"] == -32601, batch)
c.text({"jsonrpc": "2.0", "method": "tools.add", "params": [1, 2]})
c.text(rpc("tools.add", [4, 4], 9))
check("rpc: a notification gets no answer", c.message() == {"jsonrpc": "2.0", "result": 8.0, "id": 9})
c.text("{not json")
check("rpc: a parse error", c.message()["error"]["code"] == -32700)
c.text(rpc("probe.idle", {"wait_ms": 50}, 11))
values = [c.message() for _ in range(3)]
check("rpc: a stream's values are notifications carrying its id",
      all(v["method"] == "stream" and v["params"]["id"] == 11 for v in values) and
      [v["params"]["value"] for v in values] == [0, 1, 2], values)
c.text(rpc("tools.add", [20, 22], 12))
while True:  # the stream goes on; the call sent after it is answered meanwhile
    m = c.message()
    if m.get("id") == 12:
        break
check("rpc: a call is answered while a stream of the same connection runs", m["result"] == 42.0, m)
c.send(8, struct.pack(">H", 1000))
check("rpc: leaving ends the stream", wait_until(lambda: s.streams()["open"] == 0, 10), s.streams())
c.sock.close()

# ---- control frames and closing ------------------------------------------------------------------
c = Client(s.port)
c.send(9, b"are you there")
check("ping: answered by a pong with its payload", c.frame() == (10, b"are you there"))
c.send(8, struct.pack(">H", 1000) + b"done")
check("close: the code is echoed", c.close_code() == 1000)
check("close: the server ends the TCP connection", c.ended())

c = Client(s.port)
c.send(8)
check("close: an empty close is answered by an empty close", c.frame() == (8, b""))
check("close: then the connection ends", c.ended())


def failure(name, frames, expected, prefix=b""):
    c = Client(s.port)
    if prefix:
        c.sock.sendall(prefix)
    for f in frames:
        try:
            c.sock.sendall(f)
        except (BrokenPipeError, ConnectionResetError):
            break
    code = c.close_code()
    check(name, code == expected, f"close code {code}, expected {expected}")
    check(name + ": connection ended", c.ended())
    c.sock.close()


failure("error: an unmasked frame is 1002", [client_frame(1, b"x", masked=False)], 1002)
failure("error: reserved bits are 1002", [client_frame(1, b"x", rsv=0x40)], 1002)
failure("error: a reserved opcode is 1002", [client_frame(3, b"x")], 1002)
failure("error: a fragmented ping is 1002", [client_frame(9, b"x", fin=False)], 1002)
failure("error: a long ping is 1002", [client_frame(9, b"x" * 126)], 1002)
failure("error: a lone continuation is 1002", [client_frame(0, b"x")], 1002)
failure("error: a new message inside another is 1002", [client_frame(1, b"a", fin=False), client_frame(1, b"b")], 1002)
failure("error: a close code that may not be sent is 1002", [client_frame(8, struct.pack(">H", 1005))], 1002)
failure("error: a one-byte close is 1002", [client_frame(8, b"x")], 1002)
failure("error: a close reason that is not UTF-8 is 1007", [client_frame(8, struct.pack(">H", 1000) + b"\xff")], 1007)
failure("error: binary at /rpc is 1003", [client_frame(2, b"\x01\x02")], 1003)
failure("limit: a message over --ws-max-message is 1009", [client_frame(1, b"x" * 65537)[:14]], 1009)
failure("limit: fragments over the limit are 1009",
        [client_frame(1, b"[" * 40000, fin=False), client_frame(0, b"]" * 30000)], 1009)

# Invalid UTF-8 fails the connection as the bad byte arrives, with the rest of the frame unsent.
bad = client_frame(1, b"a" * 1000 + b"\xff" + b"b" * 1000)
c = Client(s.port)
c.sock.sendall(bad[:len(bad) - 1000])
check("utf-8: 1007 before the frame is complete", c.close_code() == 1007)
c.sock.close()

# A fragmented message with pings between, one byte per send.
c = Client(s.port)
frames = (client_frame(1, b'{"jsonrpc":"2.0","method":"tools.add",', fin=False) + client_frame(9, b"p") +
          client_frame(0, b'"params":[40,2],', fin=False) + client_frame(0, b'"id":3}'))
for i in range(len(frames)):
    c.sock.sendall(frames[i:i + 1])
first = c.frame()
check("fragments: the ping between them is answered at once", first == (10, b"p"), first)
check("fragments: the message assembled", c.message() == {"jsonrpc": "2.0", "result": 42.0, "id": 3})
c.sock.close()

# ---- a client that does not read -----------------------------------------------------------------
c = Client(s.port)
c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
c.text(rpc("probe.flood", {"size": 1000}, 1))
check("slow consumer: the stream ends once the client is a send queue behind",
      wait_until(lambda: s.streams()["open"] == 0 and s.streams()["finished"] >= 2, 20), s.streams())
check("slow consumer: the server still answers others",
      urllib.request.urlopen(f"http://127.0.0.1:{s.port}/api/tools/add?a=1&b=1", timeout=5).read() == b"2.0")
code = c.close_code()
check("slow consumer: closed with 1008", code == 1008, code)
c.sock.close()

# Pings from a client that reads nothing: their pongs count against the send queue like any message.
def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


c = Client(s.port)  # kernel buffers hold about 10 MB of the pongs; the server's queue 64 KiB
before = rss_kib(s.proc.pid)
pings = client_frame(9, b"p" * 125) * 1000
try:
    for _ in range(200):  # 200,000 pings: 25 MB of pongs, were they all kept
        c.sock.sendall(pings)
except (BrokenPipeError, ConnectionResetError):
    pass
code = c.close_code()
check("ping flood: closed with 1008", code == 1008, code)
grown = rss_kib(s.proc.pid) - before
check("ping flood: the server kept no backlog of pongs", grown < 10 * 1024, f"{grown} KiB more")
c.sock.close()
check("stop: exit 0", s.stop() == 0)

# ---- authentication: the handshake's request goes through the authenticate hook ----------------
s = Server("--auth-token", "sesame")
refused = Client(s.port)
check("auth: a handshake without the token is 401", refused.status == 401, refused.head)
refused.sock.close()
admitted = Client(s.port, extra=b"Authorization: Bearer sesame\r\n")
check("auth: with the token, upgraded", admitted.status == 101, admitted.head)
admitted.text(rpc("tools.add", [1, 2], 1))
check("auth: and calls", admitted.message() == {"jsonrpc": "2.0", "result": 3.0, "id": 1})
admitted.sock.close()
check("auth: exit 0", s.stop() == 0)

# ---- heartbeat and stop --------------------------------------------------------------------------
s = Server("--ws-ping-s", "1", "--ws-pong-timeout-s", "3")
silent = Client(s.port)
lively = Client(s.port)


def dropped(sock):
    """Whether the server ended `sock`, reading (and dropping) what it sent meanwhile."""
    sock.setblocking(False)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)


# The lively client answers pings, as browsers do, until the server drops the silent one.
got_ping, silent_dropped = False, False
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not silent_dropped:
    lively.sock.settimeout(0.2)
    try:
        f = lively.frame()
        if f and f[0] == 9:
            got_ping = True
            lively.send(10, f[1])
    except socket.timeout:
        pass
    silent_dropped = dropped(silent.sock)
check("heartbeat: the server pings", got_ping)
check("heartbeat: a silent client is dropped", silent_dropped)
lively.sock.settimeout(10)
lively.text(rpc("tools.add", [1, 2], 1))
while True:
    f = lively.frame()
    if f is None or f[0] != 9:
        break
    lively.send(10, f[1])
check("heartbeat: the lively one still calls", f is not None and json.loads(f[1])["result"] == 3.0, f)
streaming = Client(s.port)
streaming.text(rpc("probe.idle", {"wait_ms": 100000}, 5))
check("stop: a stream is running", wait_until(lambda: s.streams()["open"] == 1, 10))
s.proc.send_signal(signal.SIGTERM)
code = lively.close_code()
check("stop: clients get 1001", code == 1001, code)
check("stop: a streaming client gets 1001", streaming.close_code() == 1001)
check("stop: exit 0", s.proc.wait(timeout=15) == 0)

# ---- cancelling a stream ---------------------------------------------------------------------
s = Server()
c = Client(s.port)
for method in ("probe.idle", "probe.waiting"):  # a thread that waits, and a coroutine
    c.text(rpc(method, {"wait_ms": 100000}, "s1"))
    first = c.message()
    check(f"cancel {method}: the first value", first and first["params"] == {"id": "s1", "value": 0}, first)
    started = time.monotonic()
    c.text(rpc("rpc.cancel", {"id": "s1"}, 9))
    answers = {}
    while len(answers) < 2:
        m = c.message()
        if not isinstance(m, dict):
            break
        answers[m.get("id")] = m
    check(f"cancel {method}: rpc.cancel answers true", answers.get(9, {}).get("result") is True, answers)
    ended = answers.get("s1", {})
    check(f"cancel {method}: the call ends with -32800", ended.get("error", {}).get("code") == -32800, ended)
    check(f"cancel {method}: at once, not after its wait", time.monotonic() - started < 5, time.monotonic() - started)
check("cancel: the streams ended", wait_until(lambda: s.streams()["open"] == 0, 10), s.streams())
c.text(rpc("rpc.cancel", {"id": "nothing"}, 10))
check("cancel: no such stream is false", c.message() == {"jsonrpc": "2.0", "result": False, "id": 10})
c.text(rpc("rpc.cancel", [1], 11))
bad = c.message()
check("cancel: bad params are -32602", bad.get("error", {}).get("code") == -32602, bad)
c.text({"jsonrpc": "2.0", "method": "rpc.cancel", "params": {"id": "nothing"}})  # a notification: no answer
c.text(rpc("tools.add", [1, 1], 12))
check("cancel: a notification gets no answer", c.message() == {"jsonrpc": "2.0", "result": 2.0, "id": 12})
check("cancel: server exits 0", s.stop() == 0)

# ---- limits: message rate, idleness, connections per address ---------------------------------
s = Server("--ws-rate", "20", "--ws-idle-s", "2", "--ws-per-ip", "3")
flooder = Client(s.port)
for i in range(60):
    flooder.text(rpc("tools.add", [i, 1], i))
code = flooder.close_code()
check("rate: more than 20 messages a second closes with 1008", code == 1008, code)
paced = Client(s.port)
ok = True
for i in range(30):  # 30 messages, more than the bucket's 20, at 10 a second: the bucket refills
    paced.text(rpc("tools.add", [i, 1], i))
    m = paced.message()
    ok = ok and isinstance(m, dict) and m.get("result") == i + 1
    time.sleep(0.1)  # the pace under test, not a wait for the server
check("rate: a client that keeps within the rate is served past the first second's worth", ok)
started = time.monotonic()
code = paced.close_code()  # says nothing more: idle
waited = time.monotonic() - started
check("idle: a client without messages is closed with 1000", code == 1000, code)
check("idle: after about websocket_idle_timeout_s", 1.0 < waited < 10, waited)
for gone in (flooder, paced):
    gone.sock.close()
held = []


def admit_one():
    """Opens a connection and keeps it if it was accepted (ended ones are released a little later)."""
    c = Client(s.port)
    if c.status == 101:
        held.append(c)
        return True
    c.sock.close()
    return False


check("per ip: three are accepted", all(wait_until(admit_one, 10) for _ in range(3)), len(held))
fourth = Client(s.port)
check("per ip: the fourth gets 429", fourth.status == 429, fourth.head)
refusal = bytes(fourth.buffer[fourth.pos:])
try:
    refusal += fourth.sock.recv(4096)
except OSError:
    pass
check("per ip: saying why", b"websocket_max_per_ip" in refusal, refusal)
held[0].send(8, struct.pack(">H", 1000))
held[0].close_code()
held[0].sock.close()
check("per ip: a closed one makes room", wait_until(admit_one, 10))
check("limits: server exits 0", s.stop() == 0)

# ---- authentication by a first message ---------------------------------------------------------
s = Server("--ws-auth-message", "sesame", "--ws-auth-timeout-s", "1")
good = Client(s.port)
good.text({"type": "auth", "token": "sesame"})
check("auth: a good token is answered", good.message() == {"type": "auth_response", "user": "tester"})
good.text(rpc("tools.add", [2, 2], 1))
check("auth: then calls are served", good.message() == {"jsonrpc": "2.0", "result": 4.0, "id": 1})
wrong = Client(s.port)
wrong.text({"type": "auth", "token": "guess"})
answer = wrong.message()
check("auth: a wrong token gets auth_error", answer.get("type") == "auth_error"
      and answer.get("error", {}).get("kind") == "unauthorized", answer)
check("auth: then 1008", wrong.close_code() == 1008)
early = Client(s.port)
early.text(rpc("tools.add", [2, 2], 1))
answer = early.message()
check("auth: anything before auth gets auth_error", answer.get("type") == "auth_error", answer)
check("auth: and 1008", early.close_code() == 1008)
silent_client = Client(s.port)
started = time.monotonic()
code = silent_client.close_code()
check("auth: no auth message within the timeout: 1008", code == 1008, code)
check("auth: on time", time.monotonic() - started < 8, time.monotonic() - started)
check("auth: server exits 0", s.stop() == 0)

# ---- permessage-deflate -------------------------------------------------------------------------
def deflated(data):
    z = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


s = Server("--ws-compress", "--ws-max-message", str(1 << 20))
offer = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
c = Client(s.port, extra=offer)
check("deflate: negotiated", b"Sec-WebSocket-Extensions: permessage-deflate\r\n" in c.head, c.head)
long_text = "compress me " * 1000
c.send(1, deflated(json.dumps(rpc("tools.echo", [long_text], 1)).encode()), rsv=0x40)
first = c.frame()
check("deflate: a large answer comes compressed (RSV1)", first is not None and first[0] == 1 and c.rsv == 0x40,
      first and (first[0], c.rsv))
check("deflate: and smaller", first is not None and len(first[1]) < len(long_text) // 10, first and len(first[1]))
inflater = zlib.decompressobj(-15)
answer = json.loads(inflater.decompress(first[1] + b"\x00\x00\xff\xff")) if first else {}
check("deflate: and inflates to the answer", answer.get("result") == long_text, str(answer)[:200])
c.text(rpc("tools.add", [1, 2], 2))  # uncompressed messages still work
check("deflate: an uncompressed call too", c.message() == {"jsonrpc": "2.0", "result": 3.0, "id": 2})
c.send(1, deflated(b"\x00" * (4 << 20)), rsv=0x40)  # 4 MiB of zeros in about 4 KB: a bomb
code = c.close_code()
check("deflate: a message that inflates past the limit is 1009", code == 1009, code)
c = Client(s.port, extra=offer)
c.send(1, b"\xff\xff\xff\xff not deflate", rsv=0x40)
code = c.close_code()
check("deflate: bad compressed data is 1007", code == 1007, code)
c = Client(s.port, extra=offer)
c.send(1, deflated(b"\xff\xfe not UTF-8"), rsv=0x40)
code = c.close_code()
check("deflate: compressed text that is not UTF-8 is 1007", code == 1007, code)
c = Client(s.port, extra=offer)
c.send(1, deflated(b'{"jsonrpc":"2.0",'), rsv=0x40, fin=False)
c.send(0, b"x", rsv=0x40)
code = c.close_code()
check("deflate: RSV1 on a continuation is 1002", code == 1002, code)
plain = Client(s.port)
check("deflate: not offered, not answered", b"Sec-WebSocket-Extensions" not in plain.head, plain.head)
plain.send(1, deflated(b"[]"), rsv=0x40)
code = plain.close_code()
check("deflate: RSV1 without the extension is 1002", code == 1002, code)
declined = Client(s.port, extra=b"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=8\r\n")
check("deflate: an offer it cannot keep is declined", declined.status == 101
      and b"Sec-WebSocket-Extensions" not in declined.head, declined.head)
check("deflate: server exits 0", s.stop() == 0)

# ---- subprotocols --------------------------------------------------------------------------------
s = Server("--ws-subprotocols", "chat.v2,chat.v1")
c = Client(s.port, "/ws/probe/who", extra=b"Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n")
check("subprotocol: the server's first choice among the offered", c.status == 101
      and b"\r\nSec-WebSocket-Protocol: chat.v2\r\n" in c.head, c.head)
c.text({"event": "subprotocol"})
answer = c.message()
check("subprotocol: a handler sees it", answer == {"event": "subprotocol", "data": "chat.v2"}, answer)
c = Client(s.port, "/ws/probe/who", extra=b"Sec-WebSocket-Protocol: other\r\nSec-WebSocket-Protocol: chat.v1\r\n")
check("subprotocol: offers over several header lines count", b"Sec-WebSocket-Protocol: chat.v1\r\n" in c.head, c.head)
c = Client(s.port, "/ws/probe/who", extra=b"Sec-WebSocket-Protocol: mqtt\r\n")
check("subprotocol: none in common: accepted without one", c.status == 101
      and b"Sec-WebSocket-Protocol" not in c.head, c.head)
c.text({"event": "subprotocol"})
answer = c.message()
check("subprotocol: and the handler sees none", answer == {"event": "subprotocol", "data": ""}, answer)
c = Client(s.port, "/ws/probe/who")
check("subprotocol: none offered: none answered", c.status == 101 and b"Sec-WebSocket-Protocol" not in c.head, c.head)
check("subprotocol: server exits 0", s.stop() == 0)

print(f"ws_test: {passes} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
