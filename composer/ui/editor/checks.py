"""When and where the composer's text is checked: at once on the UI thread for a short text,
after a ~150 ms pause in typing, and on a worker thread for a long text (and for the first
check after start-up, held until the window has painted). The check itself is
:func:`composer.editing.analysis.analyse` with the revision's validator and the variables'
scope, both built when first needed."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import sys
import threading
import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from composer.domain.validator import Validator
    from composer.domain.variables import Scope
    from composer.editing.analysis import Analysis
    from composer.editing.state import EditState

log = logging.getLogger(__name__)

WORKER_SWITCH_S = 0.001
"""The interpreter's thread switch interval while a check runs on the worker thread."""


class Checks(QObject):
    """Checks the text of ``state`` against ``revision``. ``analysed`` carries each
    :class:`Analysis` of the text as it is now (a stale one is dropped); ``busyChanged``
    says whether a check is pending."""

    analysed = Signal(object)
    busyChanged = Signal(bool)
    _delivered = Signal(object)

    def __init__(
        self,
        state: EditState,
        revision: str,
        *,
        debounce_ms: int,
        sync_limit: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._state = state
        self.revision = revision
        self._validator: Validator | None = None  # with the first check: after the first paint
        self.scope: Scope | None = None  # no variables until the window sets some
        # Random preview values ({{$uuid}}) stay put while the user edits: one seed per
        # composer; every send still draws its own values.
        self._preview_seed = random.getrandbits(32)
        self._sync_limit = sync_limit
        self._busy = False
        self._held = False
        self._waiting = False
        self._executor: ThreadPoolExecutor | None = None
        self._switching = _SwitchOften()
        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self.soon)
        # queued: the worker thread emits, the UI thread (this object's) receives
        self._delivered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def is_busy(self) -> bool:
        """True while a check is pending or running."""
        return self._busy

    def is_short(self, text: str) -> bool:
        """True when ``text`` is checked on the UI thread (a few milliseconds)."""
        return len(text) <= self._sync_limit

    def set_revision(self, name: str) -> None:
        self.revision = name
        self._validator = None

    def validator(self) -> Validator:
        """The validator of the revision (built with the first check)."""
        if self._validator is None:
            from composer.domain.validator import Validator

            self._validator = Validator(self.revision)
        return self._validator

    def after_typing(self) -> None:
        """Check once the typing pauses."""
        self._debounce.start()

    def now(self) -> Analysis:
        """Check the text as it is now, on this thread, and announce the result."""
        analysis = self._analyse(self._state.text, self._state.generation)
        self._deliver(analysis)
        return analysis

    def soon(self, *, background: bool = False) -> None:
        """Check the text as it is now: a short one at once, a long one (or any, with
        ``background``) on the worker thread."""
        self._debounce.stop()
        if self._held:  # until the window has painted
            self._set_busy(True)  # the Problems list says it is checking
            self._waiting = True
            return
        if self.is_short(self._state.text) and not background:
            self.now()
            return
        self._set_busy(True)
        self._submit()

    def hold(self) -> None:
        """Queue checks until :meth:`release` (one, of the text as it is then): the window
        paints first, and the validator's libraries load after (on the same core, they would
        slow the paint)."""
        self._held = True

    def release(self) -> None:
        """Run the check asked for while held (for the text as it is now)."""
        self._held = False
        if self._waiting:
            self._waiting = False
            self.soon(background=True)

    def _analyse(self, text: str, generation: int) -> Analysis:
        from composer.editing.analysis import analyse

        return analyse(
            text,
            self.validator(),
            generation,
            # the tree of positions is kept up to date edit by edit; read it anew only when
            # the last edit left it behind (a keystroke that broke and then mended the JSON)
            with_tree=not self._state.is_read(),
            scope=self.scope,
            preview_seed=self._preview_seed,
        )

    def _submit(self) -> None:
        from composer.editing.analysis import analyse

        state = self._state
        text, generation = state.text, state.generation
        # what the check needs is taken now, on this thread
        validator, scope, seed = self.validator(), self.scope, self._preview_seed
        with_tree = not state.is_read()

        def work() -> Analysis | None:
            if generation != state.generation:
                return None  # superseded while queued
            analysis = analyse(
                text, validator, generation, with_tree=with_tree, scope=scope, preview_seed=seed
            )
            if analysis.tree is None and analysis.payload is not None:
                # The state keeps its own value edit by edit and takes none from a check
                # without a tree: this one is freed here, not on the window's thread (a
                # megabyte's objects take milliseconds to free).
                analysis = dataclasses.replace(analysis, payload=None)
            return analysis

        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="composer-validate"
            )
            # Let queued work go when the controller goes; a running check just finishes.
            weakref.finalize(self, self._executor.shutdown, wait=False, cancel_futures=True)
        delivered = self._delivered
        switching = self._switching

        def deliver(future: Future[Analysis | None]) -> None:
            switching.leave()
            try:
                result = future.result()
            except Exception:  # never lose the UI over a worker failure
                log.exception("validation worker failed")
                return
            if result is not None:
                with contextlib.suppress(RuntimeError):  # the controller is gone
                    delivered.emit(result)

        switching.enter()
        try:
            future = self._executor.submit(work)
        except RuntimeError:  # the executor is shut down: nothing will leave for us
            switching.leave()
            raise
        future.add_done_callback(deliver)

    def _deliver(self, analysis: Analysis) -> None:
        if analysis.generation != self._state.generation:
            return  # stale: the text changed since; a newer analysis is on its way
        self._set_busy(False)
        self.analysed.emit(analysis)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)


class _SwitchOften:
    """While checks run on the worker thread, the interpreter switches threads every
    millisecond instead of every 5. The check of a long text is pure Python for a few hundred
    milliseconds; the window's thread needs the interpreter lock back for each keystroke and
    paint, and at 5 ms a switch it waited 5-10 ms each time (the p99 of the typing stalls).
    Entered on the UI thread, left on the worker thread: counted under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved = 0.0
        self._set = 0.0

    def enter(self) -> None:
        with self._lock:
            self._running += 1
            if self._running == 1:
                self._saved = sys.getswitchinterval()
                self._set = min(self._saved, WORKER_SWITCH_S)
                sys.setswitchinterval(self._set)

    def leave(self) -> None:
        with self._lock:
            self._running -= 1
            # put back unless something else (a replay) set its own meanwhile
            if self._running == 0 and abs(sys.getswitchinterval() - self._set) < 1e-7:
                sys.setswitchinterval(self._saved)
