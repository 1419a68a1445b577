"""Resend exactly while a send is under way: nothing is sent or loaded, and the window says
why and what to do (it used to do nothing at all, without a word)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from composer.domain.draft import sample_event
from composer.domain.outcome import RequestRecord, SendOutcome
from composer.sandbox import FaultKind, SandboxConfig

pytestmark = pytest.mark.usefixtures("qloop")

BODY = json.dumps(sample_event()).encode()
REQUEST = RequestRecord("POST", "http://sandbox/api/events/", (("revision", "2023-01-24"),), BODY)


def _one_entry(data_dir: Path) -> None:
    from composer.storage import open_storage
    from composer.storage.records import PlainContext

    with open_storage(data_dir) as storage:
        ctx = PlainContext("sandbox", None, "2023-01-24", "Viewed Product", "ann@example.com")
        storage.history.add_many(
            [(REQUEST, ctx, SendOutcome(REQUEST, status=202), int(time.time() * 1000))]
        )


def test_resend_during_a_send_says_why_nothing_happens(qtbot, make_window, data_dir):
    _one_entry(data_dir)
    window = make_window(
        sandbox=SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=30)
    )
    pane = window.history_pane
    pane.set_collapsed(False)
    qtbot.waitUntil(lambda: pane.table.isVisible() and pane.model.rowCount() > 0)
    rect = pane.table.visualRect(pane.model.index(0, 0))
    qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(pane.resend_action.isEnabled)
    entry_id = pane.model.row_at(0).id
    text_before = window.controller.text()
    window.request_send()
    qtbot.waitUntil(window.target_bar.cancel_button.isVisible, timeout=3000)
    assert "under way" in pane.resend_action.toolTip()  # said before it is even tried

    pane.resend_action.trigger()
    qtbot.waitUntil(lambda: "Not resent" in window.statusBar().currentMessage(), timeout=3000)
    said = window.statusBar().currentMessage()
    assert "under way" in said and "Esc" in said and f"#{entry_id}" in said
    assert window.controller.text() == text_before  # the composer was left alone

    window.cancel_send()
    qtbot.waitUntil(lambda: not window.is_sending(), timeout=5000)
    assert "under way" not in pane.resend_action.toolTip()
    qtbot.waitUntil(lambda: pane.model.total() == 2, timeout=5000)  # the cancelled send only
