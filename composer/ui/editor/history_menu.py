"""The right-click menu of the composer's text widgets (the Raw JSON text, the Form's fields):
Qt's own menu, with Undo and Redo taken over by the composer's one history, as Ctrl+Z is."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt

from composer.ui.editor.controller import ComposerController

if TYPE_CHECKING:  # the text editor's classes load with the Raw JSON page, after the paint
    from PySide6.QtWidgets import QLineEdit, QPlainTextEdit


def open_history_menu(
    widget: QLineEdit | QPlainTextEdit, controller: ComposerController, at: QPoint
) -> None:
    """Open ``widget``'s standard menu at the global position ``at``, its Undo and Redo
    acting on ``controller`` (enabled when there is something to undo or redo)."""
    menu = widget.createStandardContextMenu()
    if menu is None:
        return
    for action in menu.actions():
        name = action.objectName()
        if name not in ("edit-undo", "edit-redo"):
            continue
        undo = name == "edit-undo"
        # the widget's own undo (none for the Raw JSON text, the field's own typing for a
        # field) would take back something else than Ctrl+Z does
        action.triggered.disconnect()
        slot: Callable[[], bool] = controller.undo if undo else controller.redo
        action.triggered.connect(lambda _checked=False, slot=slot: slot())
        action.setEnabled(controller.can_undo() if undo else controller.can_redo())
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    menu.popup(at)
