"""The sandbox's HTTP/1.1 connection handling over a socket: uvicorn's h11 protocol plus what
a server on a developer's machine needs and plain ASGI cannot express.

- A dropped-connection fault (:class:`DroppedConnection`) aborts the socket with no answer.
- Read deadlines: the request line and headers must arrive within ``header_timeout`` seconds
  and the body within ``body_timeout`` seconds after them, else 408 and the connection is
  closed (a client that lies about its Content-Length, or drips its headers, holds nothing).
- A connection cap: a request arriving while more than ``max_connections`` are open is
  answered 503.
- ``/sandbox/*`` (inspection and reset) answers only requests addressed to the loopback
  address and port it is bound to, and not from web pages of other origins: a DNS-rebinding
  page or a cross-origin form cannot read or reset it.
- Every answer the protocol itself gives (400 for broken HTTP, 408, 503, 403, 421) is a
  JSON:API error body, like the app's own.
"""

from __future__ import annotations

import asyncio
import http
import logging
from enum import Enum
from typing import Any

import h11
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import H11Protocol

from composer.sandbox import jsonapi
from composer.sandbox.config import SandboxConfig
from composer.sandbox.faults import DroppedConnection
from composer.sandbox.jsonapi import ApiError

log = logging.getLogger(__name__)

INSPECTION_PREFIX = "/sandbox/"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class _Phase(Enum):
    HEADERS = "waiting for a request's headers"
    BODY = "reading a request's body"
    ANSWERING = "the app has the whole request"


class _PauseClock(FlowControl):
    """uvicorn's flow control, counting how long reading was paused: while the sandbox itself
    does not read (the app has not taken the body in yet), the client is not late."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(transport)
        self._loop = loop
        self._since: float | None = None
        self._total = 0.0

    def pause_reading(self) -> None:
        if not self.read_paused:
            self._since = self._loop.time()
        super().pause_reading()

    def resume_reading(self) -> None:
        if self.read_paused and self._since is not None:
            self._total += self._loop.time() - self._since
            self._since = None
        super().resume_reading()

    def paused_seconds(self) -> float:
        """Seconds reading has been paused on this connection so far."""
        now = self._loop.time()
        return self._total + (now - self._since if self._since is not None else 0.0)


class SandboxHttpProtocol(H11Protocol):
    """uvicorn's h11 protocol with the sandbox's deadlines, cap and host check (see the
    module docstring). Built per connection by uvicorn with ``sandbox_config`` bound in."""

    def __init__(self, *args: Any, sandbox_config: SandboxConfig, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = sandbox_config
        self._media = sandbox_config.error_media_type
        self._phase = _Phase.HEADERS
        self._request_bytes = False
        self._timer: asyncio.TimerHandle | None = None
        self._timed_cycle: Any = None
        self._pauses: _PauseClock | None = None
        self._body_since = 0.0
        self._paused_before_body = 0.0
        inner = self.app

        async def app(scope: Any, receive: Any, send: Any) -> None:
            refusal = self._refusal(scope)
            if refusal is not None:
                status, error, extra = refusal
                await _send_error(send, status, error, self._media, extra)
                return
            try:
                await inner(scope, receive, send)
            except DroppedConnection:
                self.transport.abort()
                # abort() reports connection_lost on the next loop turn; once it has run, the
                # cycle is marked disconnected and uvicorn neither logs nor answers a 500.
                await asyncio.sleep(0)

        self.app = app

    # -- who is served ------------------------------------------------------------------------

    def _refusal(self, scope: Any) -> tuple[int, ApiError, list[tuple[bytes, bytes]]] | None:
        if scope["type"] != "http":
            return None
        limit = self._limits.max_connections
        if len(self.connections) > limit or len(self.tasks) > limit:
            return 503, jsonapi.too_many_connections_error(limit), [(b"retry-after", b"1")]
        if scope["path"].startswith(INSPECTION_PREFIX):
            return self._inspection_refusal(scope)
        return None

    def _inspection_refusal(
        self, scope: Any
    ) -> tuple[int, ApiError, list[tuple[bytes, bytes]]] | None:
        port = (scope.get("server") or (None, None))[1]
        allowed = {f"{name}:{port}" for name in _LOOPBACK_NAMES}
        if port == 80:
            allowed.update(_LOOPBACK_NAMES)
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        shown = f"http://127.0.0.1:{port}"
        if host not in allowed:
            return (
                421,
                ApiError(
                    "misdirected_request",
                    "Misdirected request.",
                    f"The sandbox's /sandbox/ endpoints answer only requests addressed to "
                    f"{shown} (or localhost / [::1] with the same port), not to host "
                    f"{host[:100]!r}: this keeps other web sites (DNS rebinding) out.",
                ),
                [],
            )
        origin = headers.get(b"origin")
        if origin is not None:
            text = origin.decode("latin-1").strip().lower()
            if text not in {f"http://{name}" for name in allowed}:
                return (
                    403,
                    ApiError(
                        "permission_denied",
                        "You do not have permission to perform this action.",
                        f"The sandbox's /sandbox/ endpoints do not answer web pages of other "
                        f"origins ({text[:100]!r}); open them from {shown} or without a "
                        "browser.",
                    ),
                    [],
                )
        return None

    # -- read deadlines ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._pauses = self.flow = _PauseClock(transport, self.loop)
        self._await_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._phase is _Phase.HEADERS and data:
            self._request_bytes = True
        super().data_received(data)
        self._follow_cycle()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may start a pipelined request
        if self.transport.is_closing():
            self._cancel_timer()
            return
        if not self._follow_cycle() and self.conn.their_state is not h11.SEND_BODY:
            # Answered and the request fully read: wait for the next one. (A body still owed
            # after an early answer, such as a 413, keeps its deadline.)
            self._await_request()

    def _follow_cycle(self) -> bool:
        """Move the deadline along with the request; True when a new request has begun."""
        cycle = self.cycle
        if cycle is not None and cycle is not self._timed_cycle:
            self._timed_cycle = cycle
            self._cancel_timer()
            if cycle.more_body:
                self._phase = _Phase.BODY
                self._body_since = self.loop.time()
                self._paused_before_body = self._paused()
                self._timer = self.loop.call_later(self._limits.body_timeout, self._body_late)
            else:
                self._phase = _Phase.ANSWERING
            return True
        if self._phase is _Phase.BODY and cycle is not None and not cycle.more_body:
            self._cancel_timer()
            self._phase = _Phase.ANSWERING
        return False

    def _paused(self) -> float:
        return self._pauses.paused_seconds() if self._pauses is not None else 0.0

    def _await_request(self) -> None:
        self._cancel_timer()
        self._phase = _Phase.HEADERS
        self._request_bytes = False
        self._timer = self.loop.call_later(self._limits.header_timeout, self._headers_late)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _headers_late(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if not self._request_bytes:  # an idle connection: close it quietly, as keep-alive does
            self.timeout_keep_alive_handler()
            return
        error = jsonapi.request_timeout_error("line and headers", self._limits.header_timeout)
        self._answer_and_close(408, error)

    def _body_late(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # answered already (e.g. 413): stop waiting for the rest
            return
        # Time the sandbox itself did not read (the app had not taken the body in yet, e.g.
        # during a slow fault) is not the client's: the deadline moves by it.
        paused = self._paused() - self._paused_before_body
        left = self._body_since + self._limits.body_timeout + paused - self.loop.time()
        if self.flow.read_paused or left > 0.01:
            self._timer = self.loop.call_later(max(left, 0.05), self._body_late)
            return
        self._answer_and_close(
            408, jsonapi.request_timeout_error("body", self._limits.body_timeout)
        )

    def _answer_and_close(self, status: int, error: ApiError) -> None:
        """Write a whole JSON:API answer past h11 (the request is incomplete, so h11 has no
        state to send it in) and close; the app, if waiting for the body, sees a disconnect."""
        body = jsonapi.error_document(status, [error])
        head = (
            f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
            f"content-type: {self._media}\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        ).encode("latin-1")
        self.transport.write(head + body)
        self.transport.close()

    # -- broken HTTP ------------------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """Broken HTTP (bad request line, header or framing): 400 JSON:API, then close."""
        try:
            body = jsonapi.error_document(400, [jsonapi.malformed_http_error()])
            headers = [
                (b"content-type", self._media.encode("latin-1")),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ]
            events = (
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                h11.Data(data=body),
                h11.EndOfMessage(),
            )
            self.transport.write(b"".join(self.conn.send(e) or b"" for e in events))
        except h11.LocalProtocolError:
            pass  # an answer was already under way: closing is all that is left
        self.transport.close()


async def _send_error(
    send: Any, status: int, error: ApiError, media: str, extra: list[tuple[bytes, bytes]]
) -> None:
    body = jsonapi.error_document(status, [error])
    headers = [
        (b"content-type", media.encode("latin-1")),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"connection", b"close"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
