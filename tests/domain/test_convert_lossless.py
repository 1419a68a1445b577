"""Conversion between the two layouts loses nothing and never raises, whatever the body holds:
null members, members named like the converter's own bookkeeping, two metas, empty objects,
a flat ``$relationship`` the user wrote. Each case converts there and back and must give the
body it started from; the report names what has no equivalent."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from composer.domain.convert import RESIDUAL_KEY, EntryKind, convert
from composer.domain.revisions import REVISIONS, Shape

NEW = [n for n, r in REVISIONS.items() if r.shape is Shape.RELATIONSHIP]
OLD = [n for n, r in REVISIONS.items() if r.shape is Shape.FLAT]


def event(profile: Any, metric: Any = None) -> dict[str, Any]:
    if metric is None:
        metric = {"data": {"type": "metric", "attributes": {"name": "Viewed Product"}}}
    return {"data": {"type": "event", "attributes": {"profile": profile, "metric": metric}}}


def profile(**data: Any) -> dict[str, Any]:
    return {"data": {"type": "profile", "attributes": {"email": "ann@example.com"}, **data}}


def there_and_back(body: Any, to: str, source: str) -> tuple[Any, Any]:
    """(converted, converted back); neither call may raise."""
    there = convert(copy.deepcopy(body), to, from_=source)
    back = convert(there.body, source, from_=to)
    return there, back.body


# (what, body at the source revision, source revision, target revision)
CASES: list[tuple[str, Any, str, str]] = [
    (
        "metric attributes null",
        event(profile(), {"data": {"type": "metric", "attributes": None}}),
        "2026-07-15",
        "2023-01-24",
    ),
    ("metric data null", event(profile(), {"data": None}), "2026-07-15", "2023-01-24"),
    ("profile data null", event({"data": None}), "2026-07-15", "2023-01-24"),
    (
        "profile attributes null",
        event({"data": {"type": "profile", "id": "01H", "attributes": None}}),
        "2026-07-15",
        "2023-01-24",
    ),
    (
        "an empty location",
        event({"data": {"type": "profile", "attributes": {"email": "a@b.co", "location": {}}}}),
        "2026-07-15",
        "2023-01-24",
    ),
    (
        "a profile data member named location",
        event(profile(location=5)),
        "2026-07-15",
        "2023-01-24",
    ),
    (
        "profile data members named like the converter's keys",
        event(
            profile(
                properties={"a": 1},
                profile={"q": 1},
                attributes_value=3,
                members=[1],
            )
        ),
        "2026-07-15",
        "2023-01-24",
    ),
    (
        "a metric data member named outer",
        event(profile(), {"data": {"type": "metric", "attributes": {"name": "M"}, "outer": 1}}),
        "2026-07-15",
        "2023-01-24",
    ),
    (
        "two metas going down (the later revision's and one at the old place)",
        event(
            {
                "data": {
                    "type": "profile",
                    "meta": {"a": 1},
                    "attributes": {"email": "ann@example.com", "meta": {"b": 2}},
                }
            }
        ),
        "2024-02-15",
        "2023-01-24",
    ),
    (
        "two metas going across",
        event(
            {
                "data": {
                    "type": "profile",
                    "meta": {"a": 1},
                    "attributes": {"email": "ann@example.com", "meta": {"b": 2}},
                }
            }
        ),
        "2024-02-15",
        "2023-12-15",
    ),
    (
        "a custom property named data that looks like a resource",
        event(
            {
                "data": {
                    "type": "profile",
                    "attributes": {"email": "a@b.co", "properties": {"data": {"id": "x"}}},
                }
            }
        ),
        "2026-07-15",
        "2023-01-24",
    ),
    (
        "a metric attribute named $relationship",
        event(
            profile(),
            {"data": {"type": "metric", "attributes": {"name": "M", RESIDUAL_KEY: {"id": 1}}}},
        ),
        "2026-07-15",
        "2023-01-24",
    ),
]


@pytest.mark.parametrize(("what", "body", "source", "target"), CASES, ids=[c[0] for c in CASES])
def test_there_and_back_gives_the_body_again(
    what: str, body: Any, source: str, target: str
) -> None:
    there, back = there_and_back(body, target, source)
    assert back == body, what
    # every value of the input is somewhere in the converted body (a profile's or metric's
    # type is what the flat layout implies)
    assert _leaves(body) - {'"profile"', '"metric"'} <= _leaves(there.body), what


@pytest.mark.parametrize(
    "flat_profile",
    [
        {"$email": "a@b.co", RESIDUAL_KEY: 5},
        {"$email": "a@b.co", RESIDUAL_KEY: {}},
        {"$email": "a@b.co", RESIDUAL_KEY: {"attributes": 5}},
        {"$email": "a@b.co", "$city": "B", RESIDUAL_KEY: {"attributes": {"email": "x"}}},
        {"$email": "a@b.co", RESIDUAL_KEY: {"members": {"email": None}}},
    ],
)
def test_a_flat_relationship_member_the_user_wrote_is_kept(flat_profile: Any) -> None:
    body = event(flat_profile, {"name": "M", RESIDUAL_KEY: {"attributes": None}})
    _, back = there_and_back(body, "2026-07-15", "2023-01-24")
    assert back == body


def test_the_meta_that_cannot_move_is_reported_where_it_stays() -> None:
    body = CASES[9][1]
    result = convert(copy.deepcopy(body), "2023-12-15", from_="2024-02-15")
    data = result.body["data"]["attributes"]["profile"]["data"]
    assert data["meta"] == {"a": 1} and data["attributes"]["meta"] == {"b": 2}
    homeless = {e.source for e in result.report.entries if e.kind is EntryKind.NO_EQUIVALENT}
    assert "/data/attributes/profile/data/attributes/meta" in homeless


def _leaves(value: Any) -> set[str]:
    """Every scalar of a JSON value, as its JSON text (a value kept anywhere counts)."""
    out: set[str] = set()
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        else:
            out.add(json.dumps(node))
    return out


# -- any body ---------------------------------------------------------------------------------

_NAMES = st.sampled_from(
    [
        "email",
        "phone_number",
        "first_name",
        "external_id",
        "_kx",
        "locale",
        "location",
        "properties",
        "meta",
        "members",
        "named",
        "outer",
        "attribute",
        "attributes_value",
        "$email",
        "$city",
        "$consent",
        RESIDUAL_KEY,
        "data",
        "id",
        "type",
        "x",
    ]
)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(_NAMES, inner, max_size=3)
    ),
    max_leaves=5,
)
_LOCATION = st.dictionaries(
    st.sampled_from(["city", "zip", "ip", "latitude", "address1", "other", "$city"]),
    _VALUES,
    max_size=3,
)
_PROFILE_ATTRIBUTES = st.dictionaries(_NAMES, st.one_of(_VALUES, _LOCATION), max_size=5)
_PROFILE = st.fixed_dictionaries(
    {
        "data": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["profile", "other"]),
                "attributes": st.one_of(_PROFILE_ATTRIBUTES, _VALUES),
            },
            optional={"id": _VALUES, "meta": _VALUES, "x": _VALUES, "location": _VALUES},
        )
    },
    optional={"beside": _VALUES},
)
_METRIC = st.fixed_dictionaries(
    {
        "data": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["metric", "other"]),
                "attributes": st.one_of(
                    st.dictionaries(
                        st.sampled_from(["name", "service", RESIDUAL_KEY, "data", "x"]),
                        _VALUES,
                        max_size=3,
                    ),
                    _VALUES,
                ),
            },
            optional={"id": _VALUES, "outer": _VALUES},
        )
    },
    optional={"beside": _VALUES},
)
_NEW_BODIES = st.builds(event, _PROFILE, _METRIC)
_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(_NEW_BODIES, st.sampled_from(NEW), st.sampled_from(OLD))
def test_any_later_body_goes_to_the_flat_layout_and_back(body: Any, new: str, old: str) -> None:
    _, back = there_and_back(body, old, new)
    assert back == body


@_SETTINGS
@given(_NEW_BODIES, st.sampled_from(NEW), st.sampled_from(NEW))
def test_any_later_body_goes_across_revisions_and_back(body: Any, a: str, b: str) -> None:
    # A meta at the place revision a does not have is at b's place the profile's meta: that
    # is a change of meaning the schemas make, not a loss; such bodies are left out here.
    data = body["data"]["attributes"]["profile"]["data"]
    attributes = data.get("attributes")
    meta_in_data = REVISIONS[a].profile.meta_path[-2] == "data"  # type: ignore[index]
    misplaced = ("meta" in data and not meta_in_data) or (
        isinstance(attributes, dict) and "meta" in attributes and meta_in_data
    )
    assume(not misplaced)
    _, back = there_and_back(body, b, a)
    assert back == body


_FLAT_PROFILES = st.dictionaries(
    st.sampled_from(
        ["$email", "$phone_number", "$city", "$zip", "$consent", "$id", "$latitude", "plan", "x"]
    )
    | st.just(RESIDUAL_KEY),
    st.one_of(
        _VALUES,
        st.fixed_dictionaries(
            {},
            optional={
                k: st.one_of(_PROFILE_ATTRIBUTES, _VALUES)
                for k in ("id", "type", "attributes", "location", "properties", "profile")
            },
        ),
    ),
    max_size=5,
)
_FLAT_METRICS = st.dictionaries(
    st.sampled_from(["name", "service", RESIDUAL_KEY, "x"]),
    st.one_of(
        _VALUES,
        st.fixed_dictionaries(
            {},
            optional={k: _VALUES for k in ("outer", "attributes", "data", "members", "named")},
        ),
    ),
    max_size=3,
)


@_SETTINGS
@given(_FLAT_PROFILES, _FLAT_METRICS, st.sampled_from(NEW), st.sampled_from(OLD))
def test_any_flat_body_goes_to_a_later_layout_and_back(
    flat: Any, metric: Any, new: str, old: str
) -> None:
    residual = flat.get(RESIDUAL_KEY)
    # a residual's attributes.meta is the meta at the revisions that keep it there (as above)
    kept = residual.get("attributes") if isinstance(residual, dict) else None
    assume(not (isinstance(kept, dict) and "meta" in kept))
    body = event(flat, metric)
    _, back = there_and_back(body, new, old)
    assert back == body


_ANY = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2),
        st.dictionaries(
            _NAMES | st.sampled_from(["attributes", "profile", "metric", "name"]), inner, max_size=4
        ),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(_ANY, st.builds(event, _ANY, _ANY)),
    st.sampled_from(list(REVISIONS)),
    st.sampled_from([*REVISIONS, None]),
)
def test_convert_never_raises(body: Any, to: str, source: str | None) -> None:
    result = convert(body, to, from_=source)
    json.dumps(result.body)
    json.dumps(result.report.to_json())


def test_a_half_migrated_body_converts_each_member_from_its_own_layout() -> None:
    """The profile rewritten by hand in the later layout, the metric still {"name": ...} (or
    the other way round): each goes to the target's layout, and the metric name stays a
    metric name instead of being hidden away."""
    mixed = event(
        {"data": {"type": "profile", "attributes": {"email": "ann@example.com"}}},
        {"name": "Viewed Product"},
    )
    down = convert(copy.deepcopy(mixed), "2023-01-24", from_="2026-07-15").body
    assert down["data"]["attributes"]["profile"] == {"$email": "ann@example.com"}
    assert down["data"]["attributes"]["metric"] == {"name": "Viewed Product"}
    up = convert(copy.deepcopy(mixed), "2026-07-15", from_="2026-07-15").body
    assert up["data"]["attributes"]["metric"] == {
        "data": {"type": "metric", "attributes": {"name": "Viewed Product"}}
    }
    other_way = event(
        {"$email": "ann@example.com"}, {"data": {"type": "metric", "attributes": {"name": "M"}}}
    )
    up2 = convert(copy.deepcopy(other_way), "2026-07-15", from_="2023-01-24").body
    assert up2["data"]["attributes"]["profile"]["data"]["attributes"] == {
        "email": "ann@example.com"
    }
    assert up2["data"]["attributes"]["metric"] == other_way["data"]["attributes"]["metric"]


@pytest.mark.parametrize(
    "metric",
    [
        {RESIDUAL_KEY: {"data": {}}},
        {"x": 1, RESIDUAL_KEY: {"outer": {"data": None, "y": 2}}},
    ],
)
def test_a_flat_metric_relationship_member_unlike_the_converters_is_kept(metric: Any) -> None:
    body = event({"$email": "a@b.co"}, metric)
    _, back = there_and_back(body, "2026-07-15", "2023-01-24")
    assert back == body
