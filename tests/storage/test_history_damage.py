"""A partly damaged history is found when it is opened, whichever page is damaged: not by an
export that stops halfway, nor by a search that fails later. Nothing in the file is changed,
and it can be moved aside to start a new one."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.storage import open_storage
from composer.storage.db import HistoryDamaged
from composer.storage.history import HistoryStore
from composer.storage.paths import StoragePaths, move_history_aside
from tests.storage.damage import damage_page, digest, make_history


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("pristine") / "history.sqlite3"
    make_history(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    "btree",
    [
        "entry",  # the entries themselves
        "entry_by_time",  # an index the listing uses
        "entry_fts_data",  # the search index (quick_check reads it as plain data)
        "entry_fts_content",
    ],
)
def test_damage_anywhere_is_found_when_the_history_opens(
    tmp_path: Path, pristine: bytes, btree: str
) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(pristine)
    with HistoryStore(path) as sound:
        assert sound.count() == 1500
    page = damage_page(path, btree)
    before = digest(path)

    with pytest.raises(HistoryDamaged) as raised:
        HistoryStore(path)

    message = str(raised.value)
    assert raised.value.path == path
    assert str(path) in message and "damaged" in message and "moved aside" in message
    if btree != "entry_fts_data":
        assert f"page {page}" in message  # SQLite's own finding, first of them
    assert digest(path) == before  # opening it changed nothing


def test_a_damaged_history_can_be_moved_aside_and_a_new_one_starts(
    tmp_path: Path, pristine: bytes
) -> None:
    paths = StoragePaths.resolve(tmp_path)
    paths.ensure()
    paths.history_db.write_bytes(pristine)
    damage_page(paths.history_db, "entry")
    damaged = paths.history_db.read_bytes()
    with pytest.raises(HistoryDamaged):
        open_storage(tmp_path)

    moved = move_history_aside(paths, "20261130-030000")

    assert moved.read_bytes() == damaged  # kept for recovery, byte for byte
    with open_storage(tmp_path) as storage:
        assert storage.history.count() == 0
        assert storage.history.integrity_check() == "ok"


def test_a_sound_history_opens_as_before(tmp_path: Path, pristine: bytes) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(pristine)
    before = digest(path)
    with HistoryStore(path) as store:
        assert store.count() == 1500
        assert len(store.page(None, 0, 50)) == 50
    assert digest(path) == before
