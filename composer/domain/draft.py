"""The event draft: the fields a form edits, mapped to and from the JSON:API body losslessly.

``EventDraft.from_payload(x).to_payload() == x`` for every JSON value ``x``: whatever the form
has no field for (unknown members, values of the wrong type, a body that is not an object at
all) is kept aside and put back where it came from.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import Any

from composer.domain.revisions import REVISIONS

# The profile's special fields and attribute members at revision 2023-01-24, in the spec's
# order (one source of truth: the revision's contract).
_REVISION = REVISIONS["2023-01-24"]
PROFILE_FIELDS: tuple[str, ...] = _REVISION.profile.string_fields
CONSENT_KEY = _REVISION.profile.consent_key or "$consent"
ATTRIBUTE_KEYS = _REVISION.attribute_members

COMMON_METRICS: tuple[str, ...] = (
    "Viewed Product",
    "Added to Cart",
    "Started Checkout",
    "Placed Order",
    "Ordered Product",
    "Fulfilled Order",
    "Cancelled Order",
    "Refunded Order",
    "Active on Site",
    "Viewed Category",
    "Searched Site",
    "Subscribed to List",
)

_MISSING: Any = object()


def new_unique_id() -> str:
    """A fresh unique_id (a UUID 4), what Klaviyo's docs recommend."""
    # As uuid.uuid4() makes it, without importing uuid (it loads platform): the window
    # shows a sample event with a unique_id before its first paint.
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass
class EventDraft:
    """An event as a form sees it.

    ``profile`` holds the special ``$`` string fields (only those whose value is a string);
    ``consent`` the ``$consent`` list when it is a list of strings; ``profile_properties``
    every other profile member, in order. ``None`` means "absent" for every optional field.
    The ``*_extra`` dicts keep members the form does not edit, and ``raw`` keeps a body that is
    not shaped like an event at all (then every other field is empty).
    """

    profile: dict[str, str] = field(default_factory=dict)
    consent: list[str] | None = None
    profile_properties: dict[str, Any] = field(default_factory=dict)
    metric_name: str | None = None
    metric_service: str | None = None
    properties: dict[str, Any] | None = field(default_factory=dict)
    time: str | None = None
    value: int | float | None = None
    unique_id: str | None = None
    top_extra: dict[str, Any] = field(default_factory=dict)
    data_extra: dict[str, Any] = field(default_factory=lambda: {"type": "event"})
    attributes_extra: dict[str, Any] = field(default_factory=dict)
    metric_extra: dict[str, Any] = field(default_factory=dict)
    profile_missing: bool = False
    metric_missing: bool = False
    raw: Any = _MISSING

    # -- reading ---------------------------------------------------------------------------

    @classmethod
    def from_payload(cls, payload: Any) -> EventDraft:
        """Read a body (any JSON value) into a draft; nothing is lost."""
        draft = cls(data_extra={}, properties=None)
        payload = copy.deepcopy(payload)
        data = payload.get("data", _MISSING) if isinstance(payload, dict) else _MISSING
        attributes = data.get("attributes", _MISSING) if isinstance(data, dict) else _MISSING
        if not isinstance(attributes, dict):
            draft.raw = payload
            draft.profile_missing = draft.metric_missing = True
            return draft
        assert isinstance(payload, dict) and isinstance(data, dict)
        draft.top_extra = {k: v for k, v in payload.items() if k != "data"}
        draft.data_extra = {k: v for k, v in data.items() if k != "attributes"}
        extra: dict[str, Any] = {}
        for key, value in attributes.items():
            if not draft._take_attribute(key, value):
                extra[key] = value
        draft.attributes_extra = extra
        draft.profile_missing = "profile" not in attributes
        draft.metric_missing = "metric" not in attributes
        return draft

    def _take_attribute(self, key: str, value: Any) -> bool:
        if key == "profile" and isinstance(value, dict):
            for k, v in value.items():
                if k in PROFILE_FIELDS and isinstance(v, str):
                    self.profile[k] = v
                elif (
                    k == CONSENT_KEY and isinstance(v, list) and all(isinstance(c, str) for c in v)
                ):
                    self.consent = v
                else:
                    self.profile_properties[k] = v
            return True
        if key == "metric" and isinstance(value, dict):
            for k, v in value.items():
                if k == "name" and isinstance(v, str):
                    self.metric_name = v
                elif k == "service" and isinstance(v, str):
                    self.metric_service = v
                else:
                    self.metric_extra[k] = v
            return True
        if key == "properties" and isinstance(value, dict):
            self.properties = value
            return True
        if key in ("time", "unique_id") and isinstance(value, str):
            setattr(self, key, value)
            return True
        if key == "value" and isinstance(value, int | float) and not isinstance(value, bool):
            self.value = value
            return True
        return False

    # -- writing ---------------------------------------------------------------------------

    @property
    def is_event_shaped(self) -> bool:
        """False when the body was not shaped like an event and is kept as it was."""
        return self.raw is _MISSING

    def to_payload(self) -> Any:
        """The JSON:API body this draft stands for."""
        if not self.is_event_shaped:
            return copy.deepcopy(self.raw)
        attributes: dict[str, Any] = {}
        profile = self._profile_object()
        if profile is not None:
            attributes["profile"] = profile
        metric = self._metric_object()
        if metric is not None:
            attributes["metric"] = metric
        if self.properties is not None:
            attributes["properties"] = copy.deepcopy(self.properties)
        for key in ("time", "value", "unique_id"):
            val = getattr(self, key)
            if val is not None:
                attributes[key] = val
        for key, val in self.attributes_extra.items():
            attributes[key] = copy.deepcopy(val)
        data = dict(copy.deepcopy(self.data_extra))
        data["attributes"] = attributes
        body = {"data": data}
        body.update(copy.deepcopy(self.top_extra))
        return body

    def _profile_object(self) -> dict[str, Any] | None:
        if "profile" in self.attributes_extra:
            return None  # the profile value is not an object; it stays in attributes_extra
        empty = not (self.profile or self.consent is not None or self.profile_properties)
        if empty and self.profile_missing:
            return None
        out: dict[str, Any] = {k: self.profile[k] for k in PROFILE_FIELDS if k in self.profile}
        if self.consent is not None:
            out[CONSENT_KEY] = list(self.consent)
        for k, v in self.profile_properties.items():
            out[k] = copy.deepcopy(v)
        return out

    def _metric_object(self) -> dict[str, Any] | None:
        if "metric" in self.attributes_extra:
            return None
        empty = self.metric_name is None and self.metric_service is None and not self.metric_extra
        if empty and self.metric_missing:
            return None
        out: dict[str, Any] = {}
        if self.metric_name is not None:
            out["name"] = self.metric_name
        if self.metric_service is not None:
            out["service"] = self.metric_service
        for k, v in self.metric_extra.items():
            out[k] = copy.deepcopy(v)
        return out

    # -- editing helpers for forms ---------------------------------------------------------

    def set_profile_field(self, key: str, value: str | None) -> None:
        """Set or clear (None or "") one special profile field."""
        self.profile_missing = False
        self.attributes_extra.pop("profile", None)
        self.profile_properties.pop(key, None)
        if value:
            self.profile[key] = value
        else:
            self.profile.pop(key, None)

    def set_metric_name(self, name: str) -> None:
        self.metric_missing = False
        self.attributes_extra.pop("metric", None)
        self.metric_extra.pop("name", None)
        self.metric_name = name

    def set_attribute(self, key: str, value: Any) -> None:
        """Set time, value or unique_id (None removes it), dropping any mistyped copy."""
        if key not in ("time", "value", "unique_id"):
            raise ValueError(f"not a simple attribute: {key}")
        self.attributes_extra.pop(key, None)
        setattr(self, key, value)

    @property
    def profile_identifier(self) -> str | None:
        """What a listing shows for the profile: the email, else the phone number."""
        return self.profile.get("$email") or self.profile.get("$phone_number") or None


def sample_event() -> dict[str, Any]:
    """The valid event a new user starts with."""
    return {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {"$email": "ann.lee@example.com", "$first_name": "Ann"},
                "metric": {"name": "Viewed Product"},
                "properties": {
                    "ProductName": "Winnie the Pooh",
                    "ProductID": "1111",
                    "Categories": ["Fiction", "Children"],
                    "Price": 9.99,
                    "$extra": {"URL": "https://www.example.com/products/winnie-the-pooh"},
                },
                "value": 9.99,
                "unique_id": new_unique_id(),
            },
        }
    }
