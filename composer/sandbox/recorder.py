"""What the sandbox remembers of accepted events, with Klaviyo's de-duplication rule.

Klaviyo records an event once per (profile, metric, unique_id); without a unique_id "this will
use the time to the second", so one event per profile and metric per second.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from composer.domain.revisions import Revision
from composer.domain.rules import parse_event_time


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One recorded event, as GET /sandbox/events lists it."""

    received_at: datetime
    revision: str
    profile: str
    metric: str
    unique_id: str | None
    dedup_key: str
    """The unique_id, or the event time truncated to the second when there is none."""
    body: Any = field(compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "received_at": _iso(self.received_at),
            "revision": self.revision,
            "profile": self.profile,
            "metric": self.metric,
            "unique_id": self.unique_id,
            "dedup_key": self.dedup_key,
            "body": self.body,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _get(payload: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(part)
    return payload


def profile_identity(payload: Any, rev: Revision) -> str:
    """A stable name for the profile an event belongs to, e.g. ``email:ann@example.com``.

    Email wins over phone over the other identifiers, as one profile holds them all; emails
    compare case-insensitively. At relationship revisions a profile ``id`` comes first.
    """
    shape = rev.profile
    if shape.id_path is not None:
        profile_id = _get(payload, shape.id_path)
        if isinstance(profile_id, str) and profile_id:
            return f"id:{profile_id}"
    profile = _get(payload, shape.path)
    if not isinstance(profile, dict):
        return "unknown"
    email = profile.get(shape.email_key)
    if isinstance(email, str) and email.strip():
        return f"email:{email.strip().lower()}"
    phone = profile.get(shape.phone_key)
    if isinstance(phone, str) and phone.strip():
        return f"phone:{phone.strip()}"
    for key in shape.other_identifier_keys:
        value = profile.get(key)
        if isinstance(value, str | int) and str(value):
            return f"{key.lstrip('$')}:{value}"
    return "unknown"


def dedup_identity(
    payload: Any, rev: Revision, profile: str | None = None
) -> tuple[str, str, str] | None:
    """(profile, metric, unique_id) of an event that has a unique_id, else None: what Klaviyo
    de-duplicates it by. ``profile``: its :func:`profile_identity`, when known already."""
    attributes = _get(payload, ("data", "attributes"))
    unique_id = attributes.get("unique_id") if isinstance(attributes, dict) else None
    if not isinstance(unique_id, str) or not unique_id:
        return None
    metric = _get(payload, rev.metric_name_path)
    if profile is None:
        profile = profile_identity(payload, rev)
    return profile, metric if isinstance(metric, str) else "", unique_id


class EventRecorder:
    """Accepted events, newest last internally, bounded to ``max_events``."""

    def __init__(self, max_events: int) -> None:
        self.max_events = max_events
        self._events: OrderedDict[tuple[str, str, str], RecordedEvent] = OrderedDict()

    def record(
        self, payload: Any, rev: Revision, received_at: datetime, profile: str | None = None
    ) -> bool:
        """Record an accepted event; False when it repeats one already recorded.

        ``profile``: its :func:`profile_identity`, when the caller knows it already."""
        attributes = _get(payload, ("data", "attributes"))
        attributes = attributes if isinstance(attributes, dict) else {}
        unique_id = attributes.get("unique_id")
        unique_id = unique_id if isinstance(unique_id, str) and unique_id else None
        if unique_id is not None:
            dedup_key = unique_id
        else:
            moment = received_at
            time_text = attributes.get("time")
            if isinstance(time_text, str):
                parsed, _problem, _frac = parse_event_time(time_text)
                moment = parsed or received_at
            dedup_key = "time:" + moment.astimezone(UTC).replace(microsecond=0).isoformat().replace(
                "+00:00", "Z"
            )
        if profile is None:
            profile = profile_identity(payload, rev)
        metric_value = _get(payload, rev.metric_name_path)
        metric = metric_value if isinstance(metric_value, str) else ""
        key = (profile, metric, dedup_key)
        if key in self._events:
            return False
        self._events[key] = RecordedEvent(
            received_at, rev.name, profile, metric, unique_id, dedup_key, payload
        )
        while len(self._events) > self.max_events:
            self._events.popitem(last=False)
        return True

    def newest_first(self, limit: int | None = None) -> list[RecordedEvent]:
        """Recorded events, newest first, at most ``limit`` of them."""
        out: list[RecordedEvent] = []
        for event in reversed(self._events.values()):
            if limit is not None and len(out) >= limit:
                break
            out.append(event)
        return out

    def __len__(self) -> int:
        return len(self._events)

    def clear(self) -> int:
        """Forget every recorded event (and so their de-duplication); returns how many."""
        count = len(self._events)
        self._events.clear()
        return count
