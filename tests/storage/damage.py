"""Real damage to a real history file: bytes overwritten in one page of one table or index."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path

from composer.storage.history import HistoryStore
from tests.storage import factories as f


def make_history(path: Path, entries: int = 1500) -> None:
    """A history written by the app's own store, checkpointed into the main file."""
    with HistoryStore(path) as store:
        store.add_many(
            [
                (f.request(f.body(email=f"user{i}@example.com")), f.context(), None, 1000 + i)
                for i in range(entries)
            ],
            state="imported",
        )
        store._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")


def pages_of(path: Path, btree: str) -> list[int]:
    """The page numbers of one table or index (SQLite's dbstat)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT pageno FROM dbstat WHERE name = ?", (btree,)).fetchall()
    conn.close()
    return sorted(r[0] for r in rows)


def damage_page(path: Path, btree: str, seed: int = 7) -> int:
    """Overwrite 600 bytes in the middle page of ``btree`` with random ones; returns the page."""
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    pages = pages_of(path, btree)
    page = pages[len(pages) // 2]
    noise = random.Random(seed).randbytes(600)
    with path.open("r+b") as fh:
        fh.seek((page - 1) * size + 200)
        fh.write(noise)
    return page


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
