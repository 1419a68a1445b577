"""The send use case over real HTTP: a sandbox served by uvicorn on 127.0.0.1."""

import asyncio
import json

import httpx
import pytest

from composer.client import ClientSettings, RetryPolicy, Timeouts
from composer.domain.outcome import TransportErrorKind
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from composer.services.keys import ENV_KEY
from composer.services.send import Sender
from tests.client.fakes import FakeClock
from tests.services.conftest import FLAT_REVISION

ONE_TRY = ClientSettings(retry=RetryPolicy(max_attempts=1))


def sender_for(url, *, key=None, settings=None, clock=None, history=None):
    environ = {ENV_KEY: key} if key else {}
    clock = clock or FakeClock()
    return Sender.open(
        url,
        environ=environ,
        settings=settings,
        clock=clock,
        sleep=clock.sleep,
        history=history,
        revision=FLAT_REVISION,
    )


async def send_one(config, body, force=False, **kw):
    with run_in_thread(config) as url:
        async with sender_for(url, **kw) as sender:
            result = await sender.send(body, force=force)
        return result, url


async def test_202_over_loopback_with_rate_limit_headers(make_example):
    with run_in_thread(SandboxConfig()) as url:
        async with sender_for(url) as sender:
            result = await sender.send(make_example())
        events = httpx.get(f"{url}/sandbox/events").json()
    outcome = result.outcome
    assert outcome.status == 202
    assert outcome.rate_limit.limit == 3500
    assert outcome.rate_limit.remaining == 3499
    assert events["count"] == 1
    assert events["events"][0]["unique_id"] == result.unique_id_filled


async def test_400_carries_field_findings(make_example):
    body = json.loads(make_example())
    body["data"]["attributes"]["metric"]["name"] = "x" * 200
    result, _ = await send_one(SandboxConfig(), json.dumps(body).encode(), force=True)
    assert result.outcome.status == 400
    assert result.outcome.findings[0].pointer == "/data/attributes/metric/name"


async def test_401_for_a_malformed_key(make_example):
    with run_in_thread(SandboxConfig()) as url:
        async with sender_for(url, key="not-a-private-key") as sender:
            result = await sender.send(make_example())
    assert result.outcome.status == 401
    assert result.outcome.findings


async def test_403_when_the_key_lacks_events_write(make_example):
    with run_in_thread(SandboxConfig(deny_events_write=True)) as url:
        async with sender_for(url) as sender:
            result = await sender.send(make_example())
    assert result.outcome.status == 403
    assert result.outcome.findings[0].rule == "server-permission_denied"


async def test_404_for_a_base_url_with_a_wrong_path(make_example):
    with run_in_thread(SandboxConfig()) as url:
        async with sender_for(f"{url}/nothing-here") as sender:
            result = await sender.send(make_example())
    assert result.outcome.status == 404


async def test_429_with_retry_after_when_the_server_limit_is_lower(make_example):
    # The server allows 1 per second; a client told it may send 350 learns the hard way.
    with run_in_thread(SandboxConfig(burst_limit=1)) as url:
        async with sender_for(url, settings=ONE_TRY) as sender:
            first = await sender.send(make_example(email="a@example.com"))
            second = await sender.send(make_example(email="b@example.com"))
    assert first.outcome.status == 202
    if second.outcome.status == 202:  # crossed a second boundary: nothing to see
        pytest.skip("the two sends fell in different one-second windows")
    assert second.outcome.status == 429
    assert second.outcome.rate_limit.retry_after >= 1
    assert second.outcome.findings[0].rule == "server-throttled"


@pytest.mark.parametrize(
    "fault,status",
    [
        (FaultKind.SERVER_ERROR, 500),
        (FaultKind.UNAVAILABLE, 503),
        (FaultKind.GATEWAY_TIMEOUT, 504),
        (FaultKind.THROTTLED, 429),
        (FaultKind.THROTTLED_NO_RETRY_AFTER, 429),
    ],
)
async def test_injected_error_statuses_are_reported(make_example, fault, status):
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(fault,))
    result, _ = await send_one(config, make_example(), settings=ONE_TRY)
    assert result.outcome.status == status
    assert result.outcome.status_class == f"{status // 100}xx"


async def test_429_without_retry_after_is_retried_from_the_detail(make_example):
    config = SandboxConfig(
        fault_rate=0.5, fault_seed=3, fault_kinds=(FaultKind.THROTTLED_NO_RETRY_AFTER,)
    )
    clock = FakeClock()
    with run_in_thread(config) as url:
        async with sender_for(url, clock=clock) as sender:
            results = [await sender.send(make_example(email=f"n{i}@example.com")) for i in range(6)]
    assert all(r.outcome.accepted for r in results)
    throttled = [a for r in results for a in r.outcome.attempts if a.status == 429]
    assert throttled
    assert all(s >= 0 for s in clock.sleeps)


async def test_a_slow_server_times_out(make_example):
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.8)
    settings = ClientSettings(
        retry=RetryPolicy(max_attempts=1), timeouts=Timeouts(read=0.2, total=5)
    )
    result, _ = await send_one(config, make_example(), settings=settings)
    assert result.outcome.error.kind is TransportErrorKind.TIMEOUT


async def test_a_dropped_connection_is_a_reset(make_example):
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.DROP,))
    result, _ = await send_one(config, make_example(), settings=ONE_TRY)
    assert result.outcome.error.kind is TransportErrorKind.RESET


async def test_retries_over_loopback_record_every_event_exactly_once(make_example):
    config = SandboxConfig(
        fault_rate=0.3,
        fault_seed=11,
        fault_kinds=(
            FaultKind.GATEWAY_TIMEOUT,
            FaultKind.DROP,
            FaultKind.UNAVAILABLE,
            FaultKind.THROTTLED,
        ),
    )
    settings = ClientSettings(retry=RetryPolicy(max_attempts=10))
    with run_in_thread(config) as url:
        async with sender_for(url, settings=settings) as sender:
            results = await asyncio.gather(
                *(sender.send(make_example(email=f"r{i}@example.com")) for i in range(30))
            )
        recorded = httpx.get(f"{url}/sandbox/events").json()["events"]
        stats = httpx.get(f"{url}/sandbox/stats").json()
    assert stats["faults_injected"] > 0
    assert all(r.outcome.accepted for r in results)
    ids = [e["unique_id"] for e in recorded]
    assert len(ids) == len(set(ids)) == 30
    assert set(ids) == {r.unique_id_filled for r in results}


async def test_cancelling_over_loopback_leaves_a_completed_entry(make_example, history):
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.8)
    with run_in_thread(config) as url:
        async with sender_for(url, history=history) as sender:
            task = asyncio.create_task(sender.send(make_example()))
            for _ in range(400):
                if history.begun:
                    break
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert history.completed[1].error.kind is TransportErrorKind.CANCELLED
