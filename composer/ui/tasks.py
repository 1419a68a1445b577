"""Running coroutines from Qt slots without losing their errors.

qasync's ``asyncSlot`` sends exceptions to ``sys.excepthook``, where a user never sees them.
:func:`spawn` keeps a reference to each task (so it is not garbage-collected mid-flight) and
hands any exception to the reporter the main window installs, which shows it in words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_tasks: set[asyncio.Task[Any]] = set()
_reporter: list[Callable[[str, BaseException], None]] = []


def set_error_reporter(report: Callable[[str, BaseException], None] | None) -> None:
    """Install ``report(what, exc)``, called for every task that fails (None removes it)."""
    _reporter.clear()
    if report is not None:
        _reporter.append(report)


def report_error(what: str, exc: BaseException) -> None:
    """Log ``exc`` and show it through the installed reporter."""
    log.error("%s failed: %s", what, exc, exc_info=exc)
    for report in _reporter:
        try:
            report(what, exc)
        except Exception:  # the reporter itself must never take the app down
            log.exception("error reporter failed")


def spawn(coro: Coroutine[Any, Any, T], what: str) -> asyncio.Task[T]:
    """Run ``coro`` on the loop; if it raises, :func:`report_error` says ``what`` failed."""
    task = asyncio.ensure_future(coro)
    _tasks.add(task)

    def done(t: asyncio.Task[T]) -> None:
        _tasks.discard(t)
        if t.cancelled():
            return
        exc = t.exception()
        if exc is not None:
            report_error(what, exc)

    task.add_done_callback(done)
    return task


def running_tasks() -> int:
    """How many spawned tasks are still running (tests wait for 0)."""
    return len(_tasks)


async def off_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking ``fn(*args)`` (database, keyring, file I/O) in a worker thread."""
    return await asyncio.to_thread(fn, *args)
