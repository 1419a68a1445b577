"""The send history: one SQLite entry per send, written pending first and completed after.

``HistoryStore`` implements the services' ``HistorySink`` (``begin``/``complete``) structurally:
storage sits below services and does not import them. It is safe to use from several threads
(each thread gets its own connection) and from several processes at once (see ``db``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from composer.domain.bulk_pack import is_job_url, job_event_bodies
from composer.domain.outcome import RequestRecord, SendOutcome, redact_headers
from composer.storage import db
from composer.storage.db import HistoryDamaged, HistoryError
from composer.storage.records import (
    VERIFICATIONS,
    EntryContext,
    HistoryEntry,
    HistoryQuery,
    HistoryRow,
    JobEventRow,
    attempts_from_json,
    attempts_to_json,
    datetime_to_ms,
    delivery_of,
    describe_body,
    error_from_json,
    findings_from_json,
    findings_to_json,
    headers_from_json,
    headers_to_json,
    notes_from_json,
    notes_to_json,
    rate_limit_from_json,
    rate_limit_to_json,
    status_class,
    unique_id_of,
)
from composer.storage.runs import ReplayRuns
from composer.storage.search_text import (
    as_read,
    fts_query,
    index_text,
    symbol_words,
)

if TYPE_CHECKING:
    from composer.storage.imports import ImportResult

__all__ = [
    "HistoryDamaged",
    "HistoryEntry",
    "HistoryError",
    "HistoryQuery",
    "HistoryRow",
    "HistoryStore",
    "JobEventRow",
    "fts_query",
]

log = logging.getLogger(__name__)

# The response text indexed for search; bodies beyond this are stored whole but searched in part.
_FTS_RESPONSE_CHARS = 64_000

_ROW_FIELDS = (
    "id, created_ms, state, target, account, revision, method, url, metric, profile, status, "
    "status_class, total_ms, error_kind, finding_count, delivery, unique_id, run_id, run_index, "
    "verification, verification_evidence, verified_ms, environment"
)
_ROW_COUNT = 23
_ENTRY_FIELDS = (
    _ROW_FIELDS + ", completed_ms, request_headers, request_body, response_headers, "
    "response_body, findings, attempts, rate_limit, error_message, template, notes, error_sent"
)
# Qualified, since the search index has columns of the same names.
_ROW_COLUMNS = ", ".join("e." + c.strip() for c in _ROW_FIELDS.split(","))
# A send whose last try got no answer: the status an earlier try got (a 429, a 503), if any, so
# the listing does not read "no response" as though the server never answered. Read from the
# attempts only for such rows (few), and never from attempts that are not valid JSON.
_ANSWERED = (
    "(CASE WHEN e.status IS NULL AND e.attempts IS NOT NULL AND json_valid(e.attempts) THEN "
    "(SELECT json_extract(a.value, '$.status') FROM json_each(e.attempts) a "
    "WHERE json_extract(a.value, '$.status') IS NOT NULL "
    "ORDER BY CAST(a.key AS INTEGER) DESC LIMIT 1) END)"
)
_ENTRY_COLUMNS = ", ".join("e." + c.strip() for c in _ENTRY_FIELDS.split(","))
_INSERT = (
    "INSERT INTO entry (created_ms, completed_ms, state, target, account, revision, method, "
    "url, request_headers, request_body, metric, profile, status, status_class, "
    "response_headers, response_body, findings, finding_count, attempts, total_ms, rate_limit, "
    "error_kind, error_message, writer_pid, run_id, run_index, delivery, unique_id, template, "
    "environment, notes, error_sent) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?)"
)
_INSERT_FTS = (
    "INSERT INTO entry_fts (rowid, metric, profile, properties, response) VALUES (?, ?, ?, ?, ?)"
)


_INSERT_JOB = (
    "INSERT INTO job_event (entry_id, position, run_index, line, metric, profile, unique_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _job_rows(context: EntryContext) -> list[tuple[Any, ...]]:
    """The job_event rows of a Bulk Create Events entry (none for a single send)."""
    members = getattr(context, "job_events", ()) or ()
    return [(n, m.index, m.line, m.metric, m.profile, m.unique_id) for n, m in enumerate(members)]


def _folded(text: str) -> str:
    """``text`` without case or accents ("Zoë" -> "zoe"), as the full-text index compares
    words (unicode61, diacritics removed), so that a job's events match the search that
    found the job."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class HistoryStore:
    """The history database at ``path`` (created, and migrated to the current schema, on open)."""

    def __init__(self, path: Path, *, check: bool = True) -> None:
        """Open (create, migrate) the history at ``path``. ``check`` reads the whole file for
        damage first (:meth:`check`); without it the check is the caller's to run soon after
        (the window runs it once it is on screen), unless the schema must be migrated: a
        damaged file is never written to."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._closed = True
        self._open(check=check)

    def _open(self, *, check: bool) -> None:
        # The connections are set up aside and put in place at the end: another thread
        # meanwhile gets "the history is closed", never a half-made file.
        local = threading.local()
        conn = db.connect(self.path)
        try:
            # True once the whole file was read for damage (``check``)
            checked = check or db.needs_migration(conn, self.path)
            if checked:
                # damage found now, not halfway through an export
                db.check(conn, self.path)
            version = db.migrate(conn, self.path)
        except BaseException:
            conn.close()
            self._closed = True
            raise
        local.conn = conn
        self.checked = checked
        self.schema_version = version
        self.runs = ReplayRuns(self._run)
        """The replay runs recorded in this history (file, hash, target, progress)."""
        with self._lock:
            self._local, self._all, self._closed = local, [conn], False

    # -- connections -------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise HistoryError(f"{self.path}: the history is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = db.connect(self.path)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def check(self) -> None:
        """Raise :class:`HistoryDamaged` when the file is damaged anywhere (every page of
        every table and index, and the search index); see :func:`db.check`."""
        db.check(self._conn(), self.path)
        self.checked = True

    def start_afresh(self, stamp: str) -> Path:
        """Close the (damaged) file, rename it and its WAL and shared-memory files to
        ``history.sqlite3.unreadable-STAMP`` (nothing is deleted) and go on with a new, empty
        history at the same path. Returns the new name of the old file. Nothing may be
        reading through this store meanwhile."""
        from composer.storage.paths import move_database_aside

        self.close()
        moved = move_database_aside(self.path, stamp)
        self._open(check=True)
        return moved

    def close(self) -> None:
        """Close every connection (from any thread). The store cannot be used afterwards."""
        self._closed = True
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, fn: Any, *args: Any) -> Any:
        """Call ``fn(conn, *args)``, turning database errors into a plain HistoryError."""
        try:
            return fn(self._conn(), *args)
        except sqlite3.DatabaseError as exc:
            raise db.error_for(self.path, exc) from None

    # -- the HistorySink protocol ------------------------------------------------------------

    def begin(self, request: RequestRecord, context: EntryContext) -> int:
        """Write a pending entry before the request goes out; returns its id."""
        now = int(time.time() * 1000)
        row, fts = _new_row(request, context, None, now, "pending")

        jobs = _job_rows(context)

        def write(conn: sqlite3.Connection) -> int:
            with db.write_transaction(conn):
                entry_id = int(conn.execute(_INSERT, row).lastrowid or 0)
                conn.execute(_INSERT_FTS, (entry_id, *fts))
                if jobs:
                    conn.executemany(_INSERT_JOB, [(entry_id, *j) for j in jobs])
            return entry_id

        entry_id: int = self._run(write)
        return entry_id

    def complete(self, entry_id: int, outcome: SendOutcome) -> None:
        """Record the outcome of a pending entry (a response of any status, or a transport
        error). An entry deleted meanwhile (retention, clear) is silently left deleted."""
        now = int(time.time() * 1000)
        response_text = _search_response(outcome.response_body)

        def write(conn: sqlite3.Connection) -> None:
            with db.write_transaction(conn):
                conn.execute(
                    "UPDATE entry SET state = 'complete', completed_ms = ?, status = ?, "
                    "status_class = ?, response_headers = ?, response_body = ?, findings = ?, "
                    "finding_count = ?, attempts = ?, total_ms = ?, rate_limit = ?, "
                    "error_kind = ?, error_message = ?, delivery = ?, notes = ?, error_sent = ? "
                    "WHERE id = ?",
                    (*_outcome_columns(outcome, now), entry_id),
                )
                # An FTS update re-reads the row's whole text (a job's is up to 5 MB) to
                # delete it and index it again: done only when the response text changes
                # (most answers, 202 without a body, leave it as the pending entry wrote it).
                conn.execute(
                    "UPDATE entry_fts SET response = ? WHERE rowid = ? AND response IS NOT ?",
                    (response_text, entry_id, response_text),
                )

        self._run(write)

    def record_verification(
        self, entry_id: int, outcome: str, evidence: Mapping[str, Any] | None = None
    ) -> bool:
        """Record the read-back verdict of an entry (``landed``, ``not_seen``, ``cannot_check``
        or ``skipped``) and its evidence (a JSON object: event id, causes, missing scope...),
        replacing an earlier verdict. Returns False when the entry no longer exists."""
        if outcome not in VERIFICATIONS:
            raise ValueError(
                f"verification outcome {outcome!r} is not one of {', '.join(VERIFICATIONS)}"
            )
        detail = {k: v for k, v in (evidence or {}).items() if k != "outcome"}
        # default=str: evidence is for reading back; an odd value must not lose the verdict.
        text = json.dumps(detail, ensure_ascii=False, default=str)
        now = int(time.time() * 1000)

        def write(conn: sqlite3.Connection) -> int:
            with db.write_transaction(conn):
                cur = conn.execute(
                    "UPDATE entry SET verification = ?, verification_evidence = ?, "
                    "verified_ms = ? WHERE id = ?",
                    (outcome, text, now, int(entry_id)),
                )
            return cur.rowcount

        changed: int = self._run(write)
        return changed > 0

    def record_verifications(
        self, verdicts: Iterable[tuple[int, str, Mapping[str, Any] | None]]
    ) -> list[int]:
        """Record many verdicts (entry id, outcome, evidence) in one transaction, as
        :meth:`record_verification` records one (a replay's read-back decides them by the
        hundred); returns the ids of the entries that no longer exist."""
        now = int(time.time() * 1000)
        rows: list[tuple[str, str, int, int]] = []
        for entry_id, outcome, evidence in verdicts:
            if outcome not in VERIFICATIONS:
                raise ValueError(
                    f"verification outcome {outcome!r} is not one of {', '.join(VERIFICATIONS)}"
                )
            detail = {k: v for k, v in (evidence or {}).items() if k != "outcome"}
            text = json.dumps(detail, ensure_ascii=False, default=str)
            rows.append((outcome, text, now, int(entry_id)))

        def write(conn: sqlite3.Connection) -> list[int]:
            gone: list[int] = []
            with db.write_transaction(conn):
                for row in rows:
                    cur = conn.execute(
                        "UPDATE entry SET verification = ?, verification_evidence = ?, "
                        "verified_ms = ? WHERE id = ?",
                        row,
                    )
                    if cur.rowcount == 0:
                        gone.append(row[3])
            return gone

        if not rows:
            return []
        missing: list[int] = self._run(write)
        return missing

    # -- bulk writes (imports, tools) --------------------------------------------------------

    def add_many(
        self,
        items: Iterable[tuple[RequestRecord, EntryContext, SendOutcome | None, int]],
        *,
        state: str = "complete",
    ) -> int:
        """Insert finished entries in one transaction: (request, context, outcome or None,
        created_ms). ``state`` is ``complete`` for recorded sends, ``imported`` for events
        that were never sent from here. Returns the number inserted."""
        rows: list[tuple[Any, ...]] = []
        fts: list[tuple[Any, ...]] = []
        jobs: list[tuple[int, list[tuple[Any, ...]]]] = []
        for request, context, outcome, created_ms in items:
            row, fts_row = _new_row(request, context, outcome, created_ms, state)
            job_rows = _job_rows(context)
            if job_rows:
                jobs.append((len(rows), job_rows))
            rows.append(row)
            fts.append(fts_row)
        if not rows:
            return 0

        def write(conn: sqlite3.Connection) -> None:
            with db.write_transaction(conn):
                conn.executemany(_INSERT, rows)
                # We hold the write lock, so the new ids are consecutive and end at the last.
                last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
                first = last - len(rows) + 1
                conn.executemany(_INSERT_FTS, [(first + i, *f) for i, f in enumerate(fts)])
                for i, job_rows in jobs:
                    conn.executemany(_INSERT_JOB, [(first + i, *j) for j in job_rows])

        self._run(write)
        return len(rows)

    def delete(self, ids: Iterable[int]) -> int:
        """Delete these entries; returns how many existed."""
        id_list = json.dumps([int(i) for i in ids])

        def write(conn: sqlite3.Connection) -> int:
            with db.write_transaction(conn):
                cur = conn.execute(
                    "DELETE FROM entry WHERE id IN (SELECT value FROM json_each(?))", (id_list,)
                )
            return cur.rowcount

        deleted: int = self._run(write)
        return deleted

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""

        def write(conn: sqlite3.Connection) -> int:
            with db.write_transaction(conn):
                count = conn.execute("SELECT COUNT(*) FROM entry").fetchone()[0]
                conn.execute("DELETE FROM entry")
                conn.execute("DELETE FROM entry_fts")
                conn.execute("DELETE FROM job_event")
            return int(count)

        cleared: int = self._run(write)
        return cleared

    def apply_retention(
        self,
        keep_last: int | None = None,
        keep_days: float | None = None,
        *,
        now_ms: int | None = None,
    ) -> int:
        """Delete what the user's retention says to drop: all but the newest ``keep_last``
        entries, and entries older than ``keep_days`` days. None keeps everything on that
        count. Returns the number deleted."""
        now = int(time.time() * 1000) if now_ms is None else now_ms

        def write(conn: sqlite3.Connection) -> int:
            deleted = 0
            with db.write_transaction(conn):
                if keep_days is not None:
                    cutoff = now - int(keep_days * 86_400_000)
                    deleted += conn.execute(
                        "DELETE FROM entry WHERE created_ms < ?", (cutoff,)
                    ).rowcount
                if keep_last is not None:
                    deleted += conn.execute(
                        "DELETE FROM entry WHERE id IN (SELECT id FROM entry "
                        "ORDER BY id DESC LIMIT -1 OFFSET ?)",
                        (max(0, int(keep_last)),),
                    ).rowcount
            return deleted

        removed: int = self._run(write)
        if removed:
            log.info("history retention removed %d entries", removed)
        return removed

    # -- reading -----------------------------------------------------------------------------

    def count(self, query: HistoryQuery | None = None) -> int:
        """How many entries match (all of them without a query)."""
        source, where, params, _ = _select(query)
        if where == "WHERE entry_fts MATCH ?":
            # Text alone: FTS5 counts its own matches far faster than a join would, and
            # every entry has exactly one search row.
            source = "entry_fts"
        sql = f"SELECT COUNT(*) FROM {source} {where}"  # noqa: S608 (fixed SQL, bound values)
        result: int = self._run(lambda c: c.execute(sql, params).fetchone()[0])
        return result

    def page(
        self, query: HistoryQuery | None = None, offset: int = 0, limit: int = 100
    ) -> list[HistoryRow]:
        """Rows ``offset`` to ``offset + limit`` of the listing, newest first (in the order
        entries were recorded: an import lands on top, its entries keeping their own times)."""
        source, where, params, order = _select(query)
        sql = (
            f"SELECT {_ROW_COLUMNS}, {_ANSWERED} FROM {source} {where} "  # noqa: S608 (as in count)
            f"ORDER BY {order} DESC LIMIT ? OFFSET ?"
        )
        rows = self._run(lambda c: c.execute(sql, (*params, int(limit), int(offset))).fetchall())
        return [HistoryRow(*r) for r in rows]

    def get(self, entry_id: int) -> HistoryEntry | None:
        """The full entry, or None when there is no entry with this id."""
        sql = f"SELECT {_ENTRY_COLUMNS} FROM entry e WHERE e.id = ?"  # noqa: S608
        found = self._run(lambda c: c.execute(sql, (int(entry_id),)).fetchone())
        return None if found is None else _entry_from(found)

    def iter_entries(
        self, query: HistoryQuery | None = None, batch: int = 500
    ) -> Iterator[HistoryEntry]:
        """Full entries in the order they were recorded (oldest first), read in small batches
        so an export of the whole history neither holds a transaction open nor fills memory."""
        source, where, params, order = _select(query)
        keyset = "AND" if where else "WHERE"
        sql = (
            f"SELECT {_ENTRY_COLUMNS} FROM {source} {where} {keyset} "  # noqa: S608
            f"{order} > ? ORDER BY {order} LIMIT ?"
        )
        last = 0
        while True:
            args = (*params, last, batch)
            rows = self._run(lambda c, a=args: c.execute(sql, a).fetchall())
            for r in rows:
                yield _entry_from(r)
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def job_events(self, entry_id: int, text: str | None = None) -> list[JobEventRow]:
        """The events of a Bulk Create Events entry in body order (none for a single send):
        position in the job, position and line in the replayed file, profile, metric,
        unique_id. With ``text``, only the events that hold every word of it (in their
        profile, metric, unique_id or properties, ignoring case): the ones a search found."""
        rows = self._run(
            lambda c: c.execute(
                "SELECT position, run_index, line, metric, profile, unique_id FROM job_event "
                "WHERE entry_id = ? ORDER BY position",
                (int(entry_id),),
            ).fetchall()
        )
        events = [JobEventRow(*r) for r in rows]
        # every word, those with no letter or digit (an emoji) too, as the search takes them
        words = [_folded(w) for w in (text or "").split()]
        if not events or not words:
            return events
        entry = self.get(entry_id)
        bodies = job_event_bodies(entry.request.body) if entry is not None else []
        found = []
        for event in events:
            body = bodies[event.position] if event.position < len(bodies) else {}
            haystack = _folded(json.dumps(body, ensure_ascii=False))
            if all(w in haystack for w in words):
                found.append(event)
        return found

    def job_event_body(self, entry_id: int, position: int) -> bytes | None:
        """Event ``position`` of a Bulk Create Events entry as the Create Event body that
        sends it alone (e.g. to load it into the composer); None when there is none."""
        entry = self.get(entry_id)
        if entry is None or not is_job_url(entry.request.url):
            return None
        try:
            bodies = job_event_bodies(entry.request.body)
        except ValueError:
            return None
        if not 0 <= position < len(bodies):
            return None
        return json.dumps(bodies[position], ensure_ascii=False, indent=2).encode("utf-8")

    def metrics(self) -> list[str]:
        """Distinct metric names, for a filter's choices."""
        rows = self._run(
            lambda c: c.execute(
                "SELECT DISTINCT metric FROM entry WHERE metric IS NOT NULL ORDER BY metric"
            ).fetchall()
        )
        return [r[0] for r in rows]

    def targets(self) -> list[str]:
        """Distinct targets, for a filter's choices."""
        rows = self._run(
            lambda c: c.execute("SELECT DISTINCT target FROM entry ORDER BY target").fetchall()
        )
        return [r[0] for r in rows]

    def data_version(self) -> int:
        """Changes whenever another connection (another thread or process) commits: poll it
        cheaply to notice entries a CLI replay added while the GUI is open."""
        value: int = self._run(lambda c: c.execute("PRAGMA data_version").fetchone()[0])
        return value

    def integrity_check(self) -> str:
        """``ok`` when the database file is sound, else SQLite's description of the damage."""
        rows = self._run(lambda c: c.execute("PRAGMA integrity_check").fetchall())
        return "\n".join(str(r[0]) for r in rows)

    # -- export and import -------------------------------------------------------------------

    def export(self, fmt: str, out: TextIO, query: HistoryQuery | None = None) -> int:
        """Write the matching entries to ``out`` as ``har``, ``ndjson`` or ``curl``; returns the
        number written (NDJSON skips bodies that are not JSON). The key is never written: the
        Authorization header is stored redacted and cURL uses ``$KLAVIYO_API_KEY``."""
        from composer.storage import exports

        return exports.write(fmt, self.iter_entries(query), out)

    def import_file(self, source: Path | BinaryIO, *, fmt: str | None = None) -> ImportResult:
        """Import NDJSON (or a JSON array) of event bodies, or a HAR file, into the history.
        Returns an ``imports.ImportResult`` (how many, and what was skipped and why)."""
        from composer.storage import imports

        return imports.import_into(self, source, fmt=fmt)


# -- row building ----------------------------------------------------------------------------


def _outcome_columns(outcome: SendOutcome, completed_ms: int) -> tuple[Any, ...]:
    return (
        completed_ms,
        outcome.status,
        status_class(outcome.status, outcome.error, "complete"),
        headers_to_json(outcome.response_headers),
        outcome.response_body,
        findings_to_json(outcome.findings),
        len(outcome.findings),
        attempts_to_json(outcome.attempts),
        outcome.total_ms,
        rate_limit_to_json(outcome.rate_limit),
        outcome.error.kind.value if outcome.error else None,
        outcome.error.message if outcome.error else None,
        delivery_of("complete", outcome.status, outcome.error, outcome.attempts).value,
        notes_to_json(outcome),
        _sent(outcome),
    )


def _sent(outcome: SendOutcome) -> int | None:
    """Whether the request of a send that got no answer may have reached the server, as the
    client saw it (1 or 0), None when unknown or when an answer came."""
    sent = outcome.error.request_sent if outcome.error is not None else None
    return None if sent is None else int(sent)


def _new_row(
    request: RequestRecord,
    context: EntryContext,
    outcome: SendOutcome | None,
    created_ms: int,
    state: str,
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The entry row and its full-text row. Authorization is redacted again here, whoever
    built the request record: the history must never hold a key."""
    body = bytes(request.body)
    metric, profile, props_text = describe_body(body)
    # A job's search row keeps every profile of the job; its listing row shows the context's.
    search_profile = profile if getattr(context, "job_events", ()) else None
    metric = context.metric if context.metric is not None else metric
    profile = context.profile if context.profile is not None else profile
    search_profile = search_profile or profile
    if outcome is not None and state == "complete":
        done = _outcome_columns(outcome, created_ms + int(outcome.total_ms))
    else:
        done = (
            None,
            None,
            status_class(None, None, state),
            None,
            None,
            None,
            0,
            None,
            None,
            None,
            None,
            None,
            delivery_of(state, None, None, ()).value,
            None,
            None,
        )
    (
        completed_ms,
        status,
        klass,
        resp_headers,
        resp_body,
        findings,
        finding_count,
        attempts,
        total_ms,
        rate_limit,
        error_kind,
        error_message,
        delivery,
        notes,
        error_sent,
    ) = done
    row = (
        created_ms,
        completed_ms,
        state,
        context.target,
        context.account,
        context.revision,
        request.method,
        request.url,
        headers_to_json(redact_headers(request.headers)),
        body,
        metric,
        profile,
        status,
        klass,
        resp_headers,
        resp_body,
        findings,
        finding_count,
        attempts,
        total_ms,
        rate_limit,
        error_kind,
        error_message,
        os.getpid(),
        context.run_id,
        context.run_index,
        delivery,
        # A job's events carry their own unique_ids (job_event rows); reading the whole job
        # body (up to 5 MB) here would only find that it has none of its own.
        None if getattr(context, "job_events", ()) else unique_id_of(body),
        context.template,
        context.environment,
        notes,
        error_sent,
    )
    response_text = _search_response(outcome.response_body) if outcome is not None else ""
    fts = (
        index_text(metric or ""),
        index_text(search_profile or ""),
        index_text(props_text),
        response_text,
    )
    return row, fts


def _search_response(body: bytes) -> str:
    """The search column of a response body: its first 64,000 characters, with the
    characters a JSON body spells as escapes, each character of a script without spaces
    a word of its own (``composer.storage.search_text``)."""
    text = body[: _FTS_RESPONSE_CHARS * 4].decode("utf-8", errors="replace")
    return index_text(as_read(text)[:_FTS_RESPONSE_CHARS])


def _entry_from(r: tuple[Any, ...]) -> HistoryEntry:
    row = HistoryRow(*r[:_ROW_COUNT])
    (
        completed_ms,
        req_headers,
        req_body,
        resp_headers,
        resp_body,
        findings,
        attempts,
        rate_limit,
        error_message,
        template,
        notes,
        error_sent,
    ) = r[_ROW_COUNT:]
    error = None
    if row.error_kind:
        sent = None if error_sent is None else bool(error_sent)
        error = error_from_json(
            {"kind": row.error_kind, "message": error_message or "", "request_sent": sent}
        )
    tries = attempts_from_json(attempts)
    if row.status is None:
        answered = [a.status for a in tries if a.status is not None]
        row = dataclasses.replace(row, answered=answered[-1] if answered else None)
    return HistoryEntry(
        row=row,
        request=RequestRecord(
            row.method, row.url, headers_from_json(req_headers), bytes(req_body or b"")
        ),
        completed_ms=completed_ms,
        response_headers=headers_from_json(resp_headers),
        response_body=bytes(resp_body or b""),
        findings=findings_from_json(findings),
        attempts=tries,
        rate_limit=rate_limit_from_json(rate_limit),
        error=error,
        template=template,
        notes=notes_from_json(notes) if row.state == "complete" else None,
    )


_HOLDS = (
    "(instr(entry_fts.metric, ?) OR instr(entry_fts.profile, ?) "
    "OR instr(entry_fts.properties, ?) OR instr(entry_fts.response, ?))"
)
"""A search word with no letter or digit (an emoji, €, ★), which the index holds no word
for: found as it is written in the indexed text. With other words the index finds the
candidates first; alone, every entry's search text is read (0.3 s at 100,000 entries)."""


def _select(query: HistoryQuery | None) -> tuple[str, str, tuple[Any, ...], str]:
    """(FROM source, WHERE clause, parameters, ordering column) for a query, made only of
    fixed SQL fragments; every value is a bound parameter.

    With search text the full-text index drives the query (CROSS JOIN keeps it the outer loop)
    and its rowid gives the order, so the newest page of a common word stops after one page
    of matches instead of collecting and sorting them all."""
    source, order = "entry e", "e.id"
    if query is None:
        return source, "", (), order
    clauses: list[str] = []
    params: list[Any] = []
    if query.text:
        match = fts_query(query.text)
        symbols = symbol_words(query.text)
        if match is not None or symbols:
            source = "entry_fts CROSS JOIN entry e ON e.id = entry_fts.rowid"
            order = "entry_fts.rowid"
        if match is not None:
            clauses.append("entry_fts MATCH ?")
            params.append(match)
        for word in symbols:
            # no word of the index (an emoji, €): the text itself, in the indexed columns
            clauses.append(_HOLDS)
            params.extend([word] * 4)
    if query.deliveries:
        marks = ", ".join("?" for _ in query.deliveries)
        clauses.append(f"e.delivery IN ({marks})")
        params.extend(query.deliveries)
    if query.verifications:
        checked = [v for v in query.verifications if v != "unchecked"]
        either: list[str] = []
        if checked:
            either.append(f"e.verification IN ({', '.join('?' for _ in checked)})")
            params.extend(checked)
        if "unchecked" in query.verifications:
            either.append("e.verification IS NULL")
        clauses.append("(" + " OR ".join(either) + ")")
    if query.status_classes:
        marks = ", ".join("?" for _ in query.status_classes)
        clauses.append(f"e.status_class IN ({marks})")
        params.extend(query.status_classes)
    for column in ("metric", "target", "account"):
        value = getattr(query, column)
        if value is not None:
            clauses.append(f"e.{column} = ?")
            params.append(value)
    if query.since is not None:
        clauses.append("e.created_ms >= ?")
        params.append(datetime_to_ms(query.since))
    if query.until is not None:
        clauses.append("e.created_ms < ?")
        params.append(datetime_to_ms(query.until))
    if query.ids is not None:
        clauses.append("e.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps([int(i) for i in query.ids]))
    return source, ("WHERE " + " AND ".join(clauses)) if clauses else "", tuple(params), order
