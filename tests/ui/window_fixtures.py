"""Fixtures for the window tests (imported by tests/ui and tests/flows conftest): a qasync
temporary folder, the real send service and the in-process sandbox.

Without the private Secret Service of `make test` (EVENT_COMPOSER_TEST_SECRET_SERVICE unset) the
keyring is keyring's "fail" backend, so no test touches a developer's own keyring.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

qasync = pytest.importorskip("qasync")


@pytest.fixture(scope="session")
def _session_qloop(qapp: Any) -> Iterator[Any]:
    # One loop for the whole run: qasync loops do not survive being closed and re-created
    # over the same QApplication.
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    loop.stop()
    asyncio.events._set_running_loop(None)
    loop.close()  # shuts its worker threads down
    asyncio.set_event_loop(None)


@pytest.fixture
def qloop(_session_qloop: Any, qapp: Any) -> Iterator[Any]:
    """An asyncio loop driven by Qt's: tasks advance while qtbot waits on signals. Tasks a
    test leaves behind are cancelled after it."""
    loop = _session_qloop
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    deadline = loop.time() + 2
    while any(not t.done() for t in asyncio.all_tasks(loop)) and loop.time() < deadline:
        qapp.processEvents()
    # Tests after this one (pytest-asyncio's) must not find Qt's loop still "running".
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture(autouse=True)
def _private_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1":
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def make_window(qtbot: Any, qloop: Any, data_dir: Path) -> Iterator[Callable[..., Any]]:
    """``make_window(sandbox=SandboxConfig(...), transports=..., file=..., revision=...)``
    opens the real window over real storage in ``data_dir``; every window is closed after the
    test. ``revision``: the settings' default revision the window starts on (a test about the
    flat layout of 2023-01-24 names it; a fresh install starts on the newest)."""
    from composer.services.send_gateway import ServiceGateway
    from composer.storage import open_storage
    from composer.ui.main_window import MainWindow

    opened: list[tuple[Any, Any]] = []

    def make(
        *,
        sandbox: Any = None,
        transports: Any = None,
        file: Path | None = None,
        revision: str | None = None,
        **kw: Any,
    ) -> Any:
        storage = open_storage(data_dir)
        if revision is not None:
            storage.settings.update(default_revision=revision)
        gateway = ServiceGateway(storage, sandbox=sandbox, transports=transports, **kw)
        window = MainWindow(storage, gateway)
        # not qtbot.addWidget: pytest-qt would close it before this fixture's teardown, while
        # the window's close coroutine still needs the loop
        window.start(file)
        window.show()
        qtbot.waitExposed(window)
        opened.append((window, storage))
        qtbot.waitUntil(
            lambda: window.startup_done and not window.history_pane.model.is_loading(),
            timeout=5000,
        )
        return window

    yield make
    for window, storage in opened:
        if window.isVisible():
            with qtbot.waitSignal(window.closed, timeout=5000):
                window.close()
        window.deleteLater()
        storage.close()
    # delete the windows now, before the loop fixture lets go of the loop (their timers go too)
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def message_box(window: Any, name: str) -> Any:
    """The visible QMessageBox named ``name`` (None when there is none)."""
    from PySide6.QtWidgets import QMessageBox

    for box in window.findChildren(QMessageBox):
        if box.objectName() == name and box.isVisible():
            return box
    return None


def click_button(box: Any, text: str) -> None:
    """Click the button of ``box`` whose text is ``text`` (as a user would)."""
    for button in box.buttons():
        if button.text().replace("&", "") == text:
            button.click()
            return
    raise AssertionError(f"no button {text!r} in {[b.text() for b in box.buttons()]}")


def file_dialog(window: Any, name: str) -> Any:
    """The visible QFileDialog named ``name`` (None when there is none)."""
    from PySide6.QtWidgets import QFileDialog

    for dialog in window.findChildren(QFileDialog):
        if dialog.objectName() == name and dialog.isVisible():
            return dialog
    return None


def choose_file(qtbot: Any, window: Any, name: str, path: Path) -> None:
    """Wait for the file dialog ``name``, pick ``path`` in it and press its accept button."""
    qtbot.waitUntil(lambda: file_dialog(window, name) is not None, timeout=3000)
    from PySide6.QtWidgets import QLineEdit

    dialog = file_dialog(window, name)
    name_edit = dialog.findChild(QLineEdit, "fileNameEdit")  # Qt's own widget dialog
    name_edit.clear()
    qtbot.keyClicks(name_edit, str(path))
    dialog.accept()
