"""The start-up figures' reference: the widgets Event Composer's window shows at its first
paint (written by :mod:`tests.benchmarks.programs.visible_widgets`), built again as plain Qt
widgets placed by geometry (no layouts, no Python behaviour), printing
``window-shown <unix time>`` on the first paint:
``python -m tests.benchmarks.programs.floor_window WIDGETS.json``.

What this costs beside the bare window is what Qt itself needs to show that much (its classes
and enums, fonts, painting); what the app costs beside it is the app's own."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import PySide6.QtWidgets as widgets
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from tests.benchmarks.programs.bare_window import quit_on_first_paint

OWNED = {"QSplitterHandle", "QHeaderView", "QScrollBar", "QTabBar", "QSizeGrip", "QStackedWidget"}
"""Made by their owners: a splitter its handles, a view its header and scroll bars, a tab
widget its bar and pages, a status bar its size grip."""


def _fill(widget: Any, entry: dict[str, Any]) -> None:
    if "text" in entry and hasattr(widget, "setText"):
        widget.setText(entry["text"])
    if "placeholderText" in entry:
        widget.setPlaceholderText(entry["placeholderText"])
    if "title" in entry and hasattr(widget, "setTitle"):
        widget.setTitle(entry["title"])
    if "items" in entry:
        widget.addItems(entry["items"])
        widget.setCurrentIndex(entry["current"])
    for tab in entry.get("tabs", []):
        widget.addTab(QWidget(), tab)
    if "rows" in entry:
        model = QStandardItemModel(0, entry["columns"], widget)
        for row in entry["rows"]:
            model.appendRow([QStandardItem(text) for text in row])
        widget.setModel(model)


def build(found: list[dict[str, Any]]) -> QMainWindow:
    """The window of ``found``'s widgets."""
    window = QMainWindow()
    window.resize(*found[0]["geometry"][2:])
    for title in found[0].get("menus", []):
        window.menuBar().addMenu(title)
    made: dict[int, QWidget] = {0: window}
    for index, entry in enumerate(found[1:], start=1):
        cls = entry["cls"]
        if cls in OWNED:
            continue
        parent = made.get(entry["parent"], window)
        if cls == "QToolBar":
            made[index] = window.addToolBar("toolbar")
            continue
        if cls == "QStatusBar":
            made[index] = window.statusBar()
            continue
        widget = getattr(widgets, cls)(parent)
        _fill(widget, entry)
        if entry["parent"] == 0 and window.centralWidget() is None and cls == "QWidget":
            window.setCentralWidget(widget)
        else:
            widget.setGeometry(*entry["geometry"])
        made[index] = widget
    return window


def main(path: Path) -> None:
    found = json.loads(path.read_text())
    app = QApplication(sys.argv[:1])
    window = build(found)
    quit_on_first_paint(app, window)
    app.exec()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
