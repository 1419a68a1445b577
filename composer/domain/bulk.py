"""Bulk Create Events (``POST /api/event-bulk-create-jobs``, revision 2024-05-15 on) as data.

A job body groups events by profile::

    {"data": {"type": "event-bulk-create-job", "attributes": {"events-bulk-create": {"data": [
        {"type": "event-bulk-create", "attributes": {
            "profile": {"data": {"type": "profile", "attributes": {...}, "meta": {...}}},
            "events": {"data": [{"type": "event", "attributes": {"metric": ..., ...}}]}}}]}}}}

Each event of a job is the Create Event body of the same revision with the profile lifted out
(the only difference: a bulk profile's ``meta`` sits at ``profile.data.meta``, a single event's
at ``profile.data.attributes.meta``). So a job is validated by checking its envelope here and
every event, as the single body it stands for, with the one :class:`Validator`; each finding's
pointer is mapped back into the job body (:func:`bulk_pointer`). The client packs single bodies
into jobs with :func:`split_single_event` and :func:`job_body`. Sources: NOTES.md section 8 and
``revisions/<revision>/bulk-create-events.request.schema.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

# One definition of the limits, types and path, shared with the packer.
from composer.domain.bulk_pack import (
    BULK_MAX_BYTES,
    BULK_MAX_EVENTS,
    GROUP_TYPE,
    JOB_TYPE,
    bulk_path,
)
from composer.domain.findings import Finding, Severity, ValidationReport, escape_token
from composer.domain.jsontext import parse_json_text
from composer.domain.revisions import Revision
from composer.domain.validator import Validator

FIRST_BULK_REVISION = "2024-05-15"
"""Bulk Create Events exists from this revision on."""
FAILS_ON_REPEATED_UNIQUE_ID = "2025-01-15"
"""From this revision a job with two events of the same profile, metric and unique_id fails as
a whole ("the request will fail and no events will be processed"); before it only the first
such event is recorded."""
MAX_EVENTS_PER_JOB = BULK_MAX_EVENTS
MAX_JOB_BYTES = BULK_MAX_BYTES
"""5 MB (5,000,000 bytes) per request, as for every endpoint."""
ITEM_TYPE = GROUP_TYPE
BULK_MEMBER = "events-bulk-create"
ITEMS_POINTER = f"/data/attributes/{BULK_MEMBER}/data"
__all__ = [
    "FAILS_ON_REPEATED_UNIQUE_ID",
    "FIRST_BULK_REVISION",
    "ITEMS_POINTER",
    "ITEM_TYPE",
    "JOB_TYPE",
    "MAX_EVENTS_PER_JOB",
    "MAX_JOB_BYTES",
    "BulkEvent",
    "BulkReport",
    "BulkValidator",
    "bulk_path",
    "bulk_pointer",
    "event_pointer",
    "events_named",
    "fails_on_repeated_unique_id",
    "item_pointer",
    "job_body",
    "single_event_body",
    "single_profile",
    "split_single_event",
]


def fails_on_repeated_unique_id(rev: Revision) -> bool:
    """Whether a repeated (profile, metric, unique_id) in one job refuses the whole job."""
    return rev.name >= FAILS_ON_REPEATED_UNIQUE_ID


def item_pointer(item: int) -> str:
    """The pointer of profile group ``item`` in a job body."""
    return f"{ITEMS_POINTER}/{item}"


def event_pointer(item: int, index: int) -> str:
    """The pointer of event ``index`` of profile group ``item`` in a job body."""
    return f"{ITEMS_POINTER}/{item}/attributes/events/data/{index}"


_EVENT_POINTER = re.compile(
    re.escape(ITEMS_POINTER) + r"/(\d+)(?:/attributes/events/data/(\d+)(?:/.*)?|/.*)?"
)


def events_named(ptr: str) -> tuple[int, int | None] | None:
    """Which part of a job a pointer of a 400 names: (group, event index) for one event,
    (group, None) for a group or its profile (every event of it), None for the job itself."""
    m = _EVENT_POINTER.fullmatch(ptr)
    if m is None:
        return None
    return int(m[1]), int(m[2]) if m[2] is not None else None


_PROFILE_PREFIX = "/data/attributes/profile"
_SINGLE_META = "/data/attributes/profile/data/attributes/meta"


def bulk_pointer(single: str, item: int, index: int | None) -> str:
    """Map a pointer into the single body of an event to the job body.

    A pointer into the profile goes to the group's profile (whose ``meta`` sits at
    ``profile/data/meta``); any other to event ``index`` of group ``item``.
    """
    if single == _PROFILE_PREFIX or single.startswith(_PROFILE_PREFIX + "/"):
        base = f"{item_pointer(item)}/attributes/profile"
        if single == _SINGLE_META or single.startswith(_SINGLE_META + "/"):
            return base + "/data/meta" + single[len(_SINGLE_META) :]
        return base + single[len(_PROFILE_PREFIX) :]
    assert index is not None, "only profile pointers exist without an event"
    if single == "":
        return event_pointer(item, index)
    rest = single[len("/data") :] if single.startswith("/data") else single
    return event_pointer(item, index) + rest


def single_profile(profile: Any) -> Any:
    """A bulk profile in the single body's shape: ``data.meta`` moved to ``data.attributes``."""
    data = profile.get("data") if isinstance(profile, dict) else None
    if not isinstance(data, dict) or "meta" not in data:
        return profile
    attributes = data.get("attributes")
    if not isinstance(attributes, dict) or "meta" in attributes:
        return profile
    moved = {k: v for k, v in data.items() if k != "meta"}
    moved["attributes"] = {**attributes, "meta": data["meta"]}
    return {**profile, "data": moved}


def single_event_body(profile: Any, event: Any) -> Any:
    """The Create Event body one event of a job stands for (same revision)."""
    return _single_body(single_profile(profile), event)


def _single_body(converted_profile: Any, event: Any) -> Any:
    if isinstance(event, dict) and isinstance(event.get("attributes"), dict):
        attributes = {**event["attributes"], "profile": converted_profile}
        event = {**event, "attributes": attributes}
    return {"data": event}


def split_single_event(payload: Any) -> tuple[Any, Any]:
    """A single Create Event body (relationship shape) as (bulk profile, bulk event).

    The inverse of :func:`single_event_body` for a valid body; raises ValueError when the body
    has no ``data.attributes.profile``.
    """
    data = payload.get("data") if isinstance(payload, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or not isinstance(attributes, dict)
        or "profile" not in attributes
    ):
        raise ValueError("the event has no data.attributes.profile to group it by")
    profile = attributes["profile"]
    pdata = profile.get("data") if isinstance(profile, dict) else None
    if isinstance(pdata, dict) and isinstance(profile, dict):
        pattrs = pdata.get("attributes")
        if isinstance(pattrs, dict) and "meta" in pattrs and "meta" not in pdata:
            moved = {k: v for k, v in pdata.items() if k != "attributes"}
            moved["attributes"] = {k: v for k, v in pattrs.items() if k != "meta"}
            moved["meta"] = pattrs["meta"]
            profile = {**profile, "data": moved}
    event = {**data, "attributes": {k: v for k, v in attributes.items() if k != "profile"}}
    return profile, event


def job_body(groups: Iterable[tuple[Any, list[Any]]]) -> dict[str, Any]:
    """A job body from (bulk profile, [bulk event, ...]) groups, in order."""
    return {
        "data": {
            "type": JOB_TYPE,
            "attributes": {
                BULK_MEMBER: {
                    "data": [
                        {
                            "type": ITEM_TYPE,
                            "attributes": {"profile": profile, "events": {"data": events}},
                        }
                        for profile, events in groups
                    ]
                }
            },
        }
    }


@dataclass(frozen=True, slots=True)
class BulkEvent:
    """One event of a job: where it is and the single body it stands for."""

    item: int
    """Index of its profile group in ``events-bulk-create.data``."""
    index: int
    """Index in its group's ``events.data``."""
    position: int
    """Index among all events of the job, in body order."""
    payload: Any
    """The Create Event body (same revision) of this event with its group's profile."""

    @property
    def pointer(self) -> str:
        return event_pointer(self.item, self.index)


@dataclass(frozen=True, slots=True)
class BulkReport:
    """Everything found in one job body, with pointers into it, and its events."""

    findings: tuple[Finding, ...]
    events: tuple[BulkEvent, ...] = ()
    payload: Any = field(default=None, compare=False)

    @property
    def valid(self) -> bool:
        return not any(f.is_error for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)

    @property
    def parsed(self) -> bool:
        return ValidationReport(self.findings).parsed


def _error(ptr: str, rule: str, message: str, member: str | None = None) -> Finding:
    return Finding(ptr, Severity.ERROR, rule, message, member=member)


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _object(parent: dict[str, Any], name: str, ptr: str, hint: str) -> tuple[Any, Finding | None]:
    """Member ``name`` of ``parent`` (at ``ptr``) that must be an object."""
    if name not in parent:
        return None, _error(
            ptr,
            "schema-required",
            f'{_where(ptr)} is missing the required member "{name}"; add "{name}": {hint}',
            member=name,
        )
    value = parent[name]
    if not isinstance(value, dict):
        return None, _error(
            f"{ptr}/{escape_token(name)}",
            "schema-type",
            f"{_where(ptr + '/' + escape_token(name))} must be an object ({{...}}), "
            f"not {_shown(value)}",
        )
    return value, None


def _where(ptr: str) -> str:
    return "the request body" if not ptr else ptr.lstrip("/").replace("/", ".")


def _type_member(obj: dict[str, Any], ptr: str, want: str) -> Finding | None:
    if "type" not in obj:
        return _error(
            ptr,
            "schema-required",
            f'{_where(ptr)} is missing the required member "type"; add "type": "{want}"',
            member="type",
        )
    if obj["type"] != want:
        return _error(
            f"{ptr}/type",
            "schema-enum",
            f'{_where(ptr)}.type must be "{want}", not {_shown(obj["type"])}',
        )
    return None


class BulkValidator:
    """Validates job bodies against one revision; never raises on any input.

    ``formats=False`` leaves out the checks that can only warn (email and phone spelling):
    what a server deciding accept-or-refuse needs, at a fraction of the cost.
    """

    def __init__(self, validator: Validator, *, formats: bool = True) -> None:
        self.validator = validator
        self.revision = validator.revision
        self.formats = formats

    def validate_text(self, text: str | bytes) -> BulkReport:
        """Validate a job's JSON text (or raw bytes): syntax first, then the job."""
        parsed = parse_json_text(text)
        if parsed.finding is not None:
            return BulkReport((parsed.finding,))
        return self.validate_payload(parsed.value, parsed.size_bytes)

    def validate_payload(self, payload: Any, text_bytes: int | None = None) -> BulkReport:
        """Validate a parsed job: the envelope, each group's profile once, each event."""
        steps = self.validate_in_steps(payload, text_bytes)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    def validate_in_steps(
        self, payload: Any, text_bytes: int | None = None, step: int = 100
    ) -> Generator[None, None, BulkReport]:
        """:meth:`validate_payload` a step at a time: yields after about every ``step``
        events and returns the report. A server validates a job between its other work (it
        keeps reading and counting the requests that arrive meanwhile)."""
        findings: list[Finding] = []
        if text_bytes is not None and text_bytes > MAX_JOB_BYTES:
            findings.append(
                _error(
                    "",
                    "body-size",
                    f"the job body is {text_bytes:,} bytes; Bulk Create Events accepts at most "
                    f"{MAX_JOB_BYTES:,} bytes (5 MB) per request: send fewer events in one job",
                )
            )
            text_bytes = None  # each event's own sizes are then measured one by one
        groups = self._envelope(payload, findings)
        count = sum(len(items) for _item, _profile, items in groups)
        if count > MAX_EVENTS_PER_JOB:
            # Refused before any event is validated: a 5 MB body can hold a million tiny ones.
            findings.append(_too_many(count, "events"))
            return BulkReport(tuple(findings), (), payload)
        events: list[BulkEvent] = []
        seen: set[tuple[str, str, str]] = set()
        validator = self.validator
        position = 0
        next_pause = step
        for item, profile, items in groups:
            findings.extend(self._profile(profile, item, seen))
            converted = single_profile(profile)  # one object shared by the group's events
            for index, event in enumerate(items):
                if position >= next_pause:
                    next_pause = position + step
                    yield
                single = _single_body(converted, event)
                events.append(BulkEvent(item, index, position, single))
                position += 1
                report = validator.validate_payload(
                    single, text_bytes=text_bytes, profile_rules=False
                )
                for f in report.findings:
                    mapped = _mapped(f, item, index)
                    if mapped.pointer.startswith(f"{item_pointer(item)}/attributes/profile"):
                        key = (mapped.pointer, mapped.rule, mapped.message)
                        if key in seen:
                            continue  # the group's profile, already reported
                        seen.add(key)
                    findings.append(mapped)
        ordered = sorted(findings, key=lambda f: (f.severity is not Severity.ERROR,))
        return BulkReport(tuple(ordered), tuple(events), payload)

    # -- parts ------------------------------------------------------------------------------

    def _envelope(self, payload: Any, findings: list[Finding]) -> list[tuple[int, Any, list[Any]]]:
        """Check the job's envelope; the groups whose events can be read, in order."""
        if not isinstance(payload, dict):
            findings.append(
                _error(
                    "", "schema-type", f"the request body must be an object, not {_shown(payload)}"
                )
            )
            return []
        data, problem = _object(
            payload, "data", "", f'{{"type": "{JOB_TYPE}", "attributes": {{...}}}}'
        )
        if data is None:
            findings.append(problem)  # type: ignore[arg-type]
            return []
        bad_type = _type_member(data, "/data", JOB_TYPE)
        if bad_type is not None:
            findings.append(bad_type)
        attributes, problem = _object(
            data, "attributes", "/data", f'{{"{BULK_MEMBER}": {{"data": [...]}}}}'
        )
        if attributes is None:
            findings.append(problem)  # type: ignore[arg-type]
            return []
        bulk, problem = _object(attributes, BULK_MEMBER, "/data/attributes", '{"data": [...]}')
        if bulk is None:
            findings.append(problem)  # type: ignore[arg-type]
            return []
        base = f"/data/attributes/{BULK_MEMBER}"
        items = bulk.get("data")
        if "data" not in bulk:
            findings.append(
                _error(
                    base,
                    "schema-required",
                    f"{_where(base)} is missing the required "
                    'member "data"; add "data": [{"type": "event-bulk-create", ...}]',
                    member="data",
                )
            )
            return []
        if not isinstance(items, list):
            findings.append(
                _error(
                    ITEMS_POINTER,
                    "schema-type",
                    f"{_where(ITEMS_POINTER)} must be an array ([...]), not {_shown(items)}",
                )
            )
            return []
        if len(items) > MAX_EVENTS_PER_JOB:
            # Each group holds at least one event in any job worth sending; a body of more
            # groups is refused before each is looked at (a 5 MB body holds ~60,000 of them).
            findings.append(_too_many(len(items), "profile groups"))
            return []
        groups: list[tuple[int, Any, list[Any]]] = []
        for item, entry in enumerate(items):
            group = self._group(entry, item, findings)
            if group is not None:
                groups.append(group)
        return groups

    def _group(
        self, entry: Any, item: int, findings: list[Finding]
    ) -> tuple[int, Any, list[Any]] | None:
        ptr = item_pointer(item)
        if not isinstance(entry, dict):
            findings.append(
                _error(
                    ptr,
                    "schema-type",
                    f"{_where(ptr)} must be an object ({{...}}), not {_shown(entry)}",
                )
            )
            return None
        bad_type = _type_member(entry, ptr, ITEM_TYPE)
        if bad_type is not None:
            findings.append(bad_type)
        attributes, problem = _object(
            entry, "attributes", ptr, '{"profile": {"data": {...}}, "events": {"data": [...]}}'
        )
        if attributes is None:
            findings.append(problem)  # type: ignore[arg-type]
            return None
        aptr = f"{ptr}/attributes"
        backfill = attributes.get("backfill")
        # nullable in the published schema (null: not given, the default false applies)
        if backfill is not None and not isinstance(backfill, bool):
            findings.append(
                _error(
                    f"{aptr}/backfill",
                    "schema-type",
                    f"{_where(aptr)}.backfill must be true, false or null, not {_shown(backfill)}",
                )
            )
        profile_ok = True
        if "profile" not in attributes:
            findings.append(
                _error(
                    aptr,
                    "schema-required",
                    f"{_where(aptr)} is missing the required member "
                    '"profile"; add "profile": {"data": {"type": "profile", "attributes": '
                    '{"email": "ann@example.com"}}}',
                    member="profile",
                )
            )
            profile_ok = False
        events, problem = _object(attributes, "events", aptr, '{"data": [{"type": "event", ...}]}')
        if events is None:
            findings.append(problem)  # type: ignore[arg-type]
            return None
        eptr = f"{aptr}/events"
        if "data" not in events:
            findings.append(
                _error(
                    eptr,
                    "schema-required",
                    f"{_where(eptr)} is missing the required member "
                    '"data"; add "data": [{"type": "event", "attributes": {...}}]',
                    member="data",
                )
            )
            return None
        listed = events["data"]
        if not isinstance(listed, list):
            findings.append(
                _error(
                    f"{eptr}/data",
                    "schema-type",
                    f"{_where(eptr)}.data must be an array ([...]), not {_shown(listed)}",
                )
            )
            return None
        if not profile_ok:
            return None
        return item, attributes["profile"], listed

    def _profile(self, profile: Any, item: int, seen: set[tuple[str, str, str]]) -> list[Finding]:
        """The group's profile, checked once as the profile of a minimal valid event."""
        probe = single_event_body(
            profile,
            {
                "type": "event",
                "attributes": {
                    "metric": {"data": {"type": "metric", "attributes": {"name": "probe"}}},
                    "properties": {},
                    "unique_id": "probe",
                },
            },
        )
        report = self.validator.validate_payload(probe, formats=self.formats)
        out = []
        for f in report.findings:
            if f.pointer == _PROFILE_PREFIX or f.pointer.startswith(_PROFILE_PREFIX + "/"):
                mapped = _mapped(f, item, None)
                seen.add((mapped.pointer, mapped.rule, mapped.message))
                out.append(mapped)
        return out


def _too_many(count: int, what: str) -> Finding:
    return _error(
        ITEMS_POINTER,
        "bulk-event-count",
        f"the job has {count:,} {what}; Bulk Create Events takes at most "
        f"{MAX_EVENTS_PER_JOB:,} events per request: send the rest in another job",
    )


def _mapped(f: Finding, item: int, index: int | None) -> Finding:
    return Finding(
        bulk_pointer(f.pointer, item, index),
        f.severity,
        f.rule,
        f.message,
        line=f.line,
        column=f.column,
        source=f.source,
        meta=f.meta,
        member=f.member,
    )
