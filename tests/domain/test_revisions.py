"""Every stable revision is known, as data that agrees with its published schema, and the limits
that changed between revisions hold on both sides of each change."""

from __future__ import annotations

import copy
import subprocess
import sys
from datetime import UTC, date, datetime
from typing import Any

import pytest

from composer.domain.revisions import (
    REVISIONS,
    Lifecycle,
    Shape,
    get_revision,
    oldest_supported,
    revisions_by_state,
    state_label,
)
from composer.domain.validator import Validator

from .helpers import event

ALL = [
    "2023-01-24",
    "2023-02-22",
    "2023-06-15",
    "2023-07-15",
    "2023-08-15",
    "2023-09-15",
    "2023-10-15",
    "2023-12-15",
    "2024-02-15",
    "2024-05-15",
    "2024-06-15",
    "2024-07-15",
    "2024-10-15",
    "2025-01-15",
    "2025-04-15",
    "2025-07-15",
    "2025-10-15",
    "2026-01-15",
    "2026-04-15",
    "2026-07-15",
]

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def new_event(**attrs: Any) -> dict[str, Any]:
    """A valid body in the relationship shape (2023-07-15 on)."""
    body: dict[str, Any] = {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {"data": {"type": "profile", "attributes": {"email": "a@example.com"}}},
                "metric": {"data": {"type": "metric", "attributes": {"name": "Viewed Product"}}},
                "properties": {"ProductName": "Winnie the Pooh"},
                "unique_id": "u-1",
            },
        }
    }
    body["data"]["attributes"].update(attrs)
    return body


def rules(revision: str, body: Any) -> set[str]:
    report = Validator(revision, clock=lambda: NOW).validate_payload(body)
    return {f.rule for f in report.errors}


def body_for(revision: str, **attrs: Any) -> dict[str, Any]:
    return event(**attrs) if get_revision(revision).shape is Shape.FLAT else new_event(**attrs)


def test_all_twenty_stable_revisions_are_known_oldest_first() -> None:
    assert list(REVISIONS) == ALL


@pytest.mark.parametrize("name", ALL)
def test_the_table_agrees_with_the_published_schema(name: str) -> None:
    rev = get_revision(name)
    attributes = rev.schema["properties"]["data"]["properties"]["attributes"]
    assert set(attributes["properties"]) == set(rev.attribute_members)
    profile = attributes["properties"]["profile"]
    if rev.shape is Shape.FLAT:
        assert "data" not in profile.get("properties", {})
        return
    data = profile["properties"]["data"]["properties"]
    fields = data["attributes"]["properties"]
    assert set(fields) == set(rev.profile.fields)
    assert set(fields["location"]["properties"]) == set(rev.profile.location_fields)
    meta_parent = (
        fields if rev.profile.meta_path and rev.profile.meta_path[-2] == "attributes" else data
    )
    assert set(meta_parent["meta"]["properties"]) == set(rev.profile.meta_fields)


@pytest.mark.parametrize(
    ("name", "path", "media"),
    [
        ("2023-01-24", "/api/events/", "application/json"),
        ("2024-07-15", "/api/events/", "application/json"),
        ("2024-10-15", "/api/events", "application/vnd.api+json"),
        ("2026-07-15", "/api/events", "application/vnd.api+json"),
    ],
)
def test_path_and_content_type_change_at_2024_10_15(name: str, path: str, media: str) -> None:
    rev = get_revision(name)
    assert (rev.path, rev.content_type) == (path, media)


@pytest.mark.parametrize(
    ("name", "today", "state"),
    [
        ("2026-07-15", date(2026, 11, 30), Lifecycle.CURRENT),
        ("2025-10-15", date(2026, 10, 14), Lifecycle.CURRENT),
        ("2025-10-15", date(2026, 10, 15), Lifecycle.DEPRECATED),
        ("2024-10-15", date(2026, 10, 14), Lifecycle.DEPRECATED),
        ("2024-10-15", date(2026, 10, 15), Lifecycle.RETIRED),
        ("2023-01-24", date(2024, 1, 23), Lifecycle.CURRENT),
        ("2023-01-24", date(2026, 11, 30), Lifecycle.RETIRED),
    ],
)
def test_the_state_follows_from_the_release_date_and_today(
    name: str, today: date, state: Lifecycle
) -> None:
    assert get_revision(name).state(today) is state


def test_grouping_and_labels_move_with_the_clock() -> None:
    groups = revisions_by_state(date(2026, 11, 30))
    assert [r.name for r in groups[Lifecycle.CURRENT]] == ["2026-07-15", "2026-04-15", "2026-01-15"]
    assert len(groups[Lifecycle.RETIRED]) == 13
    assert oldest_supported(date(2026, 11, 30)).name == "2025-01-15"
    # a year earlier 2023-12-15 (retiring 2025-12-15) was still served
    assert oldest_supported(date(2025, 11, 30)).name == "2023-12-15"
    assert state_label(get_revision("2023-01-24"), date(2023, 6, 1)) == "2023-01-24"
    assert state_label(get_revision("2023-01-24"), date(2026, 1, 1)) == "2023-01-24 (retired)"


def _props(n: int) -> dict[str, Any]:
    return {f"p{i}": i for i in range(n)}


@pytest.mark.parametrize(
    ("name", "count", "ok"),
    [
        ("2023-01-24", 300, True),
        ("2023-01-24", 301, False),
        ("2025-01-15", 301, False),
        ("2025-04-15", 301, True),
        ("2025-04-15", 400, True),
        ("2025-04-15", 401, False),
        ("2026-07-15", 401, False),
    ],
)
def test_400_properties_from_2025_04_15(name: str, count: int, ok: bool) -> None:
    found = rules(name, body_for(name, properties=_props(count)))
    assert ("properties-count" not in found) is ok


@pytest.mark.parametrize(
    ("name", "time", "ok"),
    [
        ("2023-01-24", "1995-06-01T00:00:00Z", False),
        ("2026-04-15", "1995-06-01T00:00:00Z", False),
        ("2026-07-15", "1995-06-01T00:00:00Z", True),
        ("2026-07-15", "1989-12-31T23:59:59Z", False),
        ("2026-04-15", "2000-01-01T00:00:01Z", True),
    ],
)
def test_time_after_1990_at_2026_07_15(name: str, time: str, ok: bool) -> None:
    found = rules(name, body_for(name, time=time))
    assert ("time-too-early" not in found) is ok


def _profile_with_strings(total: int) -> dict[str, Any]:
    email = "a@example.com"
    return {
        "data": {
            "type": "profile",
            "attributes": {
                "email": email,
                "properties": {"bio": "x" * (total - len(email))},
            },
        }
    }


@pytest.mark.parametrize(
    ("name", "total", "ok"),
    [
        ("2024-10-15", 100_001, True),
        ("2025-01-15", 100_000, True),
        ("2025-01-15", 100_001, False),
        ("2026-07-15", 100_001, False),
    ],
)
def test_profile_strings_sum_from_2025_01_15(name: str, total: int, ok: bool) -> None:
    body = new_event(profile=_profile_with_strings(total))
    found = rules(name, body)
    assert ("profile-strings-size" not in found) is ok
    assert found <= {"profile-strings-size"}


@pytest.mark.parametrize(
    ("name", "member", "value", "ok"),
    [
        ("2023-12-15", "value_currency", "USD", False),
        ("2024-02-15", "value_currency", "USD", True),
        ("2026-01-15", "backfill", True, False),
        ("2026-04-15", "backfill", True, True),
    ],
)
def test_members_exist_from_their_revision_on(name: str, member: str, value: Any, ok: bool) -> None:
    report = Validator(name, clock=lambda: NOW).validate_payload(new_event(**{member: value}))
    unknown = {f.pointer for f in report.findings if f.rule == "unknown-member"}
    assert (f"/data/attributes/{member}" not in unknown) is ok


@pytest.mark.parametrize("name", ALL)
def test_each_revision_accepts_its_own_shape_and_refuses_the_other(name: str) -> None:
    flat = get_revision(name).shape is Shape.FLAT
    assert rules(name, body_for(name)) == set()
    other = new_event() if flat else event()
    assert rules(name, copy.deepcopy(other)) != set()


def test_validate_offers_all_twenty_revisions() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "composer", "validate", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in ALL:
        assert name in out
