"""Replay runs: what becomes of each event (delivery states), and resuming a run from what the
history recorded of it."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from composer.client import ClientSettings, RetryPolicy
from composer.domain.outcome import (
    Attempt,
    RequestRecord,
    SendOutcome,
    TransportError,
    TransportErrorKind,
)
from composer.sandbox import FaultKind, SandboxApp, SandboxConfig
from composer.services.replay import Replayer, delivery_state, read_events
from composer.services.replay_input import EventFile
from composer.services.replay_runs import (
    ResumeRefused,
    find_run_to_resume,
    new_run,
    plan_resume,
    record_end,
    record_start,
)
from composer.services.send import Sender
from composer.storage.history import HistoryStore
from tests.services.conftest import FLAT_REVISION

REQ = RequestRecord("POST", "http://127.0.0.1/api/events/", (), b"{}")
TIMEOUT = TransportError(TransportErrorKind.TIMEOUT, "timed out")
RESET = TransportError(TransportErrorKind.RESET, "dropped")
REFUSED = TransportError(TransportErrorKind.REFUSED, "refused")


def outcome(*attempts: int | TransportError) -> SendOutcome:
    """An outcome whose attempts ended as given (a status, or a transport error)."""
    tries = tuple(
        Attempt(
            n, a if isinstance(a, int) else None, a if isinstance(a, TransportError) else None, 1
        )
        for n, a in enumerate(attempts, 1)
    )
    last = attempts[-1]
    if isinstance(last, int):
        return SendOutcome(REQ, status=last, attempts=tries)
    return SendOutcome(REQ, error=last, attempts=tries)


@pytest.mark.parametrize(
    "attempts,state",
    [
        ((202,), "accepted"),
        ((503, 202), "accepted"),
        ((TIMEOUT, 202), "accepted"),
        ((400,), "not_accepted"),
        ((500,), "unknown"),  # a 500 may come after the event was processed
        ((503, 503, 503), "not_accepted"),
        ((REFUSED, REFUSED), "not_accepted"),
        ((429, 429), "not_accepted"),
        ((TIMEOUT,), "unknown"),
        ((TIMEOUT, 500), "unknown"),  # never "500 failed": the first try may have landed
        ((RESET, 503), "unknown"),
        ((504,), "unknown"),
        ((504, 400), "unknown"),
        ((500, 504, 500), "unknown"),
    ],
)
def test_delivery_state_reads_every_attempt(attempts, state):
    assert delivery_state(outcome(*attempts)) == state


def test_an_event_that_was_not_sent_is_not_sent():
    assert delivery_state(None) == "not_sent"


def ndjson(bodies):
    return b"\n".join(bodies) + b"\n"


async def test_a_504_is_counted_and_listed_as_unknown_not_as_failed(make_example):
    """The sandbox records the event and answers 504, as a gateway can: the replay says the
    event may have been recorded, and does not call the run a success."""
    app = SandboxApp(
        SandboxConfig(fault_rate=1.0, fault_seed=1, fault_kinds=(FaultKind.GATEWAY_TIMEOUT,))
    )
    items = read_events(ndjson([make_example(email=f"g{i}@example.com") for i in range(3)]))
    settings = ClientSettings(retry=RetryPolicy(max_attempts=1))
    async with Sender.open(
        "sandbox", sandbox=app, environ={}, settings=settings, revision=FLAT_REVISION
    ) as sender:
        summary = await Replayer(sender).run(items)
    assert summary.delivery_counts() == {
        "accepted": 0,
        "not_accepted": 0,
        "unknown": 3,
        "not_sent": 0,
    }
    assert summary.progress.unknown == 3 and not summary.all_accepted
    assert all("may have been recorded" in (e.problem or "") for e in summary.unknown)
    assert len(app.events()) == 3  # they were, in fact


def _record(store, replayer, path, digest, items, sender):
    problem = record_start(
        store.runs,
        new_run(
            replayer.run_id,
            path,
            digest,
            len(items),
            target=sender.target.label,
            account=sender.account,
            revision=sender.client.revision.name,
            force=False,
            fill_unique_id=replayer.fill_unique_id,
        ),
    )
    assert problem is None


async def test_a_resumed_run_sends_only_what_was_not_accepted_with_the_same_ids(
    make_example, tmp_path
):
    app = SandboxApp(
        SandboxConfig(
            fault_rate=1.0, fault_seed=3, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.02
        )
    )
    items = read_events(ndjson([make_example(email=f"r{i}@example.com") for i in range(30)]))
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        async with Sender.open(
            "sandbox", sandbox=app, environ={}, history=store, revision=FLAT_REVISION
        ) as sender:
            first = Replayer(sender, concurrency=4)

            def stop_at_12(progress):
                if progress.done >= 12:
                    first.stop()

            first._on_progress = stop_at_12
            _record(store, first, "/f.ndjson", "sha256:1", items, sender)
            stopped = await first.run(items)
            record_end(store.runs, first.run_id, stopped)
            assert stopped.interrupted and stopped.in_flight_cancelled > 0
            accepted_before = stopped.delivery_counts()["accepted"]

            run = find_run_to_resume(store.runs, "/f.ndjson", "sha256:1", "sandbox")
            assert run.id == first.run_id and run.state == "stopped"
            plan = plan_resume(store.runs, EventFile(Path("/f.ndjson"), 30, "sha256:1"), "sandbox")
            assert plan.run.id == run.id
            assert len(plan.earlier) == accepted_before
            assert {i for i in range(30) if i in plan.in_doubt} == {
                e.index for e in stopped.unknown
            }
            requests_before = app.stats.requests
            resumed = Replayer(sender, concurrency=4, run_id=run.id)
            record_start(store.runs, dataclasses.replace(run))
            done = await resumed.run(items, earlier=plan.earlier, in_doubt=plan.in_doubt)
            record_end(store.runs, run.id, done)
        assert store.runs.get(run.id).state == "finished"
        assert store.runs.get(run.id).sessions == 2
    assert done.all_accepted and done.earlier_accepted == accepted_before
    assert app.stats.requests - requests_before == 30 - accepted_before
    ids = [e.unique_id for e in app.events()]
    assert len(ids) == len(set(ids)) == 30
    assert set(ids) == {first.unique_id_for(i) for i in range(30)}


async def test_an_event_in_doubt_without_a_unique_id_is_not_sent_again(make_example):
    app = SandboxApp(SandboxConfig())
    items = read_events(
        ndjson(
            [
                make_example(email="a@example.com"),
                make_example(email="b@example.com"),
                make_example(email="c@example.com", unique_id="own-id"),
            ]
        )
    )
    async with Sender.open("sandbox", sandbox=app, environ={}, revision=FLAT_REVISION) as sender:
        replayer = Replayer(sender, fill_unique_id=False)
        seen = []
        replayer._on_event = seen.append
        summary = await replayer.run(items, in_doubt=frozenset({0, 2}))
    states = {e.index: e.delivery for e in seen}
    assert states == {0: "unknown", 1: "accepted", 2: "accepted"}
    assert "not sent again" in summary.events[0].problem
    assert sorted(e.profile for e in app.events()) == ["email:b@example.com", "email:c@example.com"]


def _stored_run(tmp_path, **changes):
    store = HistoryStore(tmp_path / "h.sqlite3")
    run = new_run(
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "/data/ev.ndjson",
        "sha256:aa",
        3,
        target="http://127.0.0.1:8787",
        account=None,
        revision="2023-01-24",
        force=False,
        fill_unique_id=True,
    )
    run = dataclasses.replace(run, **changes)
    store.runs.start(run)
    return store, run


@pytest.mark.parametrize(
    "changes,args,words",
    [
        ({}, ("/data/ev.ndjson", "sha256:bb", "http://127.0.0.1:8787"), "has changed since run"),
        ({}, ("/data/ev.ndjson", "sha256:aa", "sandbox"), "--target http://127.0.0.1:8787"),
        ({}, ("/data/other.ndjson", "sha256:aa", "sandbox"), "no replay of /data/other.ndjson"),
        ({}, ("<stdin>", "sha256:aa", "sandbox"), "standard input"),
        (
            {"state": "finished"},
            ("/data/ev.ndjson", "sha256:aa", "http://127.0.0.1:8787"),
            "nothing to resume",
        ),
        (
            {"writer_pid": os.getppid()},  # a process that is alive: the test runner's parent
            ("/data/ev.ndjson", "sha256:aa", "http://127.0.0.1:8787"),
            "still running",
        ),
    ],
)
def test_resume_is_refused_with_a_reason(tmp_path, changes, args, words):
    store, _run = _stored_run(tmp_path, **changes)
    with store, pytest.raises(ResumeRefused, match=words):
        find_run_to_resume(store.runs, *args)


def test_a_run_killed_mid_way_is_found_for_resume(tmp_path):
    """A run left "running" by a process that no longer exists (kill -9) is resumable."""
    store, run = _stored_run(tmp_path, writer_pid=2**22 + 12345)
    with store:
        found = find_run_to_resume(store.runs, "/data/ev.ndjson", "sha256:aa", run.target)
    assert found.id == run.id and json.dumps(found.fill_unique_id) == "true"
