"""The collection runner (composer.services.runner) against the real in-process sandbox and a
real SQLite history: expectations that hold and that fail (status, server findings, the
validator's verdict, response checks, landed / not seen), 4xx cases sent although invalid,
progress, history ids, --bail, cancel, --delay and data rows."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from composer.sandbox import FaultKind, SandboxApp, SandboxConfig
from composer.services.runner import Runner, RunProgress
from composer.services.send import Sender
from composer.storage.collections import Collection
from composer.storage.history import HistoryStore
from tests.services.conftest import FLAT_REVISION, example

METRIC = "/data/attributes/metric/name"


def write(root: Path, rel: str, value: Any) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value if isinstance(value, str) else json.dumps(value))


def long_name_body() -> bytes:
    doc = json.loads(example())
    doc["data"]["attributes"]["metric"]["name"] = "M" * 200
    return json.dumps(doc).encode()


@pytest.fixture
def coll(tmp_path: Path) -> Collection:
    root = tmp_path / "qa"
    write(root, "a-viewed.event.json", example().decode())
    write(root, "a-viewed.expect.json", {"status": 202, "landed": True, "landed_within": 5})
    write(root, "b-plain.event.json", example().decode())  # no file: must be accepted
    write(root, "invalid/long-name.event.json", long_name_body().decode())
    write(
        root,
        "invalid/long-name.expect.json",
        {
            "status": 400,
            "findings": [{"rule": "invalid", "pointer": METRIC}],
            "validator": {"valid": False, "findings": [{"rule": "metric-name-length"}]},
            "response": [
                {"header": "Content-Type", "contains": "json"},
                {"body": "/errors/0/source/pointer", "equals": METRIC},
            ],
        },
    )
    return Collection(root)


def sender_for(app: SandboxApp, store: HistoryStore | None = None) -> Sender:
    return Sender.open("sandbox", sandbox=app, history=store, environ={}, revision=FLAT_REVISION)


async def test_expectations_that_hold_pass_and_every_send_is_in_the_history(
    coll: Collection, tmp_path: Path
) -> None:
    app = SandboxApp(SandboxConfig())
    steps: list[RunProgress] = []
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        async with sender_for(app, store) as sender:
            report = await Runner(sender).run(coll, progress=steps.append)
        entries = {r.key: store.get(r.history_id) for r in report.results if r.history_id}
    assert [(r.key, r.passed, r.status) for r in report.results] == [
        ("a-viewed", True, 202),
        ("b-plain", True, 202),
        ("invalid/long-name", True, 400),  # invalid, and sent: its expectation is a 4xx
    ], [r.reasons() for r in report.results]
    assert report.ok and report.passed == 3
    assert report.results[0].verification == "landed"
    assert {k: e.to_outcome().status for k, e in entries.items() if e} == {
        "a-viewed": 202,
        "b-plain": 202,
        "invalid/long-name": 400,
    }
    assert len(app.events()) == 2
    assert [(s.index, s.key, s.result is not None) for s in steps] == [
        (0, "a-viewed", False),
        (0, "a-viewed", True),
        (1, "b-plain", False),
        (1, "b-plain", True),
        (2, "invalid/long-name", False),
        (2, "invalid/long-name", True),
    ]
    assert {s.total for s in steps} == {3}


async def test_expectations_that_do_not_hold_fail_with_each_reason(coll: Collection) -> None:
    root = coll.root
    write(root, "b-plain.expect.json", {"status": 400, "findings": [{"pointer": METRIC}]})
    write(
        root,
        "invalid/long-name.expect.json",
        {
            "status": 202,
            "validator": {"valid": True},
            "response": [{"header": "Retry-After"}],
        },
    )
    app = SandboxApp(SandboxConfig())
    async with sender_for(app) as sender:
        report = await Runner(sender).run(coll)
    by_key = {r.key: r for r in report.results}
    assert by_key["a-viewed"].passed
    assert by_key["b-plain"].reasons() == [
        "status 400: the answer was 202",
        f"server finding: at {METRIC}: the server named: none",
    ]
    bad = by_key["invalid/long-name"]
    assert not bad.sent and bad.history_id is None  # a 202 case is not sent when invalid
    reasons = bad.reasons()
    assert reasons[0].startswith("validator: valid: the validator found 1 error(s): ")
    assert reasons[1].startswith("status 202: not sent: the validator found 1 error(s), first ")
    assert "metric-name-length at /data/attributes/metric/name" in reasons[1]
    assert reasons[2].startswith("header Retry-After present: not sent")
    assert not report.ok and report.failed == 2


async def test_landed_and_not_seen_with_the_sandbox_dropping_events(coll: Collection) -> None:
    write(coll.root, "b-plain.expect.json", {"status": 202, "landed": False, "landed_within": 0.3})
    write(coll.root, "a-viewed.expect.json", {"status": 202, "landed": True, "landed_within": 0.3})
    app = SandboxApp(SandboxConfig(drop_rate=1.0))  # 202, never recorded
    async with sender_for(app) as sender:
        report = await Runner(sender).run(coll, folder="")
    by_key = {r.key: r for r in report.results}
    assert by_key["b-plain"].passed and by_key["b-plain"].verification == "not_seen"
    landed = by_key["a-viewed"]
    assert not landed.passed
    [reason] = landed.reasons()
    assert reason.startswith("landed: Not seen: Klaviyo accepted the event but it was not found")


async def test_bail_stops_at_the_first_failure_and_lists_what_did_not_run(
    coll: Collection,
) -> None:
    write(coll.root, "a-viewed.expect.json", {"status": 429})
    async with sender_for(SandboxApp(SandboxConfig())) as sender:
        report = await Runner(sender).run(coll, bail=True)
    assert [r.key for r in report.results] == ["a-viewed"]
    assert report.bailed and not report.ok
    assert report.not_run == [("b-plain", None), ("invalid/long-name", None)]


async def test_cancel_stops_the_send_under_way_and_the_history_says_so(
    coll: Collection, tmp_path: Path
) -> None:
    app = SandboxApp(SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=30))
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        async with sender_for(app, store) as sender:
            runner = Runner(sender)

            def progress(step: RunProgress) -> None:
                if step.result is None:
                    asyncio.get_running_loop().call_later(0.2, runner.cancel)

            report = await asyncio.wait_for(runner.run(coll, progress=progress), 10)
        [result] = report.results
        count = store.count()
        entry = store.get(result.history_id) if result.history_id else None
    assert report.cancelled and result.cancelled and not result.passed
    assert len(report.not_run) == 2
    assert count == 1 and entry is not None
    assert entry.row.state == "complete"
    outcome = entry.to_outcome()
    assert outcome.error is not None and outcome.error.kind.value == "cancelled"


async def test_delay_waits_between_requests_only(coll: Collection) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with sender_for(SandboxApp(SandboxConfig())) as sender:
        report = await Runner(sender, delay=0.25, sleep=sleep).run(coll, folder="invalid/")
        assert [r.key for r in report.results] == ["invalid/long-name"]
        assert waits == []
        await Runner(sender, delay=0.25, sleep=sleep).run(coll)
    assert waits == [0.25, 0.25]


async def test_data_rows_run_the_collection_once_each(coll: Collection) -> None:
    async with sender_for(SandboxApp(SandboxConfig())) as sender:
        report = await Runner(sender).run(coll, rows=[{"n": "1"}, {"n": "2"}], folder="")
    assert [(r.row, r.key) for r in report.results] == [
        (1, "a-viewed"),
        (1, "b-plain"),
        (1, "invalid/long-name"),
        (2, "a-viewed"),
        (2, "b-plain"),
        (2, "invalid/long-name"),
    ]


async def test_a_wrong_expectation_or_an_unreadable_request_fails_by_name_and_the_run_goes_on(
    coll: Collection,
) -> None:
    write(coll.root, "a-viewed.expect.json", '{"stauts": 202}')
    (coll.root / "b-plain.event.json").write_bytes(b'{"x": "\xff"}')
    write(coll.root, "c-broken.event.json", '{"data": {')
    async with sender_for(SandboxApp(SandboxConfig())) as sender:
        report = await Runner(sender).run(coll)
    by_key = {r.key: r for r in report.results}
    assert by_key["a-viewed"].error == (
        "a-viewed.expect.json: stauts is not an expectation; use status, findings, "
        "validator, landed, landed_within, response"
    )
    assert by_key["b-plain"].error == (
        "b-plain.event.json: byte 7 is not UTF-8; save the file as UTF-8 JSON"
    )
    assert by_key["invalid/long-name"].passed
    [broken] = by_key["c-broken"].reasons()  # not JSON: refused by the validator, not sent
    assert broken.startswith(
        "status 202: not sent: the validator found 1 error(s), first json-syntax"
    )


async def test_a_run_keeps_within_the_rate_limits_and_every_request_passes(
    tmp_path: Path,
) -> None:
    root = tmp_path / "burst"
    for i in range(5):
        write(root, f"e{i}.event.json", example(email=f"burst{i}@example.com").decode())
    app = SandboxApp(SandboxConfig(burst_limit=2, steady_limit=100))
    async with sender_for(app) as sender:
        report = await Runner(sender).run(Collection(root))
    assert report.ok, [r.reasons() for r in report.results]
    assert app.stats.throttled >= 1  # the sandbox allows 2 a second: the run had to wait
    assert app.stats.accepted == 5  # each once: the ones throttled waited and went again


async def test_each_send_resolves_afresh_and_the_history_keeps_the_template(
    tmp_path: Path,
) -> None:
    root = tmp_path / "vars"
    body = json.loads(example(unique_id="{{$uuid}}"))
    body["data"]["attributes"]["properties"] = {"Store": "{{store}}"}
    template = json.dumps(body)
    write(root, "subscribe.event.json", template)
    write(root, "collection.json", {"variables": {"store": "Online"}})
    app = SandboxApp(SandboxConfig())
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        async with sender_for(app, store) as sender:
            report = await Runner(sender).run(Collection(root), rows=[{}, {"store": "Lyon"}])
        entries = [store.get(r.history_id) for r in report.results if r.history_id]
    assert report.ok and len(entries) == 2
    sent = [json.loads(e.request.body)["data"]["attributes"] for e in entries if e]
    assert [a["properties"]["Store"] for a in sent] == ["Online", "Lyon"]  # the row wins
    assert sent[0]["unique_id"] != sent[1]["unique_id"]
    assert all(e is not None and e.template == template for e in entries)
