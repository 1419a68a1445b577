"""The event client: one long-lived ``httpx.AsyncClient`` per target, with the stack
``RetryTransport -> RateLimitTransport -> transport``.

Retry sits outside the rate limiter on purpose: every retry is a request the server counts, so
each one waits for its own slot.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from composer import APP_NAME, __version__
from composer.client.errors import classify
from composer.client.ratelimit import RateLimiter, RateLimits, RateLimitTransport
from composer.client.ratelimit import retry_after_seconds as _retry_after
from composer.client.redact import KeyRedactor
from composer.client.retry import RetryPolicy, RetryTransport
from composer.client.targets import SANDBOX_KEY, KeyRoute, Target, TargetKind
from composer.client.timing import Clock, Sleep, monotonic, real_sleep
from composer.client.trace import TRACE_KEY, SendTrace
from composer.domain.error_body import parse_error_body
from composer.domain.outcome import (
    Attempt,
    RateLimitInfo,
    RequestRecord,
    SendOutcome,
    TransportError,
    TransportErrorKind,
    redact_headers,
)
from composer.domain.revisions import DEFAULT_REVISION, get_revision

log = logging.getLogger(__name__)

READ_REVISION = "2026-07-15"
"""The revision the read endpoints are called at: current APIs, whatever revision a send used."""

USER_AGENT = f"event-composer/{__version__} ({APP_NAME}; httpx/{httpx.__version__})"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed to connect, for each read/write, and for a whole send with its retries."""

    connect: float = 10.0
    read: float = 30.0
    write: float = 30.0
    total: float = 180.0


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Everything tunable about sending, with defaults that follow Klaviyo's documentation."""

    limits: RateLimits = field(default_factory=RateLimits)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)
    max_connections: int = 64


@dataclass(frozen=True, slots=True)
class PreparedSend:
    """A request ready to go, with the redacted record the history stores before sending."""

    request: httpx.Request
    record: RequestRecord
    trace: SendTrace


class SendCancelled(asyncio.CancelledError):
    """A send was cancelled; ``outcome`` says so (a CANCELLED transport error) and lists the
    attempts made. Being a CancelledError, it propagates like any cancellation."""

    def __init__(self, outcome: SendOutcome) -> None:
        super().__init__("the send was cancelled")
        self.outcome = outcome
        self.history_id: int | None = None
        """The history entry that records the cancelled send, when the sender knows it."""


class KeyFormatError(ValueError):
    """The API key cannot be put in a header (the message never contains the key)."""


def _check_key(key: str) -> str:
    key = key.strip()
    if not key:
        raise KeyFormatError("the API key is empty")
    if any(ord(c) < 0x21 or ord(c) > 0x7E for c in key):
        raise KeyFormatError(
            "the API key contains spaces, line breaks or non-ASCII characters; "
            "a Klaviyo private key is pk_ followed by letters and digits"
        )
    return key


class EventClient:
    """Sends Create Event requests to one target with one key. Use one per target and
    account for the whole session, and close it (``aclose`` or ``async with``)."""

    def __init__(
        self,
        target: Target,
        key: str,
        *,
        revision: str = DEFAULT_REVISION,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock = monotonic,
        sleep: Sleep = real_sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.target = target
        self.revision = get_revision(revision)
        self.settings = settings or ClientSettings()
        self._key = _check_key(key)
        self._redact = KeyRedactor(self._key)
        self._clock = clock
        if transport is None:
            if target.kind is TargetKind.SANDBOX:
                raise ValueError("the in-process sandbox needs its ASGI transport passed in")
            # Certificate verification is always on; nothing in this app turns it off.
            transport = httpx.AsyncHTTPTransport(
                verify=True,
                retries=0,
                limits=httpx.Limits(
                    max_connections=self.settings.max_connections,
                    max_keepalive_connections=self.settings.max_connections,
                ),
            )
        if target.kind is TargetKind.PRODUCTION and not target.base_url.startswith("https://"):
            raise ValueError("Klaviyo production is only reached over https")
        if target.key_route is KeyRoute.NEVER and self._key != SANDBOX_KEY:
            # The last line of defence under services.keys: the key never travels in clear text.
            raise KeyFormatError(
                f"{target.base_url} is reached over plain http and is not this machine: "
                "an API key is never sent there"
            )
        self.limiter = limiter or RateLimiter(self.settings.limits, clock=clock, sleep=sleep)
        stack = RetryTransport(
            RateLimitTransport(transport, self.limiter),
            self.settings.retry,
            clock=clock,
            sleep=sleep,
            rng=rng,
        )
        t = self.settings.timeouts
        self._http = httpx.AsyncClient(
            transport=stack,
            base_url=target.base_url,
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.total),
            follow_redirects=False,
            trust_env=False,
        )

    async def __aenter__(self) -> EventClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close connections; safe to call twice."""
        await self._http.aclose()

    def headers(self, revision: str | None = None) -> dict[str, str]:
        """The request headers (with the real key: never log or store these)."""
        rev = get_revision(revision) if revision else self.revision
        return {
            "Authorization": f"Klaviyo-API-Key {self._key}",
            "revision": rev.name,
            "Accept": rev.content_type,
            "Content-Type": rev.content_type,
            "User-Agent": USER_AGENT,
        }

    def prepare(
        self,
        body: bytes,
        *,
        revision: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        path: str | None = None,
    ) -> PreparedSend:
        """Build the request for one event body (sent as given, byte for byte).

        ``extra_headers`` (e.g. the fall-forward opt-out) are added; they are not secret and
        appear in the history's copy of the request. ``path`` replaces the revision's Create
        Event path (Bulk Create Events: :func:`composer.domain.bulk_pack.bulk_path`).
        """
        rev = get_revision(revision) if revision else self.revision
        trace = SendTrace()
        headers = self.headers(rev.name)
        for name, value in (extra_headers or {}).items():
            if name.lower() not in ("authorization", "revision", "content-type"):
                headers[name] = value
        request = self._http.build_request(
            "POST",
            path or rev.path,
            content=body,
            headers=headers,
            extensions={TRACE_KEY: trace},
        )
        record = RequestRecord(
            method=request.method,
            url=str(request.url),
            headers=redact_headers(list(request.headers.multi_items())),
            body=body,
        )
        return PreparedSend(request, record, trace)

    async def read(
        self, path: str, params: Mapping[str, str] | None = None, *, revision: str = READ_REVISION
    ) -> httpx.Response:
        """GET one of Klaviyo's read endpoints (``/api/events``, ``/api/metrics``,
        ``/api/profiles``) through the same stack as sends: the account's limiter and the
        retry rules (a GET is always safe to retry). Transport errors propagate as httpx's."""
        headers = {
            "Authorization": f"Klaviyo-API-Key {self._key}",
            "revision": revision,
            "Accept": "application/vnd.api+json",
            "User-Agent": USER_AGENT,
        }
        response = await self._http.get(path, params=dict(params or {}), headers=headers)
        await response.aread()
        return response

    async def send(self, body: bytes, *, revision: str | None = None) -> SendOutcome:
        """Send one body and return its outcome; raises :class:`SendCancelled` if cancelled."""
        return await self.send_prepared(self.prepare(body, revision=revision))

    async def send_prepared(self, prepared: PreparedSend) -> SendOutcome:
        """Send a prepared request. Never raises for HTTP or network trouble: that is in the
        outcome. Cancellation raises :class:`SendCancelled` carrying a CANCELLED outcome."""
        started = self._clock()
        total = self.settings.timeouts.total
        response: httpx.Response | None = None
        head: httpx.Response | None = None  # the answer's status line and headers, once in
        error: TransportError | None = None
        try:
            async with asyncio.timeout(total):
                head = await self._http.send(prepared.request, stream=True)
                try:
                    await head.aread()
                except httpx.HTTPError as exc:
                    prepared.trace.notes.append(_cut_short(classify(exc).message))
                    response = _head_only(head)
                else:
                    response = head
                finally:
                    await head.aclose()
        except TimeoutError:
            if head is not None and response is None:
                # the status arrived and is what the server said; only its body ran out of time
                prepared.trace.notes.append(_cut_short(f"the send's time limit ({total:g} s)"))
                response = _head_only(head)
            else:
                error = TransportError(
                    TransportErrorKind.TIMEOUT,
                    f"no complete answer within {total:g} s (retries and waits included)",
                )
                _deadline_cut(prepared.trace.attempts, total)
        except asyncio.CancelledError:
            if head is not None:
                # cancelled while the answer's body came in: the status is the server's answer
                prepared.trace.notes.append(_cut_short("the send was cancelled"))
                answer = response if response is not None else _head_only(head)
                raise SendCancelled(self._outcome(prepared, answer, None, started)) from None
            outcome = self._outcome(
                prepared,
                None,
                TransportError(
                    TransportErrorKind.CANCELLED, "the send was cancelled before an answer arrived"
                ),
                started,
            )
            raise SendCancelled(outcome) from None
        except httpx.HTTPError as exc:
            error = classify(exc)
        except Exception as exc:  # a broken peer must not take the app down
            log.warning("send failed unexpectedly: %s", type(exc).__name__)
            error = TransportError(
                TransportErrorKind.OTHER, f"{type(exc).__name__}: {str(exc)[:300]}"
            )
        return self._outcome(prepared, response, error, started)

    def _outcome(
        self,
        prepared: PreparedSend,
        response: httpx.Response | None,
        error: TransportError | None,
        started: float,
    ) -> SendOutcome:
        """The outcome of a send, with any echo of the key replaced (every response of the
        app passes here, before the history, the output or the window sees it)."""
        redact = self._redact
        trace = prepared.trace
        extra: dict[str, Any] = {}
        if trace.notes:
            extra["notes"] = [redact.text(n) for n in dict.fromkeys(trace.notes)]
        if trace.throttled:
            extra["throttled"] = trace.throttled
        total_ms = (self._clock() - started) * 1000
        attempts = tuple(
            a if a.error is None else replace(a, error=_redacted_error(a.error, redact))
            for a in trace.attempts
        )
        if response is None:
            return SendOutcome(
                request=prepared.record,
                attempts=attempts,
                total_ms=total_ms,
                error=None if error is None else _redacted_error(error, redact),
                extra=extra,
            )
        status = response.status_code
        body = redact.body(response.content)
        return SendOutcome(
            request=prepared.record,
            status=status,
            response_headers=redact.headers(tuple(response.headers.multi_items())),
            response_body=body,
            findings=tuple(parse_error_body(body, status)) if status >= 400 else (),
            attempts=attempts,
            total_ms=total_ms,
            rate_limit=rate_limit_info(response),
            extra=extra,
        )


def _head_only(head: httpx.Response) -> httpx.Response:
    """An answer whose status and headers arrived but whose body was cut short: the status is
    what the server said about the event (a 202 accepted it), so it is kept, without a body."""
    dropped = ("content-length", "content-encoding", "transfer-encoding")  # no body follows
    headers = [(k, v) for k, v in head.headers.multi_items() if k.lower() not in dropped]
    return httpx.Response(head.status_code, headers=headers, content=b"", request=head.request)


def _cut_short(why: str) -> str:
    return (
        f"the answer's status and headers arrived, but its body was cut short ({why}); "
        "the status is the server's answer"
    )


def _deadline_cut(attempts: list[Attempt], total: float) -> None:
    """The attempt the send's time limit cut short was recorded as cancelled (the limit
    cancels it): it timed out, and whether its request had reached the server is not known."""
    last = attempts[-1].error if attempts else None
    if last is not None and last.kind is TransportErrorKind.CANCELLED:
        attempts[-1] = replace(
            attempts[-1],
            error=TransportError(
                TransportErrorKind.TIMEOUT,
                f"cut short by the send's time limit ({total:g} s) before an answer",
            ),
        )


def _redacted_error(error: TransportError, redact: KeyRedactor) -> TransportError:
    message = redact.text(error.message)
    return error if message == error.message else TransportError(error.kind, message)


def rate_limit_info(response: httpx.Response) -> RateLimitInfo | None:
    """The ``RateLimit-*`` and ``Retry-After`` information of a response, if any."""

    def number(name: str) -> float | None:
        value = response.headers.get(name)
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    limit = number("RateLimit-Limit")
    remaining = number("RateLimit-Remaining")
    reset = number("RateLimit-Reset")
    retry_after = _retry_after(response) if response.status_code == 429 else None
    if limit is None and remaining is None and reset is None and retry_after is None:
        return None
    return RateLimitInfo(
        limit=int(limit) if limit is not None else None,
        remaining=int(remaining) if remaining is not None else None,
        reset_seconds=reset,
        retry_after=retry_after,
    )
