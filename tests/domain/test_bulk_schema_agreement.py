"""Bulk Create Events jobs agree with every revision's published bulk schema (read as OpenAPI
3.0 reads it): a job the schema takes is accepted once the prose rules hold, and one member
missing or of a kind the schema refuses is refused at its pointer. The schemas are copied
verbatim from the project's spec folder (revisions/<revision>/bulk-create-events.request
.schema.json, provenance inside) to tests/domain/data/bulk/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.domain import bulk
from composer.domain.findings import Severity, pointer
from composer.domain.validator import Validator
from tests.domain.helpers import FIXED_NOW
from tests.domain.schema_bodies import members, valid_values, wrong_values

DATA = Path(__file__).parent / "data" / "bulk"
SCHEMAS = {p.stem: json.loads(p.read_text()) for p in sorted(DATA.glob("*.json"))}
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def with_prose_rules_met(job: Any) -> Any:
    """Each group's profile named by an email of its own, each metric named, each time string
    in Klaviyo's window, no unique_id (a repeated one may refuse a job from 2025-01-15)."""
    out = copy.deepcopy(job)
    for i, group in enumerate(out["data"]["attributes"]["events-bulk-create"]["data"]):
        group["attributes"]["profile"]["data"]["attributes"]["email"] = f"ann{i}@example.com"
        for event in group["attributes"]["events"]["data"]:
            attributes = event["attributes"]
            attributes["metric"]["data"]["attributes"]["name"] = "Viewed Product"
            if isinstance(attributes.get("time"), str):
                attributes["time"] = "2026-01-02T03:04:05Z"
            attributes.pop("unique_id", None)
    return out


def _errors(job: Any, revision: str) -> set[str]:
    checker = bulk.BulkValidator(Validator(revision, clock=lambda: FIXED_NOW), formats=False)
    report = checker.validate_payload(job)
    return {f.pointer for f in report.findings if f.severity is Severity.ERROR}


@_SETTINGS
@given(st.sampled_from(sorted(SCHEMAS)), st.data())
def test_a_job_the_schema_takes_is_accepted(revision: str, data: st.DataObject) -> None:
    job = with_prose_rules_met(data.draw(valid_values(SCHEMAS[revision])))
    assert _errors(job, revision) == set()


@_SETTINGS
@given(st.sampled_from(sorted(SCHEMAS)), st.data())
def test_one_member_broken_refuses_the_job_at_its_pointer(
    revision: str, data: st.DataObject
) -> None:
    job = with_prose_rules_met(data.draw(valid_values(SCHEMAS[revision])))
    site = data.draw(st.sampled_from(members(job, SCHEMAS[revision])))
    parent = job
    for key in site.path[:-1]:
        parent = parent[key]
    if site.required:
        del parent[site.path[-1]]
        assert pointer(list(site.path[:-1])) in _errors(job, revision)
    else:
        wrong = wrong_values(site.node)
        if not wrong:
            return
        parent[site.path[-1]] = data.draw(st.sampled_from(wrong))
        assert pointer(list(site.path)) in _errors(job, revision)


def test_a_group_backfill_may_be_null_where_the_schema_says_nullable() -> None:
    job = {
        "data": {
            "type": "event-bulk-create-job",
            "attributes": {
                "events-bulk-create": {
                    "data": [
                        {
                            "type": "event-bulk-create",
                            "attributes": {
                                "profile": {
                                    "data": {"type": "profile", "attributes": {"email": "a@b.co"}}
                                },
                                "events": {"data": []},
                                "backfill": None,
                            },
                        }
                    ]
                }
            },
        }
    }
    assert SCHEMAS["2026-07-15"]["properties"]["data"]["properties"]["attributes"]["properties"][
        "events-bulk-create"
    ]["properties"]["data"]["items"]["properties"]["attributes"]["properties"]["backfill"][
        "nullable"
    ]
    assert _errors(job, "2026-07-15") == set()
    group = job["data"]["attributes"]["events-bulk-create"]["data"][0]["attributes"]
    group["backfill"] = "yes"
    assert _errors(job, "2026-07-15") == {
        "/data/attributes/events-bulk-create/data/0/attributes/backfill"
    }
