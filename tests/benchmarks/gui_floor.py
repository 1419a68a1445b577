"""A reference for the start-up figure: the window's visible widgets as plain Qt widgets.

``dump_visible_widgets`` builds and paints Event Composer's window (offscreen, as it starts)
and writes down every widget that is visible at its first paint: its Qt class (the nearest
PySide6 base of our subclasses), parent, geometry and texts, the combo boxes' items, the
tabs, the property trees' rows and the menu titles. ``FLOOR_WINDOW`` builds those widgets
again as stock Qt widgets, placed by geometry (no layouts, no Python behaviour), and prints
when it is first painted, as the bare window does.

What the floor costs beside the bare window is what Qt itself needs to show that much
(its classes and enums, fonts, painting); what the app costs beside the floor is the app's
own: its modules, its model of the event, its layouts and what its widgets do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DUMP = r"""
import json, sys
from pathlib import Path

import composer.app as app_module
import PySide6.QtWidgets as W
from PySide6.QtCore import QModelIndex

window = app_module._paint_window_first(Path(sys.argv[1]), None)
assert window is not None
found = []


def stock(widget):
    for cls in type(widget).__mro__:
        if cls.__module__.startswith("PySide6"):
            return cls.__name__
    return "QWidget"


def rows_of(model):
    rows = []

    def walk(parent):
        for r in range(model.rowCount(parent)):
            rows.append([str(model.index(r, c, parent).data() or "")
                         for c in range(model.columnCount(parent))])
            walk(model.index(r, 0, parent))

    walk(QModelIndex())
    return rows


def walk(widget, parent):
    if not widget.isVisible():
        return
    g = widget.geometry()
    entry = {"cls": stock(widget), "parent": parent,
             "geometry": [g.x(), g.y(), g.width(), g.height()]}
    for name in ("text", "placeholderText", "title"):
        getter = getattr(widget, name, None)
        if callable(getter):
            try:
                value = getter()
            except TypeError:
                continue
            if isinstance(value, str) and value:
                entry[name] = value
    if isinstance(widget, W.QComboBox):
        entry["items"] = [widget.itemText(i) for i in range(widget.count())]
        entry["current"] = widget.currentIndex()
    if isinstance(widget, W.QTabWidget):
        entry["tabs"] = [widget.tabText(i) for i in range(widget.count())]
    if isinstance(widget, W.QTreeView) and widget.model() is not None:
        entry["rows"] = rows_of(widget.model())
        entry["columns"] = widget.model().columnCount(QModelIndex())
    found.append(entry)
    index = len(found) - 1
    for child in widget.children():
        if isinstance(child, W.QWidget) and not child.isWindow():
            walk(child, index)


found.append({"cls": "QMainWindow", "parent": None,
              "geometry": [0, 0, window.width(), window.height()],
              "menus": [menu.title() for menu in window.menuBar().findChildren(W.QMenu)]})
walk(window.centralWidget(), 0)
for toolbar in window.findChildren(W.QToolBar):
    walk(toolbar, 0)
walk(window.statusBar(), 0)
Path(sys.argv[2]).write_text(json.dumps(found))
"""

PAINT_PROBE = r"""
import time
from PySide6.QtCore import QEvent, QObject, QTimer
class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            window.removeEventFilter(self)
            print(f"window-shown {time.time():.6f}", flush=True)
            QTimer.singleShot(0, app.quit)
        return False
probe = Probe(window)
window.installEventFilter(probe)
window.show()
app.exec()
"""
"""Shows ``window``, prints ``window-shown <unix time>`` on its first paint and quits ``app``
(the end of a script that built both)."""

FLOOR_WINDOW = r"""
import json, sys
import PySide6.QtWidgets as W
from PySide6.QtGui import QStandardItem, QStandardItemModel

found = json.loads(open(sys.argv[1]).read())
app = W.QApplication(sys.argv[:1])
# made by their owners (a splitter its handles, a view its header and scroll bars, a tab
# widget its bar and stack, a window its size grip)
OWNED = {"QSplitterHandle", "QHeaderView", "QScrollBar", "QTabBar", "QSizeGrip",
         "QStackedWidget"}
window = W.QMainWindow()
window.resize(*found[0]["geometry"][2:])
for title in found[0].get("menus", []):
    window.menuBar().addMenu(title)
made = {0: window}
for index, entry in enumerate(found[1:], start=1):
    cls = entry["cls"]
    if cls in OWNED or cls == "QMainWindow":
        continue
    parent = made.get(entry["parent"], window)
    if cls == "QToolBar":
        made[index] = window.addToolBar("toolbar")
        continue
    if cls == "QStatusBar":
        made[index] = window.statusBar()
        continue
    widget = getattr(W, cls)(parent)
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
        widget.addTab(W.QWidget(), tab)
    if "rows" in entry:
        model = QStandardItemModel(0, entry["columns"], widget)
        for row in entry["rows"]:
            model.appendRow([QStandardItem(text) for text in row])
        widget.setModel(model)
    if entry["parent"] == 0 and window.centralWidget() is None and cls == "QWidget":
        window.setCentralWidget(widget)
    else:
        widget.setGeometry(*entry["geometry"])
    made[index] = widget
"""


def dump_visible_widgets(data_dir: Path, out: Path, env: dict[str, str]) -> int:
    """Write the window's visible widgets to ``out``; their number (0 when it failed)."""
    subprocess.run(
        [sys.executable, "-c", DUMP, str(data_dir), str(out)],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    if not out.exists():
        return 0
    return len(json.loads(out.read_text()))


def floor_argv(dump: Path) -> list[str]:
    """The command that shows the floor window built from ``dump``."""
    return [sys.executable, "-c", FLOOR_WINDOW + PAINT_PROBE, str(dump)]
