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
import contextlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
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
    VerifyOutcome,
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

SKEW_SLACK = 1.0
"""Seconds of slack around where an event without a time of its own is expected among the
server's times, once the offset between this machine's send times and the server's recorded
times has been seen on events found (before that: WINDOW_SECONDS either side)."""
OVERTAKEN = 1.0
"""An event still waiting when one accepted this many seconds after it has been found gets a
look of its own over the whole window (its profile's listing): an earlier event with its
unique_id, recorded long before, lies outside the narrow window the sweeps list."""

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
    looked_whole: float = -math.inf
    """When this event last got a look over the whole window (its profile's listing)."""


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
        self._waiting: dict[int, _Waiting] = {}  # by id(): removal in constant time
        self._offsets: tuple[float, float] | None = None
        """(least, greatest) server time minus send time seen on events found."""
        self._found_up_to = -math.inf
        """The latest submission time of an event found."""
        self._arrived = asyncio.Event()
        self._closing = asyncio.Event()
        self._closed = False
        self._last_sweep = -math.inf
        self._profile_tried: dict[tuple[tuple[str, str], ...], float] = {}
        self._missing_scope: str | None = None
        self._claimed: set[str] = set()
        """Ids of recorded events already the read-back of one send of these checks."""
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
        waiting = _Waiting(
            token, sent, now, now + self.timeout, now + min(FIRST_LOOK, self.timeout)
        )
        self._waiting[id(waiting)] = waiting
        self._arrived.set()

    def close(self) -> None:
        """No more events will be submitted: :meth:`run` returns once every verdict is in."""
        self._closed = True
        self._arrived.set()
        self._closing.set()

    async def run(self) -> None:
        """Sweep until closed and every submitted event has its verdict."""
        final = False
        while True:
            if not self._waiting:
                if self._closed:
                    return
                self._arrived.clear()
                await self._arrived.wait()
                continue
            now = self._clock()
            if self._closed and not final:
                # the sends are over: look for every event accepted since the last sweep now,
                # not a gap later (that wait would be all the read-back adds to a replay)
                final = True
                due = now
            else:
                earliest = min(w.next_look for w in self._waiting.values())
                due = max(earliest, self._last_sweep + SWEEP_GAP)
            if due > now:
                self._closing.clear()
                if not self._closed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), due - now)
                else:
                    await self.verifier.sleep(due - now)
                continue
            self._last_sweep = now
            await self.sweep()

    async def sweep(self) -> None:
        """Look for every waiting event once; decide those found or past their deadline."""
        self.sweeps += 1
        by_metric: dict[str, list[_Waiting]] = {}
        for waiting in self._waiting.values():
            by_metric.setdefault(waiting.sent.metric, []).append(waiting)
        try:
            await asyncio.gather(*(self._sweep_metric(m, ws) for m, ws in by_metric.items()))
            now = self._clock()
            # overtaken (a later event was found) or due: one look over the whole window
            whole = [
                w
                for w in self._waiting.values()
                if now - w.looked_whole > SWEEP_GAP
                and (
                    now >= w.deadline
                    or (w.looked_whole < 0 and w.submitted < self._found_up_to - OVERTAKEN)
                )
            ]
            if whole:
                await self._look_whole(whole)
        except MissingScope as missing:
            self._missing_scope = missing.scope
            for waiting in list(self._waiting.values()):
                self._decide(waiting, cannot_check(missing.scope))
            return
        except (ReadFailed, httpx.HTTPError) as exc:
            for waiting in self._waiting.values():
                waiting.state["read_error"] = str(exc) or type(exc).__name__
        now = self._clock()
        for waiting in list(self._waiting.values()):
            if now >= waiting.deadline:
                verdict = self.verifier.not_seen(waiting.sent, waiting.state, self.timeout)
                self._decide(waiting, verdict)
            else:
                waiting.next_look = now + waiting.delay
                waiting.delay = min(SWEEP_GAP, waiting.delay * 2)

    async def _look_whole(self, group: list[_Waiting]) -> None:
        """Look for each of ``group`` in its own profile's listing over the whole window
        (WINDOW_SECONDS either side of its time), one read per profile and time."""
        now = self._clock()
        await self._find_profiles([w for w in group if "profile_id" not in w.state])
        lists: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
        for waiting in group:
            profile_id = waiting.state.get("profile_id")
            metric_id = waiting.state.get("metric_id")
            if profile_id is None or metric_id is None:
                continue
            waiting.looked_whole = now
            # events within a minute of each other share their profile's listing
            moment = math.floor(waiting.sent.time / 60) * 60
            key = (profile_id, metric_id, moment)
            if key not in lists:
                lists[key] = await self.verifier.events_of(profile_id, metric_id, moment + 30)
            events = lists[key]
            waiting.state["nearby"] = events
            verdict = match_event(waiting.sent, events, profile_id, metric_id, self.verifier.place)
            if verdict is not None:
                self._decide(waiting, verdict)

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
            for waiting in group:
                if "profile_id" not in waiting.state:
                    cached = _cached_profile(self.verifier, waiting.sent.identifiers)
                    if cached is not None:
                        waiting.state["profile_id"] = cached
            for cluster in _clusters(group):
                await self._sweep_window(metric_id, cluster)
            # the listing named no profile of these (their events are not there yet, or were
            # dropped): look each profile up once, so its id is known for the next sweeps
            await self._find_profiles(
                [w for w in group if id(w) in self._waiting and "profile_looked" not in w.state]
            )
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
            for waiting in ws:
                waiting.state["profile_looked"] = True
                if cached is not None:
                    waiting.state["profile_id"] = cached
            if cached is not None:
                self._profile_tried.pop(key, None)

        await asyncio.gather(*(look(key, ws) for key, ws in unknown.items()))

    def _expected(self, waiting: _Waiting) -> tuple[int, int]:
        """The server times (epoch seconds) between which ``waiting`` should be recorded."""
        moment = waiting.sent.time
        if waiting.sent.time_given:  # the server keeps the event's own time, to the second
            return math.floor(moment) - 1, math.floor(moment) + 1
        if self._offsets is None:  # the clocks' offset is not known yet
            return math.floor(moment) - WINDOW_SECONDS, math.floor(moment) + WINDOW_SECONDS
        least, greatest = self._offsets
        return (
            math.floor(moment + least - SKEW_SLACK),
            math.ceil(moment + greatest + SKEW_SLACK),
        )

    async def _sweep_window(self, metric_id: str, cluster: list[_Waiting]) -> None:
        """One listing of the metric's events where ``cluster`` is expected; match each."""
        expected = [self._expected(w) for w in cluster]
        low = min(lo for lo, _ in expected)
        high = max(hi for _, hi in expected)
        params = {
            "filter": f"equals(metric_id,{quote_value(metric_id)}),"
            f"greater-or-equal(datetime,{iso_time(low)}),"
            f"less-or-equal(datetime,{iso_time(high)})",
            "sort": "-datetime",
            "page[size]": str(EVENTS_PAGE),
            # the profiles of the events listed, by what an event names its profile with: no
            # profile read for a profile whose events are found (profiles: 750/min)
            "include": "profile",
            "fields[profile]": "email,phone_number,external_id",
        }
        by_profile: dict[str, list[dict[str, Any]]] = {}
        named: dict[tuple[str, str], str] = {}
        reached = -math.inf  # the listing covers event times from here up
        for page in range(MAX_PAGES):
            doc = await self.verifier.get("/api/events", params)
            for event in doc.get("data") or []:
                if isinstance(event, dict):
                    by_profile.setdefault(_profile_of(event), []).append(event)
            _learn_profiles(doc.get("included"), named)
            cursor = next_cursor(doc)
            if cursor is None:
                break
            if page == MAX_PAGES - 1:
                stamps = [event_timestamp(e) for e in doc.get("data") or [] if isinstance(e, dict)]
                reached = min((s for s in stamps if s is not None), default=high)
            params = {**params, "page[cursor]": cursor}
        for waiting, (lowest, _highest) in zip(cluster, expected, strict=True):
            profile_id = waiting.state.get("profile_id") or self._named(waiting, named)
            if profile_id is None:
                continue
            waiting.state["profile_id"] = profile_id
            events = by_profile.get(profile_id, [])
            if lowest < reached:
                # the listing stopped before this event's window: its profile's own listing
                events = await self.verifier.events_of(profile_id, metric_id, waiting.sent.time)
            if waiting.looked_whole < 0:
                waiting.state["nearby"] = events
            verdict = match_event(waiting.sent, events, profile_id, metric_id, self.verifier.place)
            if verdict is not None:
                self._decide(waiting, verdict)

    def _named(self, waiting: _Waiting, named: dict[tuple[str, str], str]) -> str | None:
        """The id of the profile ``waiting`` names, from a listing's included profiles (kept
        in the verifier's cache), else None."""
        for key in waiting.sent.identifiers:
            name, value = key
            if name == "id":
                return value
            found = named.get((name, value.lower() if name == "email" else value))
            if found is not None:
                self.verifier.profile_ids[key] = found
                return found
        return None

    def _decide(self, waiting: _Waiting, verdict: Verification) -> None:
        if self._waiting.pop(id(waiting), None) is None:
            return
        landed = verdict.outcome is VerifyOutcome.LANDED
        found = verdict.evidence.get("event_id") if landed else None
        if isinstance(found, str):
            if found in self._claimed:
                # One recorded event is the landing of one send: another send of these checks
                # (the same unique_id, or no unique_id and the same second) already has it.
                verdict = _taken(waiting.sent, verdict, self.verifier.place)
            else:
                self._claimed.add(found)
        if verdict.outcome is VerifyOutcome.LANDED:
            self._found_up_to = max(self._found_up_to, waiting.submitted)
            if not waiting.sent.time_given:
                self._learn_offset(waiting.sent.time, verdict.evidence.get("datetime"))
        waited = self._clock() - waiting.submitted
        v = verdict
        self._on_verdict(
            waiting.token, Verification(v.outcome, v.summary, v.evidence, v.causes, waited)
        )

    def _learn_offset(self, sent_time: float, recorded: Any) -> None:
        """Note the server's recorded time of an event found against when it was sent."""
        try:
            stamp = datetime.fromisoformat(str(recorded)).timestamp()
        except ValueError:
            return
        offset = stamp - sent_time
        if self._offsets is None:
            self._offsets = (offset, offset)
        else:
            least, greatest = self._offsets
            self._offsets = (min(least, offset), max(greatest, offset))


def _taken(sent: SentEvent, verdict: Verification, place: str) -> Verification:
    """The verdict of a send whose only match is an event another send already landed as."""
    event_id = verdict.evidence.get("event_id")
    why = (
        f"the same unique_id {sent.unique_id}, which {place} records once"
        if sent.unique_id is not None
        else f"no unique_id and the same second, and {place} keeps one event per profile, "
        "metric and second"
    )
    return Verification(
        VerifyOutcome.NOT_SEEN,
        f"Not seen as an event of its own: the one event found (id {event_id}) is already the "
        f"read-back of another event sent here with {why}; this one was most likely not "
        "recorded again.",
        {**verdict.evidence, "taken_by_another": True},
        (f"a duplicate of another event sent here ({why})",),
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


def _learn_profiles(included: Any, named: dict[tuple[str, str], str]) -> None:
    """Note each included profile's id under its email (lower case), phone_number and
    external_id."""
    for item in included if isinstance(included, list) else ():
        if not isinstance(item, dict) or item.get("type") != "profile":
            continue
        profile_id = item.get("id")
        attributes = item.get("attributes")
        if not isinstance(profile_id, str) or not isinstance(attributes, dict):
            continue
        for name in ("email", "phone_number", "external_id"):
            value = attributes.get(name)
            if isinstance(value, str) and value:
                named[(name, value.strip().lower() if name == "email" else value)] = profile_id


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
