"""A damaged history is moved aside, never deleted, so the app can start with a fresh one."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.storage import open_storage
from composer.storage.db import HistoryError
from composer.storage.paths import StoragePaths, move_history_aside


def test_a_damaged_history_is_kept_and_a_fresh_one_opens(tmp_path: Path) -> None:
    paths = StoragePaths.resolve(tmp_path)
    paths.ensure()
    paths.history_db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError):
        open_storage(tmp_path)

    moved = move_history_aside(paths, "20261126-120000")

    assert moved.read_bytes().startswith(b"this is not a database")
    with open_storage(tmp_path) as storage:
        assert storage.history.count() == 0
        assert storage.history.integrity_check() == "ok"
