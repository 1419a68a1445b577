"""Delivery states over real HTTP: a sandbox under uvicorn on 127.0.0.1 with injected faults,
the outcome checked against what the sandbox actually recorded."""

from __future__ import annotations

import httpx

from composer.client import ClientSettings, RetryPolicy, Timeouts
from composer.domain.delivery import Delivery
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from composer.sandbox.faults import FaultInjector
from composer.services.outcome_text import describe_outcome, is_sandbox_duplicate
from composer.services.send import Sender
from tests.client.fakes import FakeClock
from tests.services.conftest import FLAT_REVISION


def seed_for(kinds: tuple[FaultKind, ...], wanted: list[FaultKind]) -> int:
    """A fault seed whose first draws are ``wanted`` (rate 1.0 over ``kinds``)."""
    for seed in range(10_000):
        injector = FaultInjector(1.0, seed, kinds)
        if [injector.draw() for _ in wanted] == wanted:
            return seed
    raise AssertionError("no such seed")


def sender(url: str, settings: ClientSettings) -> Sender:
    clock = FakeClock()  # backoff waits pass at once; timeouts stay real
    return Sender.open(
        url, environ={}, settings=settings, clock=clock, sleep=clock.sleep, revision=FLAT_REVISION
    )


def recorded(url: str) -> int:
    count: int = httpx.get(f"{url}/sandbox/events").json()["count"]
    return count


async def test_a_timeout_then_a_500_is_unknown_never_500_failed(make_example):
    kinds = (FaultKind.SLOW, FaultKind.SERVER_ERROR)
    config = SandboxConfig(
        fault_rate=1.0,
        fault_kinds=kinds,
        fault_seed=seed_for(kinds, [FaultKind.SLOW, FaultKind.SERVER_ERROR]),
        slow_seconds=0.6,
    )
    settings = ClientSettings(
        retry=RetryPolicy(max_attempts=2), timeouts=Timeouts(read=0.2, total=10)
    )
    with run_in_thread(config) as url:
        async with sender(url, settings) as s:
            result = await s.send(make_example())
    outcome = result.outcome
    assert [a.status for a in outcome.attempts] == [None, 500]
    assert outcome.attempts[0].error.request_sent is True
    assert result.delivery is Delivery.UNKNOWN
    text = describe_outcome(outcome, unique_id=result.unique_id, resend="R")
    assert text.headline.startswith("Outcome unknown") and "500" not in text.headline
    assert result.unique_id in text.explanation and "(R)" in text.explanation


async def test_a_dropped_connection_is_unknown_a_refused_one_is_not_accepted(make_example):
    drop = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.DROP,))
    one_try = ClientSettings(retry=RetryPolicy(max_attempts=1))
    with run_in_thread(drop) as url:
        async with sender(url, one_try) as s:
            dropped = await s.send(make_example())
        count = recorded(url)
    assert dropped.delivery is Delivery.UNKNOWN and count == 1
    # the same address once nothing listens there: the connection is refused
    async with sender(url, one_try) as s:
        refused = await s.send(make_example())
    assert refused.outcome.attempts[0].error.request_sent is False
    assert refused.delivery is Delivery.NOT_ACCEPTED


async def test_503s_and_429s_on_every_try_are_not_accepted_and_nothing_was_recorded(make_example):
    kinds = (FaultKind.UNAVAILABLE, FaultKind.THROTTLED)
    config = SandboxConfig(fault_rate=1.0, fault_kinds=kinds, fault_seed=3)
    with run_in_thread(config) as url:
        async with sender(url, ClientSettings(retry=RetryPolicy(max_attempts=3))) as s:
            result = await s.send(make_example())
        count = recorded(url)
    assert len(result.outcome.attempts) == 3
    assert result.delivery is Delivery.NOT_ACCEPTED and count == 0


async def test_the_sandbox_says_when_a_202_was_a_duplicate_it_did_not_record(make_example):
    body = make_example(unique_id="order-1001")
    with run_in_thread(SandboxConfig()) as url:
        async with sender(url, ClientSettings()) as s:
            first = await s.send(body)
            second = await s.send(body)
        count = recorded(url)
    assert first.outcome.status == second.outcome.status == 202
    assert not is_sandbox_duplicate(first.outcome)
    assert is_sandbox_duplicate(second.outcome)
    assert "not recorded again" in describe_outcome(second.outcome).headline
    assert count == 1
