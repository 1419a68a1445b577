"""The words for every outcome, shared by the response view and the command line."""

from __future__ import annotations

import json

from composer.domain.draft import sample_event
from composer.domain.findings import Finding, Severity
from composer.domain.outcome import (
    RateLimitInfo,
    RequestRecord,
    SendOutcome,
    TransportError,
    TransportErrorKind,
)
from composer.services.outcome_text import Tone, describe_outcome, wait_seconds

REQUEST = RequestRecord(
    "POST",
    "http://sandbox/api/events/",
    (("Authorization", "Klaviyo-API-Key ***"), ("revision", "2023-01-24")),
    json.dumps(sample_event()).encode(),
)


# -- words ---------------------------------------------------------------------------------


def test_statuses_are_explained_in_words():
    accepted = describe_outcome(SendOutcome(REQUEST, status=202))
    assert accepted.tone is Tone.OK
    assert accepted.headline == "202 Accepted: queued for processing"
    assert "key" in describe_outcome(SendOutcome(REQUEST, status=401)).headline
    assert "Events Write" in describe_outcome(SendOutcome(REQUEST, status=403)).explanation
    finding = Finding(
        "/data/attributes/metric/name", Severity.ERROR, "server-invalid", "empty", source="server"
    )
    bad = describe_outcome(SendOutcome(REQUEST, status=400, findings=(finding,)))
    assert "1 problem" in bad.explanation and bad.tone is Tone.ERROR
    lost = describe_outcome(
        SendOutcome(REQUEST, error=TransportError(TransportErrorKind.REFUSED, "refused"))
    )
    assert lost.headline == "No response: not recorded" and "server running" in lost.explanation


def test_429_wait_comes_from_retry_after_or_from_the_detail():
    with_header = SendOutcome(REQUEST, status=429, rate_limit=RateLimitInfo(retry_after=7))
    assert wait_seconds(with_header) == 7
    assert "Try again in 7 seconds" in describe_outcome(with_header).explanation
    detail = Finding(
        "/data",
        Severity.ERROR,
        "server-throttled",
        "Request was throttled. Expected available in 3 seconds.",
        source="server",
    )
    from_detail = SendOutcome(REQUEST, status=429, findings=(detail,))
    assert wait_seconds(from_detail) == 3
