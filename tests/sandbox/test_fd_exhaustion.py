"""`event-composer sandbox` out of file descriptors (a lowered RLIMIT_NOFILE, real sockets):
it says so in one line, logs no stack trace, keeps serving and recovers."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FD_LIMIT = 48


# The sandbox CLI started with its soft RLIMIT_NOFILE lowered (in the child itself, so no
# preexec_fn in this threaded test process).
_LAUNCH = (
    "import resource, runpy, sys\n"
    "_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
    f"resource.setrlimit(resource.RLIMIT_NOFILE, ({FD_LIMIT}, hard))\n"
    "sys.argv = ['event-composer', 'sandbox', '--port', '0']\n"
    "runpy.run_module('composer', run_name='__main__')\n"
)


def _stats(port: int) -> dict[str, object]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET /sandbox/stats HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        return _json_answer(sock)


def _json_answer(sock: socket.socket) -> dict[str, object]:
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    length = int(
        next(
            line.split(b":")[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += sock.recv(65536)
    result: dict[str, object] = json.loads(body)
    return result


def test_running_out_of_file_descriptors_logs_no_stack_trace() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCH],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    held: list[socket.socket] = []
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().decode()
        port = int(first.rsplit(":", 1)[1])
        # Far more connections than the sandbox may hold files: the rest wait in the backlog.
        held = [
            socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3 * FD_LIMIT)
        ]
        time.sleep(2.5)  # asyncio hits EMFILE, pauses accepting for 1 s, tries again
        held[0].sendall(f"GET /sandbox/stats HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        assert "requests" in _json_answer(held[0])  # an accepted connection is still served
        for sock in held:
            sock.close()
        held = []
        deadline = time.monotonic() + 15
        while True:  # accepting again once connections have closed
            try:
                assert "requests" in _stats(port)
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        for sock in held:
            sock.close()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    log = err.decode()
    assert proc.returncode == 0, log
    assert "Traceback" not in log, log
    assert "cannot accept new connections" in log, log
    assert log.count("cannot accept new connections") <= 2, log
