"""The property tree with an expanded array of 15,000 items: the time of one edit (a value
changed, a member renamed, an item added, removed, duplicated or moved, a type changed, a
paste, undo and redo), from the action until the tree has painted again, beside the same edit
followed by a model reset (how the tree followed every edit before: it read everything again
and put back what was expanded and current) and beside one plain repaint of the tree, in the
same process. Each edit is made three times (undone in between, untimed): the median. The
same for an expanded object of 15,000 members.

Each edit is timed until the event loop is idle and the tree's viewport has repainted, so
the view's own work after the model's signals (laying out the rows again after an insert or
a removal) is in the figure.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ITEMS = 15_000
ROUNDS = 3  # each edit is made (and undone) this many times: the median is printed
PROPERTIES = "/data/attributes/properties"


def event_with_items(n: int) -> dict[str, Any]:
    """The sample event with an ``Items`` array of ``n`` small order lines."""
    from composer.domain.draft import sample_event

    event = sample_event()
    event["data"]["attributes"]["properties"]["Items"] = [
        {"SKU": f"SKU-{i:06d}", "Price": 9.99, "Qty": 1} for i in range(n)
    ]
    return event


class Tree:
    """A property editor over the event's properties, with Items expanded and scrolled to
    the middle, the current row there."""

    def __init__(self, app: Any, n: int) -> None:
        from composer.ui.editor import ComposerController
        from composer.ui.editor.property_editor import PropertyEditor

        self.app = app
        self.controller = ComposerController(revision="2023-01-24")
        self.controller.load_payload(event_with_items(n))
        self.editor = PropertyEditor(self.controller, PROPERTIES, "properties")
        self.editor.resize(900, 700)
        self.editor.show()
        self.model = self.editor.model
        self.view = self.editor.tree
        self.middle = n // 2
        self.opened()

    def opened(self) -> None:
        """Items and its middle item expanded (once the text has been read), the middle
        item's price current."""
        deadline = time.perf_counter() + 30
        while not self.model.index_of(("Items",)).isValid() and time.perf_counter() < deadline:
            self.app.processEvents()
        self.view.expand(self.model.index_of(("Items",)))
        self.view.expand(self.model.index_of(("Items", self.middle)))
        self.settle()
        self.current(("Items", self.middle, "Price"), 2)

    def current(self, path: tuple[str | int, ...], column: int = 0) -> None:
        index = self.model.index_of(path, column)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        self.settle()

    def settle(self) -> None:
        self.app.processEvents()
        self.view.viewport().repaint()
        self.app.processEvents()


def timed(tree: Tree, action: Callable[[], object], *, reset: bool) -> float:
    """Seconds from ``action`` until the tree has repainted (with a model reset after the
    action when ``reset``: the old way)."""
    started = time.perf_counter()
    action()
    if reset:
        tree.model.beginResetModel()
        tree.model.endResetModel()
    tree.settle()
    return time.perf_counter() - started


Step = Callable[[], object]


def operations(tree: Tree) -> list[tuple[str, Step, Step, Step]]:
    """(name, set-up, the timed edit, what puts the document back), each on the middle of
    the array."""
    from PySide6.QtGui import QGuiApplication

    model, editor, controller = tree.model, tree.editor, tree.controller
    mid = tree.middle
    price = ("Items", mid, "Price")

    def nothing() -> None:
        pass

    def set_value() -> None:
        model.setData(model.index_of(price, 2), "12.5")

    def rename() -> None:
        model.setData(model.index_of(("Items", mid, "Qty")), "Quantity")

    def run(path: tuple[str | int, ...], action: str) -> Step:
        def go() -> None:
            editor.tree.setCurrentIndex(model.index_of(path))
            editor.run(action)

        return go

    def paste() -> None:
        QGuiApplication.clipboard().setText('{"SKU": "PASTED", "Price": 1}')
        editor.tree.setCurrentIndex(model.index_of(("Items",)))
        editor.run("paste")

    def edit_then_undo() -> None:
        set_value()
        controller.undo()

    undo = controller.undo
    return [
        ("value change", nothing, set_value, undo),
        ("rename", nothing, rename, undo),
        ("type change", nothing, lambda: editor.convert(("Items", mid, "Qty"), "string"), undo),
        ("add item", nothing, run(("Items", mid + 1), "add_sibling"), undo),
        ("remove item", nothing, run(("Items", mid + 1), "remove"), undo),
        ("duplicate", nothing, run(("Items", mid + 2), "duplicate"), undo),
        ("move down", nothing, run(("Items", mid + 3), "move_down"), undo),
        ("paste", nothing, paste, undo),
        ("undo", set_value, undo, nothing),
        ("redo", edit_then_undo, controller.redo, undo),
    ]


def main() -> None:
    """Print the figures."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    tree = Tree(app, ITEMS)
    rows = tree.model.rowCount(tree.model.index_of(("Items",)))
    print(f"property tree: Items expanded with {rows:,} rows, current row in the middle")

    repaints = []
    for _ in range(5):
        started = time.perf_counter()
        tree.view.viewport().repaint()
        repaints.append(time.perf_counter() - started)
    repaint = statistics.median(repaints)

    results = []
    for reset in (False, True):
        figures = []
        for name, before, action, after in operations(tree):
            times = []
            for _ in range(ROUNDS):
                before()
                tree.settle()
                times.append(timed(tree, action, reset=reset))
                # an editor opened by "add item" would take the next key: close it first
                tree.view.closePersistentEditor(tree.view.currentIndex())
                after()
                tree.settle()
                tree.current(("Items", tree.middle, "Price"), 2)
            figures.append((name, statistics.median(times)))
        results.append(figures)

    incremental, with_reset = results
    print(f"one repaint of the tree: {repaint * 1000:.1f} ms")
    for (name, fast), (_, slow) in zip(incremental, with_reset, strict=True):
        print(
            f"{name:>13}: {fast * 1000:7.1f} ms; followed by a model reset {slow * 1000:7.1f} "
            f"ms (ratio {fast / slow:.2f}x); {fast / repaint:.1f} repaints"
        )
    total_fast = sum(t for _, t in incremental)
    total_slow = sum(t for _, t in with_reset)
    print(
        f"all {len(incremental)} edits: {total_fast * 1000:.0f} ms, with resets "
        f"{total_slow * 1000:.0f} ms (ratio {total_fast / total_slow:.2f}x)"
    )
    tree.editor.close()
    catalog(app)


def catalog(app: Any) -> None:
    """The same for an expanded object of 15,000 members (a value, a name, a member added
    and removed)."""
    from composer.domain.draft import sample_event
    from composer.ui.editor import ComposerController
    from composer.ui.editor.property_editor import PropertyEditor

    event = sample_event()
    event["data"]["attributes"]["properties"] = {f"K{i:06d}": i for i in range(ITEMS)}
    controller = ComposerController(revision="2023-01-24")
    controller.load_payload(event)
    editor = PropertyEditor(controller, PROPERTIES, "properties")
    editor.resize(900, 700)
    editor.show()
    model, view = editor.model, editor.tree
    middle = f"K{ITEMS // 2:06d}"
    view.setCurrentIndex(model.index_of((middle,), 2))
    view.scrollTo(view.currentIndex())

    def settle() -> None:
        app.processEvents()
        view.viewport().repaint()
        app.processEvents()

    def run(action: str) -> Step:
        def go() -> None:
            view.setCurrentIndex(model.index_of((middle,)))
            editor.run(action)

        return go

    edits: list[tuple[str, Step]] = [
        ("value change", lambda: model.setData(model.index_of((middle,), 2), "7")),
        ("rename", lambda: model.setData(model.index_of((middle,)), "Renamed")),
        ("add member", run("add_sibling")),
        ("remove", run("remove")),
    ]
    settle()
    print(f"property tree: an object of {model.rowCount():,} members, the middle one current")
    for name, action in edits:
        figures = []
        for reset in (False, True):
            times = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                action()
                if reset:
                    model.beginResetModel()
                    model.endResetModel()
                settle()
                times.append(time.perf_counter() - started)
                view.closePersistentEditor(view.currentIndex())
                controller.undo()
                settle()
                view.setCurrentIndex(model.index_of((middle,), 2))
            figures.append(statistics.median(times))
        fast, slow = figures
        print(
            f"{name:>13}: {fast * 1000:7.1f} ms; followed by a model reset {slow * 1000:7.1f} "
            f"ms (ratio {fast / slow:.2f}x)"
        )
    editor.close()


if __name__ == "__main__":
    main()
