"""Undoing every change since the last save leaves nothing unsaved: the title loses its dot
and closing does not ask (it did, for a text identical to the file)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.test_window_qa import type_last_name

pytestmark = pytest.mark.usefixtures("qloop")


def test_undoing_back_to_the_saved_text_is_not_an_unsaved_change(
    qtbot: Any, make_window: Any
) -> None:
    window = make_window()
    field = type_last_name(qtbot, window, "Lee")
    assert window.windowTitle().startswith("• ")
    qtbot.keyClick(field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "Lee" not in window.controller.text()
    assert not window.controller.is_modified
    assert not window.windowTitle().startswith("• ")
    qtbot.keyClick(
        field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert window.controller.is_modified  # redone: changed again
    assert window.windowTitle().startswith("• ")
    window.controller.undo()
    with qtbot.waitSignal(window.closed, timeout=3000):
        window.close()  # nothing to ask about
