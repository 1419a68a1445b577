"""Python's cyclic garbage collector while the composer holds a long text.

Measured with tests/benchmarks/bench_editor.py (a 1 MB event, typed into at 33 keys a
second): a full collection walks every object the process holds; with a megabyte's parse (its
value and the tree of positions) that was ~150,000 objects, and each one took 33-47 ms. One
came with nearly every check of the typed text: the check (on its worker thread) reads the
text into a fresh value, and those survivors push the collector over its threshold for a full
collection. A collection holds the interpreter lock whatever thread runs it, so the window's
thread waited the whole time: that was the longest stall while typing (45-70 ms).

What a long text's check leaves behind (the value, the tree, the findings, the widgets
showing them) lives long and holds no cycles: walking it finds no garbage. So once a check of
a long text is applied, the heap is frozen (``gc.freeze``: what is alive moves out of the
collector's sight, in constant time); young objects are collected as always, and the full
collections that still come walk only what is newer than the last freeze.

Frozen objects freed by their reference counts go as usual, but cycles frozen with the rest
are not collected while frozen. They are released when the composer has had no edit for
``idle_ms`` and the frozen set grew by a quarter (``IDLE_GROWTH``, the collector's own rule for
when a full collection is worth its walk) since the last full collection, or it was frozen
without one: unfreeze, collect, freeze again (one pause while nobody types). Should edits never
pause, the frozen set is collected anyway once it has doubled (``BUSY_GROWTH``; counted every
``LOOK_EVERY_S`` at most, as counting walks it): memory stays bounded. When the composer's
text is short again, the heap is unfrozen and collected once at the next idle moment.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

IDLE_MS = 1500
"""No edit for this long: the composer is idle, a full collection goes unnoticed."""
IDLE_GROWTH = 0.25
BUSY_GROWTH = 1.0
GROWTH_FLOOR = 10_000
"""Objects the frozen set may grow by beyond the ratios (small heaps are not worth a walk)."""
LOOK_EVERY_S = 5.0
"""While edits go on, how often the frozen set is counted (counting walks it: ~4 ms on 1 MB)."""


class QuietHeap(QObject):
    """Keeps full garbage collections from walking a long text's long-lived objects while it
    is edited (see the module). :meth:`hold` after a check of a long text is applied,
    :meth:`touch` on every edit, :meth:`let_go` when the text is short again."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        idle_ms: int = IDLE_MS,
        idle_growth: float = IDLE_GROWTH,
        busy_growth: float = BUSY_GROWTH,
        floor: int = GROWTH_FLOOR,
        look_every_s: float = LOOK_EVERY_S,
    ) -> None:
        super().__init__(parent)
        self._idle_growth = idle_growth
        self._busy_growth = busy_growth
        self._floor = floor
        self._look_every_s = look_every_s
        self._next_look = 0.0
        self._holding = False
        self._baseline = 0
        """How many objects were frozen right after the last full collection, or at the
        first freeze since one."""
        self._unknown = True
        """Frozen without a full collection just before: how much of it is garbage is not
        known, so the next idle moment collects."""
        self._idle = QTimer(self, singleShot=True, interval=idle_ms)
        self._idle.timeout.connect(self._on_idle)
        self.collections = 0
        """Full collections made here (the idle ones and the ones forced by growth)."""
        self.last_collection_s = 0.0
        """How long the last of them took."""

    def is_holding(self) -> bool:
        """True while the heap is kept frozen for a long text."""
        return self._holding

    def hold(self) -> None:
        """A long text's check is applied: freeze what is alive now."""
        gc.freeze()
        if not self._holding:
            self._holding = True
            if self._unknown:
                self._baseline = gc.get_freeze_count()
        elif time.monotonic() >= self._next_look:
            self._next_look = time.monotonic() + self._look_every_s
            if self._grew(self._busy_growth):
                self._collect()  # edits never paused long enough: bound the memory now
        self._idle.start()

    def touch(self) -> None:
        """An edit: the idle moment comes later."""
        if self._holding or self._idle.isActive():
            self._idle.start()

    def let_go(self) -> None:
        """The text is short again: unfreeze and collect at the next idle moment."""
        if self._holding:
            self._holding = False
            self._idle.start()

    def _grew(self, ratio: float) -> bool:
        return gc.get_freeze_count() > self._baseline * (1 + ratio) + self._floor

    def _on_idle(self) -> None:
        if not self._holding:
            if gc.get_freeze_count():
                self._collect()
            return
        if self._unknown or self._grew(self._idle_growth):
            self._collect()

    def _collect(self) -> None:
        started = time.perf_counter()
        gc.unfreeze()
        gc.collect()
        if self._holding:
            gc.freeze()  # only what is alive: the collection just took the garbage
            self._baseline = gc.get_freeze_count()
            self._unknown = False
        else:
            self._unknown = True
        self.collections += 1
        self.last_collection_s = time.perf_counter() - started
