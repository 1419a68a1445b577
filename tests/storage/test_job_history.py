"""Bulk Create Events jobs in the history: one entry per job, its events searchable by profile
or property (an order id) down to their line in the replayed file, their positions read back
for a resume, and a history of the previous release opening with every entry and run."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from composer.domain.bulk_pack import JobPacker, split_event
from composer.domain.outcome import Attempt, RequestRecord, SendOutcome
from composer.services.ports import SendContext
from composer.storage.db import SCHEMA_VERSION
from composer.storage.history import HistoryQuery, HistoryStore

FIXTURES = Path(__file__).parent / "fixtures"
RUN = "0e8b7c2a-1111-4222-8333-944455556666"


def job(first: int, n: int):
    packer = JobPacker()
    for i in range(first, first + n):
        body = {
            "data": {
                "type": "event",
                "attributes": {
                    "profile": {"data": {"type": "profile", "attributes": {
                        "email": f"buyer{i % 3}@shop.test"}}},
                    "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                    "properties": {"OrderId": f"ORD-{i:05d}"},
                    "unique_id": f"uid-{i}",
                },
            }
        }  # fmt: skip
        split = split_event(body)
        assert not isinstance(split, str)
        assert packer.add(i, 10 + i, split) == []
    (packed,) = packer.finish()
    return packed


def record(store: HistoryStore, packed, status: int) -> int:
    request = RequestRecord(
        "POST", "http://127.0.0.1:1/api/event-bulk-create-jobs", (), packed.body
    )
    context = SendContext(
        "http://127.0.0.1:1", None, "2026-07-15", "Placed Order", "buyer0@shop.test and 2 more",
        run_id=RUN, job_events=packed.members,
    )  # fmt: skip
    entry = store.begin(request, context)
    store.complete(
        entry, SendOutcome(request, status=status, attempts=(Attempt(1, status, None, 5.0),))
    )
    return entry


def test_a_search_for_an_order_id_or_a_profile_finds_the_job_and_the_line(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        first = record(store, job(0, 300), 202)
        second = record(store, job(300, 300), 202)
        assert store.count() == 2  # one entry per job, not 600
        found = store.page(HistoryQuery(text="ORD-00417"))
        assert [r.id for r in found] == [second]
        (event,) = store.job_events(second, "ORD-00417")
        assert (event.run_index, event.line, event.unique_id) == (417, 427, "uid-417")
        by_profile = store.page(HistoryQuery(text="buyer2@shop.test"))
        assert {r.id for r in by_profile} == {first, second}
        lines = [e.line for e in store.job_events(first, "buyer2@shop.test")]
        assert lines == [10 + i for i in range(300) if i % 3 == 2]
        assert len(store.job_events(first)) == 300
        body = json.loads(store.job_event_body(second, event.position) or b"")
        assert body["data"]["attributes"]["properties"] == {"OrderId": "ORD-00417"}
        assert body["data"]["attributes"]["profile"]["data"]["attributes"]["email"] == (
            "buyer0@shop.test"
        )
        # deleting the entry deletes its events
        store.delete([first])
        assert store.job_events(first) == []


def test_a_resume_reads_each_event_of_a_job_back_with_its_jobs_delivery(tmp_path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        record(store, job(0, 4), 202)
        record(store, job(4, 4), 500)
        states = store.runs.event_states(RUN)
        assert sorted(i for i, s in states.items() if s.accepted) == [0, 1, 2, 3]
        assert sorted(i for i, s in states.items() if not s.accepted) == [4, 5, 6, 7]
        accepted, sent = store.runs.marks(RUN, 10)
        assert list(accepted) == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
        assert list(sent) == [1] * 8 + [0, 0]


def test_a_history_of_the_previous_release_opens_with_every_entry_and_run(tmp_path):
    # history_v4.sqlite3 was written by the release before jobs (schema 4, commit 8e72670)
    path = tmp_path / "history.sqlite3"
    shutil.copyfile(FIXTURES / "history_v4.sqlite3", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        before = conn.execute("SELECT id, delivery, unique_id, profile FROM entry").fetchall()
        run_id = conn.execute("SELECT id FROM replay_run").fetchone()[0]
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.page(limit=100)
        assert sorted((r.id, r.delivery, r.unique_id, r.profile) for r in rows) == sorted(before)
        assert all(store.job_events(r.id) == [] for r in rows)
        run = store.runs.get(run_id)
        assert run is not None and run.state == "stopped" and not run.bulk
        states = store.runs.event_states(run_id)
        assert {i: s.accepted for i, s in states.items()} == {0: True, 1: False}
        # and a job can be recorded in it
        entry = record(store, job(0, 2), 202)
        assert len(store.job_events(entry)) == 2


def test_the_jobs_events_a_search_finds_are_those_of_the_history_search(tmp_path):
    """The history's search ignores accents and case (the entry of a job sent to "Zoë" is
    found by "zoe"), and Enter opens the job's events with that search carried in: they must
    match the same way, not list "no events match" for the entry the search just found."""
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        packer = JobPacker()
        for i, city in enumerate(("Zürich", "Köln", "Zürich")):
            body = {
                "data": {
                    "type": "event",
                    "attributes": {
                        "profile": {"data": {"type": "profile", "attributes": {
                            "email": f"zoë{i}@shop.test"}}},
                        "metric": {"data": {"type": "metric", "attributes": {"name": "Café"}}},
                        "properties": {"City": city},
                    },
                }
            }  # fmt: skip
            split = split_event(body)
            assert not isinstance(split, str)
            assert packer.add(i, 1 + i, split) == []
        (packed,) = packer.finish()
        entry = record(store, packed, 202)
        for words in ("zurich", "ZURICH", "zoe1", "cafe", "Zürich"):
            assert [r.id for r in store.page(HistoryQuery(text=words))] == [entry], words
        assert [e.line for e in store.job_events(entry, "zurich")] == [1, 3]
        assert [e.line for e in store.job_events(entry, "zoe1")] == [2]
        assert [e.line for e in store.job_events(entry, "KÖLN")] == [2]
        assert len(store.job_events(entry, "cafe")) == 3
