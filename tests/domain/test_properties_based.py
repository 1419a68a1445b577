"""Property-based tests: the validator never raises, and the draft is lossless."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.domain.draft import PROFILE_FIELDS, EventDraft
from composer.domain.findings import Severity
from composer.domain.validator import Validator

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)
keys = st.sampled_from(
    [
        "data",
        "type",
        "attributes",
        "profile",
        "metric",
        "name",
        "properties",
        "time",
        "value",
        "unique_id",
        "$email",
        "$phone_number",
        "$consent",
        "service",
        "x",
    ]
)
event_like = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=6),
    max_leaves=30,
)

VALIDATOR = Validator("2023-01-24")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values, event_like))
def test_validator_never_raises_on_any_json(value: Any) -> None:
    report = VALIDATOR.validate_payload(value)
    assert all(f.severity in (Severity.ERROR, Severity.WARNING) for f in report.findings)
    assert not any(f.rule == "validator-internal" for f in report.findings)
    text_report = VALIDATOR.validate_text(json.dumps(value))
    assert [f.rule for f in text_report.findings] == [f.rule for f in report.findings]


@given(st.text(max_size=200) | st.binary(max_size=200))
def test_validator_never_raises_on_any_text(text: str | bytes) -> None:
    report = VALIDATOR.validate_text(text)
    assert isinstance(report.valid, bool)


@settings(max_examples=300)
@given(st.one_of(json_values, event_like))
def test_payload_draft_payload_is_lossless(value: Any) -> None:
    assert EventDraft.from_payload(value).to_payload() == value


drafts = st.builds(
    EventDraft,
    profile=st.dictionaries(st.sampled_from(PROFILE_FIELDS), st.text(max_size=10)),
    consent=st.none() | st.lists(st.sampled_from(["sms", "email", "web"]), max_size=3),
    profile_properties=st.dictionaries(
        st.text(max_size=6).filter(lambda k: k not in PROFILE_FIELDS and k != "$consent"),
        json_values,
        max_size=3,
    ),
    metric_name=st.none() | st.text(max_size=20),
    metric_service=st.none() | st.text(max_size=5),
    properties=st.none() | st.dictionaries(st.text(max_size=6), json_values, max_size=4),
    time=st.none() | st.text(max_size=25),
    value=st.none() | st.integers() | st.floats(allow_nan=False, allow_infinity=False),
    unique_id=st.none() | st.text(max_size=10),
)


@settings(max_examples=300)
@given(drafts)
def test_draft_payload_draft_round_trips(draft: EventDraft) -> None:
    again = EventDraft.from_payload(draft.to_payload())
    assert again.to_payload() == draft.to_payload()
    assert again.profile == draft.profile
    assert again.metric_name == draft.metric_name
    assert again.properties == draft.properties
    assert (again.time, again.value, again.unique_id) == (draft.time, draft.value, draft.unique_id)
