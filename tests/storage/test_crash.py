"""kill -9 in the middle of a stream of sends: the database stays sound, nothing committed is
lost, and the send that was cut off shows as an entry with an unknown outcome."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from composer.storage.history import HistoryQuery, HistoryStore

ROOT = Path(__file__).resolve().parents[2]


def _start_writer(db: Path, limit: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.storage.crash_writer", str(db), str(limit)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _read_ids(proc: subprocess.Popen[str], wanted: int, deadline: float) -> list[int]:
    assert proc.stdout is not None
    ids: list[int] = []
    while len(ids) < wanted and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        ids.append(int(line))
    return ids


def test_kill_9_mid_stream_loses_no_completed_entry(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    HistoryStore(db).close()  # created up front: the kill must hit writes, not set-up
    for round_number in range(3):
        proc = _start_writer(db, limit=100_000)
        ids = _read_ids(proc, wanted=150 + 37 * round_number, deadline=time.monotonic() + 60)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.stdout is not None
        ids += [int(x) for x in proc.stdout.read().split()]  # what it printed before dying
        proc.stdout.close()
        assert len(ids) >= 150, "the writer did not get going"

        with HistoryStore(db) as store:
            assert store.integrity_check() == "ok"
            for entry_id in ids:
                entry = store.get(entry_id)
                assert entry is not None, f"completed entry {entry_id} was lost"
                assert entry.row.state == "complete"
                assert entry.row.status in (202, 400)
            # Every entry after the last printed one is a visible "unknown outcome", except that
            # the kill may land between committing an outcome and printing its id: that entry,
            # the first after the last printed one, may be complete.
            after = sorted((r for r in store.page(limit=10) if r.id > max(ids)), key=lambda r: r.id)
            if after and not after[0].outcome_unknown:
                assert after[0].state == "complete"
                after = after[1:]
            assert all(r.outcome_unknown and r.status_text == "unknown outcome" for r in after)
            assert store.count(HistoryQuery(text=f"crash{len(ids) - 1}")) >= 1
    with HistoryStore(db) as store:  # still writable after three crashes
        assert store.count(HistoryQuery(status_classes=("pending",))) <= 3
        assert store.integrity_check() == "ok"


def test_two_processes_write_at_once_while_a_third_reads(tmp_path: Path) -> None:
    """The GUI and a CLI replay on one history: no 'database is locked', nothing lost."""
    db = tmp_path / "history.sqlite3"
    HistoryStore(db).close()
    writers = [_start_writer(db, limit=120) for _ in range(2)]
    with HistoryStore(db) as reader:
        deadline = time.monotonic() + 90
        while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
            reader.page(HistoryQuery(text="crash1"), limit=50)
            reader.count()
        printed = [w.communicate(timeout=60)[0].split() for w in writers]
        assert [w.returncode for w in writers] == [0, 0]
        assert [len(p) for p in printed] == [120, 120]
        assert reader.count(HistoryQuery(status_classes=("2xx", "4xx"))) == 240
        assert reader.integrity_check() == "ok"


def test_kill_9_in_the_middle_of_a_replay(tmp_path: Path) -> None:
    """The real thing: `event-composer replay` to the in-process sandbox, killed mid-run."""
    pytest.importorskip("composer.cli.replay", reason="`event-composer replay` is not built yet")
    example = json.loads(
        (ROOT / "resources" / "examples" / "viewed-product.event.json").read_text()
    )
    events = tmp_path / "events.ndjson"
    with events.open("w") as out:
        for i in range(5000):
            example["data"]["attributes"]["profile"]["$email"] = f"replay{i}@example.com"
            example["data"]["attributes"].pop("unique_id", None)
            out.write(json.dumps(example) + "\n")
    db = tmp_path / "history.sqlite3"
    HistoryStore(db).close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "composer", "--data-dir", str(tmp_path), "replay", str(events)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    finished = HistoryQuery(status_classes=("2xx", "4xx", "5xx", "error"))
    try:
        with HistoryStore(db) as watcher:
            deadline = time.monotonic() + 90
            while watcher.count(finished) < 300 and time.monotonic() < deadline:
                assert proc.poll() is None, "the replay ended before it could be killed"
                time.sleep(0.02)  # polling another process's progress, bounded by the deadline
            # Everything a reader sees as completed is committed: it must survive the kill.
            seen = {r.id: r.status for r in watcher.page(finished, 0, 100_000)}
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert len(seen) >= 300
    with HistoryStore(db) as store:
        assert store.integrity_check() == "ok"
        after = {r.id: r.status for r in store.page(finished, 0, 100_000)}
        assert {i: after.get(i) for i in seen} == seen, "a completed entry was lost"
        assert store.count() < 5000  # it was killed mid-run
        for row in store.page(HistoryQuery(status_classes=("pending",)), 0, 1000):
            assert row.status_text == "unknown outcome"
