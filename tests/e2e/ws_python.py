#!/usr/bin/python3
# The showcase's WebSockets driven by Debian's python3-websockets: JSON-RPC at /rpc (a call, a
# batch, a stream's notifications before its answer) and the chat room at /ws/chat/public_room
# (welcome, arrivals, messages to everyone, departures, error events, JSON ping); and ws_echo with
# --compress, which this client's default permessage-deflate offer is accepted by.
# usage: /usr/bin/python3 ws_python.py path/to/showcase path/to/ws_echo
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import websockets

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(program, *flags):
    port = free_port()
    server = subprocess.Popen([program, "--port", str(port), *flags], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/_describe", timeout=1).read()
            return server, port
        except OSError:
            time.sleep(0.05)
    server.kill()
    sys.exit("the showcase did not start")


async def next_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), 20))


async def rpc(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/rpc") as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "tools.add", "params": [2, 3], "id": 1}))
        check(await next_json(ws) == {"jsonrpc": "2.0", "result": 5, "id": 1}, "rpc: tools.add")
        await ws.send(json.dumps([{"jsonrpc": "2.0", "method": "tools.toUpperCase", "params": {"text": "ab"}, "id": "u"},
                                  {"jsonrpc": "2.0", "method": "tools.add", "params": [1, 1]}]))
        batch = await next_json(ws)
        check(batch == [{"jsonrpc": "2.0", "result": "AB", "id": "u"}], "rpc: a batch answers its calls, not its notifications")
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "progress.count", "params": {"n": 3, "delay_ms": 1}, "id": 7}))
        steps = [await next_json(ws) for _ in range(3)]
        check([s["params"]["value"]["step"] for s in steps] == [1, 2, 3] and all(s["params"]["id"] == 7 for s in steps),
              "rpc: a stream's values come as notifications carrying the call's id")
        done = await next_json(ws)
        check(done.get("id") == 7 and "error" not in done, "rpc: then the call's answer")
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "nope.nothing", "id": 2}))
        check((await next_json(ws))["error"]["code"] == -32601, "rpc: an unknown method is -32601")


async def chat(port):
    room = f"ws://127.0.0.1:{port}/ws/chat/public_room"
    async with websockets.connect(room) as ada:
        welcome = await next_json(ada)
        check(welcome["event"] == "welcome" and welcome["data"]["user"] in welcome["data"]["users"], "chat: welcome")
        async with websockets.connect(room) as bob:
            bob_welcome = await next_json(bob)
            joined = await next_json(ada)
            check(joined == {"event": "user_joined", "data": {"id": bob_welcome["data"]["id"], "user": bob_welcome["data"]["user"]}},
                  "chat: the others hear of an arrival")
            await ada.send(json.dumps({"event": "chat_message", "data": {"message": "hi from python"}}))
            said = {"event": "new_message", "data": {"user": welcome["data"]["user"], "text": "hi from python"}}
            check(await next_json(ada) == said and await next_json(bob) == said, "chat: a message reaches everyone")
            await bob.send(json.dumps({"event": "chat_message", "data": {"message": ""}}))
            error = await next_json(bob)
            check(error["event"] == "error" and error["data"]["event"] == "chat_message"
                  and error["data"]["error"]["kind"] == "invalid_argument", "chat: a bad message is an error event")
            await bob.send(json.dumps({"type": "ping"}))
            check(await next_json(bob) == {"type": "pong"}, "chat: a JSON ping is ponged")
            pong_waiter = await bob.ping(b"p")
            await asyncio.wait_for(pong_waiter, 20)
            check(True, "chat: a control ping is ponged")
        left = await next_json(ada)
        check(left == {"event": "user_left", "data": {"id": bob_welcome["data"]["id"], "user": bob_welcome["data"]["user"]}},
              "chat: the others hear of a departure")
        await ada.send(b"\x01\x02")
        try:
            await asyncio.wait_for(ada.recv(), 20)
            check(False, "chat: binary closes the connection")
        except websockets.ConnectionClosed as closed:
            check(closed.code == 1003, f"chat: binary closes with 1003 (got {closed.code})")


async def refused(port):
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/chat/nowhere"):
            check(False, "an unknown path is refused")
    except websockets.InvalidStatusCode as e:
        check(e.status_code == 404, f"an unknown path is refused with 404 (got {e.status_code})")


async def compressed(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/anywhere") as ws:
        check("permessage-deflate" in (ws.response_headers.get("Sec-WebSocket-Extensions") or ""),
              "echo: permessage-deflate is negotiated")
        for text in ["short", "x" * 100000, json.dumps({"k": list(range(2000))}), "é✓" * 5000]:
            await ws.send(text)
            check(await asyncio.wait_for(ws.recv(), 20) == text, f"echo: {len(text)} characters come back")
        data = bytes(range(256)) * 4096
        await ws.send(data)
        check(await asyncio.wait_for(ws.recv(), 20) == data, "echo: 1 MiB of binary")


def run(program, flags, *scenarios):
    server, port = start(program, *flags)
    try:
        for scenario in scenarios:
            asyncio.run(scenario(port))
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
        check(code == 0, f"{os.path.basename(program)} exits 0 on SIGTERM (got {code})")


def main():
    run(sys.argv[1], [], rpc, chat, refused)
    run(sys.argv[2], ["--compress"], compressed)
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
