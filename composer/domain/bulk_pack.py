"""Bulk Create Events (``POST /api/event-bulk-create-jobs``, revision 2024-05-15 on): packing
single Create Event bodies into job bodies, and reading job bodies back.

A job body groups events by profile::

    {"data": {"type": "event-bulk-create-job", "attributes": {"events-bulk-create": {"data": [
        {"type": "event-bulk-create", "attributes": {
            "profile": {"data": {...}},
            "events": {"data": [{"type": "event", "attributes": {metric, properties, ...}}]}}}
    ]}}}}

The packer keeps each job within Klaviyo's limits (1,000 events, 5 MB) and never puts two
events with the same metric and unique_id in one job: from 2025-01-15 such a request fails as a
whole, up to 2024-10-15 only the first is recorded. The rule is stricter than Klaviyo's (which
also compares the profile), so it holds whatever profile identifiers the events use. A repeated
event goes into a later job instead, where Klaviyo's de-duplication across requests applies.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from composer.domain.revisions import Revision

BULK_MAX_EVENTS = 1000
"""Events per Bulk Create Events request."""
BULK_MAX_BYTES = 5_000_000
"""Bytes per Bulk Create Events request ("5MB"; the decimal reading is the safe one)."""
BULK_PATH = "/api/event-bulk-create-jobs"
JOB_TYPE = "event-bulk-create-job"
GROUP_TYPE = "event-bulk-create"

_PREFIX = b'{"data":{"type":"event-bulk-create-job","attributes":{"events-bulk-create":{"data":['
_SUFFIX = b"]}}}}"
_GROUP_HEAD = b'{"type":"event-bulk-create","attributes":{"profile":'
_GROUP_MID = b',"events":{"data":['
_GROUP_TAIL = b"]}}}"
_GROUP_FIXED = len(_GROUP_HEAD) + len(_GROUP_MID) + len(_GROUP_TAIL)
_ENVELOPE = len(_PREFIX) + len(_SUFFIX)

_POINTER = re.compile(
    r"^/data/attributes/events-bulk-create/data/(\d+)"
    r"(?:/attributes/(?:events/data/(\d+)(/.*)?|(profile(?:/.*)?)))?(.*)$"
)


def bulk_path(revision: Revision) -> str:
    """The endpoint's path at ``revision``: with a trailing slash while Create Event has one
    (up to 2024-07-15, where the body is also sent as ``application/json``)."""
    return BULK_PATH + ("/" if revision.path.endswith("/") else "")


# Built once: ``json.dumps`` with options builds a new encoder on every call, and a replay
# serializes two parts of every event.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_COMPACT_SORTED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def _compact(value: Any) -> bytes:
    return _COMPACT(value).encode("utf-8")


@dataclass(frozen=True, slots=True)
class SplitEvent:
    """One Create Event body cut into the two parts a job holds: its profile and its event."""

    profile: bytes
    """The ``profile`` member as compact JSON (``{"data": {...}}``), keys sorted."""
    event: bytes
    """``{"type": "event", "attributes": {...}}`` as compact JSON (no profile in it)."""
    metric: str | None
    unique_id: str | None
    profile_label: str | None


def split_event(payload: Any) -> SplitEvent | str:
    """Cut a Create Event body (relationship shape) into profile and event; a sentence saying
    why it cannot be packed when it has no ``data.attributes`` object or no profile object."""
    data = payload.get("data") if isinstance(payload, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(attributes, dict):
        return "not a Create Event body (no data.attributes object)"
    profile = attributes.get("profile")
    if not isinstance(profile, dict):
        return "data.attributes.profile is missing or not an object: a job groups events by profile"
    profile = _bulk_profile(profile)
    event_attributes = dict(attributes)  # the same members in the same order, less the profile
    del event_attributes["profile"]
    unique_id = event_attributes.get("unique_id")
    return SplitEvent(
        profile=_COMPACT_SORTED(profile).encode("utf-8"),
        event=_compact({"type": "event", "attributes": event_attributes}),
        metric=_metric_name(event_attributes.get("metric")),
        unique_id=unique_id if isinstance(unique_id, str) and unique_id else None,
        profile_label=_profile_label(profile),
    )


def _bulk_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """A single event's profile as a job holds it: ``meta`` moves from
    ``profile.data.attributes.meta`` (single event, 2024-02-15 on) to ``profile.data.meta``."""
    data = profile.get("data")
    attributes = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(attributes, dict) or "meta" not in attributes or "meta" in data:  # type: ignore[operator]
        return profile
    assert isinstance(data, dict)
    moved = {**data, "attributes": {k: v for k, v in attributes.items() if k != "meta"}}
    moved["meta"] = attributes["meta"]
    return {**profile, "data": moved}


def _single_profile(profile: Any) -> Any:
    """The inverse of :func:`_bulk_profile`: a job's profile as a single event holds it."""
    data = profile.get("data") if isinstance(profile, dict) else None
    if not isinstance(data, dict) or "meta" not in data:
        return profile
    attributes = data.get("attributes")
    if not isinstance(attributes, dict) or "meta" in attributes:
        return profile
    moved = {k: v for k, v in data.items() if k != "meta"}
    moved["attributes"] = {**attributes, "meta": data["meta"]}
    return {**profile, "data": moved}


def _metric_name(metric: Any) -> str | None:
    data = metric.get("data") if isinstance(metric, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    name = attributes.get("name") if isinstance(attributes, dict) else None
    return name if isinstance(name, str) else None


def _profile_label(profile: dict[str, Any]) -> str | None:
    data = profile.get("data")
    if not isinstance(data, dict):
        return None
    attributes = data.get("attributes")
    if isinstance(attributes, dict):
        for key in ("email", "phone_number", "external_id", "anonymous_id"):
            value = attributes.get(key)
            if isinstance(value, str) and value:
                return value
    ident = data.get("id")
    return ident if isinstance(ident, str) and ident else None


@dataclass(frozen=True, slots=True)
class JobMember:
    """One event of a job: where it came from and where it sits in the job's body."""

    index: int
    """Its position in the replayed file (0 for the first)."""
    line: int
    """The line of the file it starts on."""
    group: int
    """Its profile group: ``data.attributes.events-bulk-create.data[group]``."""
    slot: int
    """Its place in the group: ``...[group].attributes.events.data[slot]``."""
    metric: str | None
    profile: str | None
    unique_id: str | None
    column: int | None = None
    """The column it starts at when other events start on its line too; else None."""


Source = tuple[int, int, "int | None"]
"""Where an event comes from: its position in the file, its line and its column (None when
no other event starts on that line)."""


@dataclass(frozen=True, slots=True)
class BulkJob:
    """One Bulk Create Events request body and the events it carries (in body order)."""

    number: int
    body: bytes
    members: tuple[JobMember, ...]

    @property
    def events(self) -> int:
        return len(self.members)

    @property
    def all_have_unique_id(self) -> bool:
        """Whether every event carries a unique_id (only then is a retry safe)."""
        return all(m.unique_id for m in self.members)

    def members_at(self, pointer: str) -> tuple[JobMember, ...]:
        """The events a JSON pointer into this job's body refers to: one event, every event
        of a profile group, or (a pointer outside the groups) every event of the job."""
        match = _POINTER.match(pointer or "")
        if match is None:
            return self.members
        group = int(match.group(1))
        slot = match.group(2)
        if slot is not None:
            wanted = int(slot)
            return tuple(m for m in self.members if m.group == group and m.slot == wanted)
        return tuple(m for m in self.members if m.group == group)


def pointer_rest(pointer: str) -> str:
    """The part of a job pointer inside one event or profile (``/attributes/metric/...`` or
    ``/profile/...``), for messages; the pointer itself when it is not inside one."""
    match = _POINTER.match(pointer or "")
    if match is None:
        return pointer
    if match.group(2) is not None:
        return match.group(3) or ""
    if match.group(4) is not None:
        return "/data/attributes/" + match.group(4)
    return match.group(5) or ""


@dataclass(slots=True)
class _Group:
    profile: bytes
    events: list[bytes] = field(default_factory=list)
    members: list[tuple[Source, SplitEvent]] = field(default_factory=list)


@dataclass(slots=True)
class _Open:
    """The job being filled."""

    groups: dict[bytes, _Group] = field(default_factory=dict)
    size: int = _ENVELOPE
    count: int = 0
    keys: dict[tuple[str | None, str], Source] = field(default_factory=dict)
    """(metric, unique_id) -> where the event that holds it in this job comes from."""


class JobPacker:
    """Packs events into jobs as they come (the file is never held whole): ``add`` returns the
    jobs that became full, ``finish`` the rest. ``on_repeat(source, first)`` hears of each event
    held over to a later job because this one already has its metric and unique_id (``first``
    is where the one in this job comes from).
    """

    def __init__(
        self,
        *,
        max_events: int = BULK_MAX_EVENTS,
        max_bytes: int = BULK_MAX_BYTES,
        on_repeat: Callable[[Source, Source], None] | None = None,
        numbers: Iterator[int] | None = None,
    ) -> None:
        if max_events < 1 or max_bytes < _ENVELOPE + _GROUP_FIXED + 2:
            raise ValueError("a job must hold at least one event")
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._on_repeat = on_repeat
        self._open = _Open()
        self._held: dict[tuple[str | None, str], deque[tuple[Source, SplitEvent]]] = {}
        """Events held over, by (metric, unique_id), each queue in file order: a new job takes
        the first of each queue, so a refill costs one step per distinct key, not per event."""
        self._held_count = 0
        self._numbers = numbers if numbers is not None else itertools.count(1)
        """Job numbers (several packers of one run share one sequence)."""

    def fits_alone(self, event: SplitEvent) -> bool:
        """Whether this event fits in a job by itself (else no job can carry it)."""
        return _ENVELOPE + _GROUP_FIXED + len(event.profile) + len(event.event) <= self.max_bytes

    @property
    def pending(self) -> int:
        """Events added but not yet in a returned job."""
        return self._open.count + self._held_count

    def add(
        self, index: int, line: int, event: SplitEvent, column: int | None = None
    ) -> list[BulkJob]:
        """Add one event (which must fit alone), from position ``index`` of the file, at
        ``line`` (and ``column`` when other events start on that line); returns the jobs
        completed meanwhile."""
        if not self.fits_alone(event):
            raise ValueError(f"event {index} is larger than a job may be")
        done: list[BulkJob] = []
        self._place((index, line, column), event, done)
        return done

    def finish(self) -> list[BulkJob]:
        """Every event still pending, in as many jobs as they need."""
        done: list[BulkJob] = []
        while self._open.count or self._held:
            if self._open.count:
                done.append(self._close())
            self._refill(done)
        return done

    def _place(
        self, source: Source, event: SplitEvent, done: list[BulkJob], *, new: bool = True
    ) -> None:
        """Put one event in the open job, or hold it over (reported once, when ``new``)."""
        job = self._open
        key = (event.metric, event.unique_id) if event.unique_id else None
        if key is not None and key in job.keys:
            if new and self._on_repeat is not None:
                self._on_repeat(source, job.keys[key])
            self._held.setdefault(key, deque()).append((source, event))
            self._held_count += 1
            if new and self._held_count >= self.max_events:
                # A job's worth waits already: send the open job, so what is held stays
                # bounded (a file of one repeated unique_id is not gathered in memory).
                done.append(self._close())
                self._refill(done)
            return
        group = job.groups.get(event.profile)
        grow = len(event.event) + (1 if group is not None and group.events else 0)
        if group is None:
            grow += _GROUP_FIXED + len(event.profile) + (1 if job.groups else 0)
        if job.count >= self.max_events or job.size + grow > self.max_bytes:
            done.append(self._close())
            self._refill(done)
            self._place(source, event, done, new=new)
            return
        if group is None:
            group = job.groups[event.profile] = _Group(event.profile)
        group.events.append(event.event)
        group.members.append((source, event))
        job.size += grow
        job.count += 1
        if key is not None:
            job.keys[key] = source

    def _refill(self, done: list[BulkJob]) -> None:
        """Start the new job with the events held over from the last one."""
        held, self._held = self._held, {}
        self._held_count = 0
        for key, queue in held.items():
            source, event = queue.popleft()
            self._place(source, event, done, new=False)
            if queue:  # the others wait for later jobs, still in file order
                self._held.setdefault(key, deque()).extend(queue)
                self._held_count += len(queue)

    def _close(self) -> BulkJob:
        job, self._open = self._open, _Open()
        parts: list[bytes] = []
        members: list[JobMember] = []
        for g, group in enumerate(job.groups.values()):
            parts.append(_GROUP_HEAD + group.profile + _GROUP_MID + b",".join(group.events))
            parts[-1] += _GROUP_TAIL
            for slot, ((index, line, column), ev) in enumerate(group.members):
                members.append(
                    JobMember(
                        index, line, g, slot, ev.metric, ev.profile_label, ev.unique_id, column
                    )
                )
        body = _PREFIX + b",".join(parts) + _SUFFIX
        return BulkJob(next(self._numbers), body, tuple(members))


def job_event_bodies(body: bytes | str) -> list[dict[str, Any]]:
    """The events of a job body, each as the Create Event body that sends it alone (in body
    order: the order of a job's members), e.g. to load one into the composer. Members that are
    not objects come back as empty events rather than being skipped, so positions hold."""
    doc = json.loads(body)
    out: list[dict[str, Any]] = []
    groups = (
        ((doc.get("data") or {}).get("attributes") or {}).get("events-bulk-create") or {}
    ).get("data") or []
    for group in groups if isinstance(groups, list) else []:
        attributes = group.get("attributes") if isinstance(group, dict) else None
        attributes = attributes if isinstance(attributes, dict) else {}
        profile = attributes.get("profile")
        events = (attributes.get("events") or {}).get("data") or []
        for event in events if isinstance(events, list) else []:
            ev = event.get("attributes") if isinstance(event, dict) else None
            ev = dict(ev) if isinstance(ev, dict) else {}
            single = {"profile": _single_profile(profile), **ev} if profile is not None else ev
            out.append({"data": {"type": "event", "attributes": single}})
    return out


def is_job_url(url: str) -> bool:
    """Whether a request URL is a Bulk Create Events request."""
    return BULK_PATH in url
