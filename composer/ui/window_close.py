"""Closing the main window: ask about unsaved changes (one question at a time), then stop
what runs (the history poll, the keyring probe, a replay or a run, which are recorded as
stopped, a send), save the window's layout, and close."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from composer.ui import layout_state
from composer.ui.tasks import off_thread

if TYPE_CHECKING:
    from composer.ui.main_window import MainWindow
    from composer.ui.window_parts import WindowParts

log = logging.getLogger(__name__)


class CloseFlow(QObject):
    """The close of ``window`` once its ``parts`` are built; one flow at a time (a second
    close while the question is open does nothing)."""

    def __init__(self, window: MainWindow, parts: WindowParts) -> None:
        super().__init__(window)
        self._window = window
        self._parts = parts
        self._asking = False

    def request(self) -> None:
        """The user closed the window: ask, then shut down (or stay open)."""
        if self._asking:
            return
        self._asking = True
        self._parts.tasks.spawn(self._close(), "Closing")

    async def _close(self) -> None:
        try:
            close = await self._parts.document.may_replace_composer("closing")
        finally:
            self._asking = False
        if not close:
            self._window.statusBar().showMessage("Not closed: your changes are still here.", 8000)
            return
        self._window.begin_closing()
        await self._shutdown()

    async def _shutdown(self) -> None:
        window, parts = self._window, self._parts
        try:
            parts.history.stop()
            parts.settings.stop()
            blob = layout_state.capture(window, window.splitters(), window.layout_parts.flags())
            try:
                await off_thread(window.storage.settings.modify, lambda s: s.with_layout(blob))
            except OSError as exc:
                log.warning("the window layout was not saved: %s", exc)
            await parts.replay.stop()  # its run is recorded as stopped: it resumes later
            if window.started_run_part is not None:
                await window.started_run_part.stop()
            await parts.send.stop()
            await parts.history.settle()
        finally:
            window.close_now()
