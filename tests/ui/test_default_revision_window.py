"""The window a new user sees first: the newest revision, no retired-revision notice, the sample
in the newest layout and valid. A settings file of the release before keeps its revision."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from composer.domain.revisions import NEWEST_REVISION
from composer.domain.validator import Validator
from composer.storage.paths import StoragePaths

FIXTURE = Path(__file__).parents[1] / "storage" / "fixtures" / "settings_2023_default.json"


def test_a_fresh_start_is_on_the_newest_revision_with_no_retired_notice(
    qtbot, make_window, data_dir
) -> None:
    assert not StoragePaths.resolve(data_dir).settings_file.exists()
    window = make_window()
    assert window.target_bar.revision() == NEWEST_REVISION == "2026-07-15"
    assert not window.banner.isVisible()
    body = json.loads(window.controller.text())
    attributes = body["data"]["attributes"]
    assert attributes["profile"]["data"]["attributes"]["email"] == "ann.lee@example.com"
    assert attributes["metric"]["data"]["attributes"]["name"] == "Viewed Product"
    assert Validator(NEWEST_REVISION).validate_payload(body).findings == ()
    problems = window.composer.problems
    qtbot.waitUntil(lambda: "none: this event is valid" in problems.header.text(), timeout=3000)
    window.controller.mark_saved()


def test_a_settings_file_of_the_release_before_keeps_2023_01_24_and_its_notice(
    qtbot, make_window, data_dir
) -> None:
    settings = StoragePaths.resolve(data_dir).settings_file
    settings.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE, settings)
    window = make_window()
    assert window.target_bar.revision() == "2023-01-24"
    qtbot.waitUntil(window.banner.isVisible, timeout=3000)
    assert "retired revision 2023-01-24" in window.banner.label.text()
    body = json.loads(window.controller.text())
    assert body["data"]["attributes"]["profile"]["$email"] == "ann.lee@example.com"
    window.controller.mark_saved()
    assert json.loads(settings.read_text())["default_revision"] == "2023-01-24"


def test_a_history_entry_of_2023_01_24_loads_at_its_own_revision(
    qtbot, make_window, data_dir, tmp_path
) -> None:
    """A fresh window (the newest revision) loading an entry recorded at 2023-01-24 switches
    the picker to 2023-01-24 and keeps the entry's text: the history loses nothing."""
    from composer.domain.draft import sample_event
    from composer.storage import open_storage

    flat = sample_event()
    events = tmp_path / "old.ndjson"
    events.write_text(json.dumps(flat) + "\n")
    storage = open_storage(data_dir)
    assert storage.history.import_file(events).imported == 1
    storage.close()
    window = make_window()
    assert window.target_bar.revision() == NEWEST_REVISION
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)
    row = window.history_pane.model.row_at(0)
    assert row.revision == "2023-01-24"
    window.history_pane.entry_actions.load(row.id)
    qtbot.waitUntil(lambda: window.target_bar.revision() == "2023-01-24", timeout=5000)
    assert json.loads(window.controller.text()) == flat
    qtbot.waitUntil(window.banner.isVisible, timeout=3000)
    window.controller.mark_saved()


def test_the_notice_of_a_retired_revision_in_the_later_layout_says_so(
    qtbot, make_window, data_dir
) -> None:
    """2024-07-15 (retired on 2026-07-15) falls forward to a revision of the same layout: the
    notice must not tell the user that the layout will be another one."""
    from composer.domain.revisions import get_revision

    window = make_window()
    window.target_bar.set_revision("2024-07-15")
    if not get_revision("2024-07-15").is_retired():
        return  # before 2026-07-15 nothing is shown
    qtbot.waitUntil(window.banner.isVisible, timeout=3000)
    text = window.banner.label.text()
    assert "retired revision 2024-07-15" in text
    assert "another layout" not in text and "layout is the same" in text
    window.target_bar.set_revision("2023-01-24")
    qtbot.waitUntil(lambda: "retired revision 2023-01-24" in window.banner.label.text())
    assert "another layout" in window.banner.label.text()
    window.controller.mark_saved()
