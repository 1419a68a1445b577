"""The send use case against the real in-process sandbox."""

import asyncio
import json

import pytest

from composer.client import SANDBOX_KEY, ClientSettings, RetryPolicy
from composer.domain.outcome import REDACTED, TransportErrorKind
from composer.sandbox import FaultKind, SandboxApp, SandboxConfig
from composer.services.send import Sender
from tests.client.fakes import FakeClock
from tests.services.conftest import FLAT_REVISION


def open_sender(app, history=None, **kw):
    return Sender.open(
        "sandbox", sandbox=app, history=history, environ={}, revision=FLAT_REVISION, **kw
    )


async def test_a_valid_event_is_accepted_and_recorded_once(make_example, history):
    app = SandboxApp(SandboxConfig())
    async with open_sender(app, history) as sender:
        result = await sender.send(make_example())
    assert result.outcome.accepted
    assert result.unique_id_filled  # filled in by default
    [recorded] = app.events()
    assert recorded.unique_id == result.unique_id_filled
    request, context = history.begun[0]
    assert context.target == "sandbox" and context.metric == "Viewed Product"
    assert context.profile == "ann.lee@example.com" or context.profile
    assert dict(request.headers)["authorization"] == REDACTED
    assert SANDBOX_KEY not in request.body.decode()
    assert history.completed[1].status == 202


async def test_filling_the_unique_id_can_be_turned_off(make_example):
    app = SandboxApp(SandboxConfig())
    body = make_example()
    async with open_sender(app) as sender:
        result = await sender.send(body, fill_unique_id=False)
    assert result.unique_id_filled is None
    assert result.body == body
    assert app.events()[0].unique_id is None


async def test_an_existing_unique_id_is_kept(make_example):
    app = SandboxApp(SandboxConfig())
    async with open_sender(app) as sender:
        result = await sender.send(make_example(unique_id="mine-1"))
    assert result.unique_id_filled is None
    assert app.events()[0].unique_id == "mine-1"


async def test_an_invalid_event_is_refused_before_any_request(history):
    app = SandboxApp(SandboxConfig())
    body = json.dumps({"data": {"type": "event", "attributes": {"properties": {}}}})
    async with open_sender(app, history) as sender:
        result = await sender.send(body)
    assert result.refused_invalid
    assert not result.report.valid
    assert app.stats.requests == 0
    assert history.begun == []


async def test_force_sends_an_invalid_event_and_reports_the_server_findings():
    app = SandboxApp(SandboxConfig())
    body = json.dumps({"data": {"type": "event", "attributes": {"properties": {}}}})
    async with open_sender(app) as sender:
        result = await sender.send(body, force=True)
    assert result.outcome.status == 400
    assert result.outcome.findings
    assert all(f.pointer.startswith("/data/attributes") for f in result.outcome.findings)
    assert all(f.source == "server" for f in result.outcome.findings)


async def test_cancelling_a_send_completes_its_history_entry_as_cancelled(make_example, history):
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=30)
    app = SandboxApp(config)
    async with open_sender(app, history) as sender:
        task = asyncio.create_task(sender.send(make_example()))
        for _ in range(200):  # bounded: wait until the request is on its way
            if history.begun:
                break
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    outcome = history.completed[1]
    assert outcome.error.kind is TransportErrorKind.CANCELLED
    assert outcome.status is None


@pytest.mark.parametrize(
    "fault",
    [
        FaultKind.GATEWAY_TIMEOUT,
        FaultKind.DROP,
        FaultKind.UNAVAILABLE,
        FaultKind.THROTTLED,
        FaultKind.THROTTLED_NO_RETRY_AFTER,
    ],
)
async def test_retries_after_a_fault_never_record_an_event_twice(make_example, fault):
    app = SandboxApp(SandboxConfig(fault_rate=0.5, fault_seed=7, fault_kinds=(fault,)))
    clock = FakeClock()
    settings = ClientSettings(retry=RetryPolicy(max_attempts=8))
    async with open_sender(app, settings=settings, clock=clock, sleep=clock.sleep) as sender:
        results = [await sender.send(make_example(email=f"p{i}@example.com")) for i in range(12)]
    assert all(r.outcome.accepted for r in results)
    assert sum(len(r.outcome.attempts) for r in results) > 12  # faults did happen
    recorded = [e.unique_id for e in app.events()]
    assert sorted(recorded) == sorted(r.unique_id_filled for r in results)


async def test_without_a_unique_id_a_lost_answer_is_not_retried(make_example):
    app = SandboxApp(SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.GATEWAY_TIMEOUT,)))
    async with open_sender(app) as sender:
        result = await sender.send(make_example(), fill_unique_id=False)
    assert result.outcome.status == 504
    assert len(result.outcome.attempts) == 1
    assert len(app.events()) == 1  # processed once, and only once


async def test_the_history_store_records_pending_then_complete(make_example, tmp_path):
    from composer.storage.history import HistoryStore

    app = SandboxApp(SandboxConfig())
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        async with open_sender(app, store) as sender:
            result = await sender.send(make_example())
        entry = store.get(result.history_id)
    assert entry is not None
    assert entry.row.state == "complete"
    assert entry.to_outcome().status == 202


@pytest.mark.parametrize(
    ("profile_data", "label"),
    [
        (
            {"type": "profile", "id": "01GDDKASAP8TKDDA2GRZDSVP4H", "attributes": {}},
            "01GDDKASAP8TKDDA2GRZDSVP4H",
        ),
        ({"type": "profile", "attributes": {"external_id": "crm-42"}}, "crm-42"),
        ({"type": "profile", "attributes": {"email": "ann@example.com"}}, "ann@example.com"),
    ],
)
async def test_history_names_a_profile_by_whatever_identifies_it(history, profile_data, label):
    """A profile named by its Klaviyo id (or only an external_id) is accepted: its history
    entry names it so, not by nothing."""
    from composer.domain.convert import convert
    from tests.services.conftest import example

    body = convert(json.loads(example()), "2026-07-15", FLAT_REVISION).body
    body["data"]["attributes"]["profile"] = {"data": profile_data}
    app = SandboxApp(SandboxConfig())
    async with Sender.open(
        "sandbox", sandbox=app, history=history, environ={}, revision="2026-07-15"
    ) as sender:
        result = await sender.send(json.dumps(body).encode())
    assert result.outcome.accepted
    assert history.begun[0][1].profile == label
