"""The verification service against a sandbox over loopback (uvicorn): matching, likely causes,
metric paging and caching, and pacing within the metrics endpoint's own limits."""

from __future__ import annotations

import json
import time
from typing import Any

from composer.client import EventClient, parse_target
from composer.domain.revisions import get_revision
from composer.sandbox import SandboxConfig, run_in_thread
from composer.services.verify import Verifier, VerifyOutcome

KEY = "pk_" + "a8" * 17
REV = "2026-07-15"


def body(
    profile: dict[str, Any] | None = None,
    metric: str = "Checked",
    unique_id: str | None = None,
    **attrs: Any,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "profile": {
            "data": {"type": "profile", "attributes": profile or {"email": "c@example.com"}}
        },
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "properties": {"k": 1},
        **attrs,
    }
    if unique_id is not None:
        attributes["unique_id"] = unique_id
    return {"data": {"type": "event", "attributes": attributes}}


async def send_and_verify(
    client: EventClient, verifier: Verifier, payload: dict[str, Any], timeout: float = 2.0
) -> Any:
    sent_at = time.time()
    outcome = await client.send(json.dumps(payload).encode(), revision=REV)
    assert outcome.status == 202, outcome
    return await verifier.verify(payload, get_revision(REV), sent_at, timeout=timeout)


async def test_no_unique_id_and_another_event_in_the_same_second() -> None:
    with run_in_thread(SandboxConfig()) as url:
        async with EventClient(parse_target(url), KEY, revision=REV) as client:
            verifier = Verifier(client)
            first = body(time="2026-11-30T03:00:05Z", properties={"k": 1})
            assert (await send_and_verify(client, verifier, first)).outcome is VerifyOutcome.LANDED
            second = body(time="2026-11-30T03:00:05.600Z", properties={"k": 2})
            verdict = await send_and_verify(client, verifier, second, timeout=0.5)
    assert verdict.outcome is VerifyOutcome.NOT_SEEN
    assert "no unique_id" in verdict.causes[0] and "same second" in verdict.causes[0]


async def test_a_phone_without_plus_is_named_when_not_seen() -> None:
    with run_in_thread(SandboxConfig(drop_rate=1.0)) as url:
        async with EventClient(parse_target(url), KEY, revision=REV) as client:
            payload = body(profile={"phone_number": "15005550006"}, unique_id="ph-1")
            sent_at = time.time()
            await client.send(json.dumps(payload).encode(), revision=REV)
            verdict = await Verifier(client).verify(
                payload, get_revision(REV), sent_at, timeout=0.3
            )
    assert verdict.outcome is VerifyOutcome.NOT_SEEN
    assert any("E.164" in c for c in verdict.causes)
    assert any("no profile with phone_number" in c for c in verdict.causes)
    assert verdict.to_json()["likely_causes"]


async def test_no_profile_identifier_is_skipped() -> None:
    payload = body(profile={"first_name": "Ann"}, unique_id="x")
    verdict = await Verifier(_NoReads()).verify(payload, get_revision(REV), time.time())
    assert verdict.outcome is VerifyOutcome.SKIPPED
    assert verdict.reads == 0


async def test_metric_ids_are_paged_then_cached_and_reads_are_paced() -> None:
    config = SandboxConfig(burst_limit=1000, steady_limit=10_000)
    with run_in_thread(config) as url:
        async with EventClient(parse_target(url), KEY, revision=REV) as client:
            sent_at = time.time()
            for n in range(205):  # the metric looked for is on the second page of 200
                payload = body(metric=f"M{n:03d}", unique_id=f"m{n}")
                assert (await client.send(json.dumps(payload).encode(), revision=REV)).status == 202
            verifier = Verifier(client)
            target = body(metric="M204", unique_id="m204")
            verdict = await verifier.verify(target, get_revision(REV), sent_at, timeout=2)
            assert verdict.outcome is VerifyOutcome.LANDED
            assert "M204" in verifier.metric_ids and len(verifier.metric_ids) == 205
            again = await verifier.verify(
                body(metric="M010", unique_id="m10"), get_revision(REV), sent_at, timeout=2
            )
            assert again.outcome is VerifyOutcome.LANDED
            assert again.reads == 1  # events only: profile and metric ids came from the caches
            # 12 more metric reads: the metrics endpoint allows 10 a second, so the verifier
            # waits instead of being refused.
            started = time.monotonic()
            for _ in range(12):
                await verifier.get("/api/metrics", {})
            elapsed = time.monotonic() - started
            stats = url.app.stats_json()
    assert elapsed >= 0.5
    assert stats["throttled"] == 0


class _NoReads:
    async def read(self, path: str, params: Any = None) -> Any:
        raise AssertionError("no read expected")


async def test_a_new_metric_of_a_known_profile_is_found_once_processed() -> None:
    with run_in_thread(SandboxConfig(processing_delay=0.6)) as url:
        async with EventClient(parse_target(url), KEY, revision=REV) as client:
            verifier = Verifier(client)
            first = await send_and_verify(client, verifier, body(metric="First", unique_id="f1"))
            assert first.outcome is VerifyOutcome.LANDED
            # The profile is known now; the metric "Second" appears only after the delay.
            second = await send_and_verify(
                client, verifier, body(metric="Second", unique_id="s1"), timeout=5
            )
    assert second.outcome is VerifyOutcome.LANDED
    assert second.evidence["metric_id"] == verifier.metric_ids["Second"]
    assert second.waited_seconds < 3.5


async def test_a_found_profile_is_read_once_for_many_events() -> None:
    # a replay checks many events of few profiles: the profiles endpoint allows 750 a minute
    with run_in_thread(SandboxConfig()) as url:
        async with EventClient(parse_target(url), KEY, revision=REV) as client:
            verifier = Verifier(client)
            first = await send_and_verify(client, verifier, body(unique_id="pc-1"))
            second = await send_and_verify(client, verifier, body(unique_id="pc-2"))
            other = await send_and_verify(
                client, verifier, body(profile={"email": "d@example.com"}, unique_id="pc-3")
            )
    assert [v.outcome for v in (first, second, other)] == [VerifyOutcome.LANDED] * 3
    assert first.reads == 3  # profile, metrics, events
    assert second.reads == 1  # events: the profile id is known
    assert other.reads == 2  # a new profile is looked up
    assert second.evidence["profile_id"] == first.evidence["profile_id"]
    assert other.evidence["profile_id"] != first.evidence["profile_id"]
