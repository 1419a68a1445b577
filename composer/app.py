"""The composition root: the one place that wires storage, the send service, the in-process
sandbox and the window together, and runs them on a qasync event loop.

The HTTP clients are created inside the running loop and closed when the window closes
(qasync's pattern for a long-lived ``httpx.AsyncClient``).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STARTUP_PROBE_ENV = "EVENT_COMPOSER_STARTUP_PROBE"
"""When set, the app prints ``window-shown <unix time>`` once the main window is first
painted, then quits: what the startup benchmark measures."""


def _install_startup_probe(window: Any) -> None:
    """Print when ``window`` is first painted, then quit (for the startup benchmark)."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class Probe(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                print(f"window-shown {time.time():.6f}", flush=True)
                QTimer.singleShot(0, QApplication.instance().quit)  # type: ignore[union-attr]
            return False

    probe = Probe(window)
    window.installEventFilter(probe)


def build_window(storage: Any, sender: Any, file: Path | None = None) -> Any:
    """The main window over ``storage`` and ``sender``, started (sample event or ``file``)."""
    from composer.ui.main_window import MainWindow

    window = MainWindow(storage, sender)
    window.start(file)
    return window


def make_sender(storage: Any) -> Any:
    """The send gateway over the real send service, sending to the in-process sandbox by
    default. Call inside the running event loop (it creates the HTTP clients)."""
    from composer.services.send_gateway import ServiceGateway

    return ServiceGateway(storage)


class DeferredSender:
    """The send gateway, built on first use: the network stack (httpx, the client, the
    in-process sandbox) is not needed to paint the window, so it loads right after."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self._real: Any = None

    def _gateway(self) -> Any:
        if self._real is None:
            self._real = make_sender(self._storage)
        return self._real

    async def send(self, body: bytes, **kwargs: Any) -> Any:
        return await self._gateway().send(body, **kwargs)

    async def aclose(self) -> None:
        if self._real is not None:
            await self._real.aclose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway(), name)


def _warm_up() -> None:
    """Import what the first send and the first validation need, off the UI thread."""
    from composer.domain.revisions import DEFAULT_REVISION
    from composer.domain.validator import Validator

    importlib.import_module("composer.services.send_gateway")
    Validator(DEFAULT_REVISION).warm_up()


async def _main(data_dir: Path | None, file: Path | None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from composer.storage import open_storage
    from composer.storage.db import HistoryDamaged, HistoryError

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        storage = await asyncio.to_thread(open_storage, data_dir)
    except HistoryDamaged as exc:
        if not _offer_fresh_history(str(exc)):
            return 1
        try:
            storage = await asyncio.to_thread(_open_with_fresh_history, data_dir)
        except (HistoryError, OSError) as again:
            QMessageBox.critical(None, "Event Composer cannot start", str(again))
            return 1
    except (HistoryError, OSError) as exc:  # busy, unreadable: moving it aside would not help
        QMessageBox.critical(None, "Event Composer cannot start", str(exc))
        return 1
    closed = asyncio.Event()
    sender = DeferredSender(storage)
    try:
        window = build_window(storage, sender, file)
        window.closed.connect(closed.set)
        app.aboutToQuit.connect(closed.set)
        if os.environ.get(STARTUP_PROBE_ENV):
            _install_startup_probe(window)
        window.show()
        # what the first send needs loads while the user looks at the window
        warm_up = asyncio.ensure_future(asyncio.to_thread(_warm_up))
        await closed.wait()
        await warm_up
    finally:
        await sender.aclose()
        await asyncio.to_thread(storage.close)
    return 0


def _offer_fresh_history(problem: str) -> bool:
    """Ask whether to move an unreadable history aside and start with an empty one."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "The history cannot be opened",
        f"{problem}\n\nEvent Composer can rename that file (nothing is deleted) and start "
        "with an empty history.",
    )
    box.setObjectName("historyUnreadable")
    fresh = box.addButton("Move it aside and start", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(fresh)
    box.exec()
    return box.clickedButton() is fresh


def _open_with_fresh_history(data_dir: Path | None) -> Any:
    from composer.storage import open_storage
    from composer.storage.paths import StoragePaths, move_history_aside

    moved = move_history_aside(StoragePaths.resolve(data_dir), time.strftime("%Y%m%d-%H%M%S"))
    log.warning("history moved aside to %s", moved)
    return open_storage(data_dir)


def run_gui(data_dir: Path | None = None, file: Path | None = None) -> int:
    """Run the desktop app until its window closes; returns the exit status."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from composer.resources import resource
    from composer.ui import theme

    # after PySide6 is loaded, so qasync binds to it without probing other Qt bindings
    qasync = importlib.import_module("qasync")

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Event Composer")
    app.setOrganizationName("event-composer")
    app.setDesktopFileName("event-composer")
    icon = resource("icons", "event-composer.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    theme.apply_theme(app, _initial_theme(data_dir))
    app.setQuitOnLastWindowClosed(False)  # the window's close coroutine ends the loop
    result: int = qasync.run(_main(data_dir, file))
    return result


def _initial_theme(data_dir: Path | None) -> str:
    """The theme from the settings file, read before the window exists (no flash)."""
    from composer.storage.paths import StoragePaths
    from composer.storage.settings import SettingsStore

    try:
        return SettingsStore(StoragePaths.resolve(data_dir).settings_file).settings.theme
    except OSError:
        return "system"
