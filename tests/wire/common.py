"""What the wire-level test scripts share."""
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(condition, seconds):
    """Polls `condition` until it holds or `seconds` pass; its last answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def answers_http(port):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/probe/streams", timeout=1).read()
        return True
    except urllib.error.HTTPError:
        return True  # an answer all the same (401 when a token is required)
    except OSError:
        return False


def start_server(binary, *flags):
    """A wire_server on a free port, once it answers HTTP: (process, port). Its log is dropped, so
    that a full pipe can never stall it."""
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), *flags], stderr=subprocess.DEVNULL)
    if not wait_until(lambda: answers_http(port), 20):
        proc.kill()
        raise SystemExit(f"{binary} did not start")
    return proc, port
