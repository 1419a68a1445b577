"""How the window stays responsive while a replay reads or sends a file beside it: full
garbage collections held back, and the interpreter switching threads more often while a
worker thread is busy."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator

from PySide6.QtCore import QTimer

WORKER_SWITCH_S = 0.001
"""The interpreter's thread switch interval while a bulk replay's worker thread runs."""
OUTCOME_PAINTED_MS = 300
"""After this, the outcome of a replay is on screen."""


@contextlib.contextmanager
def responsive_window(*, worker_thread: bool) -> Iterator[None]:
    """Keep the window responsive while a replay runs.

    Python's full garbage collections are held back: each walks every object of the process
    and, with a heap that grows by the replay's events, stalled the window for 200-400 ms a
    few times per 10,000 events. Young objects are still collected; the thresholds come back
    afterwards, and the full collection held back runs once the outcome is painted.

    With ``worker_thread`` (a bulk replay), the interpreter switches threads every millisecond
    instead of every 5: the window's thread takes the interpreter lock back for each small
    callback, and at 5 ms a switch the busy worker kept it waiting 150-350 ms at a time."""
    before = gc.get_threshold()
    switch = sys.getswitchinterval()
    gc.set_threshold(before[0], before[1], 1_000_000_000)
    if worker_thread:
        sys.setswitchinterval(min(switch, WORKER_SWITCH_S))
    try:
        yield
    finally:
        sys.setswitchinterval(switch)
        gc.set_threshold(*before)
        QTimer.singleShot(OUTCOME_PAINTED_MS, gc.collect)


@contextlib.contextmanager
def switching_often() -> Iterator[None]:
    """While a worker thread reads a file, the interpreter switches threads every millisecond
    instead of every 5: the window's thread gets the interpreter lock back for each small
    callback (at 5 ms a switch, the busy reader kept the window waiting up to 400 ms)."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, WORKER_SWITCH_S))
    try:
        yield
    finally:
        sys.setswitchinterval(switch)
