"""Tab in the Raw JSON text indents in the text's own unit, Shift+Tab outdents, a selection of
lines moves as one, and one Ctrl+Z takes it back: Tab used to insert a tab character into a
text indented with spaces."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from tests.ui.composer_fixtures import show_composer


def _raw(qtbot: Any, indent: int | str) -> tuple[Any, Any]:
    controller, widget = show_composer(qtbot)
    controller.load_text(json.dumps(json.loads(controller.text()), indent=indent) + "\n")
    widget.show_raw()
    raw = widget.raw_editor
    raw.setFocus()
    return controller, raw


def _line_start(raw: Any, needle: str) -> None:
    text = raw.toPlainText()
    cursor = raw.textCursor()
    cursor.setPosition(text.rfind("\n", 0, text.index(needle)) + 1)
    raw.setTextCursor(cursor)


def test_tab_indents_in_the_texts_own_unit_and_shift_tab_takes_it_back(qtbot: Any) -> None:
    for indent, unit in ((4, "    "), (2, "  "), ("\t", "\t")):
        controller, raw = _raw(qtbot, indent)
        before = controller.text()
        _line_start(raw, '"ProductName"')
        qtbot.keyClick(raw, Qt.Key.Key_Tab)
        line = next(x for x in controller.text().splitlines() if '"ProductName"' in x)
        assert "\t" not in line or unit == "\t"
        old = next(x for x in before.splitlines() if '"ProductName"' in x)
        assert line == unit + old, (indent, line)
        qtbot.keyClick(raw, Qt.Key.Key_Backtab)
        assert controller.text() == before
        controller.mark_saved()


def test_a_selection_of_lines_moves_as_one_and_one_undo_takes_it_back(qtbot: Any) -> None:
    controller, raw = _raw(qtbot, 2)
    before = controller.text()
    text = raw.toPlainText()
    cursor = raw.textCursor()
    cursor.setPosition(text.index('"ProductName"'))
    cursor.setPosition(text.index('"Price"'), QTextCursor.MoveMode.KeepAnchor)
    raw.setTextCursor(cursor)
    qtbot.keyClick(raw, Qt.Key.Key_Tab)
    after = controller.text()
    assert json.loads(after) == json.loads(before)  # whitespace between tokens only
    moved = [x for x in after.splitlines() if x.strip().startswith(('"ProductName"', '"Price"'))]
    assert all(x.startswith(" " * 10) for x in moved), moved
    assert raw.textCursor().hasSelection()  # the lines stay chosen for another Tab
    qtbot.keyClick(raw, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert controller.text() == before
    controller.mark_saved()


def test_ctrl_tab_still_leaves_the_text(qtbot: Any) -> None:
    controller, raw = _raw(qtbot, 2)
    qtbot.waitUntil(raw.hasFocus, timeout=2000)
    before = controller.text()
    qtbot.keyClick(raw, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert controller.text() == before
    qtbot.waitUntil(lambda: not raw.hasFocus(), timeout=2000)
    controller.mark_saved()
