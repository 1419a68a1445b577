"""The history database: connections tuned for two writers at once, and schema migrations.

The GUI and a CLI replay may write to the same file at the same time. WAL lets readers and one
writer proceed together; ``busy_timeout`` makes the other writer wait its turn instead of failing;
every write is one short ``BEGIN IMMEDIATE`` transaction so nobody waits long. ``synchronous =
NORMAL`` in WAL mode keeps every committed transaction through a process crash (kill -9); only a
power cut can drop the last few, and it never corrupts the file.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


class HistoryError(Exception):
    """The history database cannot be opened or written; the message says why in plain words."""


class HistoryDamaged(HistoryError):
    """The history file is damaged (or is not a history database); ``path`` is the file. It
    can be moved aside (:func:`composer.storage.paths.move_history_aside`), nothing deleted."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


Step = str | Callable[[sqlite3.Connection], None]
"""One step of a migration: an SQL statement, or a function that rewrites rows in Python."""


def _fill_delivery(conn: sqlite3.Connection) -> None:
    # Imported lazily: the rule lives in domain, the column mapping in records.
    from composer.storage.records import backfill_delivery

    backfill_delivery(conn)


def _reindex_spaceless(conn: sqlite3.Connection) -> None:
    from composer.storage.search_text import reindex_spaceless

    reindex_spaceless(conn)


# Each migration is a list of steps, applied in one transaction; the database's
# ``user_version`` is the number of migrations applied. Never edit a released migration: add one.
MIGRATIONS: list[list[Step]] = [
    # v1: entries, their full-text index, and the indexes the listing and filters use.
    [
        """CREATE TABLE entry (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_ms INTEGER NOT NULL,
            completed_ms INTEGER,
            state TEXT NOT NULL CHECK (state IN ('pending', 'complete', 'imported')),
            target TEXT NOT NULL,
            account TEXT,
            revision TEXT NOT NULL,
            method TEXT NOT NULL,
            url TEXT NOT NULL,
            request_headers TEXT NOT NULL,
            request_body BLOB NOT NULL,
            metric TEXT,
            profile TEXT,
            status INTEGER,
            status_class TEXT NOT NULL,
            response_headers TEXT,
            response_body BLOB,
            findings TEXT,
            finding_count INTEGER NOT NULL DEFAULT 0,
            attempts TEXT,
            total_ms REAL,
            rate_limit TEXT,
            error_kind TEXT,
            error_message TEXT,
            writer_pid INTEGER
        )""",
        # The listing is in id order (newest first); each index ends in the rowid implicitly,
        # so a filtered listing walks its index backwards and stops after one page.
        "CREATE INDEX entry_by_time ON entry (created_ms)",
        "CREATE INDEX entry_by_class ON entry (status_class)",
        "CREATE INDEX entry_by_metric ON entry (metric)",
        "CREATE INDEX entry_by_target ON entry (target)",
        "CREATE VIRTUAL TABLE entry_fts USING fts5 (metric, profile, properties, response)",
        """CREATE TRIGGER entry_fts_delete AFTER DELETE ON entry BEGIN
            DELETE FROM entry_fts WHERE rowid = old.id;
        END""",
    ],
    # v2: replay runs (so a replay killed at any moment can be resumed) and, on each entry,
    # the run and the position in the run's file it was sent for.
    [
        """CREATE TABLE replay_run (
            id TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            events INTEGER NOT NULL,
            target TEXT NOT NULL,
            account TEXT,
            revision TEXT NOT NULL,
            options TEXT NOT NULL,
            started_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('running', 'stopped', 'finished')),
            sessions INTEGER NOT NULL DEFAULT 1,
            writer_pid INTEGER
        )""",
        "CREATE INDEX replay_run_by_path ON replay_run (path, started_ms)",
        "ALTER TABLE entry ADD COLUMN run_id TEXT",
        "ALTER TABLE entry ADD COLUMN run_index INTEGER",
        "CREATE INDEX entry_by_run ON entry (run_id, run_index) WHERE run_id IS NOT NULL",
    ],
    # v3: what is known about each send's delivery, and the unique_id it was sent with (so a
    # resend can keep it). Entries already written get both from what they recorded.
    [
        "ALTER TABLE entry ADD COLUMN delivery TEXT NOT NULL DEFAULT 'unknown' CHECK "
        "(delivery IN ('accepted', 'not_accepted', 'unknown', 'not_sent'))",
        "ALTER TABLE entry ADD COLUMN unique_id TEXT",
        _fill_delivery,
        "CREATE INDEX entry_by_delivery ON entry (delivery)",
    ],
    # v4: the read-back verdict of each accepted send (did Klaviyo record it?): its outcome,
    # its evidence as JSON and when it was checked. NULL for entries never checked, which is
    # every entry an earlier release wrote.
    [
        "ALTER TABLE entry ADD COLUMN verification TEXT CHECK (verification IS NULL OR "
        "verification IN ('landed', 'not_seen', 'cannot_check', 'skipped'))",
        "ALTER TABLE entry ADD COLUMN verification_evidence TEXT",
        "ALTER TABLE entry ADD COLUMN verified_ms INTEGER",
        "CREATE INDEX entry_by_verification ON entry (verification)",
    ],
    # v5: the events of each Bulk Create Events job (one entry per job): where each came from
    # in the replayed file (run_index, line), its profile, metric and unique_id. Its delivery
    # is its job's. The job's entry carries the run id; entries of single sends have no rows.
    [
        """CREATE TABLE job_event (
            entry_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            run_index INTEGER,
            line INTEGER,
            metric TEXT,
            profile TEXT,
            unique_id TEXT,
            PRIMARY KEY (entry_id, position)
        ) WITHOUT ROWID""",
        """CREATE TRIGGER job_event_delete AFTER DELETE ON entry BEGIN
            DELETE FROM job_event WHERE entry_id = old.id;
        END""",
    ],
    # v6: the verdict filters, "accepted, not checked" above all (verification IS NULL and
    # delivery 'accepted'), page and count from one index instead of visiting every accepted
    # entry (at 100,000 entries: 2 ms instead of 130 ms). It replaces v4's index on the
    # verdict alone, which is its prefix.
    [
        "CREATE INDEX entry_by_verdict_delivery ON entry (verification, delivery)",
        "DROP INDEX entry_by_verification",
    ],
    # v7: the template of a send whose event held variables ({{$uuid}}, {{name}}): the text as
    # written, while request_body keeps the exact resolved bytes sent; and the environment it
    # was resolved with. NULL for sends without variables, which is every earlier entry.
    [
        "ALTER TABLE entry ADD COLUMN template TEXT",
        "ALTER TABLE entry ADD COLUMN environment TEXT",
    ],
    # v8: what an outcome said besides its status and attempts, so an entry opened again says
    # what the send said when it ended: its notes (a 202 whose body was cut short, "not
    # retried: no unique_id", a wait longer than allowed...) as a JSON array, and whether the
    # request of a send that got no answer may have reached the server (1, 0; NULL unknown).
    # NULL notes: the entry was recorded before notes were kept (every earlier entry), or has
    # no outcome (pending, imported); it says nothing about notes it may have had.
    [
        "ALTER TABLE entry ADD COLUMN notes TEXT",
        "ALTER TABLE entry ADD COLUMN error_sent INTEGER",
    ],
    # v9: search finds part of a word in Chinese, Japanese or Korean ("京都" in "東京都"):
    # each character of a script written without spaces is a word of the index of its own
    # (composer.storage.search_text). The search rows an earlier release wrote with such text,
    # or with a JSON response spelling characters as escapes, are indexed again that way.
    [_reindex_spaceless],
]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with the pragmas we rely on."""
    try:
        conn = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("history database is in %s mode, not WAL", mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn
    except sqlite3.DatabaseError as exc:
        raise _error(path, exc) from None


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One short write transaction; it takes the write lock up front so it cannot deadlock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def check(conn: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`HistoryDamaged` when the file is damaged anywhere, not only where the
    first page read happens to look: SQLite's ``quick_check`` reads every page of every table
    and index, and FTS5's own check reads the search index, which ``quick_check`` takes for
    plain data. (About 0.7 s for 100,000 entries; milliseconds for a few thousand.)"""
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise _error(path, exc) from None
    found = [
        line
        for row in rows
        for line in str(row[0]).splitlines()
        if line != "ok" and not line.startswith("*** in database")
    ]
    if found:
        more = f", and {len(found) - 1} more problems" if len(found) > 1 else ""
        raise HistoryDamaged(path, _damaged(path, f"{found[0]}{more}"))
    has_index = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'entry_fts'"
    ).fetchone()
    if not has_index:
        return
    try:
        conn.execute("INSERT INTO entry_fts (entry_fts, rank) VALUES ('integrity-check', 0)")
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "malformed" in text or "corrupt" in text:
            raise HistoryDamaged(path, _damaged(path, f"its search index: {text}")) from None
        # Read-only or busy: this check needs a write lock; the data itself was checked.
        log.warning("the history's search index was not checked: %s", text)


def _damaged(path: Path, detail: str) -> str:
    return (
        f"{path}: the history file is damaged or is not a history database ({detail}). "
        "Nothing in it was changed. It can "
        "be moved aside (renamed, nothing deleted) to start a new history; the old file is "
        "kept for recovery."
    )


def _error(path: Path, exc: sqlite3.DatabaseError) -> HistoryError:
    text = str(exc)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return HistoryDamaged(path, _damaged(path, text))
    return HistoryError(_explain(path, exc))


def needs_migration(conn: sqlite3.Connection, path: Path) -> bool:
    """True when the file's schema is older than this release's (a new file included)."""
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0]) < SCHEMA_VERSION
    except sqlite3.DatabaseError as exc:
        raise _error(path, exc) from None


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the schema up to date; safe when two processes open a new file at once."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{path}: the history was written by a newer Event Composer (schema version "
                f"{version}; this version knows up to {SCHEMA_VERSION}). Update the app, or "
                "point --data-dir at another folder."
            )
        if version == SCHEMA_VERSION:
            return version
        with write_transaction(conn):
            # Read again under the write lock: another process may have migrated meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, SCHEMA_VERSION):
                for step in MIGRATIONS[number]:
                    if isinstance(step, str):
                        conn.execute(step)
                    else:
                        step(conn)
                log.info("history schema migrated to version %d", number + 1)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return SCHEMA_VERSION
    except sqlite3.DatabaseError as exc:
        raise _error(path, exc) from None


def _explain(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return (
            f"{path}: the history file is damaged or is not a history database ({text}). "
            "Move it aside to start a new history; the old file is kept for recovery."
        )
    if "locked" in text or "busy" in text:
        return (
            f"{path}: the history is busy: another Event Composer kept it locked for more "
            f"than {BUSY_TIMEOUT_MS // 1000} s. Try again."
        )
    if "readonly" in text or "unable to open" in text:
        return (
            f"{path}: the history cannot be opened for writing ({text}); check the folder "
            "exists and its permissions."
        )
    return f"{path}: history database error: {text}"


def explain(path: Path, exc: sqlite3.DatabaseError) -> str:
    """A plain sentence for a database error (no SQL, no traceback)."""
    return _explain(path, exc)


def error_for(path: Path, exc: sqlite3.DatabaseError) -> HistoryError:
    """The :class:`HistoryError` for a database error (:class:`HistoryDamaged` for damage)."""
    return _error(path, exc)
