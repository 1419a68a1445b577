"""Ctrl+F (Edit ▸ Search history) and Ctrl+H while the history is folded to its strip."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.usefixtures("qloop")


def _action(window: Any, text: str) -> Any:
    from PySide6.QtGui import QAction

    return next(a for a in window.findChildren(QAction) if a.text().replace("&", "") == text)


def test_search_history_opens_a_folded_history_and_typing_lands_in_the_search(qtbot, make_window):
    """The history starts folded; Ctrl+F used to focus its hidden search box, so the words
    typed next went into the composer's field instead (here the email)."""
    window = make_window()
    pane = window.history_pane
    pane.set_collapsed(True)
    email = window.controller.text()
    _action(window, "Search history").trigger()
    qtbot.waitUntil(lambda: not pane.is_collapsed() and pane.search.isVisible())
    qtbot.waitUntil(lambda: QApplication.focusWidget() is pane.search)
    qtbot.keyClicks(QApplication.focusWidget(), "zoe")
    assert pane.search.text() == "zoe"
    assert window.controller.text() == email


def test_ctrl_h_folds_and_opens_the_history_as_its_tooltip_says(qtbot, make_window):
    window = make_window()
    pane = window.history_pane
    assert "Ctrl+H" in pane.toggle.toolTip()
    pane.set_collapsed(True)
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not pane.is_collapsed())
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(pane.is_collapsed)
