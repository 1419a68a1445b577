"""`event-composer sandbox` as a tester runs it: a real process on a free loopback port."""

from __future__ import annotations

import json
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from composer.domain import bulk
from tests.sandbox.conftest import event_body, headers

_FIRST_LINE = re.compile(r"^Sandbox listening on (http://127\.0\.0\.1:(\d+))$")


def _read_line(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            proc.kill()
            raise AssertionError("the sandbox printed nothing in time")
    # Unbuffered: readline takes exactly one line, the rest stays for communicate().
    return proc.stdout.readline().decode().rstrip("\n")


@contextmanager
def sandbox_process(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "composer", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    try:
        first = _read_line(proc)
        match = _FIRST_LINE.match(first)
        assert match, f"first line was {first!r}"
        assert match[2] != "0"
        yield proc, match[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _stop(proc: subprocess.Popen[bytes], sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, out.decode(), err.decode()


def test_serves_on_a_free_port_says_it_is_not_klaviyo_and_stops_on_ctrl_c() -> None:
    with sandbox_process("--steady-limit", "7") as (proc, url):
        response = httpx.post(
            f"{url}/api/events/", content=json.dumps(event_body()), headers=headers(), timeout=10
        )
        assert response.status_code == 202
        assert response.headers["RateLimit-Limit"] == "7"
        events = httpx.get(f"{url}/sandbox/events", timeout=10).json()
        assert events["count"] == 1
        code, out, err = _stop(proc, signal.SIGINT)
    assert code == 0, err
    assert "not klaviyo" in out.lower()
    assert "Traceback" not in err
    assert out.rstrip().endswith("Sandbox stopped.")


def test_deny_scope_answers_403_and_sigterm_also_stops_cleanly() -> None:
    with sandbox_process("--deny-scope") as (proc, url):
        response = httpx.post(
            f"{url}/api/events/", content=json.dumps(event_body()), headers=headers(), timeout=10
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "permission_denied"
        code, _out, err = _stop(proc, signal.SIGTERM)
    assert code == 0, err


def test_fault_options_drop_real_connections() -> None:
    with sandbox_process("--fault-rate", "1", "--fault-seed", "5", "--fault-kinds", "drop") as (
        proc,
        url,
    ):
        with pytest.raises(httpx.TransportError):
            httpx.post(
                f"{url}/api/events/",
                content=json.dumps(event_body()),
                headers=headers(),
                timeout=10,
            )
        stats = httpx.get(f"{url}/sandbox/stats", timeout=10).json()
        assert stats["faults_by_kind"] == {"drop": 1}
        code, _out, err = _stop(proc, signal.SIGINT)
    assert code == 0, err
    assert "Exception in ASGI application" not in err


def test_bulk_limits_and_the_number_kept_are_options() -> None:
    profile = {"data": {"type": "profile", "attributes": {"email": "ann@example.com"}}}
    events = [
        {
            "type": "event",
            "attributes": {
                "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                "properties": {},
                "unique_id": f"cli-{n}",
            },
        }
        for n in range(3)
    ]
    job = json.dumps(bulk.job_body([(profile, events)]))
    job_headers = headers(revision="2026-07-15", content_type="application/vnd.api+json")
    with sandbox_process("--bulk-steady-limit", "1", "--max-recorded", "2") as (proc, url):
        first = httpx.post(f"{url}/api/event-bulk-create-jobs", content=job,
                           headers=job_headers, timeout=10)  # fmt: skip
        again = httpx.post(f"{url}/api/event-bulk-create-jobs", content=job,
                           headers=job_headers, timeout=10)  # fmt: skip
        kept = httpx.get(f"{url}/sandbox/events", timeout=10).json()["count"]
        code, out, err = _stop(proc, signal.SIGINT)
    assert (first.status_code, again.status_code) == (202, 429), first.text
    assert first.headers["RateLimit-Limit"] == "1"
    assert kept == 2
    assert "bulk jobs: 10/s, 1/min" in out
    assert code == 0, err


def test_a_port_in_use_is_reported_without_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "composer", "sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert proc.returncode == 2
    assert "in use" in proc.stderr and "--port 0" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--fault-rate", "2"], "0..1"),
        (["--fault-kinds", "418"], "unknown fault kind"),
        (["--burst-limit", "0"], "at least 1"),
        (["--bulk-steady-limit", "0"], "at least 1"),
        (["--max-recorded", "none"], "whole number"),
        (["--read-timeout", "0"], "above 0"),
        (["--read-timeout", "soon"], "number of seconds"),
        (["--max-connections", "0"], "at least 1"),
    ],
)
def test_bad_options_are_named(args: list[str], says: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "composer", "sandbox", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert says in proc.stderr


def _raw_answer(base_url: str, data: bytes) -> tuple[bytes, float]:
    """Send ``data`` (an incomplete request) and read until the server closes."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        started = time.monotonic()
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer, time.monotonic() - started


def test_a_body_that_never_comes_gets_408_after_the_default_5_seconds() -> None:
    with sandbox_process() as (proc, base_url):
        lie = (
            f"POST /api/events/ HTTP/1.1\r\nHost: {base_url[7:]}\r\n"
            "Authorization: Klaviyo-API-Key pk_abc\r\nrevision: 2023-01-24\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        ).encode()
        answer, seconds = _raw_answer(base_url, lie)
        code, _, err = _stop(proc, signal.SIGINT)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["errors"][0]["code"] == "request_timeout"
    assert 4.5 <= seconds <= 8.0
    assert code == 0 and "Traceback" not in err


def test_read_timeout_and_connection_cap_options() -> None:
    with sandbox_process("--read-timeout", "0.5", "--max-connections", "1") as (proc, base_url):
        answer, seconds = _raw_answer(base_url, b"GET /sandbox/stats HTTP/1.1\r\nHo")
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert seconds < 2.5
        host, port = base_url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10):
            # one connection open: a second one is beyond the cap (once the first is accepted)
            stats = f"GET /sandbox/stats HTTP/1.1\r\nHost: {base_url[7:]}\r\n\r\n".encode()
            deadline = time.monotonic() + 5
            while True:
                answer, _ = _raw_answer(base_url, stats)
                if answer.startswith(b"HTTP/1.1 503 ") or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        assert answer.startswith(b"HTTP/1.1 503 ")
        code, _, err = _stop(proc, signal.SIGTERM)
    assert code == 0 and "Traceback" not in err
