"""The retired-revision question: when it is asked and what each answer sends."""

from __future__ import annotations

import json
from datetime import date

from composer.client.targets import parse_target
from composer.services.retired import OPT_OUT_HEADERS, RetiredChoice, needs_choice, plan

from .conftest import example


def test_asked_only_for_klaviyo_and_a_revision_retired_on_that_day() -> None:
    production = parse_target("production")
    assert needs_choice(production, "2023-01-24", date(2026, 11, 30))
    assert not needs_choice(production, "2023-01-24", date(2024, 6, 1))  # not yet retired
    assert not needs_choice(production, "2026-07-15", date(2026, 11, 30))
    assert not needs_choice(parse_target("sandbox"), "2023-01-24", date(2026, 11, 30))
    assert not needs_choice(parse_target("http://127.0.0.1:8787"), "2023-01-24")


def test_each_choice_sends_what_it_says() -> None:
    body = example()
    converted = plan(body, "2023-01-24", RetiredChoice.CONVERT)
    assert converted.revision == "2026-07-15" and converted.headers == {}
    attrs = json.loads(converted.body)["data"]["attributes"]
    assert attrs["profile"]["data"]["type"] == "profile"
    assert converted.report is not None
    as_is = plan(body, "2023-01-24", RetiredChoice.AS_IS)
    assert (as_is.body, as_is.revision, as_is.headers) == (body, "2023-01-24", {})
    opt_out = plan(body, "2023-01-24", RetiredChoice.OPT_OUT)
    assert opt_out.body == body and opt_out.headers == OPT_OUT_HEADERS


def test_text_that_is_not_json_cannot_be_converted_and_says_so() -> None:
    planned = plan(b'{"data": ', "2023-01-24", RetiredChoice.CONVERT)
    assert planned.problem is not None and "cannot be converted" in planned.problem
