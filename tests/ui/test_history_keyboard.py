"""The history from the keyboard: Tab into the table and Enter loads the entry shown as
current (it had a focus frame on its first row, nothing selected, and Enter did nothing)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from composer.domain.draft import sample_event
from composer.domain.outcome import RequestRecord, SendOutcome

pytestmark = pytest.mark.usefixtures("qloop")

REQUEST = RequestRecord(
    "POST", "http://sandbox/api/events/", (("revision", "2023-01-24"),),
    json.dumps(sample_event()).encode(),
)  # fmt: skip


def _entries(data_dir: Path, count: int) -> None:
    from composer.storage import open_storage
    from composer.storage.records import PlainContext

    now = int(time.time() * 1000)
    with open_storage(data_dir) as storage:
        ctx = PlainContext("sandbox", None, "2023-01-24", "Viewed Product", "ann@example.com")
        outcome = SendOutcome(REQUEST, status=202)
        storage.history.add_many([(REQUEST, ctx, outcome, now - i) for i in range(count)])


def test_tab_into_the_history_and_enter_loads_the_current_entry(qtbot, make_window, data_dir):
    _entries(data_dir, 2)
    window = make_window()
    pane = window.history_pane
    pane.focus_search()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is pane.search)
    for _ in range(4):  # search, status filter, ..., the table
        if QApplication.focusWidget() is pane.table:
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is pane.table
    newest = pane.model.row_at(0).id
    assert pane.selected_ids() == [newest]  # the row the focus frame is on is chosen
    assert pane.resend_action.isEnabled() and pane.load_action.isEnabled()
    qtbot.keyClick(pane.table, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: f"Loaded history entry #{newest}" in window.statusBar().currentMessage(),
        timeout=3000,
    )
