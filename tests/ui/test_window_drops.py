"""A JSON file dragged onto the window opens in the composer; anything else is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication


def _mime(path: Path) -> QMimeData:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    return data


def _drag_enter(window: Any, path: Path) -> bool:
    mime = _mime(path)  # kept alive: the event only points at it
    event = QDragEnterEvent(
        window.rect().center(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def _drop(window: Any, path: Path) -> None:
    mime = _mime(path)
    event = QDropEvent(
        QPointF(window.rect().center()),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, event)


def test_a_dropped_json_file_opens_and_other_files_are_refused(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    window = make_window()
    event = {"data": {"type": "event", "attributes": {"metric": {"name": "Dropped In"}}}}
    dropped = tmp_path / "dropped.json"
    dropped.write_text(json.dumps(event, indent=2), encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("not an event", encoding="utf-8")

    assert not _drag_enter(window, notes)
    assert _drag_enter(window, dropped)
    _drop(window, dropped)
    qtbot.waitUntil(lambda: "dropped.json" in window.windowTitle(), timeout=5000)
    assert window.controller.payload() == event
