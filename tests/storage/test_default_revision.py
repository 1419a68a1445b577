"""A fresh install speaks the newest stable revision; a settings file that names a revision
(one written by the release before, which wrote 2023-01-24 into every file) keeps it."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from composer.domain.revisions import (
    DEFAULT_REVISION,
    NEWEST_REVISION,
    REVISIONS,
    Lifecycle,
    get_revision,
)
from composer.storage.settings import SettingsStore

FIXTURE = Path(__file__).parent / "fixtures" / "settings_2023_default.json"


def test_the_default_is_the_newest_stable_revision_and_current() -> None:
    assert DEFAULT_REVISION == NEWEST_REVISION == list(REVISIONS)[-1] == "2026-07-15"
    assert get_revision(DEFAULT_REVISION).state(date(2026, 11, 30)) is Lifecycle.CURRENT


def test_a_fresh_install_has_no_settings_file_and_starts_on_the_newest(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    assert store.settings.default_revision == "2026-07-15"
    assert store.problem is None


def test_a_settings_file_without_a_revision_gets_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "theme": "dark"}))
    store = SettingsStore(path)
    assert store.settings.default_revision == "2026-07-15"
    assert store.settings.theme == "dark"


def test_a_settings_file_of_the_release_before_keeps_2023_01_24(tmp_path: Path) -> None:
    """The fixture was written by the code before this default changed (make_settings.py)."""
    path = tmp_path / "settings.json"
    shutil.copy(FIXTURE, path)
    store = SettingsStore(path)
    assert store.problem is None
    assert store.settings.default_revision == "2023-01-24"
    assert store.settings.theme == "dark"
    assert store.settings.recent_files == ("/home/ann/orders/placed-order.event.json",)
    # saving another change keeps it, in the file and on the next start
    store.update(theme="light")
    assert json.loads(path.read_text())["default_revision"] == "2023-01-24"
    assert SettingsStore(path).settings.default_revision == "2023-01-24"


@pytest.mark.parametrize("revision", ["2023-01-24", "2023-07-15", "2025-04-15", "2026-07-15"])
def test_a_settings_file_naming_a_revision_keeps_it(tmp_path: Path, revision: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "default_revision": revision}))
    assert SettingsStore(path).settings.default_revision == revision


def test_imported_bodies_without_a_revision_take_their_layouts(tmp_path: Path) -> None:
    """An NDJSON file of bodies, or a HAR capture without a revision header: a flat body is
    recorded at 2023-01-24 (as before), one in the newest layout at the newest revision."""
    from composer.domain.convert import sample_event_in
    from composer.domain.draft import sample_event
    from composer.storage.imports import read_file

    flat, newest = sample_event(), sample_event_in("2026-07-15")
    ndjson = tmp_path / "events.ndjson"
    ndjson.write_text(json.dumps(flat) + "\n" + json.dumps(newest) + "\n")
    har = tmp_path / "capture.har"
    entries = [
        {
            "startedDateTime": "2026-11-30T10:00:00.000Z",
            "request": {
                "method": "POST",
                "url": "https://a.klaviyo.com/api/events",
                "headers": [],
                "postData": {"text": json.dumps(body)},
            },
            "response": {"status": 202, "headers": [], "content": {"text": ""}},
        }
        for body in (flat, newest)
    ]
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    for path in (ndjson, har):
        revisions = [r.context.revision for r in read_file(path).requests]
        assert revisions == ["2023-01-24", "2026-07-15"], path.name
