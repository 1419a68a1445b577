"""The window's replay service without Qt: reading a file of events (and refusing hostile ones
in words), bulk only from 2024-05-15, the counts by delivery state, and pause/resume of the
replayer over the in-process sandbox."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from composer.sandbox import FaultKind, SandboxApp, SandboxConfig
from composer.services.replay import Replayer, ReplayProgress, read_events
from composer.services.replay_session import (
    ReplayCounts,
    ReplayFileError,
    bulk_refusal,
    read_replay_file,
)
from composer.services.send import Sender
from tests.services.conftest import FLAT_REVISION

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "resources" / "examples" / "viewed-product.event.json").read_text())


def lines(count: int) -> str:
    docs = []
    for i in range(count):
        doc = json.loads(json.dumps(EXAMPLE))
        doc["data"]["attributes"].pop("unique_id", None)
        doc["data"]["attributes"]["profile"]["$email"] = f"p{i}@example.com"
        docs.append(json.dumps(doc))
    return "\n".join(docs) + "\n"


def test_a_file_of_events_is_read_with_its_hash_and_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "e.ndjson").write_text(lines(3))
    monkeypatch.chdir(tmp_path)
    file = read_replay_file(Path("e.ndjson"))
    assert file.count == 3 and file.path == tmp_path / "e.ndjson"
    assert file.content_hash.startswith("sha256:") and file.size > 0
    assert file.shape is not None


def test_reading_a_file_says_how_far_it_got_and_stops_when_cancelled(tmp_path):
    """The window counts a file as a stream: the progress follows the bytes read, and closing
    the dialog (cancel) stops the reading with a sentence, not at the end of the file."""
    from composer.services.replay_session import ReadProgress

    path = tmp_path / "e.ndjson"
    path.write_text(lines(1) * 2000)
    seen: list[tuple[int, int]] = []

    class Watching(ReadProgress):
        def __setattr__(self, name: str, value: Any) -> None:
            super().__setattr__(name, value)
            if name == "read" and value:
                seen.append((self.events, value))
                if len(seen) == 3:
                    self.cancel()

    progress = Watching()
    with pytest.raises(ReplayFileError, match="cancelled"):
        read_replay_file(path, progress)
    assert len(seen) == 3 and seen[0] < seen[1] < seen[2]
    assert seen[-1][1] < path.stat().st_size  # it stopped well before the end
    done = ReadProgress()
    file = read_replay_file(path, done)
    assert file.count == done.events == 2000 and done.fraction == 1.0


def test_hostile_files_are_refused_in_words(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    cases = {
        tmp_path: "is a folder",
        fifo: "not a regular file",  # reading it would block forever
        Path("/dev/zero"): "not a regular file",  # it never ends
        tmp_path / "missing.ndjson": "no such file",
    }
    for path, words in cases.items():
        with pytest.raises(ReplayFileError, match=words):
            read_replay_file(path)
    nul = tmp_path / "nul.ndjson"
    nul.write_bytes(lines(2).encode() + b'{"a": "\x00"}\n')
    with pytest.raises(ReplayFileError, match="line 3 holds a NUL byte"):
        read_replay_file(nul)
    empty_array = tmp_path / "empty.json"
    empty_array.write_text("[ ]")
    with pytest.raises(ReplayFileError, match="no events"):
        read_replay_file(empty_array)


@pytest.mark.parametrize(
    ("revision", "refused"),
    [("2023-01-24", True), ("2024-02-15", True), ("2024-05-15", False), ("2026-07-15", False)],
)
def test_bulk_exists_from_2024_05_15(revision, refused):
    reason = bulk_refusal(revision)
    assert (reason is not None) is refused
    if refused:
        assert "2024-05-15" in reason and revision in reason


def test_counts_while_running_add_up_to_the_file():
    progress = ReplayProgress(total=8, done=6, sent=5, invalid=1, unknown=1)
    progress.counts["2xx"] = 3
    progress.counts["4xx"] = 1
    progress.counts["5xx"] = 1  # the unknown one
    counts = ReplayCounts.of_progress(10, progress, earlier=2)
    assert (counts.accepted, counts.not_accepted, counts.unknown, counts.invalid) == (5, 1, 1, 1)
    assert counts.not_sent == 2 and counts.done == 8


def test_pause_holds_new_sends_until_resume():
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.05)
    items = read_events(lines(12).encode())
    seen: list[ReplayProgress] = []

    def sent() -> int:
        return seen[-1].sent if seen else 0

    async def scenario() -> tuple[int, int, int]:
        async with Sender.open("sandbox", sandbox=config, revision=FLAT_REVISION) as sender:
            replayer = Replayer(sender, concurrency=2, on_progress=seen.append)
            replayer.pause()
            task = asyncio.ensure_future(replayer.run(items))
            await asyncio.sleep(0.3)
            before = sent()
            replayer.resume()
            await asyncio.sleep(0.08)
            replayer.pause()
            assert replayer.paused
            await asyncio.sleep(0.2)  # the two in flight finish, no new one starts
            held = sent()
            await asyncio.sleep(0.2)
            still = sent()
            replayer.resume()
            summary = await task
            assert summary.delivery_counts()["accepted"] == 12 and summary.all_accepted
            return before, held, still

    before, held, still = asyncio.run(scenario())
    assert before == 0
    assert 0 < held == still < 12


class LockingSandbox(SandboxApp):
    """The sandbox; while it answers an event, another writer takes the history's write lock
    for ``seconds``, so recording the answer waits."""

    def __init__(self, history_path: Path, seconds: float) -> None:
        super().__init__(SandboxConfig())
        self.history_path = history_path
        self.seconds = seconds
        self.holders: list[threading.Thread] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/events"):
            started = threading.Event()

            def hold() -> None:
                conn = sqlite3.connect(self.history_path, isolation_level=None)
                conn.execute("BEGIN IMMEDIATE")
                started.set()
                threading.Event().wait(self.seconds)
                conn.execute("COMMIT")
                conn.close()

            holder = threading.Thread(target=hold, daemon=True)
            holder.start()
            started.wait(5)
            self.holders.append(holder)
        await super().__call__(scope, receive, send)


def test_a_stop_while_an_answer_is_being_recorded_reports_that_answer(tmp_path):
    """The stop comes after the 202 arrived, while the history still writes it: the replay
    says accepted, as the history does (it said "unknown: cancelled before an answer came")."""
    from composer.services.send_gateway import QueuedHistory
    from composer.storage.history import HistoryStore

    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    queued = QueuedHistory(store)
    sandbox = LockingSandbox(path, 1.0)
    items = read_events(lines(1).encode())
    seen: list[Any] = []

    async def scenario() -> Any:
        async with Sender.open(
            "sandbox", sandbox=sandbox, history=queued, revision=FLAT_REVISION
        ) as sender:
            replayer = Replayer(sender, concurrency=1, on_event=seen.append)
            task = asyncio.ensure_future(replayer.run(items))
            while not sandbox.holders:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # the 202 is back; its record waits for the lock
            replayer.stop()
            return await task

    try:
        summary = asyncio.run(scenario())
        for holder in sandbox.holders:
            holder.join()
        queued.close()
        rows = store.page()
    finally:
        store.close()
    assert [r.delivery for r in rows] == ["accepted"]
    (event,) = seen
    assert event.delivery == "accepted" and event.status == 202
    assert summary.delivery_counts()["accepted"] == 1
    assert summary.delivery_counts()["unknown"] == 0
