"""What happened to one send, as plain data shared by the client, the history and the views."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from composer.domain.findings import Finding

REDACTED = "Klaviyo-API-Key ***"


class StatusClass(StrEnum):
    """The one definition of the classes a send's status falls in (history, filters, replay
    counts, colours)."""

    S2XX = "2xx"
    S3XX = "3xx"
    S4XX = "4xx"
    S5XX = "5xx"
    ERROR = "error"
    """No response came back."""
    PENDING = "pending"
    """No outcome was recorded (still running, or the app stopped mid-send: unknown)."""
    NONE = "none"
    """Imported, never sent from here."""


def status_class_of(status: int | None, failed: bool, state: str) -> StatusClass:
    """The class of a send: by its HTTP status, else no response (``failed``), else by the
    history row's ``state`` (``pending``) or none. A status outside 200-599 is no answer HTTP
    defines for a request like this one: it counts as an error."""
    if status is not None:
        return StatusClass(f"{status // 100}xx") if 200 <= status < 600 else StatusClass.ERROR
    if failed:
        return StatusClass.ERROR
    return StatusClass.PENDING if state == "pending" else StatusClass.NONE


SANDBOX_DUPLICATE_HEADER = "x-sandbox-duplicate"
"""Set to ``1`` by the sandbox on a 202 for an event it had already recorded (same profile,
metric and unique_id, or the same second without one) and so did not record again. Klaviyo
answers such a duplicate with a plain 202."""

SANDBOX_DUPLICATES_HEADER = "x-sandbox-duplicates"
"""On the sandbox's 202 for a Bulk Create Events job: how many of its events it did not record
because they repeat one recorded before (in the job or an earlier request). Absent when none
did; Klaviyo says nothing."""


class TransportErrorKind(StrEnum):
    """Why no HTTP response came back, in classes a person can act on."""

    DNS = "dns"
    REFUSED = "refused"
    TLS = "tls"
    TIMEOUT = "timeout"
    RESET = "reset"
    CANCELLED = "cancelled"
    PROTOCOL = "protocol"
    OTHER = "other"


TRANSPORT_ERROR_ADVICE = {
    TransportErrorKind.DNS: "the host name could not be resolved: check the URL and the network",
    TransportErrorKind.REFUSED: "the connection was refused: is the server running at that "
    "address and port?",
    TransportErrorKind.TLS: "the secure connection failed (certificate or TLS): check the URL "
    "and the system's certificates",
    TransportErrorKind.TIMEOUT: "no answer in time: the server or network is slow or down",
    TransportErrorKind.RESET: "the connection was dropped mid-request: try again",
    TransportErrorKind.CANCELLED: "you cancelled the send; the server may or may not have "
    "received it",
    TransportErrorKind.PROTOCOL: "the server's answer was not valid HTTP",
    TransportErrorKind.OTHER: "the request failed before a response arrived",
}


@dataclass(frozen=True, slots=True)
class TransportError:
    """Why an attempt got no HTTP response."""

    kind: TransportErrorKind
    message: str
    request_sent: bool | None = None
    """Whether the request may have reached the server (True: it went out before the failure,
    e.g. a read timeout; False: it never left, e.g. a refused connection); None when unknown."""

    @property
    def advice(self) -> str:
        return TRANSPORT_ERROR_ADVICE[self.kind]


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """The steady window's state as the server reported it (RateLimit-* headers)."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of a send: its status or transport error, its duration, and the wait before."""

    number: int
    status: int | None
    error: TransportError | None
    duration_ms: float
    waited_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """The request as it went out, with Authorization already redacted."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """The outcome of one send: a response (any status) or a transport error, never both."""

    request: RequestRecord
    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: bytes = b""
    findings: tuple[Finding, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    total_ms: float = 0.0
    rate_limit: RateLimitInfo | None = None
    error: TransportError | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """``notes``: sentences for people about how the send ended (a body cut short, a retry
    not made and why); ``throttled``: how many tries were answered 429."""

    @property
    def notes(self) -> tuple[str, ...]:
        """What the send said besides its status and attempts, in sentences for people."""
        return tuple(str(n) for n in self.extra.get("notes") or ())

    @property
    def accepted(self) -> bool:
        return self.status == 202

    @property
    def status_class(self) -> str:
        """``2xx``, ``4xx``, ``5xx`` ... or ``error`` when no response came back."""
        if self.status is None:
            return "error"
        return f"{self.status // 100}xx"


def redact_headers(
    headers: list[tuple[str, str]] | tuple[tuple[str, str], ...],
) -> tuple[tuple[str, str], ...]:
    """Headers with Authorization replaced, safe to store, show and export."""
    return tuple((k, REDACTED if k.lower() == "authorization" else v) for k, v in headers)
