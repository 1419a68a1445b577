"""The composer's checks off the UI thread: one worker thread that analyses long texts (and
the first check after start-up), its results carried back to the UI thread, and the hold that
keeps checks queued until the window has painted."""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

if TYPE_CHECKING:
    from composer.domain.validator import Validator
    from composer.editing.analysis import Analysis

log = logging.getLogger(__name__)


class BackgroundChecks(QObject):
    """Runs analyses on a worker thread; ``done`` carries each result on the UI thread.
    While held (:meth:`hold`), a check asked for waits for :meth:`release`."""

    done = Signal(object)
    _delivered = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor: ThreadPoolExecutor | None = None
        self._held = False
        self._waiting: Callable[[], None] | None = None
        # queued: the worker thread emits, the UI thread (this object's) receives
        self._delivered.connect(self._forward, Qt.ConnectionType.QueuedConnection)

    def _forward(self, analysis: Analysis) -> None:
        self.done.emit(analysis)

    @property
    def held(self) -> bool:
        """True while checks wait for :meth:`release`."""
        return self._held

    def hold(self) -> None:
        """Queue checks until :meth:`release`: the window paints first, and the validator's
        libraries load after (on the same core, they would slow the first paint down)."""
        self._held = True

    def release(self) -> None:
        """Let checks run again; the one asked for while held starts now."""
        self._held = False
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting()

    def wait_for_release(self, check: Callable[[], None]) -> None:
        """Run ``check`` once released (the last one asked for wins)."""
        self._waiting = check

    def check(
        self,
        text: str,
        validator: Validator,
        generation: int,
        current: Callable[[], int],
        **options: Any,
    ) -> None:
        """Analyse ``text`` (of ``generation``; ``options`` as :func:`analyse` takes them)
        on the worker thread; the analysis comes back through ``done``, unless the text moved
        on (``current()``, the generation now) before the check started."""
        from composer.editing.analysis import analyse

        def work() -> Analysis | None:
            if generation != current():
                return None  # superseded while queued
            return analyse(text, validator, generation, **options)

        self._submit(work)

    def _submit(self, work: Callable[[], Analysis | None]) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="composer-validate"
            )
            # Let queued work go when the controller goes; a running check just finishes.
            weakref.finalize(self, self._executor.shutdown, wait=False, cancel_futures=True)
        delivered = self._delivered

        def deliver(future: Future[Analysis | None]) -> None:
            try:
                result = future.result()
            except Exception:  # never lose the UI over a worker failure
                log.exception("validation worker failed")
                return
            if result is not None:
                with contextlib.suppress(RuntimeError):  # the controller is gone
                    delivered.emit(result)

        self._executor.submit(work).add_done_callback(deliver)
