"""Every stable revision of Create Event, as data: one table, one row per revision.

The validator, the client (path, content type), the sandbox, the converter and the snippets
read a :class:`Revision` instead of branching on dates. A revision's lifecycle state (current,
deprecated, retired) is not stored: it follows from its release date and today's date
(Klaviyo: stable for one year, deprecated for the next, retired two years after release).
Sources: the project's spec folder (revisions/<revision>/ and NOTES.md sections 6 and 8).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from composer.resources import resource

KNOWN_CONSENT_CHANNELS = ("sms", "email", "web", "directmail", "mobile")


class Shape(StrEnum):
    """The two body shapes of Create Event."""

    FLAT = "flat"
    """Up to 2023-06-15: ``profile`` is a flat object of ``$``-keys, ``metric`` is ``{name}``."""
    RELATIONSHIP = "relationship"
    """From 2023-07-15: ``profile`` and ``metric`` are ``{data: {type, attributes}}``."""


class Lifecycle(StrEnum):
    """Where a revision stands today in Klaviyo's versioning policy."""

    CURRENT = "current"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


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
    fields: tuple[str, ...] = ()
    """Every member the profile's attributes may have at this revision (flat: special keys)."""
    location_fields: tuple[str, ...] = ()
    """Members of ``location`` (relationship shape only)."""
    meta_path: tuple[str, ...] | None = None
    """Path of the profile's ``meta`` object (moved in 2024-02-15), None when there is none."""
    meta_fields: tuple[str, ...] = ()
    id_path: tuple[str, ...] | None = None
    """Path of the profile's Klaviyo ``id`` (relationship shape only): an identifier too
    (2024-06-15 names "id, email, or phone_number"; the member exists from 2023-07-15)."""


@dataclass(frozen=True)
class Revision:
    """One stable API revision of Create Event and the rules that hold at it."""

    name: str
    schema_file: str
    path: str
    content_type: str
    attribute_members: tuple[str, ...]
    metric_name_path: tuple[str, ...]
    profile: ProfileShape
    min_time: datetime
    shape: Shape = Shape.FLAT
    max_properties: int = 300
    max_properties_bytes: int = 5_000_000
    max_string_bytes: int = 100_000
    max_array_items: int = 4000
    max_nesting_levels: int = 10
    max_metric_name_chars: int = 127
    max_profile_strings_bytes: int | None = None
    """The sum of the profile's strings (2025-01-15 on: "at most 100KB"), None: no limit."""
    sdk_version: str = ""
    """The klaviyo-api (Python SDK) release that speaks this revision (its newest such)."""
    bulk_create: bool = False
    """Whether Bulk Create Events exists at this revision (2024-05-15 on)."""
    notes: tuple[str, ...] = field(default=())

    @property
    def released(self) -> date:
        """The release date, which is the revision's name."""
        return date.fromisoformat(self.name)

    @property
    def sdk_major(self) -> int:
        return int(self.sdk_version.split(".", 1)[0])

    def state(self, today: date | None = None) -> Lifecycle:
        """Current for one year after release, deprecated for the next, then retired."""
        return lifecycle(self, today)

    def is_retired(self, today: date | None = None) -> bool:
        return self.state(today) is Lifecycle.RETIRED

    @property
    def schema(self) -> dict[str, Any]:
        return _load_schema(self.schema_file)

    def types_member(self, path: tuple[str, ...]) -> bool:
        """Whether the published schema gives the member at ``path`` a type of its own (then
        the schema's check of it is the one that speaks)."""
        node = _member_schema(self.schema_file, path)
        return node is not None and ("type" in node or "oneOf" in node)


def today_utc() -> date:
    """Today's date in UTC (the default clock of every lifecycle question)."""
    return datetime.now(UTC).date()


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def lifecycle(revision: Revision, today: date | None = None) -> Lifecycle:
    """The state of ``revision`` on ``today`` (default: today in UTC)."""
    day = today or today_utc()
    if day >= _years_later(revision.released, 2):
        return Lifecycle.RETIRED
    if day >= _years_later(revision.released, 1):
        return Lifecycle.DEPRECATED
    return Lifecycle.CURRENT


@cache
def _load_schema(file_name: str) -> dict[str, Any]:
    with resource("schemas", file_name).open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@cache
def _member_schema(file_name: str, path: tuple[str, ...]) -> dict[str, Any] | None:
    """The schema of the member at ``path`` in a revision's request schema, None if absent."""
    node: Any = _load_schema(file_name)
    for key in path:
        members = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(members, dict) or key not in members:
            return None
        node = members[key]
    return node if isinstance(node, dict) else None


# -- the building blocks of the table ---------------------------------------------------------

_FLAT_FIELDS = (
    "$email",
    "$phone_number",
    "$first_name",
    "$last_name",
    "$city",
    "$region",
    "$country",
    "$zip",
    "$image",
    "$consent",
)

_FLAT_PROFILE = ProfileShape(
    path=("data", "attributes", "profile"),
    email_key="$email",
    phone_key="$phone_number",
    other_identifier_keys=("$id", "$anonymous", "$exchange_id", "_kx"),
    string_fields=_FLAT_FIELDS[:-1],
    consent_key="$consent",
    fields=_FLAT_FIELDS,
)

_PROFILE_ATTRS = ("data", "attributes", "profile", "data", "attributes")
_LOCATION = (
    "address1",
    "address2",
    "city",
    "country",
    "latitude",
    "longitude",
    "region",
    "zip",
    "timezone",
)
_NAMES = ("first_name", "last_name", "organization")
_IDS = ("email", "phone_number", "external_id", "anonymous_id")


def _relationship_profile(
    *, kx: bool, locale: bool, meta_in_attributes: bool, patch_identifiers: bool
) -> ProfileShape:
    fields = (
        *_IDS,
        *(("_kx",) if kx else ()),
        *_NAMES,
        *(("locale",) if locale else ()),
        "title",
        "image",
        "location",
        "properties",
        *(("meta",) if meta_in_attributes else ()),
    )
    return ProfileShape(
        path=_PROFILE_ATTRS,
        email_key="email",
        phone_key="phone_number",
        other_identifier_keys=("external_id", "anonymous_id", *(("_kx",) if kx else ())),
        string_fields=("email", "phone_number", "first_name", "last_name", "image"),
        consent_key=None,
        fields=fields,
        location_fields=(*_LOCATION, *(("ip",) if kx else ())),
        meta_path=(*_PROFILE_ATTRS, "meta")
        if meta_in_attributes
        else ("data", "attributes", "profile", "data", "meta"),
        meta_fields=("patch_properties", *(("patch_identifiers",) if patch_identifiers else ())),
        id_path=("data", "attributes", "profile", "data", "id"),
    )


# 2023-07-15: the relationship shape; 2023-09-15: _kx and location.ip; 2024-02-15: meta under
# attributes; 2024-07-15: locale; 2026-04-15: meta.patch_identifiers.
_P_2023_07 = _relationship_profile(
    kx=False, locale=False, meta_in_attributes=False, patch_identifiers=False
)
_P_2023_09 = _relationship_profile(
    kx=True, locale=False, meta_in_attributes=False, patch_identifiers=False
)
_P_2024_02 = _relationship_profile(
    kx=True, locale=False, meta_in_attributes=True, patch_identifiers=False
)
_P_2024_07 = _relationship_profile(
    kx=True, locale=True, meta_in_attributes=True, patch_identifiers=False
)
_P_2026_04 = _relationship_profile(
    kx=True, locale=True, meta_in_attributes=True, patch_identifiers=True
)

_Y2000 = datetime(2000, 1, 1, tzinfo=UTC)
_Y1990 = datetime(1990, 1, 1, tzinfo=UTC)
_BASE = ("profile", "metric", "properties", "time", "value", "unique_id")
_CUR = (*_BASE, "value_currency")
_BACKFILL = (*_CUR, "backfill")
_FLAT_METRIC = ("data", "attributes", "metric", "name")
_REL_METRIC = ("data", "attributes", "metric", "data", "attributes", "name")
_SLASH, _NO_SLASH = "/api/events/", "/api/events"
_JSON, _JSONAPI = "application/json", "application/vnd.api+json"
_R = Shape.RELATIONSHIP
_KB100 = 100_000


def _schema(name: str) -> str:
    return f"create-event-{name}.request.schema.json"


# One row per stable revision. Columns: name, path, content type, shape, data.attributes
# members, profile shape, time floor, top-level property limit, profile strings limit, SDK.
_TABLE: tuple[tuple[Any, ...], ...] = (
    ("2023-01-24", _SLASH, _JSON, Shape.FLAT, _BASE, _FLAT_PROFILE, _Y2000, 300, None, "1.1.0"),
    ("2023-02-22", _SLASH, _JSON, Shape.FLAT, _BASE, _FLAT_PROFILE, _Y2000, 300, None, "2.0.2"),
    ("2023-06-15", _SLASH, _JSON, Shape.FLAT, _BASE, _FLAT_PROFILE, _Y2000, 300, None, "3.0.0"),
    ("2023-07-15", _SLASH, _JSON, _R, _BASE, _P_2023_07, _Y2000, 300, None, "5.0.0"),
    ("2023-08-15", _SLASH, _JSON, _R, _BASE, _P_2023_07, _Y2000, 300, None, "5.1.2"),
    ("2023-09-15", _SLASH, _JSON, _R, _BASE, _P_2023_09, _Y2000, 300, None, "5.2.0"),
    ("2023-10-15", _SLASH, _JSON, _R, _BASE, _P_2023_09, _Y2000, 300, None, "6.0.1"),
    ("2023-12-15", _SLASH, _JSON, _R, _BASE, _P_2023_09, _Y2000, 300, None, "6.1.0"),
    ("2024-02-15", _SLASH, _JSON, _R, _CUR, _P_2024_02, _Y2000, 300, None, "7.0.0"),
    ("2024-05-15", _SLASH, _JSON, _R, _CUR, _P_2024_02, _Y2000, 300, None, "8.0.1"),
    ("2024-06-15", _SLASH, _JSON, _R, _CUR, _P_2024_02, _Y2000, 300, None, "9.0.0"),
    ("2024-07-15", _SLASH, _JSON, _R, _CUR, _P_2024_07, _Y2000, 300, None, "13.0.0"),
    ("2024-10-15", _NO_SLASH, _JSONAPI, _R, _CUR, _P_2024_07, _Y2000, 300, None, "16.0.0"),
    ("2025-01-15", _NO_SLASH, _JSONAPI, _R, _CUR, _P_2024_07, _Y2000, 300, _KB100, "18.0.0"),
    ("2025-04-15", _NO_SLASH, _JSONAPI, _R, _CUR, _P_2024_07, _Y2000, 400, _KB100, "19.0.2"),
    ("2025-07-15", _NO_SLASH, _JSONAPI, _R, _CUR, _P_2024_07, _Y2000, 400, _KB100, "20.0.0"),
    ("2025-10-15", _NO_SLASH, _JSONAPI, _R, _CUR, _P_2024_07, _Y2000, 400, _KB100, "21.0.0"),
    ("2026-01-15", _NO_SLASH, _JSONAPI, _R, _CUR, _P_2024_07, _Y2000, 400, _KB100, "22.0.0"),
    ("2026-04-15", _NO_SLASH, _JSONAPI, _R, _BACKFILL, _P_2026_04, _Y2000, 400, _KB100, "23.0.0"),
    ("2026-07-15", _NO_SLASH, _JSONAPI, _R, _BACKFILL, _P_2026_04, _Y1990, 400, _KB100, "24.0.0"),
)


def _row(row: tuple[Any, ...]) -> Revision:
    name, path, media, shape, members, profile, min_time, max_props, profile_bytes, sdk = row
    return Revision(
        name=name,
        schema_file=_schema(name),
        path=path,
        content_type=media,
        attribute_members=members,
        metric_name_path=_FLAT_METRIC if shape is Shape.FLAT else _REL_METRIC,
        profile=profile,
        min_time=min_time,
        shape=shape,
        max_properties=max_props,
        max_profile_strings_bytes=profile_bytes,
        sdk_version=sdk,
        bulk_create=name >= "2024-05-15",
    )


REVISIONS: dict[str, Revision] = {row[0]: _row(row) for row in _TABLE}
"""Every stable revision, oldest first."""

NEWEST_REVISION = next(reversed(REVISIONS))
"""The newest stable revision in the table."""
OLDEST_REVISION = next(iter(REVISIONS))
"""The oldest revision in the table: the home of the flat layout (2023-01-24)."""

DEFAULT_REVISION = NEWEST_REVISION
"""What a fresh install speaks (the window, the CLI without --revision, the API's defaults): the
newest stable revision, so nobody starts on one Klaviyo has retired. A settings file or an
environment that names a revision keeps it; a body in the flat layout that names none is taken
at :data:`FLAT_REVISION` (see ``composer.domain.convert.guess_revision``)."""

FLAT_REVISION = next(name for name, rev in REVISIONS.items() if rev.shape is Shape.FLAT)
"""The revision a body in the flat layout is taken at when none is named: the first one, as
the app has always done (2023-01-24)."""


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


def revisions_by_state(today: date | None = None) -> dict[Lifecycle, list[Revision]]:
    """Every revision grouped by its state today, newest first within a group."""
    day = today or today_utc()
    groups: dict[Lifecycle, list[Revision]] = {state: [] for state in Lifecycle}
    for rev in reversed(REVISIONS.values()):
        groups[rev.state(day)].append(rev)
    return groups


def oldest_supported(today: date | None = None) -> Revision:
    """The oldest revision that is not retired today (what a retired one falls forward to)."""
    day = today or today_utc()
    for rev in REVISIONS.values():
        if not rev.is_retired(day):
            return rev
    return REVISIONS[NEWEST_REVISION]


def state_label(rev: Revision, today: date | None = None) -> str:
    """``2023-01-24 (retired)``, ``2025-04-15 (deprecated)`` or just the name when current."""
    state = rev.state(today)
    return rev.name if state is Lifecycle.CURRENT else f"{rev.name} ({state.value})"
