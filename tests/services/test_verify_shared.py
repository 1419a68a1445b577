"""Many read-back checks sharing their reads (composer.services.verify_shared), against a
sandbox over loopback (uvicorn): one events listing serves the events of many profiles, and the
verdicts are the ones a check of each event alone gives (landed with its event id, a duplicate
unique_id not seen with that cause, a dropped event not seen, a missing scope cannot check)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from composer.client import EventClient, parse_target
from composer.domain.revisions import get_revision
from composer.sandbox import SandboxConfig, run_in_thread
from composer.services import verify_shared
from composer.services.verify import Verification, Verifier, VerifyOutcome
from composer.services.verify_shared import SharedChecks

KEY = "pk_" + "d5" * 17
REV = "2026-07-15"


def body(email: str, metric: str, unique_id: str, **attrs: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "properties": {"uid": unique_id},
        "unique_id": unique_id,
        **attrs,
    }
    return {"data": {"type": "event", "attributes": attributes}}


async def check_all(
    config: SandboxConfig, payloads: list[dict[str, Any]], timeout: float = 5.0
) -> tuple[dict[int, Verification], Verifier, Any]:
    """Send each payload, submit it as its 202 arrives (the checks run meanwhile), and wait
    for every verdict."""
    verdicts: dict[int, Verification] = {}
    with run_in_thread(config) as url:
        async with EventClient(parse_target(url), KEY, revision=REV) as client:
            verifier = Verifier(client)
            checks = SharedChecks(
                verifier,
                get_revision(REV),
                timeout=timeout,
                on_verdict=lambda token, v: verdicts.__setitem__(int(str(token)), v),
            )
            runner = asyncio.ensure_future(checks.run())
            for n, payload in enumerate(payloads):
                sent_at = time.time()
                outcome = await client.send(json.dumps(payload).encode())
                assert outcome.status == 202, outcome
                checks.submit(n, payload, sent_at)
            checks.close()
            await asyncio.wait_for(runner, timeout + 10)
        stored = list(url.app.store.events)
    return verdicts, verifier, stored


async def test_one_listing_serves_the_events_of_many_profiles() -> None:
    payloads = [body(f"p{n % 6}@example.com", f"Metric {n % 2}", f"shared-{n}") for n in range(60)]
    verdicts, verifier, stored = await check_all(SandboxConfig(), payloads)
    assert sorted(verdicts) == list(range(60))
    assert {v.outcome for v in verdicts.values()} == {VerifyOutcome.LANDED}
    ids = {e.properties["$event_id"]: e.id for e in stored}
    for n, verdict in verdicts.items():
        assert verdict.evidence["event_id"] == ids[f"shared-{n}"]
    # one metric list and a few listings, whose included profiles name the events' profiles:
    # not one read per event, nor one per profile
    assert verifier.reads <= 10, verifier.reads


async def test_events_of_many_profiles_need_no_profile_reads() -> None:
    payloads = [body(f"Person{n}@Example.com", "Signed Up", f"many-{n}") for n in range(30)]
    verdicts, verifier, _stored = await check_all(SandboxConfig(), payloads)
    assert {v.outcome for v in verdicts.values()} == {VerifyOutcome.LANDED}
    assert verifier.reads <= 8, verifier.reads  # 30 profiles, and no read of /api/profiles
    assert len(verifier.profile_ids) == 30


async def test_a_repeated_unique_id_is_not_seen_naming_the_earlier_event() -> None:
    first = body("dup@example.com", "Ordered", "order-7", properties={"Sku": "A"})
    second = body("dup@example.com", "Ordered", "order-7", properties={"Sku": "B"})
    verdicts, _verifier, stored = await check_all(SandboxConfig(), [first, second], timeout=2)
    assert verdicts[0].outcome is VerifyOutcome.LANDED
    assert verdicts[1].outcome is VerifyOutcome.NOT_SEEN
    assert "duplicate unique_id" in verdicts[1].causes[0]
    assert verdicts[1].evidence["earlier_event"]["id"] == stored[0].id


async def test_dropped_events_are_not_seen_after_the_timeout() -> None:
    payloads = [body("gone@example.com", "Dropped", f"d{n}") for n in range(3)]
    started = time.monotonic()
    verdicts, _verifier, _stored = await check_all(
        SandboxConfig(drop_rate=1.0), payloads, timeout=1.0
    )
    assert [verdicts[n].outcome for n in range(3)] == [VerifyOutcome.NOT_SEEN] * 3
    assert any("dropped after the 202" in c for c in verdicts[0].causes)
    assert any("no profile with email" in c for c in verdicts[0].causes)
    assert time.monotonic() - started < 6


async def test_a_missing_read_scope_ends_every_check_at_once() -> None:
    payloads = [body(f"s{n}@example.com", "Scoped", f"s{n}") for n in range(20)]
    config = SandboxConfig(denied_scopes=frozenset({"events:read"}))
    verdicts, verifier, _stored = await check_all(config, payloads, timeout=10)
    assert {v.outcome for v in verdicts.values()} == {VerifyOutcome.CANNOT_CHECK}
    assert {v.evidence["missing_scope"] for v in verdicts.values()} == {"events:read"}
    assert verifier.reads < 40  # the profiles and the metric, then one refused listing or so


async def test_a_listing_cut_short_looks_per_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    # a busy metric: the listing stops at its page cap before reaching the older events
    monkeypatch.setattr(verify_shared, "EVENTS_PAGE", 2)
    monkeypatch.setattr(verify_shared, "MAX_PAGES", 1)
    payloads = [body(f"c{n % 3}@example.com", "Busy", f"c{n}") for n in range(9)]
    verdicts, _verifier, _stored = await check_all(SandboxConfig(), payloads)
    assert {v.outcome for v in verdicts.values()} == {VerifyOutcome.LANDED}


async def test_backfilled_events_far_apart_in_time_are_all_found() -> None:
    payloads = [
        body("old@example.com", "Backfilled", "b1", time="2026-06-01T10:00:00Z"),
        body("old@example.com", "Backfilled", "b2", time="2026-09-01T10:00:00Z"),
        body("old@example.com", "Backfilled", "b3"),
    ]
    verdicts, _verifier, _stored = await check_all(SandboxConfig(), payloads)
    assert [verdicts[n].outcome for n in range(3)] == [VerifyOutcome.LANDED] * 3
    assert verdicts[0].evidence["datetime"].startswith("2026-06-01T10:00:00")


async def test_an_old_event_with_the_same_unique_id_is_found_before_the_deadline() -> None:
    # The sweeps list only where events are expected (the clocks' offset is learnt from the
    # events found), so an earlier event with the same unique_id, recorded seconds before,
    # is outside them: once later events are found, the waiting one gets a look over the
    # whole window, and the duplicate is named long before the 20 s deadline.
    verdicts: dict[int, Verification] = {}
    with run_in_thread(SandboxConfig()) as url:
        async with EventClient(parse_target(url), KEY, revision=REV) as client:
            early = body("late@example.com", "Late", "late-dup", properties={"v": 1})
            assert (await client.send(json.dumps(early).encode())).status == 202
            await asyncio.sleep(3)
            checks = SharedChecks(
                Verifier(client),
                get_revision(REV),
                timeout=20,
                on_verdict=lambda token, v: verdicts.__setitem__(int(str(token)), v),
            )
            runner = asyncio.ensure_future(checks.run())

            async def send(n: int, payload: dict[str, Any]) -> None:
                sent_at = time.time()
                assert (await client.send(json.dumps(payload).encode())).status == 202
                checks.submit(n, payload, sent_at)

            for n in range(3):
                await send(n, body("late@example.com", "Late", f"ok-{n}"))
            while len(verdicts) < 3:
                await asyncio.sleep(0.05)
            started = time.monotonic()
            await send(3, body("late@example.com", "Late", "late-dup", properties={"v": 2}))
            await asyncio.sleep(1.2)
            await send(4, body("late@example.com", "Late", "ok-4"))
            checks.close()
            await asyncio.wait_for(runner, 30)
            took = time.monotonic() - started
    assert [verdicts[n].outcome for n in (0, 1, 2, 4)] == [VerifyOutcome.LANDED] * 4
    assert verdicts[3].outcome is VerifyOutcome.NOT_SEEN
    assert "duplicate unique_id" in verdicts[3].causes[0]
    assert took < 8, took
