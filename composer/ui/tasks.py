"""Running coroutines from Qt slots without losing their errors.

qasync's ``asyncSlot`` sends exceptions to ``sys.excepthook``, where a user never sees them.
A :class:`TaskRunner` belongs to the window: it keeps a reference to each task it starts (so
none is garbage-collected mid-flight) and emits ``failed(what, exception)`` for any that
raises, which the window shows in words. Widgets receive the runner in their constructor.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)
T = TypeVar("T")


class TaskRunner(QObject):
    """Starts the window's background coroutines; ``failed(str, BaseException)`` says which
    failed and why (cancelled tasks are not failures)."""

    failed = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, T], what: str) -> asyncio.Task[T]:
        """Run ``coro`` on the loop; if it raises, ``failed`` says ``what`` failed."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[T]) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            exc = t.exception()
            if exc is not None:
                log.error("%s failed: %s", what, exc, exc_info=exc)
                if shiboken6.isValid(self):  # the window may be gone already
                    self.failed.emit(what, exc)

        task.add_done_callback(done)
        return task

    def running(self) -> int:
        """How many of the tasks started here are still running."""
        return len(self._tasks)


async def off_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking ``fn(*args)`` (database, keyring, file I/O) in a worker thread."""
    return await asyncio.to_thread(fn, *args)
