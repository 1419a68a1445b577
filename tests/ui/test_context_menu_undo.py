"""The right-click menu of the Raw JSON text and of the Form's fields undoes and redoes the
composer's one history, like Ctrl+Z: it used to show Undo greyed out in the Raw JSON (the
text keeps no history of its own), and in a field to undo only that field's own typing."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from tests.ui.composer_fixtures import show_composer


def _menu_of(qtbot: Any, widget: QWidget) -> QMenu:
    """Right-click ``widget`` as a user does; the menu that opens."""
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, QPoint(5, 5), widget.mapToGlobal(QPoint(5, 5))
    )
    QApplication.sendEvent(widget, event)
    qtbot.waitUntil(
        lambda: any(isinstance(w, QMenu) and w.isVisible() for w in QApplication.topLevelWidgets()),
        timeout=2000,
    )
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible())


def _action(menu: QMenu, name: str) -> Any:
    return next(a for a in menu.actions() if a.objectName() == name)


def _email(controller: Any) -> str:
    return json.loads(controller.text())["data"]["attributes"]["profile"]["$email"]


def test_the_menus_undo_and_redo_are_the_composers(qtbot: Any) -> None:
    controller, widget = show_composer(qtbot)
    original = _email(controller)
    email = widget.form.profile_edits["$email"]
    email.setFocus()
    email.end(False)
    qtbot.keyClicks(email, "x")
    assert _email(controller) == original + "x"

    widget.show_raw()
    raw = widget.raw_editor
    menu = _menu_of(qtbot, raw.viewport())
    undo, redo = _action(menu, "edit-undo"), _action(menu, "edit-redo")
    assert undo.isEnabled() and not redo.isEnabled()
    undo.trigger()
    menu.close()
    assert _email(controller) == original and raw.toPlainText() == controller.document_text()

    widget.show_form()
    menu = _menu_of(qtbot, email)
    redo = _action(menu, "edit-redo")
    assert redo.isEnabled()
    redo.trigger()
    menu.close()
    assert _email(controller) == original + "x" and email.text() == original + "x"

    # a change made in the Raw JSON is undone from the field's menu too
    widget.show_raw()
    cursor = raw.textCursor()
    cursor.setPosition(controller.document_text().index('"Winnie') + 1)
    raw.setTextCursor(cursor)
    qtbot.keyClicks(raw, "Big ")
    assert "Big Winnie" in controller.text()
    widget.show_form()
    menu = _menu_of(qtbot, email)
    _action(menu, "edit-undo").trigger()
    menu.close()
    assert "Big Winnie" not in controller.text() and _email(controller) == original + "x"
    qtbot.keyClick(email, Qt.Key.Key_Escape)
