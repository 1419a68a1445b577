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


def test_a_deferred_check_opens_the_file_and_finds_the_damage_later(
    tmp_path: Path, pristine: bytes
) -> None:
    # The window opens the history without reading all of it, and checks once it is on
    # screen: the damage is still found, and nothing in the file was changed meanwhile.
    paths = StoragePaths.resolve(tmp_path)
    paths.ensure()
    paths.history_db.write_bytes(pristine)
    (tmp_path / "settings.json").write_text('{"retention": {"keep_last": 10}}')
    damage_page(paths.history_db, "entry")
    before = digest(paths.history_db)

    storage = open_storage(tmp_path, defer_checks=True)
    try:
        with pytest.raises(HistoryDamaged) as raised:
            storage.finish_opening()
        assert raised.value.path == paths.history_db
        assert "damaged" in str(raised.value) and "moved aside" in str(raised.value)
    finally:
        storage.close()
    assert digest(paths.history_db) == before  # the retention did not write to it either


def test_the_retention_waits_for_the_deferred_check(tmp_path: Path, pristine: bytes) -> None:
    paths = StoragePaths.resolve(tmp_path)
    paths.ensure()
    paths.history_db.write_bytes(pristine)
    (tmp_path / "settings.json").write_text('{"retention": {"keep_last": 100}}')
    with open_storage(tmp_path, defer_checks=True) as storage:
        assert storage.history.count() == 1500
        assert storage.finish_opening() == 1400
        assert storage.history.count() == 100
        assert storage.finish_opening() == 0  # once
    with open_storage(tmp_path) as storage:  # the command line still checks at once
        assert storage.history.checked and storage.history.count() == 100


def test_a_damaged_history_in_use_can_start_afresh_in_place(
    tmp_path: Path, pristine: bytes
) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(pristine)
    damage_page(path, "entry_by_time")
    damaged = path.read_bytes()
    store = HistoryStore(path, check=False)
    try:
        with pytest.raises(HistoryDamaged):
            store.check()
        moved = store.start_afresh("20261130-060000")
        assert moved.name == "history.sqlite3.unreadable-20261130-060000"
        assert moved.read_bytes() == damaged  # kept for recovery, byte for byte
        assert store.count() == 0 and store.integrity_check() == "ok"
        store.check()
    finally:
        store.close()
