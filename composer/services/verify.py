"""Did it land? After a 202, read the event back from Klaviyo (or the sandbox) and say where it is.

A 202 only says Klaviyo queued the event. The verifier finds the profile (GET /api/profiles by
email, phone_number or external_id), the metric id by name (GET /api/metrics, paged: there is
no name filter; cached per verifier, i.e. per account, and read again when a name is missing),
then polls GET /api/events filtered by profile, metric and a window around the event's time,
newest first, and matches the event by its unique_id (``event_properties.$event_id``), else by
time and properties. Polls back off (0.25 s, then every 0.5 s, so a verdict comes within
~0.5 s of the event becoming readable; the metric list is read at most every 2 s) until a
deadline, and every read
waits for a slot of its endpoint's own limits (metrics 10/s and 150/min, ...) on top of the
account's limiter the client shares with sends.

Outcomes, each with its evidence: ``landed``, ``not_seen`` (inconclusive, with the likely causes
for this payload), ``cannot_check`` (the key lacks a read scope: which one) and ``skipped``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import httpx

from composer.client.ratelimit import RateLimiter, RateLimits, Window
from composer.domain.revisions import Revision
from composer.domain.rules import parse_event_time

WINDOW_SECONDS = 300
"""Events are looked for within this many seconds either side of the event's time (clocks of
this machine and Klaviyo's may differ)."""
CLOCK_SKEW_SECONDS = 60
"""How far Klaviyo's clock may be behind this machine's before an event with the same
unique_id and no time of its own counts as an earlier one."""
METRICS_REFRESH = 2.0
"""Seconds between two reads of the metric list while a name is missing (10/s, 150/min)."""
_MAX_EVENT_PAGES = 5
_MAX_METRIC_PAGES = 50

READ_LIMITS: Mapping[str, RateLimits] = {
    "/api/events": RateLimits(Window(350, 1.0), Window(3500, 60.0)),
    "/api/metrics": RateLimits(Window(10, 1.0), Window(150, 60.0)),
    "/api/profiles": RateLimits(Window(75, 1.0), Window(750, 60.0)),
}
"""Each read endpoint's documented limits (2026-07-15)."""
SCOPES = {
    "/api/events": "events:read",
    "/api/metrics": "metrics:read",
    "/api/profiles": "profiles:read",
}


class VerifyOutcome(StrEnum):
    """What the read-back found."""

    LANDED = "landed"
    NOT_SEEN = "not_seen"
    CANNOT_CHECK = "cannot_check"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Verification:
    """The verdict and its evidence."""

    outcome: VerifyOutcome
    summary: str
    """One sentence for a person."""
    evidence: dict[str, Any] = field(default_factory=dict)
    """landed: event_id, datetime, profile_id, metric_id, differences; not_seen: what was
    searched; cannot_check: missing_scope."""
    causes: tuple[str, ...] = ()
    """not_seen: the likely causes for this payload, most likely first."""
    waited_seconds: float = 0.0
    reads: int = 0

    def to_json(self) -> dict[str, Any]:
        """The ``"verification"`` object of ``--json`` output."""
        out: dict[str, Any] = {
            "outcome": self.outcome.value,
            "summary": self.summary,
            "waited_seconds": round(self.waited_seconds, 3),
            "reads": self.reads,
            **self.evidence,
        }
        if self.causes:
            out["likely_causes"] = list(self.causes)
        return out


class Reader(Protocol):
    """What the verifier reads through (``EventClient.read``)."""

    async def read(self, path: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """GET a read endpoint with the account's key."""
        ...


class MissingScope(Exception):
    """A read answered 403: the key lacks ``scope``."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.scope = SCOPES[path]


class ReadFailed(Exception):
    """A read answered something other than 200/403 (after the client's own retries)."""


@dataclass(frozen=True)
class SentEvent:
    """What was sent, as the verifier needs it (read from the accepted body)."""

    identifiers: tuple[tuple[str, str], ...]
    """(filter field, value) to find the profile by, in order of preference."""
    metric: str
    unique_id: str | None
    properties: dict[str, Any]
    time: float
    """The event's time (its ``time``, else when it was sent), epoch seconds."""
    time_given: bool
    had_fraction: bool
    phone: str | None

    @classmethod
    def from_payload(cls, payload: Any, revision: Revision, sent_at: float) -> SentEvent:
        """Read the parts of an accepted body that find it again."""
        attributes = _get(payload, ("data", "attributes"))
        attributes = attributes if isinstance(attributes, dict) else {}
        shape = revision.profile
        profile = _get(payload, shape.path)
        profile = profile if isinstance(profile, dict) else {}
        found: list[tuple[str, str]] = []
        if shape.path[-2:] == ("data", "attributes"):
            profile_id = _get(payload, (*shape.path[:-1], "id"))
            if isinstance(profile_id, str) and profile_id:
                found.append(("id", profile_id))
        email = profile.get(shape.email_key)
        if isinstance(email, str) and email.strip():
            found.append(("email", email.strip()))
        phone = profile.get(shape.phone_key)
        phone_text = phone.strip() if isinstance(phone, str) and phone.strip() else None
        if phone_text:
            found.append(("phone_number", phone_text))
        for key in ("external_id", "$id"):
            value = profile.get(key)
            if isinstance(value, str | int) and str(value):
                found.append(("external_id", str(value)))
                break
        metric = _get(payload, revision.metric_name_path)
        unique_id = attributes.get("unique_id")
        props = attributes.get("properties")
        moment, given, fraction = sent_at, False, False
        time_text = attributes.get("time")
        if isinstance(time_text, str):
            parsed, _problem, fraction = parse_event_time(time_text)
            if parsed is not None:
                moment, given = parsed.timestamp(), True
        return cls(
            identifiers=tuple(found),
            metric=metric if isinstance(metric, str) else "",
            unique_id=unique_id if isinstance(unique_id, str) and unique_id else None,
            properties=dict(props) if isinstance(props, dict) else {},
            time=moment,
            time_given=given,
            had_fraction=fraction,
            phone=phone_text,
        )


Sleep = Callable[[float], Awaitable[None]]


class Verifier:
    """Reads events back for one account (keep one per account: it caches metric ids)."""

    def __init__(
        self,
        reader: Reader,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        first_delay: float = 0.25,
        max_delay: float = 0.5,
        place: str = "Klaviyo",
    ) -> None:
        self.reader = reader
        self.place = place
        """Who records the events, as the verdicts name it ("Klaviyo", "the sandbox", a host)."""
        self._clock = clock
        self._sleep = sleep
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._limiters = {
            path: RateLimiter(limits, clock=clock, sleep=sleep)
            for path, limits in READ_LIMITS.items()
        }
        self.metric_ids: dict[str, str] = {}
        """Metric name -> id, filled from GET /api/metrics."""
        self.profile_ids: dict[tuple[str, str], str] = {}
        """(filter field, value) -> profile id, for profiles found: a replay's many events of
        one profile need one profile read, not one each (profiles: 75/s, 750/min)."""
        self._metrics_loaded_at = -math.inf
        self._metrics_lock = asyncio.Lock()
        self.reads = 0

    @property
    def clock(self) -> Callable[[], float]:
        """The clock the verifier measures waits with."""
        return self._clock

    @property
    def sleep(self) -> Sleep:
        """What the verifier waits with."""
        return self._sleep

    async def verify(
        self, payload: Any, revision: Revision, sent_at: float, *, timeout: float = 30.0
    ) -> Verification:
        """Look for the event accepted at ``sent_at`` (epoch seconds) for up to ``timeout``
        seconds; never raises for what the server answers (a transport failure is
        ``not_seen`` with that cause)."""
        sent = SentEvent.from_payload(payload, revision, sent_at)
        skipped = self.skip_reason(sent)
        if skipped is not None:
            return skipped
        start = self._clock()
        deadline = start + max(0.0, timeout)
        reads_before = self.reads
        delay = self._first_delay
        state: dict[str, Any] = {}
        try:
            while True:
                found = await self._look(sent, state)
                if found is not None:
                    return self.done(found, start, reads_before)
                now = self._clock()
                if now >= deadline:
                    break
                await self._sleep(min(delay, deadline - now))
                delay = min(self._max_delay, delay * 2)
        except MissingScope as missing:
            return self.done(cannot_check(missing.scope), start, reads_before)
        except (ReadFailed, httpx.HTTPError) as exc:
            state["read_error"] = str(exc) or type(exc).__name__
        return self.done(self.not_seen(sent, state, timeout), start, reads_before)

    @staticmethod
    def skip_reason(sent: SentEvent) -> Verification | None:
        """The ``skipped`` verdict when ``sent`` cannot be looked for, else None."""
        if not sent.identifiers:
            return Verification(
                VerifyOutcome.SKIPPED,
                "Not checked: the event names its profile by no email, phone_number, "
                "external_id or id that the profiles endpoint can be searched by.",
            )
        if not sent.metric:
            return Verification(VerifyOutcome.SKIPPED, "Not checked: the event has no metric.")
        return None

    # -- one look -----------------------------------------------------------------------------

    async def _look(self, sent: SentEvent, state: dict[str, Any]) -> Verification | None:
        profile_id = state.get("profile_id")
        if profile_id is None:
            profile_id = await self.find_profile(sent)
            if profile_id is None:
                return None
            state["profile_id"] = profile_id
        metric_id = await self.metric_id(sent.metric)
        if metric_id is None:
            state["metric_missing"] = True
            return None
        state["metric_missing"] = False
        state["metric_id"] = metric_id
        events = await self.events_of(profile_id, metric_id, sent.time)
        state["nearby"] = events
        return match_event(sent, events, profile_id, metric_id, self.place)

    async def find_profile(self, sent: SentEvent) -> str | None:
        """The id of the profile ``sent`` names (cached once found), else None."""
        for key in sent.identifiers:
            known = self.profile_ids.get(key)
            if known is not None:
                return known
        for name, value in sent.identifiers:
            wanted = {"filter": f"equals({name},{quote_value(value)})"}
            doc = await self.get("/api/profiles", wanted)
            data = doc.get("data")
            if isinstance(data, list) and data and isinstance(data[0], dict):
                found = data[0].get("id")
                if isinstance(found, str):
                    # Only found ones are kept: a profile not there yet may appear any moment.
                    self.profile_ids[(name, value)] = found
                    return found
        return None

    async def metric_id(self, name: str) -> str | None:
        """The id of the metric ``name``: from the cache, else from the metric list (read
        again at most every METRICS_REFRESH seconds, once for all checks waiting on it)."""
        known = self.metric_ids.get(name)
        if known is not None:
            return known
        async with self._metrics_lock:
            known = self.metric_ids.get(name)
            if known is None and self._clock() - self._metrics_loaded_at >= METRICS_REFRESH:
                await self._load_metrics()
                known = self.metric_ids.get(name)
        return known

    async def _load_metrics(self) -> None:
        self._metrics_loaded_at = self._clock()
        params: dict[str, str] = {}
        for _ in range(_MAX_METRIC_PAGES):
            doc = await self.get("/api/metrics", params)
            for item in doc.get("data") or []:
                if isinstance(item, dict):
                    name = (item.get("attributes") or {}).get("name")
                    if isinstance(name, str) and isinstance(item.get("id"), str):
                        self.metric_ids[name] = item["id"]
            cursor = next_cursor(doc)
            if cursor is None:
                return
            params = {"page[cursor]": cursor}

    async def events_of(
        self, profile_id: str, metric_id: str, moment: float
    ) -> list[dict[str, Any]]:
        """The events of one profile and metric within WINDOW_SECONDS of ``moment``, newest
        first."""
        low = iso_time(math.floor(moment) - WINDOW_SECONDS)
        high = iso_time(math.floor(moment) + WINDOW_SECONDS)
        params = {
            "filter": f"equals(profile_id,{quote_value(profile_id)}),"
            f"equals(metric_id,{quote_value(metric_id)}),"
            f"greater-or-equal(datetime,{low}),less-or-equal(datetime,{high})",
            "sort": "-datetime",
            "page[size]": "200",
        }
        out: list[dict[str, Any]] = []
        for _ in range(_MAX_EVENT_PAGES):
            doc = await self.get("/api/events", params)
            out.extend(e for e in doc.get("data") or [] if isinstance(e, dict))
            cursor = next_cursor(doc)
            if cursor is None:
                break
            params = {**params, "page[cursor]": cursor}
        return out

    async def get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """One read within ``path``'s own limits; raises MissingScope on 403 and ReadFailed
        on any other answer but 200."""
        limiter = self._limiters[path]
        await limiter.acquire()
        try:
            self.reads += 1
            response = await self.reader.read(path, params)
            limiter.observe(response)
        finally:
            limiter.release()
        if response.status_code == 403:
            raise MissingScope(path)
        if response.status_code != 200:
            raise ReadFailed(f"GET {path} answered {response.status_code}")
        try:
            doc = response.json()
        except ValueError:
            raise ReadFailed(f"GET {path} answered 200 with a body that is not JSON") from None
        return doc if isinstance(doc, dict) else {}

    # -- verdicts -----------------------------------------------------------------------------

    def done(self, verdict: Verification, start: float, reads_before: int) -> Verification:
        """``verdict`` with the time waited since ``start`` and the reads made since."""
        return Verification(
            verdict.outcome,
            verdict.summary,
            verdict.evidence,
            verdict.causes,
            self._clock() - start,
            self.reads - reads_before,
        )

    def not_seen(self, sent: SentEvent, state: dict[str, Any], timeout: float) -> Verification:
        """The not_seen verdict for ``sent`` with the likely causes ``state`` points at
        (profile_id, metric_id, metric_missing, nearby events, read_error)."""
        causes: list[str] = []
        nearby: list[dict[str, Any]] = state.get("nearby") or []
        if sent.unique_id is None:
            second = math.floor(sent.time)
            same = [e for e in nearby if event_timestamp(e) == second]
            if same:
                causes.append(
                    "no unique_id, and another event of this profile and metric has the same "
                    f"second ({iso_time(second)}, id {same[0].get('id')}): without a unique_id "
                    "Klaviyo keeps one event per profile, metric and second"
                )
        if sent.phone and not sent.phone.startswith("+"):
            causes.append(
                f"the phone number {sent.phone!r} is not in E.164 form (+ and country code): "
                "Klaviyo accepts such events and then drops them"
            )
        if "profile_id" not in state and "read_error" not in state:
            names = ", ".join(f"{k} {v!r}" for k, v in sent.identifiers)
            causes.append(f"no profile with {names} appeared")
        if state.get("metric_missing"):
            causes.append(f"no metric named {sent.metric!r} appeared")
        if "read_error" in state:
            causes.append(f"reading back failed: {state['read_error']}")
        causes.append(
            f"processing took longer than the {timeout:g} s waited (Klaviyo gives no time "
            "limit), or the event was dropped after the 202"
        )
        evidence: dict[str, Any] = {
            "searched": {
                "profile_id": state.get("profile_id"),
                "metric_id": state.get("metric_id"),
                "metric": sent.metric,
                "unique_id": sent.unique_id,
                "around": iso_time(math.floor(sent.time)),
            }
        }
        return Verification(
            VerifyOutcome.NOT_SEEN,
            f"Not seen: {self.place[:1].upper()}{self.place[1:]} accepted the event but it "
            "was not found after "
            f"{timeout:g} s. This is inconclusive; the likely causes follow.",
            evidence,
            tuple(causes),
        )


def cannot_check(scope: str) -> Verification:
    """The ``cannot_check`` verdict for a key that lacks read ``scope``."""
    return Verification(
        VerifyOutcome.CANNOT_CHECK,
        f"Cannot check: the API key lacks the {scope} scope; add it to the key in Klaviyo "
        "(Settings > API keys) to see whether events land.",
        {"missing_scope": scope},
    )


def match_event(
    sent: SentEvent,
    events: list[dict[str, Any]],
    profile_id: str,
    metric_id: str,
    place: str = "Klaviyo",
) -> Verification | None:
    """The verdict for ``sent`` among ``events`` of its profile and metric, or None when
    none of them is it (landed, or not_seen when an earlier event holds its unique_id)."""
    candidates: list[dict[str, Any]] = []
    for event in events:
        props = (event.get("attributes") or {}).get("event_properties") or {}
        if sent.unique_id is not None:
            if props.get("$event_id") == sent.unique_id:
                candidates.append(event)
        elif event_timestamp(event) == math.floor(sent.time) and _same_properties(sent, props):
            candidates.append(event)
    if not candidates:
        return None
    event = candidates[0]
    attributes = event.get("attributes") or {}
    props = attributes.get("event_properties") or {}
    differences = _differences(sent, props, event_timestamp(event))
    evidence = {
        "event_id": event.get("id"),
        "datetime": attributes.get("datetime"),
        "profile_id": profile_id,
        "metric_id": metric_id,
        "differences": differences,
    }
    if sent.unique_id is not None and _is_earlier_event(sent, event, props):
        # The same unique_id but another time or other properties: the event found is an
        # earlier one, and this send was de-duplicated away.
        return _earlier(sent, event, evidence, place)
    summary = f"Landed: {place} recorded it as event {event.get('id')} at " + str(
        attributes.get("datetime")
    )
    if differences:
        summary += f" ({len(differences)} difference(s) from what was sent)"
    return Verification(VerifyOutcome.LANDED, summary + ".", evidence)


def _earlier(
    sent: SentEvent, event: dict[str, Any], evidence: dict[str, Any], place: str
) -> Verification:
    earlier = {"id": event.get("id"), "datetime": (event.get("attributes") or {}).get("datetime")}
    return Verification(
        VerifyOutcome.NOT_SEEN,
        f"Not seen: an earlier event with the same unique_id is what {place} keeps; this one "
        "was de-duplicated.",
        {
            "searched": {k: evidence[k] for k in ("profile_id", "metric_id")},
            "earlier_event": earlier,
        },
        (
            f"duplicate unique_id: an earlier event with unique_id {sent.unique_id!r} (id "
            f"{earlier['id']}, at {earlier['datetime']}) is the one {place} keeps; it records "
            "an event once per profile, metric and unique_id",
        ),
    )


def _is_earlier_event(sent: SentEvent, event: dict[str, Any], props: Mapping[str, Any]) -> bool:
    stamp = event_timestamp(event)
    if stamp is None:
        return False
    if sent.time_given:
        if stamp != math.floor(sent.time):
            return True
    elif stamp < math.floor(sent.time) - CLOCK_SKEW_SECONDS:  # received before this send left
        return True
    return not _same_properties(sent, props)


def _same_properties(sent: SentEvent, props: Mapping[str, Any]) -> bool:
    return all(props.get(k) == v for k, v in sent.properties.items())


def _differences(sent: SentEvent, props: Mapping[str, Any], stamp: int | None) -> list[str]:
    out: list[str] = []
    if sent.had_fraction and stamp is not None:
        out.append(
            f"time: sent with a fraction of a second, stored as {iso_time(stamp)} (whole seconds)"
        )
    for key, value in sent.properties.items():
        if key not in props:
            out.append(f"properties.{key}: sent, not stored")
        elif props[key] != value:
            out.append(f"properties.{key}: sent {value!r}, stored {props[key]!r}")
    return out


def event_timestamp(event: Mapping[str, Any]) -> int | None:
    """An event resource's ``timestamp`` (epoch seconds), None when it has none."""
    value = (event.get("attributes") or {}).get("timestamp")
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def next_cursor(doc: Mapping[str, Any]) -> str | None:
    """The ``page[cursor]`` of a JSON:API document's next link, None on the last page."""
    from urllib.parse import parse_qs, urlsplit

    link = (doc.get("links") or {}).get("next")
    if not isinstance(link, str) or not link:
        return None
    values = parse_qs(urlsplit(link).query).get("page[cursor]")
    return values[0] if values else None


def quote_value(value: str) -> str:
    """A string as a filter value: double-quoted, with quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def iso_time(epoch: float) -> str:
    """Epoch seconds as an ISO 8601 UTC time (the form filters take)."""
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _get(payload: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(part)
    return payload
