"""Replay runs in the history: which file (absolute path and content hash) went to which target,
with which options, and how far it got, so that a replay killed at any moment can be resumed.

Each entry a replay writes carries its run id and the position of its event in the file
(``entry.run_id``, ``entry.run_index``); a run's progress is read back from those entries, so
nothing but the entries themselves has to be committed per send.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from composer.storage import db

RUN_STATES = ("running", "stopped", "finished")
"""``running``: a process is on it, or was until it died (kill -9, power cut); ``stopped``:
interrupted cleanly (Ctrl-C, SIGTERM, the target stopped answering); ``finished``: every event
of the file was dealt with."""

_COLUMNS = (
    "id, path, content_hash, events, target, account, revision, options, started_ms, "
    "updated_ms, state, sessions, writer_pid"
)


@dataclass(frozen=True, slots=True)
class ReplayRun:
    """One replay of one file, possibly over several sessions (the first and its resumptions)."""

    id: str
    path: str
    """The file's absolute path (``<stdin>`` for standard input, which cannot be resumed)."""
    content_hash: str
    """``sha256:`` and the hex digest of the file's bytes."""
    events: int
    target: str
    account: str | None
    revision: str
    force: bool
    fill_unique_id: bool
    started_ms: int
    updated_ms: int
    state: str
    sessions: int = 1
    writer_pid: int | None = None
    bulk: bool = False
    """Sent through Bulk Create Events (``replay --bulk``): one history entry per job."""
    job_size: int | None = None
    """With ``bulk``: the most events one job of the run carries (``--job-size``), which a
    resume packs by too; None for a run recorded before the size was."""


@dataclass(frozen=True, slots=True)
class RunEventState:
    """What the history knows of one event of a run, over every send of it."""

    index: int
    sends: int
    """Entries written for it (one per send; a resumption adds one)."""
    accepted: bool
    """Some send of it was accepted (its entry's delivery state)."""
    unique_id: str | None = None
    """The unique_id the accepted send carried."""


def _run_from(row: tuple[Any, ...]) -> ReplayRun:
    (rid, path, digest, events, target, account, revision, options, started, updated, state,
     sessions, pid) = row  # fmt: skip
    opts = json.loads(options) if options else {}
    return ReplayRun(
        id=rid,
        path=path,
        content_hash=digest,
        events=int(events),
        target=target,
        account=account,
        revision=revision,
        force=bool(opts.get("force", False)),
        fill_unique_id=bool(opts.get("fill_unique_id", True)),
        started_ms=int(started),
        updated_ms=int(updated),
        state=state,
        sessions=int(sessions),
        writer_pid=pid,
        bulk=bool(opts.get("bulk", False)),
        job_size=_positive(opts.get("job_size")),
    )


def _positive(value: object) -> int | None:
    """A recorded count when it is a whole number above 0 (else it is not trusted)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


class ReplayRuns:
    """The replay runs of one history database (``HistoryStore.runs``)."""

    def __init__(self, run: Callable[..., Any]) -> None:
        # ``run(fn, *args)`` calls ``fn(conn, *args)`` on this thread's connection and turns
        # database errors into a plain HistoryError (HistoryStore._run).
        self._run = run

    def start(self, run: ReplayRun) -> None:
        """Record a new run before its first send."""
        options: dict[str, bool | int] = {
            "force": run.force,
            "fill_unique_id": run.fill_unique_id,
        }
        if run.bulk:
            options["bulk"] = True
            if run.job_size is not None:
                options["job_size"] = run.job_size

        def write(conn: sqlite3.Connection) -> None:
            with db.write_transaction(conn):
                conn.execute(
                    f"INSERT INTO replay_run ({_COLUMNS}) "  # noqa: S608 (fixed column list)
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run.id,
                        run.path,
                        run.content_hash,
                        run.events,
                        run.target,
                        run.account,
                        run.revision,
                        json.dumps(options),
                        run.started_ms,
                        run.updated_ms,
                        run.state,
                        run.sessions,
                        run.writer_pid,
                    ),
                )

        self._run(write)

    def set_state(self, run_id: str, state: str, *, pid: int | None, new_session: bool) -> None:
        """Mark a run ``running`` (by ``pid``; ``new_session`` when resuming it), ``stopped``
        or ``finished``."""
        if state not in RUN_STATES:
            raise ValueError(f"unknown run state {state!r}")
        now = int(time.time() * 1000)

        def write(conn: sqlite3.Connection) -> None:
            with db.write_transaction(conn):
                conn.execute(
                    "UPDATE replay_run SET state = ?, updated_ms = ?, writer_pid = ?, "
                    "sessions = sessions + ? WHERE id = ?",
                    (state, now, pid, int(new_session), run_id),
                )

        self._run(write)

    def set_file(self, run_id: str, events: int, content_hash: str) -> None:
        """The number of events and the content hash of a run's input, once read to its end
        (a replay of standard input or a pipe reads it once, as it comes, and learns them
        only then)."""

        def write(conn: sqlite3.Connection) -> None:
            with db.write_transaction(conn):
                conn.execute(
                    "UPDATE replay_run SET events = ?, content_hash = ? WHERE id = ?",
                    (events, content_hash, run_id),
                )

        self._run(write)

    def get(self, run_id: str) -> ReplayRun | None:
        """The run with this id, or None."""
        sql = f"SELECT {_COLUMNS} FROM replay_run WHERE id = ?"  # noqa: S608
        row = self._run(lambda c: c.execute(sql, (run_id,)).fetchone())
        return None if row is None else _run_from(row)

    def of_file(self, path: str) -> list[ReplayRun]:
        """Every run of the file at ``path``, newest first."""
        sql = (
            f"SELECT {_COLUMNS} FROM replay_run WHERE path = ? "  # noqa: S608
            "ORDER BY started_ms DESC, rowid DESC"
        )
        rows = self._run(lambda c: c.execute(sql, (path,)).fetchall())
        return [_run_from(r) for r in rows]

    def event_states(self, run_id: str) -> dict[int, RunEventState]:
        """Per position in the file, what the run's entries say (positions never sent, or whose
        history row could not be written, are absent)."""

        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            # Single sends carry their position on the entry; a job's events on job_event.
            return conn.execute(
                "SELECT run_index, COUNT(*), MAX(delivery = 'accepted'), "
                "MAX(CASE WHEN delivery = 'accepted' THEN unique_id END) FROM ("
                " SELECT run_index, delivery, unique_id FROM entry"
                " WHERE run_id = ? AND run_index IS NOT NULL"
                " UNION ALL"
                " SELECT je.run_index, e.delivery, je.unique_id FROM entry e"
                " JOIN job_event je ON je.entry_id = e.id WHERE e.run_id = ?"
                ") GROUP BY run_index",
                (run_id, run_id),
            ).fetchall()

        states: dict[int, RunEventState] = {}
        for index, sends, accepted, unique_id in self._run(read):
            if index is None:
                continue
            states[int(index)] = RunEventState(int(index), sends, bool(accepted), unique_id)
        return states

    def marks(self, run_id: str, events: int) -> tuple[bytearray, bytearray]:
        """Two maps of the run's positions ``0..events-1``, one byte each (a million events
        take 2 MB, not a dict of a million states): the first marks positions some send of
        which was accepted, the second positions sent at least once. Rows are read as a
        stream, never all at once."""
        accepted = bytearray(events)
        sent = bytearray(events)

        def read(conn: sqlite3.Connection) -> None:
            rows = conn.execute(
                "SELECT run_index, delivery = 'accepted' FROM entry"
                " WHERE run_id = ? AND run_index IS NOT NULL"
                " UNION ALL"
                " SELECT je.run_index, e.delivery = 'accepted' FROM entry e"
                " JOIN job_event je ON je.entry_id = e.id WHERE e.run_id = ?",
                (run_id, run_id),
            )
            for index, ok in rows:
                if index is None or not 0 <= index < events:
                    continue
                sent[index] = 1
                if ok:
                    accepted[index] = 1

        self._run(read)
        return accepted, sent
