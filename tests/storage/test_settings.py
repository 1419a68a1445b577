"""The settings file: defaults, round trip, atomic writes, a damaged file, one data folder."""

from __future__ import annotations

import json
from pathlib import Path

from composer.storage import open_storage
from composer.storage.paths import StoragePaths
from composer.storage.settings import RateLimits, Retention, Settings, SettingsStore, Target


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    s = store.settings
    assert s == Settings()
    assert (s.default_target, s.auto_unique_id, s.default_revision) == (
        "sandbox",
        True,
        "2026-07-15",  # the newest stable revision (a fresh install)
    )
    assert s.rate_limits == RateLimits(350, 3500)
    assert store.problem is None and not (tmp_path / "settings.json").exists()


def test_settings_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    store = SettingsStore(path)
    store.modify(
        lambda s: (
            s.with_account("Staging")
            .with_account("Production")
            .with_recent_file("/tmp/a.json")
            .with_layout(b"\x00\x01layout")
        )
    )
    store.update(
        targets=(Target("local", "http://127.0.0.1:8080"),),
        default_account="Staging",
        retention=Retention(keep_last=1000, keep_days=30),
        auto_unique_id=False,
        rate_limits=RateLimits(50, 600),
        theme="dark",
    )
    again = SettingsStore(path).settings
    assert again == store.settings
    assert again.accounts == ("Staging", "Production")
    assert again.layout_bytes() == b"\x00\x01layout"
    assert again.retention.keep_last == 1000 and again.rate_limits.burst_per_second == 50
    assert not list(tmp_path.glob(".settings-*"))  # no temporary file left behind


def test_update_rereads_the_file_so_two_processes_do_not_undo_each_other(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    gui, cli = SettingsStore(path), SettingsStore(path)
    cli.modify(lambda s: s.with_account("Staging"))
    gui.update(theme="dark")
    assert SettingsStore(path).settings.accounts == ("Staging",)
    assert SettingsStore(path).settings.theme == "dark"


def test_a_wrong_value_falls_back_to_its_default_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {"theme": "dark", "auto_unique_id": "yes", "retention": {"keep_last": -5}, "unknown": 1}
        )
    )
    store = SettingsStore(path)
    assert store.settings.theme == "dark"
    assert store.settings.auto_unique_id is True
    assert store.settings.retention == Retention()
    assert store.problem is not None
    assert "auto_unique_id is not valid" in store.problem and "retention" in store.problem


def test_data_dir_puts_all_state_in_one_folder(tmp_path: Path) -> None:
    paths = StoragePaths.resolve(tmp_path / "state")
    assert paths.history_db.parent == paths.settings_file.parent == tmp_path / "state"
    with open_storage(tmp_path / "state") as storage:
        storage.settings.update(retention=Retention(keep_last=1))
    assert sorted(
        p.name for p in (tmp_path / "state").iterdir() if not p.name.endswith(("-wal", "-shm"))
    ) == ["history.sqlite3", "settings.json"]


def test_open_storage_applies_the_users_retention(tmp_path: Path) -> None:
    from tests.storage import factories as f

    with open_storage(tmp_path) as storage:
        storage.history.add_many(
            [(f.request(), f.context(), None, 1000 + i) for i in range(5)], state="imported"
        )
        storage.settings.update(retention=Retention(keep_last=2))
    with open_storage(tmp_path) as storage:
        assert storage.history.count() == 2


def test_the_platform_folders_are_used_without_a_data_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    paths = StoragePaths.resolve(None)
    assert paths.history_db == tmp_path / "data" / "event-composer" / "history.sqlite3"
    assert paths.settings_file == tmp_path / "config" / "event-composer" / "settings.json"


def test_the_read_back_settings_persist_and_an_older_file_checks_both_targets(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.json"
    # a file the previous release wrote: no verify_* members; both checks are on
    path.write_text(json.dumps({"theme": "dark", "auto_unique_id": False}))
    older = SettingsStore(path).settings
    assert older.verify_sandbox is True and older.verify_klaviyo is True
    assert older.theme == "dark" and older.auto_unique_id is False
    SettingsStore(path).update(verify_sandbox=False)
    again = SettingsStore(path).settings
    assert again.verify_sandbox is False and again.verify_klaviyo is True
    assert again.theme == "dark"
