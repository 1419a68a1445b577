"""The bulk replay service over loopback against the sandbox: every event recorded once, old
shapes converted, invalid events reported by line, a refused job's errors mapped back to lines,
a duplicate unique_id in one job refused at 2025-01-15 (and kept once up to 2024-10-15), the
window's controls (pause, resume, cancel) and a cancelled run resumed with nothing twice."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from typing import Any

import httpx
import pytest

from composer.client import ClientSettings, RateLimits, Window, parse_target
from composer.domain.bulk_pack import BulkJob, JobMember, JobPacker, bulk_path, split_event
from composer.domain.findings import Finding, Severity
from composer.domain.outcome import RequestRecord, SendOutcome
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from composer.services.bulk import BulkReplay
from composer.services.bulk_file import BulkFile, plan_bulk_resume, run_bulk_file
from composer.services.replay_input import EventStream
from composer.services.send import Sender
from composer.storage.history import HistoryStore

FAST = ClientSettings(limits=RateLimits(Window(200, 1.0), Window(10_000, 60.0)))
"""Limits well above the sandbox's test load: these tests are not about pacing."""


def new_event(i: int, *, unique_id: str | None = None, email: str | None = None) -> dict:
    attributes: dict[str, Any] = {
        "profile": {"data": {"type": "profile", "attributes": {
            "email": email or f"b{i}@shop.test"}}},
        "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
        "properties": {"OrderId": f"ORD-{i}"},
    }  # fmt: skip
    if unique_id is not None:
        attributes["unique_id"] = unique_id
    return {"data": {"type": "event", "attributes": attributes}}


def old_event(i: int) -> dict:
    return {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {"$email": f"b{i}@shop.test", "$first_name": "Ann"},
                "metric": {"name": "Placed Order"},
                "properties": {"OrderId": f"ORD-{i}"},
            },
        }
    }


def ndjson(events: list[Any]) -> bytes:
    return b"".join((e if isinstance(e, bytes) else json.dumps(e).encode()) + b"\n" for e in events)


def recorded(url: str) -> list[dict[str, Any]]:
    return httpx.get(f"{url}/sandbox/events", params={"limit": 10_000}).json()["events"]


def order_ids(url: str) -> list[str]:
    return sorted(e["body"]["data"]["attributes"]["properties"]["OrderId"] for e in recorded(url))


async def replay(url: str, data: bytes, *, revision: str = "2026-07-15", **kw: Any):
    problems: list[Any] = []
    sender = Sender.open(url, revision=revision, settings=FAST, endpoint="bulk")
    async with sender:
        job_size = kw.pop("job_size", 1000)
        runner = BulkReplay(sender, on_problem=problems.append, max_events=job_size, **kw)
        stream = EventStream(io.BytesIO(data))
        total = data.count(b"\n")
        summary = await runner.run(stream, total=total)
    return summary, problems


def test_every_event_is_recorded_once_and_old_shapes_are_converted():
    events = [old_event(i) if i % 2 else new_event(i) for i in range(250)]
    with run_in_thread(SandboxConfig()) as url:
        summary, problems = asyncio.run(replay(url, ndjson(events), job_size=100))
        assert order_ids(url) == sorted(f"ORD-{i}" for i in range(250))
        # the old-shape events were converted: their first name went to the profile
        names = {
            e["body"]["data"]["attributes"]["profile"]["data"]["attributes"].get("first_name")
            for e in recorded(url)
        }
        assert names == {None, "Ann"}
    p = summary.progress
    assert (p.accepted, p.jobs_sent, p.refused, p.unknown) == (250, 3, 0, 0)
    assert summary.conversions == 125 and summary.homeless == ()
    assert summary.all_accepted and problems == []


def test_invalid_events_are_reported_by_line_and_left_out():
    events: list[Any] = [new_event(i) for i in range(6)]
    events[2]["data"]["attributes"]["metric"]["data"]["attributes"].pop("name")
    events[4] = b'{"data": {"type": "event", "attributes": '  # not JSON
    with run_in_thread(SandboxConfig()) as url:
        summary, problems = asyncio.run(replay(url, ndjson(events)))
        assert order_ids(url) == ["ORD-0", "ORD-1", "ORD-3", "ORD-5"]
    assert sorted((x.line, x.kind) for x in problems) == [(3, "invalid"), (5, "invalid")]
    assert "name" in next(x.text for x in problems if x.line == 3)
    assert (summary.progress.accepted, summary.progress.invalid) == (4, 2)
    assert not summary.all_accepted


def test_a_refused_job_names_the_events_its_errors_point_at_by_line():
    events = [new_event(i) for i in range(8)]
    events[5]["data"]["attributes"]["metric"]["data"]["attributes"]["name"] = 42
    with run_in_thread(SandboxConfig()) as url:
        summary, problems = asyncio.run(replay(url, ndjson(events), force=True, job_size=4))
        # the invalid event sent with force went in a job of its own: the others all landed
        assert order_ids(url) == [f"ORD-{i}" for i in range(8) if i != 5]
    assert (summary.progress.accepted, summary.progress.refused) == (7, 1)
    assert summary.progress.jobs_sent == 3
    (refused,) = problems
    assert refused.line == 6 and refused.kind == "refused"
    assert "400" in refused.text and "metric" in refused.text and "name" in refused.text
    # the job's error is named once, at the event, after the status
    assert refused.text.startswith("400 Bad request: attributes.metric.data.attributes.name: ")
    assert refused.text.count("must be a string") == 1


def test_the_events_of_a_refused_job_its_errors_do_not_name_are_refused_with_it():
    """A job the validator passed but the server refused (here: a repeated unique_id at
    2025-01-15, which the packer never builds) lists every event, the named ones by their
    error."""
    job = _job_with_a_repeat()
    sender = Sender.open("sandbox", revision="2025-01-15", endpoint="bulk")
    runner = BulkReplay(sender)
    pointer = "/data/attributes/events-bulk-create/data/0/attributes/events/data/1/attributes"
    outcome = SendOutcome(
        RequestRecord("POST", "x", (), job.body),
        status=400,
        findings=(Finding(pointer + "/unique_id", Severity.ERROR, "dup", "repeated"),),
    )
    problems: list[Any] = []
    runner._on_problem = problems.append
    runner._finish(job, outcome, None)
    by_line = {x.line: x.text for x in problems}
    assert "repeated" in by_line[2] and "unique_id" in by_line[2]
    assert "refused with job 1" in by_line[1]
    asyncio.run(sender.aclose())


def _job_with_a_repeat() -> BulkJob:
    packer = JobPacker()
    members: list[JobMember] = []
    groups: list[bytes] = []
    for i, body in enumerate([new_event(0, unique_id="dup"), new_event(1, unique_id="dup")]):
        split = split_event({**body, "data": {**body["data"]}})
        assert not isinstance(split, str) and packer.fits_alone(split)
        members.append(JobMember(i, i + 1, 0, i, split.metric, split.profile_label, "dup"))
        groups.append(split.event)
    profile = split_event(new_event(0, email="same@shop.test"))
    assert not isinstance(profile, str)
    body = (
        b'{"data":{"type":"event-bulk-create-job","attributes":{"events-bulk-create":{"data":'
        b'[{"type":"event-bulk-create","attributes":{"profile":' + profile.profile
        + b',"events":{"data":[' + b",".join(groups) + b"]}}}]}}}}"
    )  # fmt: skip
    return BulkJob(1, body, tuple(members))


@pytest.mark.parametrize(("revision", "status"), [("2025-01-15", 400), ("2024-10-15", 202)])
def test_a_job_with_a_repeated_unique_id_fails_whole_from_2025_01_15(revision, status):
    job = _job_with_a_repeat()

    async def send() -> Any:
        sender = Sender.open(url, revision=revision, settings=FAST, endpoint="bulk")
        async with sender:
            path = bulk_path(sender.client.revision)
            return await sender.send_job(
                job.body, path=path, metric=None, profile=None, run_id=None,
                job_events=job.members,
            )  # fmt: skip

    with run_in_thread(SandboxConfig()) as url:
        outcome, _ = asyncio.run(send())
        assert outcome.status == status
        assert len(recorded(url)) == (0 if status == 400 else 1)
    if status == 400:
        named = {m.line for f in outcome.findings for m in job.members_at(f.pointer)}
        assert named and named <= {1, 2}


def test_the_packer_keeps_repeats_apart_so_no_job_fails_at_2025_01_15():
    events = [new_event(i, unique_id="same" if i in (1, 3) else f"u{i}") for i in range(5)]
    with run_in_thread(SandboxConfig()) as url:
        summary, problems = asyncio.run(replay(url, ndjson(events), revision="2025-01-15"))
        assert len(recorded(url)) == 5  # different profiles: Klaviyo keeps both
    assert (summary.progress.accepted, summary.progress.refused) == (5, 0)
    assert summary.progress.jobs_sent == 2
    assert [(x.line, x.kind) for x in problems] == [(4, "repeat")]
    assert "line 2" in problems[0].text


def test_pause_holds_the_jobs_back_and_resume_and_cancel_work_from_another_thread(tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_bytes(ndjson([new_event(i) for i in range(60)]))
    file = BulkFile.scan(path)

    async def run(history: HistoryStore, replay_box: list[BulkReplay], plan: Any = None) -> Any:
        sender = Sender.open(
            url, revision="2026-07-15", settings=FAST, endpoint="bulk", history=history
        )
        async with sender:
            runner = BulkReplay(
                sender, max_events=5, concurrency=1, run_id=plan.run.id if plan else None
            )
            replay_box.append(runner)
            return await run_bulk_file(runner, file, runs=history.runs, plan=plan)

    slow = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.1)
    with run_in_thread(slow) as url, HistoryStore(tmp_path / "h.sqlite3") as history:
        box: list[BulkReplay] = []
        result: list[Any] = []
        worker = threading.Thread(target=lambda: result.append(asyncio.run(run(history, box))))
        worker.start()
        deadline = time.monotonic() + 30
        while not box and worker.is_alive() and time.monotonic() < deadline:
            threading.Event().wait(0.005)
        assert box, "the replay did not start"
        runner = box[0]
        runner.pause()
        threading.Event().wait(0.3)
        held = httpx.get(f"{url}/sandbox/stats").json()["requests"]
        threading.Event().wait(0.3)
        assert httpx.get(f"{url}/sandbox/stats").json()["requests"] == held  # nothing sent
        assert held < 12
        runner.resume()
        while httpx.get(f"{url}/sandbox/stats").json()["requests"] < held + 2:
            threading.Event().wait(0.005)
        runner.cancel()
        worker.join(30)
        (summary,) = result
        assert summary.interrupted
        p = summary.progress
        assert p.accepted + p.unknown + summary.left == 60
        # resumed: what was accepted is not sent again, the rest goes with the same unique_ids
        plan = plan_bulk_resume(history.runs, file, parse_target(url).label)
        assert len(plan.earlier) == p.accepted
        again: list[BulkReplay] = []
        final = asyncio.run(run(history, again, plan))
        assert final.all_accepted and final.progress.earlier == p.accepted
        assert order_ids(url) == sorted(f"ORD-{i}" for i in range(60))  # each exactly once
        assert history.runs.get(final.run_id).state == "finished"  # type: ignore[union-attr]
