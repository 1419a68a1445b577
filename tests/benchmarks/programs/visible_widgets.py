"""Write down the widgets Event Composer's window shows at its first paint:
``python -m tests.benchmarks.programs.visible_widgets DATA_DIR OUT.json``.

The window is built and painted as it starts (offscreen); each visible widget is written as
its Qt class (the nearest PySide6 base of the app's subclasses), its parent, geometry and
texts, the combo boxes' items, the tabs, the trees' rows and the menu titles.
:mod:`tests.benchmarks.programs.floor_window` builds them again as plain Qt widgets."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex
from PySide6.QtWidgets import QComboBox, QMenu, QTabWidget, QToolBar, QTreeView, QWidget

from composer.app import _paint_window_first as paint_window_first


def _stock(widget: QWidget) -> str:
    for cls in type(widget).__mro__:
        if cls.__module__.startswith("PySide6"):
            return cls.__name__
    return "QWidget"


def _rows(model: QAbstractItemModel) -> list[list[str]]:
    rows: list[list[str]] = []

    def walk(parent: QModelIndex) -> None:
        for r in range(model.rowCount(parent)):
            columns = range(model.columnCount(parent))
            rows.append([str(model.index(r, c, parent).data() or "") for c in columns])
            walk(model.index(r, 0, parent))

    walk(QModelIndex())
    return rows


def _texts(widget: QWidget) -> dict[str, str]:
    found = {}
    for name in ("text", "placeholderText", "title"):
        getter = getattr(widget, name, None)
        if callable(getter):
            try:
                value = getter()
            except TypeError:  # a text() that needs arguments
                continue
            if isinstance(value, str) and value:
                found[name] = value
    return found


def visible_widgets(data_dir: Path) -> list[dict[str, Any]]:
    """The window's visible widgets, the window first (parents before their children)."""
    window = paint_window_first(data_dir, None)
    if window is None:
        raise SystemExit(f"the window could not be built over {data_dir}")
    menus = [menu.title() for menu in window.menuBar().findChildren(QMenu)]
    found: list[dict[str, Any]] = [
        {"cls": "QMainWindow", "parent": None, "geometry": [0, 0, window.width(), window.height()],
         "menus": menus}
    ]  # fmt: skip

    def walk(widget: QWidget, parent: int) -> None:
        if not widget.isVisible():
            return
        g = widget.geometry()
        entry: dict[str, Any] = {
            "cls": _stock(widget),
            "parent": parent,
            "geometry": [g.x(), g.y(), g.width(), g.height()],
            **_texts(widget),
        }
        if isinstance(widget, QComboBox):
            entry["items"] = [widget.itemText(i) for i in range(widget.count())]
            entry["current"] = widget.currentIndex()
        if isinstance(widget, QTabWidget):
            entry["tabs"] = [widget.tabText(i) for i in range(widget.count())]
        model = widget.model() if isinstance(widget, QTreeView) else None
        if model is not None:
            entry["rows"] = _rows(model)
            entry["columns"] = model.columnCount(QModelIndex())
        found.append(entry)
        index = len(found) - 1
        for child in widget.children():
            if isinstance(child, QWidget) and not child.isWindow():
                walk(child, index)

    central = window.centralWidget()
    if central is not None:
        walk(central, 0)
    for toolbar in window.findChildren(QToolBar):
        walk(toolbar, 0)
    walk(window.statusBar(), 0)
    return found


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(visible_widgets(Path(sys.argv[1]))))
