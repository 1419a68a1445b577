"""Replay runs in the history: the upgrade from a history without them, and reading a run's
progress back from its entries."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
from pathlib import Path

from composer.storage.db import SCHEMA_VERSION
from composer.storage.history import HistoryStore
from composer.storage.records import PlainContext
from composer.storage.runs import ReplayRun
from tests.storage import factories as f

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run_record(run_id: str = "7c9e6679-7425-40de-944b-e07fc1f90ae7", **changes) -> ReplayRun:
    run = ReplayRun(
        id=run_id,
        path="/data/events.ndjson",
        content_hash="sha256:" + "ab" * 32,
        events=3,
        target="sandbox",
        account=None,
        revision="2023-01-24",
        force=False,
        fill_unique_id=True,
        started_ms=1_000,
        updated_ms=1_000,
        state="running",
        writer_pid=12345,
    )
    return dataclasses.replace(run, **changes)


def test_a_history_written_before_replay_runs_opens_with_every_entry(tmp_path):
    """history-v1.sqlite3 was written by the release before this schema (a replay of three
    events and one send left pending): every entry survives the upgrade, and runs can be
    recorded in it afterwards."""
    path = tmp_path / "history.sqlite3"
    shutil.copy(FIXTURES / "history-v1.sqlite3", path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.page()
        assert len(rows) == 4
        assert [r.state for r in rows] == ["pending", "complete", "complete", "complete"]
        assert {r.profile for r in rows} == {f"p{i}@example.com" for i in range(3)}
        entry = store.get(rows[1].id)
        assert entry is not None and entry.row.status == 202
        assert json.loads(entry.request.body)["data"]["type"] == "event"
        store.runs.start(run_record())
        assert store.runs.get(run_record().id) == run_record()


def test_runs_of_a_file_newest_first_and_their_states(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        old = run_record("00000000-0000-4000-8000-000000000001", started_ms=1_000)
        new = run_record("00000000-0000-4000-8000-000000000002", started_ms=2_000)
        store.runs.start(old)
        store.runs.start(new)
        store.runs.start(run_record("00000000-0000-4000-8000-000000000003", path="/other"))
        assert [r.id for r in store.runs.of_file("/data/events.ndjson")] == [new.id, old.id]
        store.runs.set_state(new.id, "stopped", pid=None, new_session=False)
        store.runs.set_state(new.id, "running", pid=777, new_session=True)
        again = store.runs.get(new.id)
        assert again is not None
        assert (again.state, again.sessions, again.writer_pid) == ("running", 2, 777)


def test_a_runs_progress_is_read_back_from_its_entries(tmp_path):
    run_id = run_record().id
    with HistoryStore(tmp_path / "h.sqlite3") as store:

        def sent(index: int, unique_id: str, outcome) -> None:
            doc = json.loads(f.body(email=f"p{index}@example.com"))
            doc["data"]["attributes"]["unique_id"] = unique_id
            req = f.request(json.dumps(doc).encode())
            ctx = PlainContext("sandbox", None, "2023-01-24", "Viewed Product", None, run_id, index)
            entry = store.begin(req, ctx)
            if outcome is not None:
                store.complete(entry, outcome(req))

        sent(0, "u0", f.accepted)
        sent(1, "u1", None)  # pending: the process died mid-send
        sent(1, "u1", f.accepted)  # ...and the resumed run got its 202
        sent(2, "u2", f.rejected)
        store.begin(f.request(), f.context())  # a send outside any run
        states = store.runs.event_states(run_id)
    assert sorted(states) == [0, 1, 2]
    assert (states[0].accepted, states[0].sends, states[0].unique_id) == (True, 1, "u0")
    assert (states[1].accepted, states[1].sends, states[1].unique_id) == (True, 2, "u1")
    assert (states[2].accepted, states[2].unique_id) == (False, None)


def test_a_bulk_runs_job_size_is_kept_and_a_run_without_one_reads_as_unknown(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        sized = run_record("00000000-0000-4000-8000-000000000011", bulk=True, job_size=10)
        older = run_record("00000000-0000-4000-8000-000000000012", bulk=True)
        store.runs.start(sized)
        store.runs.start(older)
        assert store.runs.get(sized.id) == sized
        again = store.runs.get(older.id)
        assert again is not None and again.bulk and again.job_size is None
