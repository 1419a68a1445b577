"""The window with a damaged settings file or history: it says so where the user looks, leaves
the damaged file as it is, and offers to move a damaged history aside."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from composer.ui.main_window import MainWindow
from tests.storage.damage import damage_page, digest, make_history
from tests.ui.window_fixtures import click_button


def test_an_unusable_settings_file_is_shown_in_the_window_and_left_as_it_is(
    qtbot: Any, make_window: Any, data_dir: Path
) -> None:
    settings = data_dir / "settings.json"
    content = b'{"accounts": ["Staging", "Production"], "theme": "dark",'
    settings.write_bytes(content)

    window = make_window()

    notice = window.settings_notice
    assert notice.isVisible()
    text = notice.label.text()
    assert str(settings) in text and "default settings" in text
    assert "not valid JSON" in text and "line 1, column" in text
    window.set_theme("light")  # a change during the run: kept in memory, not written over
    qtbot.waitUntil(lambda: window.storage.settings.settings.theme == "light", timeout=5000)
    with qtbot.waitSignal(window.closed, timeout=5000):
        window.close()  # which saves the layout
    assert settings.read_bytes() == content


def test_a_wrong_value_in_the_settings_is_named_in_the_window(
    make_window: Any, data_dir: Path
) -> None:
    (data_dir / "settings.json").write_text(json.dumps({"auto_unique_id": "yes"}))
    window = make_window()
    assert window.settings_notice.isVisible()
    text = window.settings_notice.label.text()
    assert "auto_unique_id is not valid" in text and "expected true or false" in text


def test_sound_settings_show_no_notice(make_window: Any, data_dir: Path) -> None:
    (data_dir / "settings.json").write_text(json.dumps({"theme": "light"}))
    window = make_window()
    assert not window.settings_notice.isVisible()


def test_a_partly_damaged_history_is_offered_to_be_moved_aside_at_start(
    qtbot: Any, qloop: Any, data_dir: Path, tmp_path: Path
) -> None:
    from composer import app

    history = data_dir / "history.sqlite3"
    make_history(history, entries=800)
    damage_page(history, "entry")
    before = digest(history)
    seen: dict[str, Any] = {}

    def answer() -> None:
        # The offer is a modal box: answer it from inside its own event loop, as a user would.
        boxes = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "historyUnreadable"
        ]
        if not boxes or not boxes[0].isVisible():
            QTimer.singleShot(50, answer)
            return
        seen["text"] = boxes[0].text()
        click_button(boxes[0], "Move it aside and start")

    QTimer.singleShot(50, answer)
    task = asyncio.ensure_future(app._main(data_dir, None))

    def window() -> MainWindow | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        return next((w for w in found if w.isVisible()), None)

    qtbot.waitUntil(lambda: window() is not None, timeout=20000)
    assert str(history) in seen["text"] and "damaged" in seen["text"]
    kept = list(data_dir.glob("history.sqlite3.unreadable-*"))
    assert len(kept) == 1 and digest(kept[0]) == before
    shown = window()
    assert shown is not None and shown.storage.history.count() == 0
    shown.close()
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.result() == 0
