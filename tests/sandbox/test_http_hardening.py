"""The sandbox over real loopback HTTP (uvicorn), driven with raw sockets the way a broken or
hostile client would: read deadlines (408), the connection cap (503), broken HTTP (400), the
host check of /sandbox/* (421, 403). Every answer is a JSON:API error body."""

from __future__ import annotations

import json
import socket
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from composer.sandbox import SandboxConfig
from composer.sandbox.config import FaultKind
from composer.sandbox.server import RunningSandbox, run_in_thread
from tests.sandbox.conftest import KEY, event_body

TIMEOUT = 1.0  # the deadlines of the sandbox under test (the default is 5 s)
CAP = 4


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool
    """The server closed the connection after this answer."""
    seconds: float

    def error(self) -> dict[str, object]:
        """The one JSON:API error of the body (and checks the body is one)."""
        assert self.headers["content-type"] == "application/vnd.api+json", self.headers
        doc = json.loads(self.body)
        (error,) = doc["errors"]
        uuid.UUID(error["id"])
        assert error["status"] == self.status
        assert error["title"] and error["detail"] and error["code"]
        return dict(error)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSandbox]:
    config = SandboxConfig(header_timeout=TIMEOUT, body_timeout=TIMEOUT, max_connections=CAP)
    with run_in_thread(config) as running:
        yield running


def connect(server: RunningSandbox) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


# Bytes a socket received beyond the answer read so far (pipelined answers can arrive in one
# read), kept for the next read_answer on that socket.
_unread: weakref.WeakKeyDictionary[socket.socket, bytes] = weakref.WeakKeyDictionary()


def read_answer(sock: socket.socket, started: float, limit: float = 10.0) -> Answer:
    """One HTTP answer from ``sock``; then whether the server closed the connection."""
    sock.settimeout(limit)
    data = _unread.pop(sock, b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"closed before an answer: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    seconds = time.monotonic() - started
    if len(rest) > length:
        _unread[sock] = rest[length:]
    closed = _closed_soon(sock)
    return Answer(status, headers, rest[:length], closed, seconds)


def _closed_soon(sock: socket.socket) -> bool:
    """Whether the server closes ``sock`` within half a second (bytes it sends are kept)."""
    if _unread.get(sock):
        return False
    sock.settimeout(0.5)
    try:
        byte = sock.recv(1)
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    if not byte:
        return True
    _unread[sock] = byte
    return False


def request(
    path: str, *, method: str = "GET", host: str, body: bytes = b"", extra: str = ""
) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode("latin-1") + body


def post_event(host: str, body: bytes | None = None) -> bytes:
    payload = body if body is not None else json.dumps(event_body()).encode()
    extra = (
        f"Authorization: Klaviyo-API-Key {KEY}\r\nrevision: 2023-01-24\r\n"
        "Content-Type: application/json\r\n"
    )
    return request("/api/events/", method="POST", host=host, body=payload, extra=extra)


# -- read deadlines ----------------------------------------------------------------------------


def test_headers_that_stop_coming_get_408_and_the_connection_closed(server: RunningSandbox) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        answer = read_answer(sock, started)
    assert answer.status == 408
    assert answer.error()["code"] == "request_timeout"
    assert answer.closed
    assert TIMEOUT * 0.9 <= answer.seconds <= TIMEOUT + 3


def test_headers_dripped_a_byte_at_a_time_still_get_408_at_the_deadline(
    server: RunningSandbox,
) -> None:
    data = post_event(f"127.0.0.1:{server.port}")
    with connect(server) as sock:
        started = time.monotonic()
        sock.settimeout(0.2)
        answer = None
        for byte in data[:60]:  # one byte every 0.1 s: never idle, never complete
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.1)
            if time.monotonic() - started > TIMEOUT + 0.5:
                break
        answer = read_answer(sock, started)
    assert answer.status == 408
    assert answer.closed
    assert answer.seconds <= TIMEOUT + 3


def test_a_body_shorter_than_its_content_length_gets_408_and_is_not_recorded(
    server: RunningSandbox,
) -> None:
    before = server.app.stats_json()
    full = post_event(f"127.0.0.1:{server.port}")
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(full[:-20])  # Content-Length says 20 bytes more than ever come
        answer = read_answer(sock, started)
    assert answer.status == 408
    assert "body" in str(answer.error()["detail"])
    assert answer.closed
    assert TIMEOUT * 0.9 <= answer.seconds <= TIMEOUT + 3
    after = server.app.stats_json()
    assert after["accepted"] == before["accepted"]
    assert after["rejected"] == before["rejected"]


def test_a_declared_length_over_5_mb_gets_413_before_any_body_is_sent(
    server: RunningSandbox,
) -> None:
    head = post_event(f"127.0.0.1:{server.port}", b"").replace(
        b"Content-Length: 0", b"Content-Length: 5000001"
    )
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(head)
        answer = read_answer(sock, started)
    assert answer.status == 413
    assert answer.error()["code"] == "request_too_large"
    assert answer.seconds < TIMEOUT


def test_an_idle_connection_is_closed_quietly(server: RunningSandbox) -> None:
    with connect(server) as sock:
        sock.settimeout(TIMEOUT + 2)
        started = time.monotonic()
        assert sock.recv(100) == b""  # no answer to a request never begun, just the close
        assert time.monotonic() - started <= TIMEOUT + 3


def test_keep_alive_serves_whole_requests_and_times_out_a_partial_next_one(
    server: RunningSandbox,
) -> None:
    host = f"127.0.0.1:{server.port}"
    with connect(server) as sock:
        for _ in range(3):
            started = time.monotonic()
            sock.sendall(post_event(host))
            answer = read_answer(sock, started)
            assert answer.status == 202
            assert not answer.closed
        # two requests in one write (pipelining) are both answered
        sock.sendall(request("/sandbox/stats", host=host) * 2)
        assert read_answer(sock, time.monotonic()).status == 200
        assert read_answer(sock, time.monotonic()).status == 200
        started = time.monotonic()
        sock.sendall(b"GET /sandbox/stats HTTP/1.1\r\n")
        answer = read_answer(sock, started)
    assert answer.status == 408
    assert answer.closed


# -- connection cap, broken HTTP ---------------------------------------------------------------


def test_a_request_beyond_the_connection_cap_gets_503(server: RunningSandbox) -> None:
    host = f"127.0.0.1:{server.port}"
    idle = [connect(server) for _ in range(CAP)]
    try:
        deadline = time.monotonic() + 5
        while True:  # until the server has accepted the idle ones (at once, unless loaded)
            with connect(server) as extra:
                started = time.monotonic()
                extra.sendall(request("/sandbox/stats", host=host))
                answer = read_answer(extra, started)
            if answer.status == 503 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert answer.status == 503
        assert answer.error()["code"] == "service_unavailable"
        assert answer.headers["retry-after"] == "1"
        assert answer.closed
        time.sleep(0.2)  # the refused connection is gone: the open ones are served
        idle[0].sendall(request("/sandbox/stats", host=host))
        assert read_answer(idle[0], time.monotonic()).status == 200
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /sandbox/stats HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
        b"POST /api/events/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /api/events/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    ],
)
def test_broken_http_gets_a_json_api_400(server: RunningSandbox, raw: bytes) -> None:
    with connect(server) as sock:
        sock.sendall(raw)
        answer = read_answer(sock, time.monotonic())
    assert answer.status == 400
    assert answer.error()["code"] == "parse_error"
    assert answer.closed


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nowhere", 404), ("PUT", "/api/events/", 405), ("PATCH", "/sandbox/stats", 405)],
)
def test_other_errors_over_a_socket_are_json_api(
    server: RunningSandbox, method: str, path: str, status: int
) -> None:
    with connect(server) as sock:
        sock.sendall(request(path, method=method, host=f"127.0.0.1:{server.port}"))
        answer = read_answer(sock, time.monotonic())
    assert answer.status == status
    answer.error()


# -- /sandbox/* only for this machine ----------------------------------------------------------


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_inspection_answers_the_loopback_names_of_its_own_port(
    server: RunningSandbox, name: str
) -> None:
    with connect(server) as sock:
        sock.sendall(request("/sandbox/stats", host=f"{name}:{server.port}"))
        answer = read_answer(sock, time.monotonic())
    assert answer.status == 200
    assert "requests" in json.loads(answer.body)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/sandbox/events"), ("POST", "/sandbox/reset"), ("DELETE", "/sandbox/events")],
)
@pytest.mark.parametrize(
    "host", ["evil.example:{port}", "evil.example", "127.0.0.1:1", "127.0.0.2:{port}", ""]
)
def test_inspection_refuses_other_hosts_dns_rebinding(
    server: RunningSandbox, method: str, path: str, host: str
) -> None:
    with connect(server) as sock:
        sock.sendall(post_event(f"127.0.0.1:{server.port}"))
        assert read_answer(sock, time.monotonic()).status == 202
    recorded = len(server.app.events())
    with connect(server) as sock:
        sock.sendall(request(path, method=method, host=host.format(port=server.port)))
        answer = read_answer(sock, time.monotonic())
    assert answer.status == 421
    assert answer.error()["code"] == "misdirected_request"
    assert len(server.app.events()) == recorded  # nothing reset or cleared


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:1"])
def test_inspection_refuses_web_pages_of_other_origins(server: RunningSandbox, origin: str) -> None:
    host = f"127.0.0.1:{server.port}"
    with connect(server) as sock:
        sock.sendall(post_event(host))
        assert read_answer(sock, time.monotonic()).status == 202
    with connect(server) as sock:
        sock.sendall(
            request("/sandbox/reset", method="POST", host=host, extra=f"Origin: {origin}\r\n")
        )
        answer = read_answer(sock, time.monotonic())
    assert answer.status == 403
    assert answer.error()["code"] == "permission_denied"
    assert server.app.events()  # not reset
    with connect(server) as sock:
        own = f"Origin: http://{host}\r\n"
        sock.sendall(request("/sandbox/reset", method="POST", host=host, extra=own))
        assert read_answer(sock, time.monotonic()).status == 200
    assert not server.app.events()


def test_the_api_itself_answers_any_host_name(server: RunningSandbox) -> None:
    with connect(server) as sock:
        sock.sendall(post_event("a.klaviyo.example"))
        assert read_answer(sock, time.monotonic()).status == 202


def test_a_big_body_held_back_by_the_sandbox_itself_is_not_a_client_timeout() -> None:
    """A slow fault keeps the app from reading a 1 MB body for longer than the body deadline:
    the client sent everything in time, so it gets its 202, not a 408."""
    config = SandboxConfig(
        body_timeout=0.5,
        fault_rate=1.0,
        fault_kinds=(FaultKind.SLOW,),
        slow_seconds=1.5,
    )
    body = json.dumps(event_body(properties={f"s{i}": "x" * 90_000 for i in range(11)}))
    with run_in_thread(config) as running, connect(running) as sock:
        started = time.monotonic()
        sock.sendall(post_event(f"127.0.0.1:{running.port}", body.encode()))
        answer = read_answer(sock, started)
    assert answer.status == 202, answer.body
    assert answer.seconds >= 1.5
