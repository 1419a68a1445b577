"""What the sandbox's account holds once events are processed: profiles, metrics and events
with ids shaped like Klaviyo's, as GET /api/events, /api/metrics and /api/profiles serve them.

Klaviyo creates a profile and a metric the first time an event names them. Here a profile is
the one the recorder names (``email:…``, ``phone:…``, ``external_id:…``, ``id:…``); profiles are
not merged across identifiers. Each item carries ``available_at``: the epoch second from which
it is readable (the receive time plus the processing delay).
"""

from __future__ import annotations

import random
import string
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from composer.domain.revisions import Revision
from composer.domain.rules import parse_event_time
from composer.sandbox.recorder import profile_identity

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE62 = string.digits + string.ascii_letters
_API_INTEGRATION = {"id": "7FtS4J", "name": "API", "category": "API"}
"""The integration Klaviyo shows for metrics created through the API [I]."""
_PROFILE_FIELDS = (
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "organization",
    "locale",
    "title",
    "image",
)


def klaviyo_datetime(epoch: float) -> str:
    """``2022-11-08T01:23:45+00:00``: whole seconds, as Klaviyo's event ``datetime``."""
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


@dataclass(slots=True)
class Profile:
    """One profile of the sandbox's account."""

    id: str
    identity: str
    attributes: dict[str, Any]
    created: float
    available_at: float
    seq: int
    updated: float = 0.0
    last_event: float = 0.0


@dataclass(slots=True)
class Metric:
    """One metric (an event name) of the sandbox's account."""

    id: str
    name: str
    created: float
    available_at: float
    seq: int


@dataclass(slots=True)
class StoredEvent:
    """One processed event, as GET /api/events returns it."""

    id: str
    uuid: str
    timestamp: int
    """The event time in whole seconds (Klaviyo keeps no fraction)."""
    properties: dict[str, Any]
    profile_id: str
    metric_id: str
    available_at: float
    seq: int
    sort_key: tuple[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.sort_key = (self.timestamp, self.seq)


class ReadStore:
    """The account's profiles, metrics and events; bounded like the recorder."""

    def __init__(self, max_events: int, seed: int | None = None) -> None:
        self.max_events = max_events
        self._random = random.Random(seed)
        self.clear()

    def clear(self) -> None:
        """Forget everything (the sandbox's reset)."""
        self._seq = 0
        self.profiles: dict[str, Profile] = {}
        """By identity (``email:ann@example.com``)."""
        self.profiles_by_id: dict[str, Profile] = {}
        self.metrics: dict[str, Metric] = {}
        """By name."""
        self.metrics_by_id: dict[str, Metric] = {}
        self.events_by_id: dict[str, StoredEvent] = {}
        self.events: list[StoredEvent] = []
        """Sorted by (timestamp, seq): oldest first."""

    def add(
        self,
        payload: Any,
        rev: Revision,
        received: float,
        available_at: float,
        identity: str | None = None,
    ) -> StoredEvent:
        """Process one accepted, recorded event: create its profile and metric if new.

        ``identity``: the profile's :func:`profile_identity`, when the caller knows it."""
        attributes = _get(payload, ("data", "attributes"))
        attributes = attributes if isinstance(attributes, dict) else {}
        profile = self._profile(payload, rev, received, available_at, identity)
        metric_name = _get(payload, rev.metric_name_path)
        metric = self._metric(
            metric_name if isinstance(metric_name, str) else "", received, available_at
        )
        moment = received
        time_text = attributes.get("time")
        if isinstance(time_text, str):
            parsed, _problem, _frac = parse_event_time(time_text)
            if parsed is not None:
                moment = parsed.timestamp()
        sent = attributes.get("properties")
        properties: dict[str, Any] = dict(sent) if isinstance(sent, dict) else {}
        unique_id = attributes.get("unique_id")
        if isinstance(unique_id, str) and unique_id:
            properties["$event_id"] = unique_id  # [I] where Klaviyo returns the unique_id
        value = attributes.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            properties["$value"] = value
        profile.last_event = max(profile.last_event, moment)
        profile.updated = received
        self._seq += 1
        event = StoredEvent(
            id=self._event_id(),
            uuid=self._uuid(moment),
            timestamp=int(moment // 1),
            properties=properties,
            profile_id=profile.id,
            metric_id=metric.id,
            available_at=available_at,
            seq=self._seq,
        )
        self.events_by_id[event.id] = event  # insertion order: oldest received first
        if not self.events or self.events[-1].sort_key <= event.sort_key:
            self.events.append(event)  # the usual case: events arrive in time order
        else:
            insort(self.events, event, key=_sort_key)
        while len(self.events_by_id) > self.max_events:
            oldest = self.events_by_id.pop(next(iter(self.events_by_id)))
            del self.events[bisect_left(self.events, oldest.sort_key, key=_sort_key)]
        return event

    # -- creation ---------------------------------------------------------------------------

    def _profile(
        self,
        payload: Any,
        rev: Revision,
        received: float,
        available: float,
        identity: str | None = None,
    ) -> Profile:
        if identity is None:
            identity = profile_identity(payload, rev)
        shape = rev.profile
        sent = _get(payload, shape.path)
        sent = sent if isinstance(sent, dict) else {}
        attributes: dict[str, Any] = {}
        for key, value in sent.items():
            name = key.lstrip("$")
            if name == "id" and key.startswith("$"):
                name = "external_id"  # the flat shape's $id is the external id
            elif name == "phone":
                name = "phone_number"
            if name in _PROFILE_FIELDS and isinstance(value, str | int) and str(value):
                attributes[name] = str(value)
        if isinstance(attributes.get("email"), str):
            attributes["email"] = attributes["email"].strip().lower()
        props = sent.get("properties")
        if isinstance(props, dict):
            attributes["properties"] = dict(props)
        location = sent.get("location")
        if isinstance(location, dict):
            attributes["location"] = dict(location)
        existing = self.profiles.get(identity)
        if existing is not None:
            existing.attributes.update(attributes)
            existing.available_at = min(existing.available_at, available)
            return existing
        profile_id = identity[3:] if identity.startswith("id:") else self._ulid(received)
        self._seq += 1
        profile = Profile(
            profile_id, identity, attributes, received, available, self._seq, received
        )
        self.profiles[identity] = profile
        self.profiles_by_id[profile_id] = profile
        return profile

    def _metric(self, name: str, received: float, available: float) -> Metric:
        existing = self.metrics.get(name)
        if existing is not None:
            existing.available_at = min(existing.available_at, available)
            return existing
        metric_id = self._short_id(6, self.metrics_by_id)
        self._seq += 1
        metric = Metric(metric_id, name, received, available, self._seq)
        self.metrics[name] = metric
        self.metrics_by_id[metric_id] = metric
        return metric

    # -- ids shaped like Klaviyo's ----------------------------------------------------------

    def _ulid(self, epoch: float) -> str:
        """A profile id: a 26-character ULID (``01GDDKASAP8TKDDA2GRZDSVP4H``)."""
        while True:
            number = (int(epoch * 1000) << 80) | self._random.getrandbits(80)
            text = "".join(_CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(26)))
            if text not in self.profiles_by_id:
                return text

    def _short_id(self, length: int, taken: dict[str, Any]) -> str:
        """A metric id: six letters and digits (``Y6nRLr``)."""
        while True:
            number = self._random.getrandbits(6 * length)
            chars = []
            for _ in range(length):
                number, digit = divmod(number, 62)
                chars.append(_BASE62[digit])
            text = "".join(chars)
            if text not in taken:
                return text

    def _event_id(self) -> str:
        # [I] Klaviyo's event ids are short base-62 strings; 11 characters here.
        return self._short_id(11, self.events_by_id)

    def _uuid(self, epoch: float) -> str:
        # A time-based (v1-like) UUID string, as Klaviyo's event uuid looks.
        bits = self._random.getrandbits(64)
        stamp = int(epoch * 1e7) & ((1 << 60) - 1)
        return (
            f"{stamp & 0xFFFFFFFF:08x}-{(stamp >> 32) & 0xFFFF:04x}-"
            f"1{(stamp >> 48) & 0xFFF:03x}-{(bits >> 48) & 0x3FFF | 0x8000:04x}-"
            f"{bits & 0xFFFFFFFFFFFF:012x}"
        )


def _sort_key(event: StoredEvent) -> tuple[int, int]:
    return event.sort_key


def _get(payload: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(part)
    return payload
