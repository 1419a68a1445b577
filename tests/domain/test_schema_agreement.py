"""The validator agrees with every revision's published schema, read as OpenAPI 3.0 reads it:
what the schema takes (null for a ``nullable`` member, a profile named by its ``id``) is
accepted once the spec's prose rules hold, and one member broken the way the schema refuses
is refused at that member's pointer. Bodies are drawn from each revision's own schema
(tests/domain/schema_bodies.py); the sandbox is held to the same in
tests/sandbox/test_schema_agreement.py."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.domain.findings import Severity, pointer
from composer.domain.revisions import REVISIONS, Shape, get_revision
from composer.domain.validator import Validator
from tests.domain.helpers import FIXED_NOW
from tests.domain.schema_bodies import present, sites, valid_bodies, wrong_values

_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _errors(body: Any, revision: str) -> list[tuple[str, str, str | None]]:
    report = Validator(revision, clock=lambda: FIXED_NOW).validate_payload(body)
    return [(f.pointer, f.rule, f.member) for f in report.findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize("revision", list(REVISIONS))
@_SETTINGS
@given(data=st.data())
def test_what_the_schema_takes_is_accepted(revision: str, data: st.DataObject) -> None:
    body = data.draw(valid_bodies(get_revision(revision)))
    assert _errors(body, revision) == []


@pytest.mark.parametrize("revision", list(REVISIONS))
@_SETTINGS
@given(data=st.data())
def test_one_member_broken_is_refused_at_its_pointer(revision: str, data: st.DataObject) -> None:
    rev = get_revision(revision)
    body = copy.deepcopy(data.draw(valid_bodies(rev)))
    site = data.draw(st.sampled_from(sites(rev)))
    parent_path = site.path[:-1]
    if not present(body, parent_path):
        return  # an optional object that this body leaves out
    parent = body
    for key in parent_path:
        parent = parent[key]
    if not isinstance(parent, dict):
        return  # a nullable object that is null here
    name = site.path[-1]
    if site.required:
        del parent[name]
        expected = (pointer(list(parent_path)), "schema-required", name)
        assert expected in _errors(body, revision)
    else:
        wrong = wrong_values(site.node)
        if not wrong:
            return
        parent[name] = data.draw(st.sampled_from(wrong))
        assert pointer(list(site.path)) in {ptr for ptr, _, _ in _errors(body, revision)}


_NULLABLE_SINCE = "2024-02-15"


@pytest.mark.parametrize("revision", list(REVISIONS))
def test_null_is_taken_exactly_where_the_schema_says_nullable(revision: str) -> None:
    """The SDK for 2026-07-15 sends ``"value": null`` for a nullable member set to None."""
    rev = get_revision(revision)
    body = valid_body(revision)
    attrs = body["data"]["attributes"]
    for member in ("value", "time", "unique_id"):
        attrs[member] = None
    if rev.shape is Shape.RELATIONSHIP:
        attrs["profile"]["data"]["attributes"]["phone_number"] = None
        attrs["metric"]["data"]["attributes"]["service"] = None
    errors = _errors(body, revision)
    if revision >= _NULLABLE_SINCE:
        assert errors == []
    else:
        refused = {ptr for ptr, rule, _ in errors if rule == "schema-type"}
        assert {"/data/attributes/value", "/data/attributes/time"} <= refused


@pytest.mark.parametrize(
    "revision", [n for n, r in REVISIONS.items() if r.shape is Shape.RELATIONSHIP]
)
def test_a_profile_named_by_its_klaviyo_id_needs_no_email(revision: str) -> None:
    body = valid_body(revision)
    profile = body["data"]["attributes"]["profile"]["data"]
    profile["id"] = "01GDDKASAP8TKDDA2GRZDSVP4H"
    profile["attributes"] = {}
    assert _errors(body, revision) == []
    profile["id"] = ""
    assert [rule for _, rule, _ in _errors(body, revision)] == ["profile-identifier"]


def test_a_wrong_type_is_said_in_json_words_once() -> None:
    """One finding per wrong member, naming JSON's values (null, true), not Python's."""
    body = valid_body("2023-09-15")
    attrs = body["data"]["attributes"]
    attrs["unique_id"] = True
    attrs["profile"]["data"]["attributes"]["phone_number"] = None
    attrs["profile"]["data"]["attributes"]["location"] = {"latitude": None}
    report = Validator("2023-09-15", clock=lambda: FIXED_NOW).validate_payload(body)
    by_pointer: dict[str, list[str]] = {}
    for f in report.findings:
        by_pointer.setdefault(f.pointer, []).append(f.message)
    assert by_pointer["/data/attributes/unique_id"] == [
        'unique_id must be a string, not a boolean true: put it in quotes, e.g. "true"'
    ]
    assert by_pointer["/data/attributes/profile/data/attributes/phone_number"] == [
        "profile.data.attributes.phone_number must be a string, not null: write the value, "
        "or remove the member"
    ]
    assert by_pointer["/data/attributes/profile/data/attributes/location/latitude"] == [
        "profile.data.attributes.location.latitude must be a string or a number, not null"
    ]


def valid_body(revision: str) -> dict[str, Any]:
    from composer.domain.convert import convert
    from tests.domain.helpers import BASE

    body: dict[str, Any] = copy.deepcopy(convert(BASE, revision, "2023-01-24").body)
    return body
