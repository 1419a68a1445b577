"""The converter between the flat 2023-01-24 shape and the later relationship shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from composer.domain.convert import RESIDUAL_KEY, EntryKind, body_shape, convert
from composer.domain.revisions import REVISIONS, Shape
from composer.domain.validator import Validator

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)

OLD: dict[str, Any] = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {
                "$email": "ann@example.com",
                "$phone_number": "+15005550006",
                "$first_name": "Ann",
                "$city": "Boston",
                "$zip": "02110",
                "$consent": ["email"],
                "plan": "trial",
            },
            "metric": {"name": "Placed Order"},
            "properties": {"OrderId": "1234", "$extra": {"URL": "https://example.com"}},
            "time": "2026-11-01T10:00:00Z",
            "value": 9.99,
            "unique_id": "order-1234",
        },
    }
}


def pointers(report: Any, kind: EntryKind) -> dict[str, str]:
    return {e.source: e.target for e in report.entries if e.kind is kind}


def test_old_to_new_moves_every_member_and_reports_consent() -> None:
    result = convert(OLD, "2026-07-15")
    attrs = result.body["data"]["attributes"]
    profile = attrs["profile"]["data"]
    assert profile["type"] == "profile"
    assert profile["attributes"]["email"] == "ann@example.com"
    assert profile["attributes"]["location"] == {"city": "Boston", "zip": "02110"}
    assert profile["attributes"]["properties"] == {"plan": "trial", "$consent": ["email"]}
    assert attrs["metric"] == {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}}
    assert attrs["properties"] is OLD["data"]["attributes"]["properties"]  # shared, not copied
    moved = pointers(result.report, EntryKind.MOVED)
    assert moved["/data/attributes/profile/$city"] == (
        "/data/attributes/profile/data/attributes/location/city"
    )
    assert moved["/data/attributes/profile/plan"] == (
        "/data/attributes/profile/data/attributes/properties/plan"
    )
    homeless = pointers(result.report, EntryKind.NO_EQUIVALENT)
    assert homeless == {
        "/data/attributes/profile/$consent": (
            "/data/attributes/profile/data/attributes/properties/$consent"
        )
    }
    assert not result.report.complete
    # the converted body is valid at the target revision
    assert Validator("2026-07-15", clock=lambda: NOW).validate_payload(result.body).valid


def test_without_consent_every_member_finds_a_home() -> None:
    body = json.loads(json.dumps(OLD))
    del body["data"]["attributes"]["profile"]["$consent"]
    assert convert(body, "2024-10-15").report.complete


def test_new_to_old_reports_what_only_later_revisions_have() -> None:
    new = convert(OLD, "2026-07-15").body
    attrs = new["data"]["attributes"]
    attrs["value_currency"] = "USD"
    attrs["backfill"] = True
    p = attrs["profile"]["data"]["attributes"]
    p["locale"] = "en-US"
    p["organization"] = "Acme"
    p["meta"] = {"patch_properties": {"append": {"tags": "vip"}}}
    result = convert(new, "2023-01-24")
    homeless = pointers(result.report, EntryKind.NO_EQUIVALENT)
    assert homeless["/data/attributes/value_currency"] == "/data/attributes/value_currency"
    assert homeless["/data/attributes/backfill"] == "/data/attributes/backfill"
    assert homeless["/data/attributes/profile/data/attributes/locale"] == (
        "/data/attributes/profile/$locale"
    )
    assert homeless["/data/attributes/profile/data/attributes/meta"] == (
        f"/data/attributes/profile/{RESIDUAL_KEY}/meta"
    )
    flat = result.body["data"]["attributes"]["profile"]
    assert flat["$email"] == "ann@example.com" and flat["$consent"] == ["email"]
    # and back: the same body again
    assert convert(result.body, "2026-07-15").body == new


def test_meta_moves_into_attributes_at_2024_02_15_and_back() -> None:
    body = convert(OLD, "2023-12-15").body
    body["data"]["attributes"]["profile"]["data"]["meta"] = {"patch_properties": {"unset": "x"}}
    up = convert(body, "2024-02-15", from_="2023-12-15")
    assert up.body["data"]["attributes"]["profile"]["data"]["attributes"]["meta"] == {
        "patch_properties": {"unset": "x"}
    }
    assert convert(up.body, "2023-12-15").body == body


@pytest.mark.parametrize(
    ("member", "value", "first"),
    [("value_currency", "USD", "2024-02-15"), ("backfill", True, "2026-04-15")],
)
def test_members_of_later_revisions_are_reported_when_going_down(
    member: str, value: Any, first: str
) -> None:
    body = convert(OLD, "2026-07-15").body
    body["data"]["attributes"][member] = value
    for name in REVISIONS:
        report = convert(body, name).report
        ptr = f"/data/attributes/{member}"
        assert (ptr in pointers(report, EntryKind.NO_EQUIVALENT)) is (name < first), name


def test_not_an_event_is_left_alone_and_reported() -> None:
    for value in ([], 3, {"data": 1}, {"data": {"attributes": "x"}}):
        result = convert(value, "2026-07-15")
        assert result.body == value
        assert not result.report.complete


# -- round trips ------------------------------------------------------------------------------

_keys = st.text(min_size=1, max_size=8)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.text(max_size=10),
    st.floats(allow_nan=False, allow_infinity=False),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=6,
)
_special = st.sampled_from(
    [
        "$email",
        "$phone_number",
        "$first_name",
        "$last_name",
        "$image",
        "$city",
        "$region",
        "$country",
        "$zip",
        "$consent",
        "$id",
        "$organization",
        "$title",
        "$latitude",
        "$timezone",
    ]
)
_profiles = st.dictionaries(st.one_of(_special, _keys), _values, max_size=8)
_old_bodies = st.builds(
    lambda profile, metric, props, extra: {
        "data": {
            "type": "event",
            "attributes": {"profile": profile, "metric": metric, "properties": props, **extra},
        }
    },
    _profiles,
    st.dictionaries(_keys, _values, max_size=3),
    st.dictionaries(_keys, _values, max_size=3),
    st.dictionaries(st.sampled_from(["time", "value", "unique_id"]), _scalars),
)
_new_targets = st.sampled_from([n for n, r in REVISIONS.items() if r.shape is Shape.RELATIONSHIP])
_old_targets = st.sampled_from([n for n, r in REVISIONS.items() if r.shape is Shape.FLAT])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_old_bodies, _new_targets, _old_targets)
def test_old_to_new_to_old_is_the_identity(body: Any, new: str, old: str) -> None:
    up = convert(body, new, from_="2023-01-24")
    assert body_shape(up.body) is Shape.RELATIONSHIP
    down = convert(up.body, old, from_=new)
    assert down.body == body


@settings(max_examples=100, deadline=None)
@given(_old_bodies, _new_targets, _new_targets)
@example(  # a flat profile property named "data": once read as the relationship layout
    {"data": {"type": "event", "attributes": {"profile": {"data": {}}, "metric": {}}}},
    "2024-02-15",
    "2026-07-15",
)
def test_new_to_old_to_new_is_the_identity_too(body: Any, a: str, b: str) -> None:
    new_a = convert(body, a, from_="2023-01-24").body
    new_b = convert(new_a, b, from_=a).body
    assert convert(new_b, a, from_=b).body == new_a
    old = convert(new_a, "2023-01-24", from_=a).body
    assert convert(old, a, from_="2023-01-24").body == new_a


def test_a_flat_profile_property_named_data_is_moved_like_any_other() -> None:
    """A flat profile may hold a custom property "data"; with the revision named, the body
    is read in that revision's layout, and nothing is lost either way."""
    for data in ({}, {"tier": "gold"}):
        old = {
            "data": {
                "type": "event",
                "attributes": {"profile": {"data": data}, "metric": {}, "properties": {}},
            }
        }
        new = convert(old, "2026-07-15", from_="2023-01-24").body
        profile = new["data"]["attributes"]["profile"]["data"]
        assert profile["type"] == "profile"
        assert profile["attributes"]["properties"] == {"data": data}
        assert convert(new, "2023-01-24", from_="2026-07-15").body == old
    # written as a resource, it is the relationship layout whatever revision is named
    new_shaped = {"profile": {"data": {"type": "profile", "attributes": {"email": "a@b.co"}}}}
    body = {"data": {"type": "event", "attributes": {**new_shaped, "metric": {}}}}
    assert body_shape(body, Shape.FLAT) is Shape.RELATIONSHIP
