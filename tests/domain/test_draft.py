"""The event draft as a form uses it."""

from __future__ import annotations

from composer.domain.convert import sample_event_in
from composer.domain.draft import EventDraft, sample_event
from composer.domain.revisions import REVISIONS
from composer.domain.validator import validate_payload


def test_sample_event_is_valid_with_no_findings() -> None:
    report = validate_payload(sample_event(), "2023-01-24")  # written in its flat layout
    assert report.valid and not report.findings


def test_the_sample_is_valid_with_no_findings_in_every_revisions_layout() -> None:
    for revision in REVISIONS:
        report = validate_payload(sample_event_in(revision), revision)
        assert report.valid and not report.findings, revision
    assert validate_payload(sample_event_in()).findings == ()  # the default revision's


def test_form_edits_keep_unknown_members() -> None:
    body = sample_event()
    body["data"]["attributes"]["profile"]["Plan"] = "Gold"
    body["data"]["attributes"]["metric"]["x-note"] = {"a": [1]}
    body["data"]["attributes"]["future_member"] = True
    body["data"]["id"] = "abc"
    body["meta"] = {"trace": 1}
    draft = EventDraft.from_payload(body)
    draft.set_profile_field("$email", "bob@example.com")
    draft.set_metric_name("Placed Order")
    out = draft.to_payload()
    attrs = out["data"]["attributes"]
    assert attrs["profile"]["$email"] == "bob@example.com"
    assert attrs["profile"]["Plan"] == "Gold"
    assert attrs["metric"] == {"name": "Placed Order", "x-note": {"a": [1]}}
    assert attrs["future_member"] is True
    assert out["data"]["id"] == "abc" and out["meta"] == {"trace": 1}


def test_mistyped_values_survive_until_the_form_replaces_them() -> None:
    body = sample_event()
    body["data"]["attributes"]["value"] = "9.99"
    draft = EventDraft.from_payload(body)
    assert draft.value is None and draft.to_payload() == body
    draft.set_attribute("value", 9.99)
    assert draft.to_payload()["data"]["attributes"]["value"] == 9.99


def test_clearing_a_field_removes_it() -> None:
    draft = EventDraft.from_payload(sample_event())
    draft.set_profile_field("$first_name", "")
    assert "$first_name" not in draft.to_payload()["data"]["attributes"]["profile"]
    assert draft.profile_identifier == "ann.lee@example.com"
