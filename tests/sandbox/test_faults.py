"""Seeded fault injection: off by default, reproducible, and each kind as a client sees it."""

from __future__ import annotations

import time

import httpx
import pytest

from composer.sandbox import DroppedConnection, FaultKind
from composer.sandbox.faults import FaultInjector
from tests.sandbox.conftest import Sandbox, SandboxFactory, assert_jsonapi_error, event_body


async def _statuses(sandbox: Sandbox, n: int) -> list[str]:
    out = []
    for _ in range(n):
        try:
            out.append(str((await sandbox.post()).status_code))
        except httpx.TransportError:
            out.append("drop")
    return out


async def test_faults_are_off_by_default(sandbox: Sandbox) -> None:
    assert await _statuses(sandbox, 30) == ["202"] * 30
    assert sandbox.app.stats_json()["faults_injected"] == 0


async def test_the_same_seed_gives_the_same_faults(make_sandbox: SandboxFactory) -> None:
    kinds = (FaultKind.SERVER_ERROR, FaultKind.UNAVAILABLE, FaultKind.THROTTLED, FaultKind.DROP)
    # Over loopback the last sandbox made is the one served: make each one as it is used.
    first: Sandbox = await make_sandbox(fault_rate=0.5, fault_seed=7, fault_kinds=kinds)
    seq = await _statuses(first, 24)
    first_stats = first.app.stats_json()
    second: Sandbox = await make_sandbox(fault_rate=0.5, fault_seed=7, fault_kinds=kinds)
    assert seq == await _statuses(second, 24)
    other: Sandbox = await make_sandbox(fault_rate=0.5, fault_seed=8, fault_kinds=kinds)
    assert seq != await _statuses(other, 24)
    assert "202" in seq and len(set(seq)) >= 3
    # What the client saw is exactly the injector's seeded draw.
    draws = FaultInjector(0.5, 7, kinds)
    expected = []
    for _ in range(24):
        kind = draws.draw()
        expected.append(
            {
                None: "202",
                FaultKind.SERVER_ERROR: "500",
                FaultKind.UNAVAILABLE: "503",
                FaultKind.THROTTLED: "429",
                FaultKind.DROP: "drop",
            }[kind]
        )
    assert seq == expected
    stats = first_stats
    assert stats["faults_injected"] == sum(1 for s in seq if s != "202")
    assert stats["faults_by_kind"]["drop"] == seq.count("drop")


async def test_a_rate_is_a_share_of_requests(make_sandbox: SandboxFactory) -> None:
    sandbox: Sandbox = await make_sandbox(
        fault_rate=0.2, fault_seed=1, fault_kinds=(FaultKind.SERVER_ERROR,)
    )
    seq = await _statuses(sandbox, 200)
    assert 20 <= seq.count("500") <= 60


async def _only(make_sandbox: SandboxFactory, kind: FaultKind, **fields: object) -> Sandbox:
    sandbox: Sandbox = await make_sandbox(
        fault_rate=1.0, fault_seed=3, fault_kinds=(kind,), **fields
    )
    return sandbox


async def test_429_with_retry_after(make_sandbox: SandboxFactory) -> None:
    sandbox = await _only(make_sandbox, FaultKind.THROTTLED)
    response = await sandbox.post()
    error = assert_jsonapi_error(response, 429, "throttled")
    assert response.headers["Retry-After"] == "1"
    assert error["detail"] == "Request was throttled. Expected available in 1 seconds."


async def test_429_without_retry_after_as_klaviyo_was_seen_answering(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox = await _only(make_sandbox, FaultKind.THROTTLED_NO_RETRY_AFTER)
    response = await sandbox.post()
    error = assert_jsonapi_error(response, 429, "throttled")
    assert "Retry-After" not in response.headers
    assert "RateLimit-Limit" not in response.headers
    assert error["detail"] == "Request was throttled. Expected available in 0 seconds."


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        (FaultKind.SERVER_ERROR, 500, "error"),
        (FaultKind.UNAVAILABLE, 503, "service_unavailable"),
    ],
)
async def test_server_errors_before_processing_record_nothing(
    make_sandbox: SandboxFactory, kind: FaultKind, status: int, code: str
) -> None:
    sandbox = await _only(make_sandbox, kind)
    assert_jsonapi_error(await sandbox.post(), status, code)
    assert sandbox.app.events() == []


async def test_a_gateway_timeout_comes_after_the_event_was_recorded(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox = await _only(make_sandbox, FaultKind.GATEWAY_TIMEOUT)
    assert_jsonapi_error(
        await sandbox.post(event_body(unique_id="lost-answer")), 504, "gateway_timeout"
    )
    assert [e.unique_id for e in sandbox.app.events()] == ["lost-answer"]


async def test_a_slow_response_is_the_normal_answer_late(make_sandbox: SandboxFactory) -> None:
    sandbox = await _only(make_sandbox, FaultKind.SLOW, slow_seconds=0.3)
    started = time.monotonic()
    response = await sandbox.post()
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 202


async def test_a_dropped_connection_is_a_transport_error_after_processing(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox = await _only(make_sandbox, FaultKind.DROP)
    with pytest.raises(httpx.TransportError) as caught:
        await sandbox.post(event_body(unique_id="maybe-arrived"))
    if sandbox.mode == "loopback":
        # A real socket closed with no response, not an exception passed through.
        assert not isinstance(caught.value, DroppedConnection)
    else:
        assert isinstance(caught.value, httpx.RemoteProtocolError)
    assert [e.unique_id for e in sandbox.app.events()] == ["maybe-arrived"]


async def test_after_a_drop_the_next_request_is_served(make_sandbox: SandboxFactory) -> None:
    sandbox: Sandbox = await make_sandbox(
        fault_rate=0.5, fault_seed=2, fault_kinds=(FaultKind.DROP,)
    )
    seq = await _statuses(sandbox, 12)
    assert "drop" in seq and "202" in seq
    assert seq[seq.index("drop") + 1 :].count("202") >= 1


async def test_inspection_endpoints_never_fault(make_sandbox: SandboxFactory) -> None:
    sandbox = await _only(make_sandbox, FaultKind.SERVER_ERROR)
    for _ in range(5):
        assert (await sandbox.client.get("/sandbox/stats")).status_code == 200
