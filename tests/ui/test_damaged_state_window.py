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


def _answer_offer(button: str, seen: dict[str, Any]) -> None:
    """Answer the offer to move the history aside when it appears (a modal box: answered from
    inside its own event loop, as a user would), noting what was on screen then."""
    boxes = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == "historyUnreadable"
    ]
    if not boxes or not boxes[0].isVisible():
        QTimer.singleShot(50, lambda: _answer_offer(button, seen))
        return
    seen["text"] = boxes[0].text()
    seen["window_painted_first"] = _window() is not None and _window().startup_done
    seen["window_painted"] = _window() is not None and _window().painted
    click_button(boxes[0], button)


def _window() -> MainWindow | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    return next((w for w in found if w.isVisible()), None)


def test_a_partly_damaged_history_is_offered_to_be_moved_aside_after_the_window_shows(
    qtbot: Any, qloop: Any, data_dir: Path, tmp_path: Path
) -> None:
    # The whole-file check runs once the window is on screen (it takes ~0.7 s for 100,000
    # entries); the damage is reported as before, and the window goes on with a new history.
    from composer import app

    history = data_dir / "history.sqlite3"
    make_history(history, entries=800)
    damage_page(history, "entry")
    before = digest(history)
    seen: dict[str, Any] = {}

    QTimer.singleShot(50, lambda: _answer_offer("Move it aside and start", seen))
    task = asyncio.ensure_future(app._main(data_dir, None))

    qtbot.waitUntil(lambda: "text" in seen, timeout=20000)
    assert seen["window_painted_first"]
    assert str(history) in seen["text"] and "damaged" in seen["text"]
    shown = _window()
    assert shown is not None
    qtbot.waitUntil(
        lambda: "new history started" in shown.statusBar().currentMessage(), timeout=5000
    )
    kept = list(data_dir.glob("history.sqlite3.unreadable-*"))
    assert len(kept) == 1 and digest(kept[0]) == before
    assert kept[0].name in shown.statusBar().currentMessage()
    assert shown.storage.history.count() == 0
    qtbot.waitUntil(lambda: not shown.history_pane.model.is_loading(), timeout=5000)
    assert shown.history_pane.model.rowCount() == 0
    # the new history works: the window's own store records into it
    assert shown.storage.history.integrity_check() == "ok"
    shown.close()
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.result() == 0


def test_quitting_at_the_damaged_history_offer_leaves_the_file_as_it_is(
    qtbot: Any, qloop: Any, data_dir: Path
) -> None:
    from composer import app

    history = data_dir / "history.sqlite3"
    make_history(history, entries=800)
    damage_page(history, "entry_fts_data")
    before = digest(history)
    seen: dict[str, Any] = {}

    QTimer.singleShot(50, lambda: _answer_offer("Quit", seen))
    task = asyncio.ensure_future(app._main(data_dir, None))

    qtbot.waitUntil(task.done, timeout=20000)
    assert seen["window_painted_first"] and "search index" in seen["text"]
    assert task.result() == 1
    assert digest(history) == before
    assert not list(data_dir.glob("history.sqlite3.unreadable-*"))


def test_a_history_that_cannot_be_opened_is_offered_over_the_painted_window(
    qtbot: Any, qloop: Any, data_dir: Path
) -> None:
    # The window paints from the settings alone; the history opens after that paint, so a
    # file that is no history at all is offered to be moved aside over the painted window.
    from composer import app

    history = data_dir / "history.sqlite3"
    history.write_bytes(b"this is no SQLite database, just text " * 200)
    before = digest(history)
    seen: dict[str, Any] = {}

    QTimer.singleShot(50, lambda: _answer_offer("Move it aside and start", seen))
    task = asyncio.ensure_future(app._main(data_dir, None))

    qtbot.waitUntil(lambda: "text" in seen, timeout=20000)
    assert seen["window_painted"]
    assert str(history) in seen["text"]
    shown = _window()
    assert shown is not None
    qtbot.waitUntil(lambda: shown.startup_done, timeout=5000)
    kept = list(data_dir.glob("history.sqlite3.unreadable-*"))
    assert len(kept) == 1 and digest(kept[0]) == before
    qtbot.waitUntil(lambda: not shown.history_pane.model.is_loading(), timeout=5000)
    assert shown.history_pane.count_label.text() == "0 entries"
    shown.close()
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.result() == 0


def test_the_history_fills_the_pane_after_the_first_paint(
    qtbot: Any, qloop: Any, data_dir: Path
) -> None:
    # What the pane shows at the first paint is its frame, never a count it does not know
    # yet ("0 entries" for a history of 300); the count and the rows come once it is open.
    from composer import app

    make_history(data_dir / "history.sqlite3", entries=300)
    at_paint: dict[str, Any] = {}

    def note_first_paint() -> None:
        window = _window()
        if window is None or not window.painted:
            QTimer.singleShot(5, note_first_paint)
            return
        at_paint["count"] = window.history_pane.count_label.text()
        at_paint["last"] = window.history_pane.last_label.text()

    QTimer.singleShot(0, note_first_paint)
    task = asyncio.ensure_future(app._main(data_dir, None))
    qtbot.waitUntil(lambda: "count" in at_paint, timeout=10000)
    assert at_paint == {"count": "", "last": ""}
    shown = _window()
    assert shown is not None
    qtbot.waitUntil(lambda: shown.history_pane.count_label.text() == "300 entries", timeout=10000)
    shown.close()
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.result() == 0


def test_a_data_folder_that_cannot_be_used_is_said_before_any_window(
    qtbot: Any, qloop: Any, tmp_path: Path
) -> None:
    # The settings cannot be read where a file stands in for the data folder: no window
    # paints (there is nothing to build it from); the box says why and the app exits 1.
    from composer import app

    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file, not a folder", encoding="utf-8")
    seen: dict[str, Any] = {}

    def answer() -> None:
        boxes = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "cannotStart"
        ]
        if not boxes or not boxes[0].isVisible():
            QTimer.singleShot(50, answer)
            return
        seen["text"] = boxes[0].text()
        seen["window"] = _window() is not None
        boxes[0].button(QMessageBox.StandardButton.Ok).click()

    QTimer.singleShot(50, answer)
    task = asyncio.ensure_future(app._main(not_a_folder, None))
    qtbot.waitUntil(task.done, timeout=20000)
    assert task.result() == 1
    assert str(not_a_folder) in seen["text"] and not seen["window"]
