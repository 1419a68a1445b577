"""A long text's parse stays out of the full garbage collections while it is edited, and the
garbage frozen with it is still collected: when typing pauses, or once it has doubled."""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QTextCursor

from composer.ui.editor import ComposerController
from composer.ui.editor.heap import QuietHeap
from tests.ui.test_editor_controller import SAMPLE_REVISION, big_payload


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


class Cycle:
    """Garbage only the cyclic collector can take: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def dead_cycle() -> weakref.ref[Cycle]:
    """A cycle nothing refers to any more (not yet collected)."""
    return weakref.ref(Cycle())


def walked(obj: object) -> bool:
    """True when the collector's walks see ``obj`` (it is not frozen)."""
    return any(o is obj for o in gc.get_objects())


def long_text_controller(qtbot: Any) -> ComposerController:
    # "long": checked on the worker thread, as a megabyte is (a small one keeps this fast)
    c = ComposerController(debounce_ms=10, sync_limit=10_000, revision=SAMPLE_REVISION)
    with qtbot.waitSignal(c.findingsChanged, timeout=10_000):
        c.load_payload(big_payload(100_000))
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=10_000)
    return c


def type_text(controller: ComposerController, position: int, text: str) -> None:
    cursor = QTextCursor(controller.document)
    cursor.setPosition(position)
    cursor.insertText(text)


def test_typing_into_a_long_text_keeps_its_parse_out_of_full_collections(qtbot: Any) -> None:
    c = long_text_controller(qtbot)
    tree = c.state.tree()
    assert tree is not None and not walked(tree.root)
    # A cycle that dies while the user types and is not collected before the next check is
    # frozen with what that check leaves (young collections held back to make sure of it).
    gc.disable()
    try:
        garbage = dead_cycle()
        at = c.text().index("SKU-000010")
        type_text(c, at, "x")
        qtbot.waitUntil(lambda: not c.is_busy() and c._checked.is_fresh(c.state.generation))
    finally:
        gc.enable()
    assert not walked(c.state.tree())
    gc.collect()
    assert garbage() is not None  # frozen: the premise of what follows
    # typing pauses: the frozen garbage is collected, the live text frozen again
    qtbot.waitUntil(lambda: garbage() is None, timeout=5_000)
    assert c.state.tree() is not None and not walked(c.state.tree().root)
    assert "xSKU-000010" in c.text() and c.payload() is not None


def test_a_short_text_again_unfreezes_the_heap_when_idle(qtbot: Any) -> None:
    c = long_text_controller(qtbot)
    assert gc.get_freeze_count() > 0
    c._heap._idle.setInterval(20)
    c.load_text('{"data": {"type": "event", "attributes": {}}}')
    qtbot.waitUntil(lambda: gc.get_freeze_count() == 0, timeout=5_000)
    assert not c._heap.is_holding()


def test_frozen_garbage_stays_bounded_while_edits_never_pause(qtbot: Any) -> None:
    heap = QuietHeap(idle_ms=60_000, busy_growth=0.1, floor=0, look_every_s=0)  # never idle
    gc.collect()
    heap.hold()
    first = gc.get_freeze_count()
    per_step = max(first // 40, 1_000)  # cycles of 2 objects (the object and its __dict__)
    early: list[weakref.ref[Cycle]] = []
    most = 0
    gc.disable()  # the worst case: every cycle outlives the young collections until frozen
    try:
        for step in range(30):
            if step == 0:
                early = [dead_cycle() for _ in range(per_step)]
            else:
                for _ in range(per_step):
                    Cycle()
            heap.hold()  # the next check of the text: what is there is frozen
            most = max(most, gc.get_freeze_count())
    finally:
        gc.enable()
    assert heap.collections >= 2
    assert all(r() is None for r in early)
    # never more than the allowed growth (over what lives: also the weak references kept
    # here) plus one step's garbage, however long it goes
    assert most <= (first + per_step) * 1.1 + 2 * per_step + 1_000


def test_no_edit_no_collection_while_the_frozen_set_has_not_grown(qtbot: Any) -> None:
    heap = QuietHeap(idle_ms=20)
    heap.hold()
    qtbot.waitUntil(lambda: heap.collections == 1, timeout=2_000)  # the first: unknown garbage
    heap.touch()
    heap.hold()  # a check of a text that left nothing new
    qtbot.wait(100)
    assert heap.collections == 1


def test_the_worker_check_switches_threads_often_and_puts_the_interval_back(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import composer.editing.analysis as analysis

    before = sys.getswitchinterval()
    during: list[float] = []
    analyse = analysis.analyse

    def watched(*args: Any, **kwargs: Any) -> Any:
        during.append(sys.getswitchinterval())
        return analyse(*args, **kwargs)

    monkeypatch.setattr(analysis, "analyse", watched)
    c = ComposerController(debounce_ms=10, sync_limit=10_000, revision=SAMPLE_REVISION)
    with qtbot.waitSignal(c.findingsChanged, timeout=10_000):
        c.load_payload(big_payload(50_000))
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=10_000)
    assert during and during[0] == pytest.approx(min(before, 0.001))
    qtbot.waitUntil(lambda: sys.getswitchinterval() == pytest.approx(before), timeout=2_000)
