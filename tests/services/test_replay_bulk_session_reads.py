"""The window's bulk replay reads the file twice, as a single replay does: once to count it
(the dialog shows how many events), once to send it. It does not count it a third time: a
file of hundreds of megabytes costs seconds per pass. A file changed since it was counted is
still refused."""

from __future__ import annotations

import asyncio
import builtins
import json
import os

import pytest

from composer.sandbox import SandboxApp, SandboxConfig
from composer.services.replay_bulk_session import BulkSession
from composer.services.replay_session import ReplayFileError, read_replay_file
from composer.services.send import Sender


def write_events(path, n=30):
    lines = []
    for i in range(n):
        attributes = {
            "profile": {"data": {"type": "profile", "attributes": {"email": f"b{i}@shop.test"}}},
            "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
            "properties": {"n": i},
        }
        lines.append(json.dumps({"data": {"type": "event", "attributes": attributes}}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def reads_of(monkeypatch):
    """How many times each file was opened for reading in this test."""
    opened: dict[str, int] = {}
    real_open = builtins.open

    def counting_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, str | os.PathLike) and "r" in mode:
            key = os.path.abspath(file)
            opened[key] = opened.get(key, 0) + 1
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    return opened


def bulk_session(path, counted):
    sender = Sender.open(
        "sandbox",
        sandbox=SandboxApp(SandboxConfig()),
        environ={},
        revision="2026-07-15",
        endpoint="bulk",
    )
    return BulkSession(sender, path, runs=None, counted=counted)


def test_a_bulk_replay_from_the_window_reads_the_file_once_to_count_and_once_to_send(
    tmp_path, reads_of
):
    path = write_events(tmp_path / "events.ndjson")
    counted = read_replay_file(path)  # the dialog counts it
    summary = asyncio.run(bulk_session(path, counted).run())
    assert summary.progress.accepted == 30
    assert reads_of[str(path)] == 2  # counted once, sent once: not counted again


def test_a_file_changed_after_the_window_counted_it_is_refused(tmp_path):
    path = write_events(tmp_path / "events.ndjson")
    counted = read_replay_file(path)
    write_events(path, n=31)
    with pytest.raises(ReplayFileError, match="changed since it was read"):
        asyncio.run(bulk_session(path, counted).run())
