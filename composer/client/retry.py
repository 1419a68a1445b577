"""Retry as a transport: bounded, and never a duplicate.

Klaviyo records an event once per (profile, metric, unique_id), so a POST whose body carries a
``unique_id`` can be retried after anything that may be temporary, even when the first try may
have been processed: 500, 502, 503, 504, 429 and connection failures. Without a unique_id only
what says the request was *not* processed is retried: 429 and 503, and a connection that was
never made. Everything else is final (see :func:`should_retry`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from composer.client.errors import RETRYABLE_KINDS, classify
from composer.client.ratelimit import retry_after_seconds
from composer.client.timing import Clock, Sleep, monotonic, real_sleep
from composer.client.trace import SendTrace, trace_of
from composer.domain.outcome import Attempt, TransportError, TransportErrorKind

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try. Every bound is configurable; the defaults suit an interactive send."""

    max_attempts: int = 4
    """Tries in total, the first included (1 turns retrying off)."""
    backoff_base: float = 0.5
    """First backoff ceiling in seconds; it doubles per retry (full jitter below it)."""
    backoff_cap: float = 20.0
    """Largest backoff ceiling in seconds."""
    max_wait: float = 60.0
    """Longest single wait honoured; a server asking for more gets its answer returned."""
    max_total_wait: float = 120.0
    """Longest time spent waiting between tries of one send, in total."""
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    """Statuses worth another try when a retry cannot record the event twice."""
    unprocessed_statuses: frozenset[int] = frozenset({429, 503})
    """Statuses that say the request was not processed: retried even without a unique_id."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.backoff_base, self.backoff_cap, self.max_wait, self.max_total_wait) < 0:
            raise ValueError("retry waits cannot be negative")

    def backoff(self, retry_number: int, rng: Callable[[], float]) -> float:
        """Exponential backoff with full jitter for the ``retry_number``-th retry (1-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (retry_number - 1)))
        return rng() * ceiling


def should_retry(
    status: int | None,
    error: TransportError | None,
    *,
    has_unique_id: bool,
    policy: RetryPolicy | None = None,
) -> bool:
    """Whether an attempt that ended with ``status`` (or, without one, ``error``) is worth
    another try that cannot record the event twice. Attempts and waits are bounded elsewhere."""
    policy = policy or RetryPolicy()
    if status is not None:
        if status in policy.unprocessed_statuses:
            return True
        return has_unique_id and status in policy.retry_statuses
    if error is None or error.kind not in RETRYABLE_KINDS:
        return False
    # A connection never made cannot have been processed; anything later might have been.
    return has_unique_id or error.request_sent is False


def has_unique_id(body: bytes) -> bool:
    """True when a Create Event body carries a non-empty ``data.attributes.unique_id``, or a
    Bulk Create Events body has one on every event (a job is retried only when none of its
    events could be recorded twice)."""
    if not body or b"unique_id" not in body:
        return False
    try:
        doc = json.loads(body)
        if doc["data"].get("type") == "event-bulk-create-job":
            return _every_event_has_unique_id(doc)
        unique_id = doc["data"]["attributes"]["unique_id"]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return False
    return isinstance(unique_id, str) and unique_id != ""


def _every_event_has_unique_id(doc: dict[str, object]) -> bool:
    groups = doc["data"]["attributes"]["events-bulk-create"]["data"]  # type: ignore[index]
    seen = 0
    for group in groups:
        for event in group["attributes"]["events"]["data"]:
            unique_id = event["attributes"].get("unique_id")
            if not (isinstance(unique_id, str) and unique_id):
                return False
            seen += 1
    return seen > 0


class RetryTransport(httpx.AsyncBaseTransport):
    """Retries what is safe to retry and records every attempt on the request's trace."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy | None = None,
        *,
        clock: Clock = monotonic,
        sleep: Sleep = real_sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        trace = trace_of(request) or SendTrace()
        policy = self.policy
        # Whether a retry is safe is asked only when an attempt failed: reading a 5 MB job
        # body to find every unique_id costs milliseconds that a request answered at once
        # (nearly all of them) never needs.
        known: list[bool] = []

        def safe() -> bool:
            if not known:
                known.append(request.method in IDEMPOTENT_METHODS or has_unique_id(request.content))
            return known[0]

        waited = 0.0
        total_waited = 0.0
        number = 0
        while True:
            number += 1
            trace.queued_ms = 0.0
            started = self._clock()
            try:
                response = await self.inner.handle_async_request(request)
            except asyncio.CancelledError:
                self._record(
                    trace,
                    number,
                    None,
                    TransportError(TransportErrorKind.CANCELLED, "cancelled during this attempt"),
                    started=started,
                    waited=waited,
                )
                raise
            except httpx.TransportError as exc:
                error = classify(exc)
                self._record(trace, number, None, error, started=started, waited=waited)
                if error.kind not in RETRYABLE_KINDS or number >= policy.max_attempts:
                    raise
                if not should_retry(None, error, has_unique_id=safe(), policy=policy):
                    trace.notes.append(_NOT_SAFE)
                    raise
                wait = policy.backoff(number, self._rng)
                if total_waited + wait > policy.max_total_wait:
                    trace.notes.append(_over_budget(wait, policy))
                    raise
            else:
                status = response.status_code
                self._record(trace, number, status, None, started=started, waited=waited)
                if status == 429:
                    trace.throttled += 1
                if status not in policy.retry_statuses or number >= policy.max_attempts:
                    return response
                if not should_retry(status, None, has_unique_id=safe(), policy=policy):
                    trace.notes.append(_NOT_SAFE)
                    return response
                # the wait may be named in the body only; a body cut short names none (its
                # status decided the retry)
                with contextlib.suppress(httpx.HTTPError):
                    await response.aread()
                asked = retry_after_seconds(response) if status in (429, 503) else None
                wait = asked if asked else policy.backoff(number, self._rng)
                if wait > policy.max_wait:
                    trace.notes.append(
                        f"not retried: the server asked to wait {wait:.0f} s, more than the "
                        f"{policy.max_wait:.0f} s this send allows"
                    )
                    return response
                if total_waited + wait > policy.max_total_wait:
                    trace.notes.append(_over_budget(wait, policy))
                    return response
                await response.aclose()
            await self._sleep(wait)
            waited = wait
            total_waited += wait

    def _record(
        self,
        trace: SendTrace,
        number: int,
        status: int | None,
        error: TransportError | None,
        *,
        started: float,
        waited: float,
    ) -> None:
        duration_ms = (self._clock() - started) * 1000 - trace.queued_ms
        trace.attempts.append(
            Attempt(
                number=number,
                status=status,
                error=error,
                duration_ms=max(0.0, duration_ms),
                waited_ms=waited * 1000 + trace.queued_ms,
            )
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


_NOT_SAFE = (
    "not retried: the event has no unique_id, so a retry could record it twice "
    "(let Event Composer fill one in, or add data.attributes.unique_id)"
)


def _over_budget(wait: float, policy: RetryPolicy) -> str:
    return (
        f"not retried: another wait of {wait:.1f} s would pass the "
        f"{policy.max_total_wait:.0f} s allowed between tries"
    )
