"""A 400 is worded for the window and the command line alike, and says only what it knows: a
400 whose answer names no problem (not JSON:API, or cut short) does not speak of problems
"listed" anywhere, and no 400 sends the command line to a Problems panel it does not have."""

from __future__ import annotations

import json

from composer.domain.draft import sample_event
from composer.domain.findings import Finding, Severity
from composer.domain.outcome import RequestRecord, SendOutcome
from composer.services.outcome_text import describe_outcome

REQUEST = RequestRecord(
    "POST", "http://sandbox/api/events/", (), json.dumps(sample_event()).encode()
)
FINDING = Finding(
    "/data/attributes/metric/name", Severity.ERROR, "server-invalid", "empty", source="server"
)


def test_a_400_that_names_no_problem_does_not_claim_a_list() -> None:
    words = describe_outcome(SendOutcome(REQUEST, status=400, response_body=b"<html>no</html>"))
    assert "listed" not in words.explanation and "Fix them" not in words.explanation
    assert "Nothing was recorded" in words.explanation


def test_a_400_with_problems_counts_them_without_naming_a_panel() -> None:
    one = describe_outcome(SendOutcome(REQUEST, status=400, findings=(FINDING,)))
    two = describe_outcome(SendOutcome(REQUEST, status=400, findings=(FINDING, FINDING)))
    assert "1 problem" in one.explanation and "2 problems" in two.explanation
    for words in (one, two):
        assert "Problems" not in words.explanation  # the command line has no such panel
