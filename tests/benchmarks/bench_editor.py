"""The composer with a 1 MB payload: time to load it, the longest event-loop stall while
typing into it (target: under 50 ms) and the one full garbage collection once typing pauses,
and the time a Form edit takes to put its text edit into
the document (target: under 5 ms), beside regenerating the whole text as the composer once did.

Stalls are measured with a 5 ms heartbeat timer: the longest gap between two beats is the
longest time the UI could not react. Each figure is set beside a plain QPlainTextEdit doing
the same in the same process (no highlighting, no validation, no form).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HEARTBEAT_MS = 5
KEY_INTERVAL_MS = 30  # a fast typist: about 33 characters a second
CHARS = "Winnie the Pooh and the honey tree, first edition"  # ~50 characters
MEMBER = '"Note": "gift wrap, with a card", '
"""A new member typed before another: the text parses again only once it is complete, so the
check reads the tree of positions anew."""


def payload_of_size(target_bytes: int) -> dict[str, Any]:
    """The sample event (in the default revision's layout) with enough order items to make
    about ``target_bytes`` of JSON."""
    from composer.domain.convert import sample_event_in

    event = sample_event_in()
    props = event["data"]["attributes"]["properties"]
    props["Items"] = [
        {
            "SKU": f"SKU-{i:06d}",
            "Name": "Winnie the Pooh, hardcover",
            "Price": 9.99,
            "Tags": ["books", "children"],
        }
        for i in range(target_bytes // 220)
    ]
    return event


class Heartbeat:
    """Records the longest gap between beats of a 5 ms timer."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer(interval=HEARTBEAT_MS)
        self.timer.timeout.connect(self._beat)
        self.last = 0.0
        self.max_gap = 0.0
        self.gaps: list[float] = []

    def start(self) -> None:
        self.last = time.perf_counter()
        self.max_gap = 0.0
        self.gaps = []
        self.timer.start()

    def _beat(self) -> None:
        now = time.perf_counter()
        gap = now - self.last
        self.gaps.append(gap)
        self.max_gap = max(self.max_gap, gap)
        self.last = now

    def stop(self) -> None:
        self._beat()
        self.timer.stop()


def run_until(app: Any, done: Callable[[], bool], timeout_s: float) -> None:
    """Spin the event loop until ``done()`` (bounded by ``timeout_s``)."""
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + timeout_s
    while not done() and time.perf_counter() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)


def type_into(
    app: Any, editor: Any, position: int, settle: Callable[[], bool], chars: str = CHARS
) -> Heartbeat:
    """Type ``chars`` at ``position`` at typing speed; return the heartbeat's record."""
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest

    cursor = editor.textCursor()
    cursor.setPosition(position)
    editor.setTextCursor(cursor)
    editor.setFocus()
    beat = Heartbeat()
    remaining = list(chars)

    def key() -> None:
        if remaining:
            QTest.keyClicks(editor, remaining.pop(0))

    keys = QTimer(interval=KEY_INTERVAL_MS)
    keys.timeout.connect(key)
    beat.start()
    keys.start()
    run_until(app, lambda: not remaining, 30)
    keys.stop()
    run_until(app, settle, 60)  # until the last edit has been checked
    beat.stop()
    return beat


def changed_chars(old: str, new: str) -> int:
    """How many characters of ``old`` differ from ``new`` between their common prefix and
    suffix (binary search with C-level slice comparisons: fast on megabytes)."""
    lo, hi = 0, min(len(old), len(new))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if old[:mid] == new[:mid] else (lo, mid - 1)
    prefix = lo
    lo, hi = 0, min(len(old), len(new)) - prefix
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if old[len(old) - mid :] == new[len(new) - mid :] else (lo, mid - 1)
    return max(len(old), len(new)) - prefix - lo


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:
    """Print the figures."""
    from PySide6.QtWidgets import QApplication, QPlainTextEdit

    from composer.editing.values import dump
    from composer.ui.editor import ComposerController, ComposerWidget
    from composer.ui.editor.heap import IDLE_MS

    app = QApplication.instance() or QApplication([])
    payload = payload_of_size(1_000_000)
    text = dump(payload)
    print(f"payload: {len(text.encode()) / 1e6:.2f} MB, {text.count(chr(10)) + 1} lines")

    # Baseline: a bare QPlainTextEdit.
    bare = QPlainTextEdit()
    bare.resize(900, 700)
    bare.show()
    started = time.perf_counter()
    bare.setPlainText(text)
    app.processEvents()
    bare_load = time.perf_counter() - started
    middle = len(text) // 2
    bare_beat = type_into(app, bare, middle, lambda: True)
    bare.close()

    # The composer.
    controller = ComposerController()
    widget = ComposerWidget(controller)
    widget.resize(900, 800)
    widget.show_raw()
    widget.show()
    app.processEvents()
    started = time.perf_counter()
    controller.load_payload(payload)
    shown = time.perf_counter() - started
    run_until(app, lambda: controller.draft() is not None and not controller.is_busy(), 60)
    checked = time.perf_counter() - started

    def settled() -> bool:
        return not controller.is_busy() and controller._checked.is_fresh(
            controller.state.generation
        )

    position = controller.text().index('"SKU-003000"') + 5
    beat = type_into(app, widget.raw_editor, position, settled)
    typed_ok = CHARS in controller.text() and controller.payload() is not None
    # Once typing pauses, the garbage frozen while it went on is collected
    # (composer/ui/editor/heap.py): one full collection, while nobody types.
    heap = controller._heap
    collections = heap.collections
    paused = Heartbeat()
    paused.start()
    run_until(app, lambda: heap.collections > collections, 10)
    paused.stop()
    position = controller.text().index('"SKU": "SKU-003100"')
    member_beat = type_into(app, widget.raw_editor, position, settled, MEMBER)
    member_ok = MEMBER in controller.text() and controller.payload() is not None
    widget.show_form()
    started = time.perf_counter()
    app.processEvents()
    form_tab = time.perf_counter() - started
    run_until(app, controller.state.parses, 10)
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    # Typing into Form fields, as a user does: each key press makes one text edit. The value
    # field sits after the megabyte of properties; the last name is a new member.
    form = widget.form
    metric = form.metric_combo.lineEdit()
    assert metric is not None
    # "$last_name" in the flat layout (2023-01-24), "last_name" in the newer one
    last_name = next(e for k, e in form.profile_edits.items() if k.lstrip("$") == "last_name")
    fields = [metric, form.value_edit, last_name]
    form.value_edit.clear()
    form_edits = []
    spans = []
    for n in range(30):
        field = fields[n % 3]
        before = controller.text()
        started = time.perf_counter()
        QTest.keyClick(field, Qt.Key.Key_7)
        form_edits.append(time.perf_counter() - started)
        spans.append(changed_chars(before, controller.text()))
    # The property tree's operations on the megabyte array of items.
    items = "/data/attributes/properties/Items"
    tree_ops = []
    for operation, args in (
        ("insert", (items, None, {"SKU": "NEW", "Price": 1.5})),
        ("duplicate", (f"{items}/10",)),
        ("move", (f"{items}/10", 1)),
        ("remove", (f"{items}/11",)),
    ):
        started = time.perf_counter()
        controller.edit(operation, *args)
        tree_ops.append((operation, time.perf_counter() - started))
    started = time.perf_counter()
    regenerated = dump(controller.payload())
    regenerate = time.perf_counter() - started
    form_edit = percentile(form_edits, 0.5)
    form_ok = all(0 < n < 40 for n in spans) and len(regenerated) > 900_000
    print(
        f"load 1 MB: text shown {shown * 1000:.0f} ms, checked (findings, form) "
        f"{checked * 1000:.0f} ms; bare QPlainTextEdit {bare_load * 1000:.0f} ms "
        f"(ratio {shown / bare_load:.2f}x)"
    )
    print(
        f"typing {len(CHARS)} characters at {KEY_INTERVAL_MS} ms intervals, heartbeat "
        f"{HEARTBEAT_MS} ms: longest stall {beat.max_gap * 1000:.1f} ms "
        f"(p99 {percentile(beat.gaps, 0.99) * 1000:.1f} ms; target < 50 ms); "
        f"bare QPlainTextEdit {bare_beat.max_gap * 1000:.1f} ms "
        f"(ratio {beat.max_gap / max(bare_beat.max_gap, 1e-6):.2f}x)"
    )
    print(
        f"typing a new member ({len(MEMBER)} characters; the text parses again when it is "
        f"complete): longest stall {member_beat.max_gap * 1000:.1f} ms "
        f"(p99 {percentile(member_beat.gaps, 0.99) * 1000:.1f} ms; target < 50 ms); "
        f"checked and kept: {member_ok}"
    )
    print(
        f"typing paused: the garbage frozen meanwhile collected {IDLE_MS / 1000:.1f} s after "
        f"the last edit in {heap.last_collection_s * 1000:.0f} ms (longest stall then "
        f"{paused.max_gap * 1000:.1f} ms, while nobody types); "
        f"{gc.get_freeze_count():,} objects kept out of the collector's walks"
    )
    print(
        f"switch to the Form tab: {form_tab * 1000:.0f} ms; typed text checked and kept: {typed_ok}"
    )
    print(
        f"form edit on 1 MB (a key typed into a Form field, {len(form_edits)} keys): median "
        f"{form_edit * 1000:.2f} ms, longest {max(form_edits) * 1000:.2f} ms (target < 5 ms); "
        f"writing the whole text anew as before "
        f"{regenerate * 1000:.1f} ms (ratio {form_edit / regenerate:.3f}x); only the value's "
        f"span changed: {form_ok}"
    )
    print(
        "property tree on the 4,500-item array: "
        + ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in tree_ops)
    )
    widget.close()


if __name__ == "__main__":
    main()
