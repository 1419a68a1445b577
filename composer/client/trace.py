"""What the transport stack tells the client about one send, carried in request.extensions.

The retry and rate-limit transports append to the :class:`SendTrace` they find on the request,
so the client can report every attempt even when the last one raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from composer.domain.outcome import Attempt

TRACE_KEY = "event_composer.trace"


@dataclass
class SendTrace:
    """Mutable per-send record filled in by the transports."""

    attempts: list[Attempt] = field(default_factory=list)
    queued_ms: float = 0.0
    """Time the current attempt waited for the rate limiter (reset by the retry transport)."""
    throttled: int = 0
    """Count of 429 answers seen over all attempts."""
    notes: list[str] = field(default_factory=list)
    """Sentences for people, e.g. why a retry was not attempted."""


def trace_of(request: httpx.Request) -> SendTrace | None:
    """The trace attached to a request, if the client attached one."""
    trace = request.extensions.get(TRACE_KEY)
    return trace if isinstance(trace, SendTrace) else None
