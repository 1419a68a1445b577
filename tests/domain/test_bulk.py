"""The bulk job body as data: packing single bodies into a job and back, the pointer map, and
the job validator's verdicts (the sandbox's HTTP behaviour is in tests/sandbox/test_bulk.py)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from composer.domain import bulk
from composer.domain.revisions import REVISIONS, get_revision
from composer.domain.validator import Validator

ITEMS = "/data/attributes/events-bulk-create/data"


def single(email: str, unique_id: str, meta: Any = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"email": email}
    if meta is not None:
        attributes["meta"] = meta
    return {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {"data": {"type": "profile", "attributes": attributes}},
                "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                "properties": {"n": 1},
                "unique_id": unique_id,
            },
        }
    }


def validator(revision: str = "2026-07-15") -> bulk.BulkValidator:
    fixed = datetime(2026, 11, 30, tzinfo=UTC)
    return bulk.BulkValidator(Validator(revision, lambda: fixed))


def test_a_single_body_packs_into_a_job_and_back_with_meta_moved() -> None:
    meta = {"patch_properties": {"append": {"skus": "1"}}}
    body = single("ann@example.com", "u-1", meta)
    profile, event = bulk.split_single_event(copy.deepcopy(body))
    assert profile["data"]["meta"] == meta
    assert "meta" not in profile["data"]["attributes"]
    assert "profile" not in event["attributes"]
    assert bulk.single_event_body(profile, event) == body
    report = validator().validate_payload(bulk.job_body([(profile, [event])]))
    assert report.valid, report.findings
    assert [e.payload for e in report.events] == [body]


def test_pointers_map_into_the_job_body() -> None:
    assert bulk.bulk_pointer("/data/attributes/metric", 2, 5) == (
        f"{ITEMS}/2/attributes/events/data/5/attributes/metric"
    )
    assert bulk.bulk_pointer("", 0, 1) == f"{ITEMS}/0/attributes/events/data/1"
    assert bulk.bulk_pointer("/data/attributes/profile/data/attributes/email", 3, 0) == (
        f"{ITEMS}/3/attributes/profile/data/attributes/email"
    )
    assert bulk.bulk_pointer("/data/attributes/profile/data/attributes/meta/x", 3, None) == (
        f"{ITEMS}/3/attributes/profile/data/meta/x"
    )


def test_bulk_exists_from_2024_05_15_with_the_path_of_its_revision() -> None:
    have = [name for name, rev in REVISIONS.items() if rev.bulk_create]
    assert have[0] == bulk.FIRST_BULK_REVISION
    assert bulk.bulk_path(get_revision("2024-07-15")) == "/api/event-bulk-create-jobs/"
    assert bulk.bulk_path(get_revision("2024-10-15")) == "/api/event-bulk-create-jobs"
    assert not bulk.fails_on_repeated_unique_id(get_revision("2024-10-15"))
    assert bulk.fails_on_repeated_unique_id(get_revision("2025-01-15"))


def test_warnings_of_a_profile_are_reported_once_per_group() -> None:
    profile, event = bulk.split_single_event(single("not-an-email", "u-1"))
    events = [copy.deepcopy(event) for _ in range(3)]
    report = validator().validate_payload(bulk.job_body([(profile, events)]))
    assert report.valid
    emails = [f for f in report.findings if f.rule == "email-format"]
    assert [f.pointer for f in emails] == [f"{ITEMS}/0/attributes/profile/data/attributes/email"]
    quiet = bulk.BulkValidator(validator().validator, formats=False)
    assert not [f for f in quiet.validate_payload(bulk.job_body([(profile, events)])).findings
                if f.rule == "email-format"]  # fmt: skip


def test_the_validator_never_raises_on_odd_bodies() -> None:
    for body in (None, [], "x", {"data": None}, {"data": {"attributes": []}}, 3.5):
        report = validator().validate_payload(body)
        assert not report.valid
        assert report.events == ()


def test_a_job_over_5_mb_is_one_finding_not_one_per_event() -> None:
    profile, event = bulk.split_single_event(single("ann@example.com", "u-1"))
    events = [copy.deepcopy(event) for _ in range(3)]
    report = validator().validate_payload(bulk.job_body([(profile, events)]), 6_000_000)
    assert [(f.pointer, f.rule) for f in report.errors] == [("", "body-size")]
    assert "6,000,000" in report.errors[0].message


def test_a_pointer_of_a_400_names_its_event_or_group() -> None:
    assert bulk.events_named(f"{ITEMS}/3/attributes/events/data/7/attributes/time") == (3, 7)
    assert bulk.events_named(f"{ITEMS}/3/attributes/events/data/7") == (3, 7)
    assert bulk.events_named(f"{ITEMS}/2/attributes/profile/data/attributes") == (2, None)
    assert bulk.events_named(f"{ITEMS}/2") == (2, None)
    assert bulk.events_named(f"{ITEMS}/2/attributes/events/data") == (2, None)
    assert bulk.events_named(ITEMS) is None
    assert bulk.events_named("/data/type") is None
    assert bulk.events_named(bulk.bulk_pointer("/data/attributes/metric", 4, 1)) == (4, 1)
