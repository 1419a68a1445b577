"""Whether a replay from the window may start, and the resume offer, in words (Qt-free)."""

from __future__ import annotations

import pytest

from composer.client import parse_target
from composer.domain.revisions import DEFAULT_REVISION, FLAT_REVISION
from composer.services.replay_runs import Marks, ResumePlan
from composer.services.replay_start import replay_refusal, resume_offer
from composer.storage.runs import ReplayRun


def test_a_replay_to_the_sandbox_may_start_without_a_key() -> None:
    assert replay_refusal(parse_target("sandbox"), None, DEFAULT_REVISION, bulk=True) is None


@pytest.mark.parametrize(
    ("target", "account", "revision", "bulk", "words"),
    [
        ("sandbox", None, FLAT_REVISION, True, "Not sent in bulk: Bulk jobs exist from revision"),
        ("production", None, DEFAULT_REVISION, False, "key"),
        ("http://example.test", "shop", DEFAULT_REVISION, False, "http"),
        ("production", "shop", FLAT_REVISION, False, f"retired API revision {FLAT_REVISION}"),
    ],
)
def test_a_replay_that_cannot_start_says_why(
    target: str, account: str | None, revision: str, bulk: bool, words: str
) -> None:
    refusal = replay_refusal(parse_target(target), account, revision, bulk)
    assert refusal is not None and words in refusal


def test_the_resume_offer_counts_what_is_not_sent_again() -> None:
    run = ReplayRun(
        id="r1",
        path="/tmp/events.ndjson",
        content_hash="sha256:00",
        events=12_000,
        target="sandbox",
        account=None,
        revision=DEFAULT_REVISION,
        force=False,
        fill_unique_id=True,
        started_ms=0,
        updated_ms=0,
        state="stopped",
    )
    plan = ResumePlan(run, Marks(bytearray([1]) * 1_500), Marks(bytearray()))
    text = resume_offer(plan)
    assert f"revision {DEFAULT_REVISION}: the 1,500 of 12,000 events accepted" in text
    assert "none is recorded twice" in text
