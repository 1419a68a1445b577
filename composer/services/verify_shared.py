"""Many read-back checks that share their reads (``replay --verify``, ``--verify-sample N``).

Checked one by one, a replay's events cost an events listing each per poll, and the reads take
the account's rate-limit slots from the sends. Here the accepted events wait in one pool and a
*sweep* reads once for many of them:

- one ``GET /api/events`` listing per metric and time window (filtered by ``metric_id`` and
  ``datetime``, newest first, 1,000 a page) serves every waiting event of that metric: each
  event listed names its profile (``relationships.profile``), and each waiting event is matched
  among its own profile's events exactly as :meth:`Verifier.verify` matches (by unique_id,
  else by time and properties; an earlier event holding its unique_id means not_seen);
- profile ids and metric ids come from the verifier's caches: one profile read per profile
  (retried at most every ``PROFILE_RETRY`` s while it does not exist yet), one metric list;
- sweeps start while the sends still go on: an event is first looked for ``FIRST_LOOK`` s
  after its 202, then every ``SWEEP_GAP`` s at most, until found or its deadline;
- waiting events far apart in time get listings of their own (no window wider than
  ``MAX_SPAN``); when a listing stops at ``MAX_PAGES`` before reaching a waiting event's
  window, that event is looked for in its own profile's listing (:meth:`Verifier.events_of`).

Every read goes through the verifier: each endpoint's own limits on top of the account's
limiter that the client shares with sends. A missing read scope ends every waiting check as
``cannot_check`` at once.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from composer.domain.revisions import Revision
from composer.services.verify import (
    WINDOW_SECONDS,
    MissingScope,
    ReadFailed,
    SentEvent,
    Verification,
    Verifier,
    cannot_check,
    event_timestamp,
    iso_time,
    match_event,
    next_cursor,
    quote_value,
)

FIRST_LOOK = 0.25
"""Seconds after its 202 before an event is first looked for."""
SWEEP_GAP = 0.5
"""Seconds at least between two sweeps (so a verdict comes within ~0.5 s of the event being
readable, and a sweep's reads serve every event accepted meanwhile)."""
PROFILE_RETRY = 0.5
"""Seconds between two lookups of a profile that was not found yet."""
PROFILE_LOOKUPS = 8
"""Profile lookups in flight at once (the profiles endpoint's limiter paces them)."""
EVENTS_PAGE = 1000
"""Events per listing page (the largest page GET /api/events serves)."""
MAX_PAGES = 5
"""Pages of one metric listing per sweep; beyond them, events are looked for per profile."""
MAX_SPAN = 3600.0
"""Seconds of event time one listing covers at most (backfilled events far apart in time get
listings of their own)."""

VerdictCallback = Callable[[object, Verification], None]


@dataclass(eq=False)
class _Waiting:
    token: object
    sent: SentEvent
    submitted: float
    deadline: float
    next_look: float
    delay: float = FIRST_LOOK
    state: dict[str, Any] = field(default_factory=dict)


class SharedChecks:
    """Checks events submitted one by one, many per read. ``on_verdict(token, verdict)`` is
    called once per submitted event, in the event loop, as soon as its verdict is known;
    ``run()`` sweeps until :meth:`close` was called and every verdict is in."""

    def __init__(
        self,
        verifier: Verifier,
        revision: Revision,
        *,
        timeout: float,
        on_verdict: VerdictCallback,
    ) -> None:
        self.verifier = verifier
        self.revision = revision
        self.timeout = max(0.0, timeout)
        self._on_verdict = on_verdict
        self._clock = verifier.clock
        self._waiting: list[_Waiting] = []
        self._arrived = asyncio.Event()
        self._closed = False
        self._last_sweep = -math.inf
        self._profile_tried: dict[tuple[tuple[str, str], ...], float] = {}
        self._missing_scope: str | None = None
        self.sweeps = 0

    def pending(self) -> int:
        """Events submitted and not decided yet."""
        return len(self._waiting)

    def submit(self, token: object, payload: Any, sent_at: float) -> None:
        """Look for the event ``payload`` accepted at ``sent_at`` (epoch seconds)."""
        sent = SentEvent.from_payload(payload, self.revision, sent_at)
        skipped = self.verifier.skip_reason(sent)
        if skipped is not None:
            self._on_verdict(token, skipped)
            return
        if self._missing_scope is not None:
            self._on_verdict(token, cannot_check(self._missing_scope))
            return
        now = self._clock()
        self._waiting.append(
            _Waiting(token, sent, now, now + self.timeout, now + min(FIRST_LOOK, self.timeout))
        )
        self._arrived.set()

    def close(self) -> None:
        """No more events will be submitted: :meth:`run` returns once every verdict is in."""
        self._closed = True
        self._arrived.set()

    async def run(self) -> None:
        """Sweep until closed and every submitted event has its verdict."""
        while True:
            if not self._waiting:
                if self._closed:
                    return
                self._arrived.clear()
                await self._arrived.wait()
                continue
            now = self._clock()
            due = max(min(w.next_look for w in self._waiting), self._last_sweep + SWEEP_GAP)
            if due > now:
                await self.verifier.sleep(due - now)
                continue
            self._last_sweep = now
            await self.sweep()

    async def sweep(self) -> None:
        """Look for every waiting event once; decide those found or past their deadline."""
        self.sweeps += 1
        by_metric: dict[str, list[_Waiting]] = {}
        for waiting in self._waiting:
            by_metric.setdefault(waiting.sent.metric, []).append(waiting)
        try:
            await asyncio.gather(*(self._sweep_metric(m, ws) for m, ws in by_metric.items()))
        except MissingScope as missing:
            self._missing_scope = missing.scope
            for waiting in list(self._waiting):
                self._decide(waiting, cannot_check(missing.scope))
            return
        now = self._clock()
        for waiting in list(self._waiting):
            if now >= waiting.deadline:
                verdict = self.verifier.not_seen(waiting.sent, waiting.state, self.timeout)
                self._decide(waiting, verdict)
            else:
                waiting.next_look = now + waiting.delay
                waiting.delay = min(SWEEP_GAP, waiting.delay * 2)

    # -- one metric -------------------------------------------------------------------------

    async def _sweep_metric(self, name: str, group: list[_Waiting]) -> None:
        try:
            metric_id = await self.verifier.metric_id(name)
            for waiting in group:
                waiting.state["metric_missing"] = metric_id is None
                if metric_id is not None:
                    waiting.state["metric_id"] = metric_id
            if metric_id is None:
                return
            await self._find_profiles(group)
            known = [w for w in group if "profile_id" in w.state]
            for cluster in _clusters(known):
                await self._sweep_window(metric_id, cluster)
        except (ReadFailed, httpx.HTTPError) as exc:
            for waiting in group:
                waiting.state["read_error"] = str(exc) or type(exc).__name__

    async def _find_profiles(self, group: list[_Waiting]) -> None:
        """Profile ids for the events of ``group`` that have none yet (one read per profile,
        from the verifier's cache when found before)."""
        now = self._clock()
        unknown: dict[tuple[tuple[str, str], ...], list[_Waiting]] = {}
        for waiting in group:
            if "profile_id" not in waiting.state:
                unknown.setdefault(waiting.sent.identifiers, []).append(waiting)
        gate = asyncio.Semaphore(PROFILE_LOOKUPS)

        async def look(key: tuple[tuple[str, str], ...], ws: list[_Waiting]) -> None:
            cached = _cached_profile(self.verifier, key)
            if cached is None:
                if now - self._profile_tried.get(key, -math.inf) < PROFILE_RETRY:
                    return
                self._profile_tried[key] = now
                async with gate:
                    cached = await self.verifier.find_profile(ws[0].sent)
            if cached is not None:
                self._profile_tried.pop(key, None)
                for waiting in ws:
                    waiting.state["profile_id"] = cached

        await asyncio.gather(*(look(key, ws) for key, ws in unknown.items()))

    async def _sweep_window(self, metric_id: str, cluster: list[_Waiting]) -> None:
        """One listing of the metric's events around ``cluster``'s times; match each."""
        low = min(math.floor(w.sent.time) for w in cluster) - WINDOW_SECONDS
        high = max(math.floor(w.sent.time) for w in cluster) + WINDOW_SECONDS
        params = {
            "filter": f"equals(metric_id,{quote_value(metric_id)}),"
            f"greater-or-equal(datetime,{iso_time(low)}),"
            f"less-or-equal(datetime,{iso_time(high)})",
            "sort": "-datetime",
            "page[size]": str(EVENTS_PAGE),
        }
        by_profile: dict[str, list[dict[str, Any]]] = {}
        reached = -math.inf  # the listing covers event times from here up
        for page in range(MAX_PAGES):
            doc = await self.verifier.get("/api/events", params)
            for event in doc.get("data") or []:
                if isinstance(event, dict):
                    by_profile.setdefault(_profile_of(event), []).append(event)
            cursor = next_cursor(doc)
            if cursor is None:
                break
            if page == MAX_PAGES - 1:
                stamps = [event_timestamp(e) for e in doc.get("data") or [] if isinstance(e, dict)]
                reached = min((s for s in stamps if s is not None), default=high)
            params = {**params, "page[cursor]": cursor}
        for waiting in cluster:
            profile_id = waiting.state["profile_id"]
            events = by_profile.get(profile_id, [])
            if math.floor(waiting.sent.time) - WINDOW_SECONDS < reached:
                # the listing stopped before this event's window: its profile's own listing
                events = await self.verifier.events_of(profile_id, metric_id, waiting.sent.time)
            waiting.state["nearby"] = events
            verdict = match_event(waiting.sent, events, profile_id, metric_id)
            if verdict is not None:
                self._decide(waiting, verdict)

    def _decide(self, waiting: _Waiting, verdict: Verification) -> None:
        if waiting not in self._waiting:
            return
        self._waiting.remove(waiting)
        waited = self._clock() - waiting.submitted
        v = verdict
        self._on_verdict(
            waiting.token, Verification(v.outcome, v.summary, v.evidence, v.causes, waited)
        )


def _clusters(waiting: Iterable[_Waiting]) -> list[list[_Waiting]]:
    """The waiting events in groups whose times lie within MAX_SPAN seconds of each other."""
    ordered = sorted(waiting, key=lambda w: w.sent.time)
    out: list[list[_Waiting]] = []
    for item in ordered:
        if out and item.sent.time - out[-1][0].sent.time <= MAX_SPAN:
            out[-1].append(item)
        else:
            out.append([item])
    return out


def _profile_of(event: dict[str, Any]) -> str:
    related = ((event.get("relationships") or {}).get("profile") or {}).get("data") or {}
    value = related.get("id") if isinstance(related, dict) else None
    return value if isinstance(value, str) else ""


def _cached_profile(verifier: Verifier, key: tuple[tuple[str, str], ...]) -> str | None:
    for identifier in key:
        known = verifier.profile_ids.get(identifier)
        if known is not None:
            return known
    return None
