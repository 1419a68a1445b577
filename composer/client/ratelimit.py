"""Client-side rate limiting as a transport: never be the reason for a 429.

Klaviyo counts requests per account in fixed windows (burst: 1 s, steady: 1 min) whose start we
cannot observe, by when they arrive. A request is counted here from the moment it is admitted
until one window length after the server counted it. When that was is known only within bounds:
not before the request's body went out (nothing is counted before it is sent), and not after its
answer. A request whose answer came quickly is taken as counted when the answer came; one whose
answer took longer is taken as counted at most ``ARRIVAL_SLACK`` after its body went out, which is
when the server sees it (a server counts arrivals, not answers: a 1,000-event Bulk Create Events
job takes the server 50 to 150 ms to answer, and counting to the answer would idle that long in
every window). So at most ``limit`` requests land in one server window, whatever its alignment,
as long as the server counts a request within ``ARRIVAL_SLACK`` of its body going out; when it
does not (a long network path, a server that queues requests before counting them), the 429 it
answers is a definite "not accepted", retried after its Retry-After (the safety net), and the
limit is lowered as below. A request whose body never went out completely (refused before it was
read, or the connection failed) is counted until a window after its answer, as is one sent
through a transport that does not read the body as a stream.

The configured limits are a ceiling, not a promise: a private key shares its account's quota with
the account's other integrations. After a 429 the window it points at (a wait longer than the
burst window means the steady one) drops to what got through and climbs back slowly
(:mod:`composer.client.adaptive`); the limiter is shared by every client of the account, so all
of them slow down together.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from composer.client.adaptive import AdaptiveLimit
from composer.client.timing import Clock, Sleep, monotonic, real_sleep
from composer.client.trace import trace_of

log = logging.getLogger(__name__)

ARRIVAL_SLACK = 0.02
"""Seconds after its body went out within which a server is taken to have counted a request
(see the module's docstring). The loopback sandbox reads and counts a request within a few
milliseconds of its arrival (it processes jobs in steps, :mod:`composer.sandbox.bulk`); Klaviyo
at its edge, a one-way trip after it went out. A window then lasts 1.02 s where counting to the
answer made it 1 s plus the answer's time (50 to 300 ms for a 1,000-event job)."""

PACING_SLACK = 2
"""Sends that may go early by this many intervals under a lowered burst limit (see _wait_needed)."""

_EXPECTED_RE = re.compile(rb"expected available in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` requests per ``seconds``."""

    limit: int
    seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.seconds <= 0:
            raise ValueError(f"a rate window needs a limit >= 1 and seconds > 0, got {self}")


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The windows of one endpoint; Create Event's documented ones by default."""

    burst: Window = Window(350, 1.0)
    steady: Window = Window(3500, 60.0)
    time_unit: float = 1.0
    """Real seconds per second of the server's clock, for the RateLimit-Reset and Retry-After
    it reports: 1.0 for Klaviyo; less for a sandbox whose clock runs faster (benchmarks)."""

    @classmethod
    def scaled(cls, burst: int, steady: int, speedup: float) -> RateLimits:
        """Limits per second and per minute of a server whose clock runs ``speedup`` times
        faster than real time."""
        unit = 1.0 / speedup
        return cls(Window(burst, unit), Window(steady, 60.0 * unit), unit)

    @property
    def sustained_per_second(self) -> float:
        """The long-run rate both windows allow."""
        return min(self.burst.limit / self.burst.seconds, self.steady.limit / self.steady.seconds)


BULK_LIMITS = RateLimits(Window(10, 1.0), Window(150, 60.0))
"""Bulk Create Events' documented limits: 10 requests/s burst, 150/min steady."""


class _WindowState:
    """Requests in flight plus the moments the server counted (at the latest) those still
    counting against one window, and the limit the server currently allows in it."""

    def __init__(self, window: Window, name: str) -> None:
        self.window = window
        self.limit = AdaptiveLimit(window.limit, window.seconds, name=name)
        self.in_flight = 0
        self.finished: list[float] = []
        """A heap: a request answered later may have been counted earlier than one before it."""

    def count(self, now: float) -> int:
        horizon = now - self.window.seconds
        while self.finished and self.finished[0] <= horizon:
            heapq.heappop(self.finished)
        return self.in_flight + len(self.finished)

    def wait_needed(self, now: float) -> float | None:
        """0 when a slot is free; seconds until one frees; None when only a completion can."""
        if self.count(now) < self.limit.current(now):
            return 0.0
        if self.finished:
            return self.finished[0] + self.window.seconds - now
        return None


class RateLimiter:
    """Admits requests under every window; shared by all sends to one account.

    Also obeys the server: ``RateLimit-Remaining``/``RateLimit-Reset`` (steady window) pause
    sending once the server's budget is spent, and a 429 with a wait pauses everyone.
    """

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        clock: Clock = monotonic,
        sleep: Sleep = real_sleep,
    ) -> None:
        self.limits = limits or RateLimits()
        self._clock = clock
        self._sleep = sleep
        self._burst = _WindowState(self.limits.burst, "burst")
        self._steady = _WindowState(self.limits.steady, "steady")
        self._windows = [self._burst, self._steady]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._completed = asyncio.Event()
        self._paused_until = 0.0
        self._paced_until = float("-inf")
        self._suspect: float | None = None
        """When the request of an unconfirmed burst 429 was sent (see ``_refused``)."""
        self._server_budget: int | None = None
        self._server_reset_at = 0.0
        self.waited_total = 0.0
        """Seconds spent waiting for a slot, over all requests (for benchmarks and logs)."""

    async def acquire(self) -> float:
        """Wait for a slot and take it; returns the seconds waited. Callers must release."""
        self._bind_loop()
        start = self._clock()
        async with self._lock:  # FIFO: the first to ask is the first to go
            while True:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait is None:
                    self._completed.clear()
                    await self._completed.wait()
                    continue
                if wait <= 0:
                    break
                await self._sleep(wait)
            self._book_pacing(self._clock())
            for state in self._windows:
                state.in_flight += 1
            if self._server_budget is not None:
                self._server_budget -= 1
        waited = self._clock() - start
        self.waited_total += waited
        return waited

    def _book_pacing(self, now: float) -> None:
        burst = self._burst.limit
        if burst.lowered:
            spacing = self._burst.window.seconds / burst.current(now)
            self._paced_until = max(self._paced_until, now) + spacing

    def _bind_loop(self) -> None:
        # asyncio primitives belong to one event loop; a limiter shared process-wide may
        # outlive a loop (one asyncio.run per CLI command or test), so it re-creates them.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._lock = asyncio.Lock()
            self._completed = asyncio.Event()

    def release(self, body_sent_at: float | None = None) -> None:
        """The request's answer (or failure) arrived: it keeps counting for a window length
        after the server counted it, which was no later than now and, when its body went out
        at ``body_sent_at`` (this limiter's clock), taken as no later than ``ARRIVAL_SLACK``
        after that. None: not known to have gone out whole; counted from now."""
        now = self._clock()
        counted = now if body_sent_at is None else min(now, body_sent_at + ARRIVAL_SLACK)
        for state in self._windows:
            state.in_flight -= 1
            heapq.heappush(state.finished, counted)
        self._completed.set()

    def _wait_needed(self, now: float) -> float | None:
        if self._suspect is not None and self._burst.in_flight > 0:
            return None  # a 429 awaits its verdict: the next answer, at most a round trip away
        waits: list[float] = []
        # Below the configured burst limit, sends are also spaced evenly: a server second then
        # sees no bunch of sends (about one is in flight when it starts refusing), and what got
        # through in the last second is what the server allows in one. (Not for the minute
        # window: spacing to its average would forgo the burst that fixed windows allow.)
        burst = self._burst.limit
        if burst.lowered:
            # GCRA: each send books one interval; up to PACING_SLACK intervals of lateness
            # (timer overshoot, a busy loop) are made up instead of lost.
            spacing = self._burst.window.seconds / burst.current(now)
            if self._paced_until - PACING_SLACK * spacing > now:
                waits.append(self._paced_until - PACING_SLACK * spacing - now)
        if self._paused_until > now:
            waits.append(self._paused_until - now)
        if self._server_budget is not None:
            if now >= self._server_reset_at:
                self._server_budget = None
            elif self._server_budget <= 0:
                waits.append(self._server_reset_at - now)
        for state in self._windows:
            w = state.wait_needed(now)
            if w is None:
                if not waits:
                    return None
                continue
            waits.append(w)
        return max(waits, default=0.0)

    def now(self) -> float:
        """The limiter's clock (what ``sent_at`` in :meth:`observe` is measured in)."""
        return self._clock()

    def current_limits(self) -> tuple[int, int]:
        """The burst and steady limits in force now (lower than configured after a 429)."""
        now = self._clock()
        return self._burst.limit.current(now), self._steady.limit.current(now)

    def observe(self, response: httpx.Response, sent_at: float | None = None) -> None:
        """Learn from the server's rate-limit headers and 429 answers; ``sent_at`` is when
        the request was admitted (a 429 to a request sent before the last decrease does not
        lower the limit again: it was sent under the old one)."""
        now = self._clock()
        if response.status_code == 429:
            wait = retry_after_seconds(response)
            if self._refused(wait, sent_at, now) is self._steady and wait is not None:
                # The minute's budget is spent: nobody sends before it comes back. (A second's
                # is guarded by the lowered, evenly spaced burst limit instead: a pause for the
                # whole-second Retry-After would also idle the next second, which is free.)
                self._paused_until = max(self._paused_until, now + wait * self.limits.time_unit)
            return
        suspect = self._suspect
        if suspect is not None and sent_at is not None and sent_at > suspect:
            self._suspect = None
            if sent_at - suspect > self._burst.window.seconds / 2:
                self._lower(self._burst, now)  # too late to tell: take the 429 at its word
            # else: sent just after the refused one and let through, so that second was not
            # full: the 429 was not about our rate (an injected fault, a hiccup)
        for state in self._windows:
            state.limit.passed(now)
        remaining = _int_header(response, "RateLimit-Remaining")
        reset = _float_header(response, "RateLimit-Reset")
        if remaining is None or reset is None:
            return
        # Our own windows already keep us under the configured limits; this budget matters
        # when the account's real limit is lower (another integration shares it).
        # The others in flight were sent before this answer's count, or are not counted yet:
        # take them off, or the budget would let them go twice.
        self._server_budget = remaining - max(0, self._burst.in_flight - 1)
        self._server_reset_at = now + reset * self.limits.time_unit

    def _refused(self, wait: float | None, sent_at: float | None, now: float) -> _WindowState:
        """Learn from a 429: lower the limit of the window it points at, once per decrease;
        returns that window."""
        # Which window refused: a wait longer than the burst window (or a server budget
        # already spent) can only be the steady window's; else the burst window's.
        waited_out = (
            wait is not None and wait * self.limits.time_unit > 1.5 * self._burst.window.seconds
        )
        spent = self._server_budget is not None and self._server_budget <= 0
        state = self._steady if waited_out or spent else self._burst
        lowered_at = state.limit.lowered_at
        if sent_at is not None and lowered_at is not None and sent_at < lowered_at:
            return state  # sent under the old limit: that decrease already answered it
        if state is self._burst and sent_at is not None:
            # A full second refuses whatever comes next in it: wait for the next answer to
            # tell (a 429 confirms, a success sent just after this one refutes) before lowering.
            if self._suspect is None:
                self._suspect = sent_at
                return state
            self._suspect = None
        self._lower(state, now)
        return state

    def _lower(self, state: _WindowState, now: float) -> None:
        state.limit.lower(now)


def _int_header(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def _float_header(response: httpx.Response, name: str) -> float | None:
    value = response.headers.get(name)
    try:
        number = float(value.strip()) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and number >= 0 else None


def retry_after_seconds(response: httpx.Response) -> float | None:
    """How long a 429 asks to wait: ``Retry-After`` (seconds or an HTTP date), else the
    "Expected available in N seconds" of Klaviyo's error detail, else None."""
    value = response.headers.get("Retry-After")
    if value is not None:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - datetime.now(UTC)).total_seconds())
    try:
        body = response.content
    except httpx.ResponseNotRead:
        return None
    match = _EXPECTED_RE.search(body[:4096])
    return float(match.group(1)) if match else None


class RateLimitTransport(httpx.AsyncBaseTransport):
    """Waits for a :class:`RateLimiter` slot before each request, then forwards it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limiter: RateLimiter) -> None:
        self.inner = inner
        self.limiter = limiter

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        waited = await self.limiter.acquire()
        sent_at = self.limiter.now()
        trace = trace_of(request)
        if trace is not None:
            trace.queued_ms += waited * 1000
        stream = request.stream
        watched = (
            _BodyWatch(stream, self.limiter) if isinstance(stream, httpx.AsyncByteStream) else None
        )
        if watched is not None:
            request.stream = watched
        try:
            response = await self.inner.handle_async_request(request)
            if response.status_code == 429:
                await response.aread()  # the wait may be in the body only
            self.limiter.observe(response, sent_at)
            return response
        finally:
            if watched is not None:
                request.stream = stream  # a retry sends the same request again
            self.limiter.release(watched.sent_at if watched is not None else None)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _BodyWatch(httpx.AsyncByteStream):
    """A request body that notes when its last byte was handed to the connection: the
    transport asks for the next chunk only once the one before is written."""

    def __init__(self, inner: httpx.AsyncByteStream, limiter: RateLimiter) -> None:
        self._inner = inner
        self._limiter = limiter
        self.sent_at: float | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.sent_at = None  # a transport that reads the body again sends it again
        async for chunk in self._inner:
            yield chunk
        self.sent_at = self._limiter.now()

    async def aclose(self) -> None:
        await self._inner.aclose()


class LimiterRegistry:
    """One limiter per (target, account): every client and replay for an account shares it."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, str], RateLimiter] = {}

    def get(
        self,
        target_label: str,
        account: str,
        limits: RateLimits | None = None,
        *,
        clock: Clock = monotonic,
        sleep: Sleep = real_sleep,
    ) -> RateLimiter:
        key = (target_label, account)
        limiter = self._limiters.get(key)
        if (
            limiter is None
            or (limits is not None and limiter.limits != limits)
            or limiter._clock is not clock
            or limiter._sleep is not sleep
        ):
            limiter = RateLimiter(limits, clock=clock, sleep=sleep)
            self._limiters[key] = limiter
        return limiter
