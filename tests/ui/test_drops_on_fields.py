"""A .json file dropped on the Raw JSON text or on a Form field opens, as anywhere else on
the window: its path went into the JSON (the Raw JSON text took the drop as text, and a field
took the path a file manager's drag carries as text), to be sent as the event's email.

The drags go to the window's QWindow, which routes them to the widget under the pointer and on
to its parents, as Qt routes a drag from a file manager."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication

pytestmark = pytest.mark.usefixtures("qloop")

EVENT = {"data": {"type": "event", "attributes": {"metric": {"name": "Dropped In"}}}}


def _drop_over(window: Any, widget: Any, path: Path) -> None:
    """Drag ``path`` from a file manager (its URL, and its path as text) and drop it over the
    middle of ``widget``."""
    mime = QMimeData()  # kept alive: the events only point at it
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    mime.setText(QUrl.fromLocalFile(str(path)).toString())
    at = widget.mapTo(window, widget.rect().center())
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    handle = window.windowHandle()
    for event in (
        QDragEnterEvent(at, Qt.DropAction.CopyAction, mime, buttons, mods),
        QDragMoveEvent(at, Qt.DropAction.CopyAction, mime, buttons, mods),
        QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime, buttons, mods),
    ):
        QGuiApplication.sendEvent(handle, event)


@pytest.mark.parametrize("over", ["raw json", "email field"])
def test_a_file_dropped_on_a_text_opens_instead_of_going_into_it(
    qtbot: Any, make_window: Any, tmp_path: Path, over: str
) -> None:
    path = tmp_path / "dropped.json"
    path.write_text(json.dumps(EVENT, indent=2), encoding="utf-8")
    window = make_window()
    if over == "raw json":
        window.composer.show_raw()
        widget = window.composer.raw_editor.viewport()
    else:
        widget = window.composer.form.profile_edits["email"]
    qtbot.waitUntil(widget.isVisible, timeout=3000)
    _drop_over(window, widget, path)
    qtbot.waitUntil(lambda: "dropped.json" in window.windowTitle(), timeout=5000)
    assert window.controller.payload() == EVENT
    assert str(path) not in window.controller.text()
