"""What differs between API revisions of Create Event, as data.

The validator, the client (path, content type) and the sandbox read a :class:`Revision` instead
of hard-coding 2023-01-24, so a later revision slots in by adding an entry here (and its schema
in resources/schemas/).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from composer.resources import resource

DEFAULT_REVISION = "2023-01-24"

KNOWN_CONSENT_CHANNELS = ("sms", "email", "web", "directmail", "mobile")


@dataclass(frozen=True)
class ProfileShape:
    """Where the profile and its identifiers live in the body of one revision."""

    path: tuple[str, ...]
    """Path of the object that holds the profile's fields."""
    email_key: str
    phone_key: str
    other_identifier_keys: tuple[str, ...]
    """Identifiers Klaviyo accepts at this revision besides email and phone (may warn only)."""
    string_fields: tuple[str, ...]
    consent_key: str | None


@dataclass(frozen=True)
class Revision:
    """One API revision of POST /api/events/ and the rules that hold at it."""

    name: str
    schema_file: str
    path: str
    content_type: str
    attribute_members: tuple[str, ...]
    metric_name_path: tuple[str, ...]
    profile: ProfileShape
    min_time: datetime
    max_properties: int = 300
    max_properties_bytes: int = 5_000_000
    max_string_bytes: int = 100_000
    max_array_items: int = 4000
    max_nesting_levels: int = 10
    max_metric_name_chars: int = 127
    retired: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def schema(self) -> dict[str, Any]:
        return _load_schema(self.schema_file)


@cache
def _load_schema(file_name: str) -> dict[str, Any]:
    with resource("schemas", file_name).open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


_FLAT_PROFILE = ProfileShape(
    path=("data", "attributes", "profile"),
    email_key="$email",
    phone_key="$phone_number",
    other_identifier_keys=("$id", "$anonymous", "$exchange_id", "_kx"),
    string_fields=(
        "$email",
        "$phone_number",
        "$first_name",
        "$last_name",
        "$city",
        "$region",
        "$country",
        "$zip",
        "$image",
    ),
    consent_key="$consent",
)

_RELATIONSHIP_PROFILE = ProfileShape(
    path=("data", "attributes", "profile", "data", "attributes"),
    email_key="email",
    phone_key="phone_number",
    other_identifier_keys=("external_id", "anonymous_id", "_kx"),
    string_fields=("email", "phone_number", "first_name", "last_name", "image"),
    consent_key=None,
)

_Y2000 = datetime(2000, 1, 1, tzinfo=UTC)
_Y1990 = datetime(1990, 1, 1, tzinfo=UTC)
_BASE_MEMBERS = ("profile", "metric", "properties", "time", "value", "unique_id")

REVISIONS: dict[str, Revision] = {
    r.name: r
    for r in (
        Revision(
            name="2023-01-24",
            schema_file="create-event-2023-01-24.request.schema.json",
            path="/api/events/",
            content_type="application/json",
            attribute_members=_BASE_MEMBERS,
            metric_name_path=("data", "attributes", "metric", "name"),
            profile=_FLAT_PROFILE,
            min_time=_Y2000,
            retired=True,
            notes=(
                "Klaviyo retired this revision (two-year support window): a live send may be "
                "refused or answered by a newer revision. The sandbox serves it as published.",
            ),
        ),
        Revision(
            name="2023-07-15",
            schema_file="create-event-2023-07-15.request.schema.json",
            path="/api/events/",
            content_type="application/json",
            attribute_members=_BASE_MEMBERS,
            metric_name_path=("data", "attributes", "metric", "data", "attributes", "name"),
            profile=_RELATIONSHIP_PROFILE,
            min_time=_Y2000,
            retired=True,
        ),
        Revision(
            name="2024-10-15",
            schema_file="create-event-2024-10-15.request.schema.json",
            path="/api/events",
            content_type="application/vnd.api+json",
            attribute_members=(*_BASE_MEMBERS, "value_currency"),
            metric_name_path=("data", "attributes", "metric", "data", "attributes", "name"),
            profile=_RELATIONSHIP_PROFILE,
            min_time=_Y2000,
        ),
        Revision(
            name="2026-07-15",
            schema_file="create-event-2026-07-15.request.schema.json",
            path="/api/events",
            content_type="application/vnd.api+json",
            attribute_members=(*_BASE_MEMBERS, "value_currency", "backfill"),
            metric_name_path=("data", "attributes", "metric", "data", "attributes", "name"),
            profile=_RELATIONSHIP_PROFILE,
            min_time=_Y1990,
            max_properties=400,
        ),
    )
}


class UnknownRevisionError(ValueError):
    """A revision this app has no contract for."""


def get_revision(name: str) -> Revision:
    """The contract of one revision; raises :class:`UnknownRevisionError` with the known ones."""
    try:
        return REVISIONS[name]
    except KeyError:
        known = ", ".join(REVISIONS)
        raise UnknownRevisionError(
            f"unknown API revision {name!r}; this app knows {known}"
        ) from None
