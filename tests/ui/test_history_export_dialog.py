"""History ▸ Export selection…: the file name's suffix and the format always agree."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit

from composer.domain.draft import sample_event
from composer.domain.outcome import RequestRecord, SendOutcome
from tests.ui.window_fixtures import file_dialog

pytestmark = pytest.mark.usefixtures("qloop")

REQUEST = RequestRecord(
    "POST",
    "http://sandbox/api/events/",
    (("Authorization", "Klaviyo-API-Key ***"), ("revision", "2023-01-24")),
    json.dumps(sample_event()).encode(),
)


def _one_entry(data_dir: Path) -> None:
    from composer.storage import open_storage
    from composer.storage.records import PlainContext

    with open_storage(data_dir) as storage:
        ctx = PlainContext("sandbox", None, "2023-01-24", "Viewed Product", "ann@example.com")
        outcome = SendOutcome(REQUEST, status=202)
        storage.history.add_many([(REQUEST, ctx, outcome, int(time.time() * 1000))])


def _open_export_dialog(qtbot: Any, window: Any) -> tuple[Any, QLineEdit, QComboBox]:
    """Open the history, click its first row and choose Export selection…"""
    pane = window.history_pane
    pane.set_collapsed(False)
    table = pane.table
    qtbot.waitUntil(lambda: table.isVisible() and pane.model.rowCount() > 0, timeout=3000)
    rect = table.visualRect(pane.model.index(0, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(pane.export_action.isEnabled, timeout=3000)
    pane.export_action.trigger()
    qtbot.waitUntil(lambda: file_dialog(window, "exportDialog") is not None, timeout=3000)
    dialog = file_dialog(window, "exportDialog")
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    return dialog, name, dialog.findChild(QComboBox, "fileTypeCombo")


def _choose_format(qtbot: Any, combo: QComboBox, starts: str) -> None:
    """Pick a format in the dialog's file type list with the arrow keys, as a user can."""
    texts = [combo.itemText(i) for i in range(combo.count())]
    index = next(i for i, t in enumerate(texts) if t.startswith(starts))
    key = Qt.Key.Key_Down if index > combo.currentIndex() else Qt.Key.Key_Up
    while combo.currentIndex() != index:
        qtbot.keyClick(combo, key)


def test_choosing_a_format_changes_the_suffix_both_ways(qtbot, make_window, data_dir, tmp_path):
    _one_entry(data_dir)
    window = make_window()
    dialog, name, combo = _open_export_dialog(qtbot, window)
    assert name.text() == "history-export.har"
    _choose_format(qtbot, combo, "NDJSON")
    assert name.text() == "history-export.ndjson"
    _choose_format(qtbot, combo, "cURL")
    assert name.text() == "history-export.sh"
    _choose_format(qtbot, combo, "HAR")
    assert name.text() == "history-export.har"

    # a name of the user's own keeps its stem; its suffix follows the format
    name.setText(str(tmp_path / "mine.har"))
    _choose_format(qtbot, combo, "NDJSON")
    assert name.text().endswith("mine.ndjson")
    with qtbot.waitSignal(window.history_pane.message, timeout=5000):
        dialog.accept()
    out = tmp_path / "mine.ndjson"
    assert json.loads(out.read_text().splitlines()[0])["data"]["type"] == "event"
    assert not (tmp_path / "mine.har").exists()


def test_a_typed_suffix_of_another_format_chooses_that_format(
    qtbot, make_window, data_dir, tmp_path
):
    """HAR is chosen and the user types events.ndjson: the file holds NDJSON, as its name
    says, not HAR under an .ndjson name."""
    _one_entry(data_dir)
    window = make_window()
    dialog, name, _combo = _open_export_dialog(qtbot, window)
    name.clear()
    qtbot.keyClicks(name, str(tmp_path / "events.ndjson"))
    with qtbot.waitSignal(window.history_pane.message, timeout=5000):
        dialog.accept()
    text = (tmp_path / "events.ndjson").read_text()
    assert json.loads(text.splitlines()[0])["data"]["type"] == "event"


def test_a_name_without_suffix_gets_the_chosen_formats(qtbot, make_window, data_dir, tmp_path):
    _one_entry(data_dir)
    window = make_window()
    dialog, name, combo = _open_export_dialog(qtbot, window)
    _choose_format(qtbot, combo, "cURL")
    name.setText(str(tmp_path / "replay"))
    with qtbot.waitSignal(window.history_pane.message, timeout=5000):
        dialog.accept()
    assert (tmp_path / "replay.sh").read_text().startswith("#!/bin/sh")


def test_a_dialog_that_keeps_the_name_gets_the_chosen_formats_suffix(
    qtbot, make_window, data_dir, tmp_path
):
    """The desktop's own file dialogs (GTK, KDE) leave the name alone when the format
    changes: NDJSON chosen with history-export.har still named wrote NDJSON under .har."""
    _one_entry(data_dir)
    window = make_window()
    dialog, name, combo = _open_export_dialog(qtbot, window)
    _choose_format(qtbot, combo, "NDJSON")
    name.setText(str(tmp_path / "history-export.har"))  # the name as such a dialog keeps it
    with qtbot.waitSignal(window.history_pane.message, timeout=5000):
        dialog.accept()
    assert not (tmp_path / "history-export.har").exists()
    text = (tmp_path / "history-export.ndjson").read_text()
    assert json.loads(text.splitlines()[0])["data"]["type"] == "event"


def test_the_dialog_opens_in_the_documents_folder_then_where_the_last_export_went(
    qtbot, make_window, data_dir, tmp_path, monkeypatch
):
    """It opened in the folder the app was started from (anything, even /)."""
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOCUMENTS_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))  # no user-dirs.dirs there
    started_in = tmp_path / "elsewhere"
    started_in.mkdir()
    monkeypatch.chdir(started_in)
    _one_entry(data_dir)
    window = make_window()
    dialog, name, _combo = _open_export_dialog(qtbot, window)
    assert Path(dialog.directory().absolutePath()) == home / "Documents"
    out = tmp_path / "exports"
    out.mkdir()
    name.setText(str(out / "first.har"))
    with qtbot.waitSignal(window.history_pane.message, timeout=5000):
        dialog.accept()
    dialog, _name, _combo = _open_export_dialog(qtbot, window)
    assert Path(dialog.directory().absolutePath()) == out
    dialog.reject()
