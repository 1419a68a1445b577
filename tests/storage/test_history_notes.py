"""The history keeps every part of a send's outcome: what real sends over loopback ended with
(a 202 whose body was cut short, a 500 not retried for want of a unique_id, a refused
connection) comes back the same from the SQLite file, notes included; a history written before
notes were kept opens with every entry, and its entries say nothing made up about notes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from composer.client import ClientSettings, RetryPolicy, Timeouts
from composer.domain.outcome import SendOutcome
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from composer.services.keys import ENV_KEY
from composer.services.send import Sender
from composer.storage.db import SCHEMA_VERSION
from composer.storage.history import HistoryStore
from tests.services.conftest import FLAT_REVISION, example

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "pk_" + "5e" * 17
SETTINGS = ClientSettings(
    retry=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01),
    timeouts=Timeouts(connect=2, read=2, write=2, total=3),
)


async def send(url: str, store: HistoryStore, body: bytes, **kw: object) -> SendOutcome:
    async with Sender.open(
        url, environ={ENV_KEY: KEY}, settings=SETTINGS, history=store, revision=FLAT_REVISION
    ) as sender:
        result = await sender.send(body, **kw)  # type: ignore[arg-type]
    assert result.outcome is not None and result.history_id is not None
    return result.outcome


@contextlib.asynccontextmanager
async def cut_short_202() -> AsyncIterator[str]:
    """A server on loopback that reads the whole event, answers 202 with a body of 80 bytes
    announced, sends 12 of them and closes the connection."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        writer.write(
            b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
            b'Content-Length: 80\r\n\r\n{"data": {"'
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def closed_port() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


async def test_every_part_of_a_real_outcome_comes_back_from_the_history(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    sent: list[SendOutcome] = []
    with HistoryStore(path) as store:
        async with cut_short_202() as url:
            sent.append(await send(url, store, example()))
        no_id = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SERVER_ERROR,))
        with run_in_thread(no_id) as url:
            sent.append(await send(url, store, example(), fill_unique_id=False))
        with run_in_thread(SandboxConfig()) as url:
            sent.append(await send(url, store, example()))
        sent.append(await send(closed_port(), store, example()))
    cut, not_retried, plain, refused = sent
    # what the sends ended with, as the window and `send` showed it
    assert cut.status == 202 and any("cut short" in n for n in cut.extra["notes"])
    assert not_retried.status == 500
    assert any("no unique_id" in n for n in not_retried.extra["notes"])
    assert "notes" not in plain.extra
    assert refused.error is not None and refused.error.request_sent is False
    with HistoryStore(path) as again:  # opened afresh, as the next run of the app does
        entries = [again.get(row.id) for row in reversed(again.page())]
    reopened = [e.to_outcome() if e else None for e in entries]
    for before, after in zip(sent, reopened, strict=True):
        assert after is not None and after.extra == before.extra
        assert after.error == before.error
        assert after == before  # and every other part


def test_a_history_written_before_notes_were_kept_opens_with_every_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # history_v7.sqlite3 was written by the release before notes (schema 7, commit 90e934f):
    # its sends with notes (a cut-short 202, a 500 not retried, a 429 not waited for) lost them
    path = tmp_path / "history.sqlite3"
    shutil.copyfile(FIXTURES / "history_v7.sqlite3", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
        columns = (
            "id, created_ms, completed_ms, state, status, status_class, delivery, unique_id, "
            "profile, request_body, response_body, attempts, error_kind, error_message, template"
        )
        before = conn.execute(f"SELECT {columns} FROM entry ORDER BY id").fetchall()
    assert len(before) == 16
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        after = conn.execute(f"SELECT {columns} FROM entry ORDER BY id").fetchall()
        assert conn.execute("SELECT COUNT(*) FROM entry WHERE notes IS NOT NULL").fetchone() == (0,)
    assert after == before  # every column of every entry as it was
    with HistoryStore(path) as store:
        for entry_id, _, _, state, status, *_ in before:
            entry = store.get(entry_id)
            assert entry is not None and entry.row.status == status
            assert entry.notes is None  # not known, and not made up
            outcome = entry.to_outcome()
            assert (outcome is None) == (state != "complete")
            assert outcome is None or outcome.notes == ()
        # the 429 kept its attempts: how many were throttled is known from them
        throttled = store.get(16)
        assert throttled is not None and throttled.to_outcome().extra == {"throttled": 1}  # type: ignore[union-attr]

    from composer.cli import main

    assert main(["--data-dir", str(tmp_path), "history", "show", "15"]) == 0
    out = capsys.readouterr().out
    assert "500" in out and "Note" not in out and "not retried" not in out
    assert main(["--data-dir", str(tmp_path), "history", "--json", "show", "15"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] is None
