"""Transport failures (no HTTP response) classified into kinds a person can act on."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import httpx

from composer.domain.outcome import TransportError, TransportErrorKind

_DNS_WORDS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "getaddrinfo",
    "no address associated",
    "name resolution",
)
_TLS_WORDS = ("certificate", "ssl", "tls", "handshake")
_REFUSED_ERRNOS = {errno.ECONNREFUSED}
_RESET_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from, bounded against cycles."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 16:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify_kind(exc: BaseException) -> TransportErrorKind:
    """The kind of a transport failure, from the httpx exception and its causes.

    Words in the messages are read only for a failure before the request went out: after it,
    a message may quote the server's answer ("illegal status line: ..."), and what a server
    wrote cannot make the app say the request never reached it."""
    chain = _chain(exc)
    text = "" if isinstance(exc, _SENT) else " ".join(str(e) for e in chain).lower()
    # Look at the outermost exception first: httpx implements its timeouts with cancellation,
    # so a CancelledError deeper in the chain of a ReadTimeout is still a timeout.
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return TransportErrorKind.TIMEOUT
    if isinstance(exc, asyncio.CancelledError):
        return TransportErrorKind.CANCELLED
    if any(isinstance(e, httpx.TimeoutException | TimeoutError) for e in chain):
        return TransportErrorKind.TIMEOUT
    if any(isinstance(e, ssl.SSLError | ssl.CertificateError) for e in chain):
        return TransportErrorKind.TLS
    if any(isinstance(e, socket.gaierror) for e in chain) or any(w in text for w in _DNS_WORDS):
        return TransportErrorKind.DNS
    if (
        any(isinstance(e, ConnectionRefusedError) for e in chain)
        or any(isinstance(e, OSError) and e.errno in _REFUSED_ERRNOS for e in chain)
        or "connection refused" in text
        or "connect call failed" in text
    ):
        return TransportErrorKind.REFUSED
    if isinstance(exc, httpx.ConnectError) and any(w in text for w in _TLS_WORDS):
        return TransportErrorKind.TLS
    if any(isinstance(e, ConnectionResetError | BrokenPipeError) for e in chain) or any(
        isinstance(e, OSError) and e.errno in _RESET_ERRNOS for e in chain
    ):
        return TransportErrorKind.RESET
    if isinstance(exc, httpx.RemoteProtocolError):
        # "Server disconnected without sending a response" is a dropped connection, which a
        # person reads as a reset, not as a malformed answer (h11's own words, at the start:
        # further on, the message may quote the server's bytes).
        said = str(exc).lower()[:60]
        if any(w in said for w in ("disconnect", "connection closed", "peer closed", "incomplete")):
            return TransportErrorKind.RESET
        return TransportErrorKind.PROTOCOL
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return TransportErrorKind.RESET
    if isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
        return TransportErrorKind.PROTOCOL
    return TransportErrorKind.OTHER


_NEVER_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)
_SENT: tuple[type[Exception], ...] = (
    httpx.ReadError,
    httpx.ReadTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
)
_NEVER_ARRIVED = frozenset(
    {TransportErrorKind.DNS, TransportErrorKind.REFUSED, TransportErrorKind.TLS}
)


def request_sent(exc: BaseException, kind: TransportErrorKind) -> bool | None:
    """Whether the request may have reached the server before ``exc``: False when the
    connection was never made (so the server cannot have processed it), True once the request
    was being written or its answer awaited, None when the exception does not say."""
    # The phase httpx raised in decides first: a failure while writing the request or reading
    # its answer (a TLS record garbled mid-answer included) came after the request went out.
    if isinstance(exc, _SENT):
        return True
    if kind in _NEVER_ARRIVED or isinstance(exc, _NEVER_SENT):
        return False
    return None


def classify(exc: BaseException) -> TransportError:
    """A :class:`TransportError` for a failure; the message never holds request headers."""
    kind = classify_kind(exc)
    message = str(exc).strip() or type(exc).__name__
    if kind is TransportErrorKind.CANCELLED:
        message = "the send was cancelled before an answer arrived"
    elif kind is TransportErrorKind.TIMEOUT and not str(exc).strip():
        message = f"timed out ({type(exc).__name__})"
    return TransportError(kind, message[:500], request_sent(exc, kind))


RETRYABLE_KINDS = frozenset(
    {
        TransportErrorKind.REFUSED,
        TransportErrorKind.RESET,
        TransportErrorKind.TIMEOUT,
    }
)
"""Connection failures worth another try. DNS and TLS failures do not fix themselves in
seconds, and a protocol error means the peer is not speaking HTTP as expected."""
