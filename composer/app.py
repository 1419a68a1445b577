"""The composition root: the one place that builds storage, the in-process sandbox, the send
gateway (with the rate limits from the settings) and the window, wires them together, and runs
them on a qasync event loop. Nothing below builds its own services.

The HTTP clients are created inside the running loop and closed when the window closes
(qasync's pattern for a long-lived ``httpx.AsyncClient``).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from composer.domain.outcome import SendOutcome
    from composer.services.send import Sender, SendResult
    from composer.services.send_gateway import ServiceGateway
    from composer.services.verify import Verification
    from composer.services.verify_text import CheckRequest
    from composer.storage import AccountStorage, Storage
    from composer.ui.main_window import MainWindow, WindowStorage

log = logging.getLogger(__name__)

STARTUP_PROBE_ENV = "EVENT_COMPOSER_STARTUP_PROBE"
"""When set, the app prints ``window-shown <unix time>`` once the main window is first
painted, then quits: what the startup benchmark measures."""


def _install_startup_probe(window: Any) -> None:
    """Print when ``window`` is first painted (for the startup benchmark); the app quits
    once its event loop runs."""
    from PySide6.QtCore import QEvent, QObject

    class Probe(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                print(f"window-shown {time.time():.6f}", flush=True)
            return False

    probe = Probe(window)
    window.installEventFilter(probe)


def build_window(storage: WindowStorage, file: Path | None = None) -> MainWindow:
    """The main window over ``storage`` (the settings; the history comes with
    ``MainWindow.attach``), started (sample event or ``file``)."""
    from composer.ui.main_window import MainWindow

    window = MainWindow(storage)
    window.start(file)
    return window


def build_gateway(storage: Storage) -> ServiceGateway:
    """The send gateway over the real send service and the in-process sandbox (the default
    target), whose rate limits come from the user's settings. Call inside the running event
    loop: the gateway opens its HTTP clients there."""
    from composer.sandbox import SandboxConfig, create_app
    from composer.services.send_gateway import ServiceGateway

    # A short processing delay, as Klaviyo has a longer one: the read-back check after a 202
    # is visible ("Checking whether the sandbox recorded it…") rather than instant.
    return ServiceGateway(storage, sandbox=create_app(SandboxConfig(processing_delay=1.0)))


class DeferredGateway:
    """The send gateway, built by ``build`` on first use: the network stack (httpx, the
    client, the in-process sandbox) is not needed to paint the window, so it loads right
    after, on a worker thread (:meth:`warm_up`)."""

    def __init__(self, build: Callable[[], ServiceGateway]) -> None:
        self._build = build
        self._real: ServiceGateway | None = None

    def gateway(self) -> ServiceGateway:
        if self._real is None:
            self._real = self._build()
        return self._real

    # Each call goes on as it came: the options are ServiceGateway's own (see SendGateway in
    # composer/services/ports.py), written down once there and not again here.
    async def send(self, body: bytes, **options: Any) -> SendOutcome:
        return await self.gateway().send(body, **options)

    async def send_event(self, body: bytes, **options: Any) -> SendResult:
        return await self.gateway().send_event(body, **options)

    async def verify(self, request: CheckRequest) -> Verification:
        return await self.gateway().verify(request)

    async def run_sender(self, **options: Any) -> Sender:
        return await self.gateway().run_sender(**options)

    async def open_replay_sender(self, **options: Any) -> Sender:
        return await self.gateway().open_replay_sender(**options)

    async def aclose(self) -> None:
        if self._real is not None:
            await self._real.aclose()


def _warm_up() -> None:
    """Import what the first send and the first validation need, off the UI thread."""
    from composer.domain.revisions import DEFAULT_REVISION
    from composer.domain.validator import Validator

    importlib.import_module("composer.services.send_gateway")
    importlib.import_module("composer.sandbox")
    Validator(DEFAULT_REVISION).warm_up()


def _open_history(accounts: AccountStorage) -> Storage:
    from composer.storage import with_history

    # the whole-file damage check and the retention run once the window is on screen
    return with_history(accounts, defer_checks=True)


async def _finish_opening(window: MainWindow, storage: Storage, closed: asyncio.Event) -> bool:
    """Read the history for damage and apply the retention, after the first paint and off
    the UI thread. A damaged history is offered to be moved aside, as when it cannot be
    opened at all; False when the user chose to quit instead."""
    import asyncio

    from composer.storage.db import HistoryDamaged, HistoryError

    try:
        removed = await asyncio.to_thread(storage.finish_opening)
    except HistoryDamaged as exc:
        if closed.is_set():  # the window went meanwhile: the next start offers it
            return True
        # nothing may read the file while it is moved aside
        window.history_part.stop()
        await window.history_part.settle()
        if not await _offer_fresh_history(str(exc)):
            return False
        try:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            moved = await asyncio.to_thread(storage.history.start_afresh, stamp)
        except (HistoryError, OSError) as again:
            await _cannot_start(str(again))
            return False
        log.warning("history moved aside to %s", moved)
        window.statusBar().showMessage(
            f"The damaged history was moved aside to {moved.name}; a new history started.", 30000
        )
        window.history_part.start()
        return True
    except (HistoryError, OSError) as exc:  # busy: the history goes on unchecked this run
        log.warning("the history was not checked for damage: %s", exc)
        return True
    if removed:
        window.history_part.refresh()
    return True


def _paint_first(app: Any, window: MainWindow) -> None:
    """Show ``window`` and wait (at most 2 s) for its first paint, before the event loop
    and the rest exist. Input waits for the loop: nothing the user does can reach a part
    that is not built yet."""
    from PySide6.QtCore import QEventLoop, QTimer

    wait = QEventLoop()
    window.firstPainted.connect(wait.quit)
    QTimer.singleShot(2000, wait.quit)
    window.show()
    wait.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


async def _main(data_dir: Path | None, file: Path | None, window: MainWindow | None = None) -> int:
    """Show the window (or take ``window``, shown and painted already), open the history
    behind it, give the window its storage and gateway, and run until it closes; the exit
    status."""
    import asyncio

    from PySide6.QtWidgets import QApplication

    from composer.storage.db import HistoryDamaged, HistoryError

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if window is None:
        try:
            accounts = await asyncio.to_thread(_open_accounts, data_dir)
        except OSError as exc:  # an unwritable data folder
            await _cannot_start(str(exc))
            return 1
        window = _show_window(app, accounts, file, wait=False)
        painted = asyncio.get_running_loop().create_future()

        def on_paint() -> None:
            if not painted.done():
                painted.set_result(None)

        window.firstPainted.connect(on_paint)
        with contextlib.suppress(asyncio.TimeoutError):  # shown minimized: go on without
            await asyncio.wait_for(painted, 2.0)
    accounts = window.storage
    try:
        storage = await asyncio.to_thread(_open_history, accounts)
    except HistoryDamaged as exc:
        if not await _offer_fresh_history(str(exc)):
            window.close_now()
            return 1
        try:
            storage = await asyncio.to_thread(_open_with_fresh_history, accounts)
        except (HistoryError, OSError) as again:
            await _cannot_start(str(again))
            window.close_now()
            return 1
    except (HistoryError, OSError) as exc:  # busy, unreadable: moving it aside would not help
        await _cannot_start(str(exc))
        window.close_now()
        return 1
    closed = asyncio.Event()
    gateway = DeferredGateway(lambda: build_gateway(storage))
    warm_ups: list[asyncio.Future[None]] = []
    quit_chosen = False
    shown = window

    async def finish_opening() -> None:
        nonlocal quit_chosen
        if not await _finish_opening(shown, storage, closed):
            quit_chosen = True
            shown.close()

    def warm_up() -> None:
        _set_window_icon(app)
        # the history's checks, and what the first send needs, run while the user looks at
        # the window
        warm_ups.append(asyncio.ensure_future(finish_opening()))
        warm_ups.append(asyncio.ensure_future(asyncio.to_thread(_warm_up)))

    try:
        window.closed.connect(closed.set)
        window.settled.connect(warm_up)
        app.aboutToQuit.connect(closed.set)
        window.attach(storage, gateway)
        if os.environ.get(STARTUP_PROBE_ENV):
            app.quit()  # painted already: what the probe measures is done
        await closed.wait()
        for pending in warm_ups:
            await pending
    finally:
        await gateway.aclose()
        await asyncio.to_thread(storage.close)
    return 1 if quit_chosen else 0


def _open_accounts(data_dir: Path | None) -> AccountStorage:
    from composer.storage import open_accounts

    return open_accounts(data_dir)


def _show_window(
    app: Any, accounts: AccountStorage, file: Path | None, *, wait: bool = True
) -> MainWindow:
    """Build the window from the settings, apply the theme, show it and (``wait``, before
    the event loop runs) wait for its first paint."""
    from composer.ui import theme

    chosen = accounts.settings.settings.theme
    if chosen != theme.current_theme():  # "system" is what Qt starts with
        theme.apply_theme(app, chosen)  # before the window: no flash
    window = build_window(accounts, file)
    if os.environ.get(STARTUP_PROBE_ENV):
        _install_startup_probe(window)
    if wait:
        _paint_first(app, window)
    else:
        window.show()
    return window


def _set_window_icon(app: Any) -> None:
    """The app's icon, set once the window is on screen (QIcon's enums take ~5 ms to build,
    and the title bar takes the icon when it comes)."""
    from PySide6.QtGui import QIcon

    from composer.resources import resource

    icon = resource("icons", "event-composer.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))


async def _cannot_start(problem: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    from composer.ui.dialogs import ask

    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "Event Composer cannot start",
        problem,
        QMessageBox.StandardButton.Ok,
    )
    box.setObjectName("cannotStart")
    await ask(box)


async def _offer_fresh_history(problem: str) -> bool:
    """Ask whether to move an unreadable history aside and start with an empty one."""
    from PySide6.QtWidgets import QMessageBox

    from composer.ui.dialogs import ask

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
    return await ask(box) is fresh


def _open_with_fresh_history(accounts: AccountStorage) -> Storage:
    from composer.storage import with_history
    from composer.storage.paths import move_history_aside

    moved = move_history_aside(accounts.paths, time.strftime("%Y%m%d-%H%M%S"))
    log.warning("history moved aside to %s", moved)
    return with_history(accounts)


def run_gui(data_dir: Path | None = None, file: Path | None = None) -> int:
    """Run the desktop app until its window closes; returns the exit status.

    The window paints first, from the settings alone and before the event loop exists;
    asyncio, qasync, the history and the parts come after that paint."""
    # Start-up allocates much and frees little: no garbage collection until the window
    # has painted (each full collection walks every object Qt and the imports made).
    gc.disable()
    try:
        window = _paint_window_first(data_dir, file)
    finally:
        gc.enable()
    # after PySide6 is loaded, so qasync binds to it without probing other Qt bindings
    qasync = importlib.import_module("qasync")
    result: int = qasync.run(_main(data_dir, file, window))
    return result


def _load_fonts_beside() -> None:
    """Load Qt's font database (on Linux: fontconfig's configuration and every installed
    font's entry, ~10 ms) on a worker thread while this one imports and builds the window:
    the first text the window measures would otherwise wait for it. PySide releases the GIL
    for the call, and the database serves any thread (behind its own lock)."""
    import threading

    from PySide6.QtGui import QFontDatabase

    threading.Thread(target=QFontDatabase.families, name="fonts", daemon=True).start()


def _paint_window_first(data_dir: Path | None, file: Path | None) -> MainWindow | None:
    """The application, and the window built from the settings and painted (None when the
    settings' folder cannot be used: the event loop says why)."""
    from composer.ui.pyside_imports import read_sources_quickly

    read_sources_quickly()  # before PySide6's modules load: it looks at each module then
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Event Composer")
    app.setOrganizationName("event-composer")
    app.setDesktopFileName("event-composer")
    app.setQuitOnLastWindowClosed(False)  # the window's close coroutine ends the loop
    _load_fonts_beside()
    try:
        accounts = _open_accounts(data_dir)
    except OSError:
        return None  # the loop opens it again and says why it cannot start
    return _show_window(app, accounts, file)
