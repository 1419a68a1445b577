"""Whether an event reached Klaviyo, judged only from what the app saw of its attempts.

One of four states per send, and one rule that derives it:

- ``accepted``: an attempt got a 2xx (Create Event answers 202).
- ``not_accepted``: definitely not recorded. Every attempt was refused (a 4xx, a 503) or failed
  before the request could reach the server's processing (refused connection, DNS, TLS, a
  connect timeout).
- ``unknown``: it may have been recorded. Some attempt ended where the server may already have
  processed the event: a timeout or a dropped connection after the request went out, a 500,
  502 or 504, a send cancelled mid-flight, or the app stopped before recording the outcome. A
  later attempt's 4xx or 5xx does not undo that doubt.
- ``not_sent``: no attempt left the app (imported entries, a send cancelled while it waited).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from composer.domain.outcome import Attempt, TransportError, TransportErrorKind


class Delivery(StrEnum):
    """What is known about whether the server recorded an event."""

    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    UNKNOWN = "unknown"
    NOT_SENT = "not_sent"


DELIVERIES: tuple[str, ...] = tuple(d.value for d in Delivery)

NOT_PROCESSED_STATUSES = frozenset({503})
"""Server errors that say the request was not processed (429 and the other 4xx say it too).
Every other 5xx (500, 502, 504, ...) may come after the event was processed."""

NEVER_ARRIVED_KINDS = frozenset(
    {TransportErrorKind.DNS, TransportErrorKind.REFUSED, TransportErrorKind.TLS}
)
"""Transport failures that happen before any byte of the request reaches the server."""


class AttemptVerdict(StrEnum):
    """What one attempt tells about the event."""

    ACCEPTED = "accepted"
    NOT_PROCESSED = "not_processed"
    MAY_BE_PROCESSED = "may_be_processed"


def request_may_have_arrived(error: TransportError) -> bool:
    """Whether the request of a failed attempt may have reached the server: as the client
    observed it (``request_sent``), else judged by the kind (entries written before the client
    observed it)."""
    if error.request_sent is not None:
        return error.request_sent
    return error.kind not in NEVER_ARRIVED_KINDS


def attempt_verdict(status: int | None, error: TransportError | None) -> AttemptVerdict:
    """The verdict of one attempt: its HTTP status, or its transport failure."""
    if status is not None:
        if 200 <= status < 300:
            return AttemptVerdict.ACCEPTED
        if 400 <= status < 500 or status in NOT_PROCESSED_STATUSES:
            return AttemptVerdict.NOT_PROCESSED
        return AttemptVerdict.MAY_BE_PROCESSED
    if error is None or request_may_have_arrived(error):
        return AttemptVerdict.MAY_BE_PROCESSED
    return AttemptVerdict.NOT_PROCESSED


def derive_delivery(
    attempts: Iterable[Attempt],
    *,
    status: int | None = None,
    error: TransportError | None = None,
    state: str = "complete",
) -> Delivery:
    """The delivery state of one send from its attempts.

    ``state`` is the history entry's state: ``pending`` (no outcome recorded: still running, or
    the app stopped mid-send) is unknown; ``imported`` was never sent from here. ``status`` and
    ``error`` are the final outcome's, used as the only attempt when none were recorded with a
    response.
    """
    if state == "pending":
        return Delivery.UNKNOWN
    if state == "imported":
        return Delivery.NOT_SENT
    verdicts = [attempt_verdict(a.status, a.error) for a in attempts]
    if not verdicts:
        if status is None:
            # No attempt left the app: cancelled, or timed out, while waiting to send.
            return Delivery.NOT_SENT
        verdicts = [attempt_verdict(status, error)]
    elif status is not None and 200 <= status < 300:
        verdicts.append(AttemptVerdict.ACCEPTED)
    if AttemptVerdict.ACCEPTED in verdicts:
        return Delivery.ACCEPTED
    if AttemptVerdict.MAY_BE_PROCESSED in verdicts:
        return Delivery.UNKNOWN
    return Delivery.NOT_ACCEPTED
