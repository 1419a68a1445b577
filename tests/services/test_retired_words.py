"""What the window and `send` say about a retired revision matches what falling forward does:
a flat 2023-01-24 body is refused by the newer revision it falls forward to, an event in the
later layout of a retired revision (2023-07-15 to 2024-10-15 on 2026-11-30) is judged by that
revision's rules and accepted. The sandbox, told to fall forward as production does, is the
witness."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from composer.client.targets import parse_target
from composer.domain.convert import convert
from composer.domain.revisions import REVISIONS, get_revision
from composer.sandbox import (
    IN_PROCESS_BASE_URL,
    RetiredRevisionPolicy,
    SandboxConfig,
    create_app,
    in_process_transport,
)
from composer.services.replay_start import replay_refusal
from composer.services.retired import RetiredChoice, explanation, notice, question

NOV_30 = date(2026, 11, 30)
NOV_30_EPOCH = 1_796_040_000.0  # 2026-11-30T12:00:00Z
RETIRED = [n for n, r in REVISIONS.items() if r.is_retired(NOV_30)]
EVENT = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {"$email": "ann@example.com"},
            "metric": {"name": "Viewed Product"},
            "properties": {"Brand": "Kids Book"},
            "unique_id": "retired-words-1",
        },
    }
}


async def _fall_forward_status(revision: str) -> int:
    app = create_app(
        SandboxConfig(
            clock=lambda: NOV_30_EPOCH, retired_revisions=RetiredRevisionPolicy.FALL_FORWARD
        )
    )
    rev = get_revision(revision)
    body = convert(EVENT, revision, "2023-01-24").body
    async with httpx.AsyncClient(
        transport=in_process_transport(app), base_url=IN_PROCESS_BASE_URL
    ) as client:
        response = await client.post(
            rev.path,
            content=json.dumps(body),
            headers={
                "Authorization": "Klaviyo-API-Key pk_test0123456789",
                "revision": revision,
                "Content-Type": rev.content_type,
            },
        )
    return response.status_code


@pytest.mark.parametrize("revision", RETIRED)
async def test_send_as_it_is_says_what_falling_forward_answers(revision: str) -> None:
    status = await _fall_forward_status(revision)
    words = explanation(RetiredChoice.AS_IS, revision, today=NOV_30)
    asked = question(revision, today=NOV_30)
    if status == 400:
        assert "refuse" in words and "400" in words
        assert "layout is different" in asked
    else:
        assert status == 202
        assert "refuse" not in words and "accept it" in words and "2025-01-15" in words
        assert "layout is the same" in asked and "different" not in asked


def test_both_kinds_of_retired_revision_are_there_to_check() -> None:
    shapes = {get_revision(n).shape for n in RETIRED}
    assert len(shapes) == 2


def test_the_replay_refusal_says_the_same() -> None:
    if not get_revision("2024-07-15").is_retired():  # the refusal speaks of today
        pytest.skip("2024-07-15 is retired from 2026-07-15 on")
    production = parse_target("production")
    flat = replay_refusal(production, "main", "2023-01-24", bulk=False)
    later = replay_refusal(production, "main", "2024-07-15", bulk=False)
    assert flat is not None and "layout is different" in flat
    assert later is not None and "different" not in later and "by that revision's rules" in later


@pytest.mark.parametrize("revision", RETIRED)
async def test_the_window_notice_says_what_falling_forward_answers(revision: str) -> None:
    words = notice(revision, NOV_30)
    assert words is not None and f"retired revision {revision}" in words
    if await _fall_forward_status(revision) == 400:
        assert "another layout" in words
    else:
        assert "another layout" not in words and "layout is the same" in words


def test_no_notice_for_a_revision_still_supported() -> None:
    assert notice("2025-01-15", NOV_30) is None
    assert notice("2026-07-15", NOV_30) is None
