"""Ctrl+Tab leaves the property tree (Ctrl+Shift+Tab backwards): Tab walks every cell of
every row first, so a keyboard user needed three Tabs per property to get past it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.composer_fixtures import show_composer


def test_ctrl_tab_leaves_the_property_tree(qtbot: Any) -> None:
    _controller, widget = show_composer(qtbot)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=3000)
    editor = widget.form.properties_tree
    tree = editor.tree
    tree.setFocus()
    tree.setCurrentIndex(tree.model().index(1, 1))  # a cell in the middle of the tree
    qtbot.keyClick(tree, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    after = QApplication.focusWidget()
    assert after is not None and not tree.isAncestorOf(after) and after is not tree
    assert editor.isAncestorOf(after) or widget.form.isAncestorOf(after)
    tree.setFocus()
    qtbot.keyClick(
        tree,
        Qt.Key.Key_Backtab,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    before = QApplication.focusWidget()
    assert before is not None and before is not tree and not tree.isAncestorOf(before)
    assert widget.tabs.currentIndex() == 0  # still on the Form
