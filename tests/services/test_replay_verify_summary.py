"""The read-back summary of a replay counts every verdict but keeps only the events that did
not land, so reading back a large run does not hold every event it checked."""

from __future__ import annotations

import composer.services.replay_verify as replay_verify
from composer.services.replay_verify import AcceptedSend, VerifySummary
from composer.services.verify import Verification, VerifyOutcome


def sent(i: int) -> AcceptedSend:
    return AcceptedSend(i, i + 1, b"{}", 0.0, None, f"u{i}")


def test_landed_events_are_counted_not_kept_and_the_rest_up_to_a_bound(monkeypatch):
    monkeypatch.setattr(replay_verify, "MAX_KEPT", 5)
    summary = VerifySummary(accepted=100, sample=None, chosen=100)
    for i in range(100):
        outcome = VerifyOutcome.NOT_SEEN if i % 10 == 0 else VerifyOutcome.LANDED
        summary.add(sent(99 - i), Verification(outcome, "…"))
    assert summary.checked == 100
    assert summary.counts()["landed"] == 90 and summary.counts()["not_seen"] == 10
    missed = summary.not_seen()
    assert len(missed) == 5  # the first five not seen, in file order
    assert [a.index for a, _v in missed] == sorted(a.index for a, _v in missed)
    doc = summary.to_json()
    assert doc["not_seen"] == 10 and doc["chosen"] == 100 and len(doc["events"]) == 5
