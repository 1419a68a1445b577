"""What a demanding user notices in the window: typed text is never thrown away without a
question, the window fits a small screen, an empty history says what to do, and a send that
lacks a key says how to add one in the app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from composer.client import parse_target
from composer.domain.draft import sample_event
from tests.ui.window_fixtures import choose_file, click_button, message_box

pytestmark = pytest.mark.usefixtures("qloop")


def type_last_name(qtbot: Any, window: Any, text: str) -> QLineEdit:
    """Type into the form's Last name field as a user does; wait until the JSON has it."""
    field = next(
        e for e in window.composer.form.findChildren(QLineEdit) if "last name" in e.accessibleName()
    )
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    field.setFocus()
    qtbot.keyClicks(field, text)
    qtbot.waitUntil(lambda: text in window.controller.text(), timeout=3000)
    assert window.controller.is_modified
    return field


def wait_box(qtbot: Any, window: Any, name: str = "confirmDiscard") -> Any:
    qtbot.waitUntil(lambda: message_box(window, name) is not None, timeout=3000)
    return message_box(window, name)


# -- nothing typed is lost ---------------------------------------------------------------------


def test_ctrl_n_asks_before_throwing_typed_text_away(qtbot, make_window):
    window = make_window()
    field = type_last_name(qtbot, window, "Typed-by-hand")

    qtbot.keyClick(field, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    box = wait_box(qtbot, window)
    assert "not saved" in box.text()
    click_button(box, "Cancel")
    qtbot.waitUntil(lambda: message_box(window, "confirmDiscard") is None, timeout=3000)
    assert "Typed-by-hand" in window.controller.text()
    assert window.controller.is_modified

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(field, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    click_button(wait_box(qtbot, window), "Discard changes")
    qtbot.waitUntil(lambda: "Typed-by-hand" not in window.controller.text(), timeout=3000)
    assert not window.controller.is_modified


def test_opening_a_file_or_a_history_entry_asks_and_save_keeps_the_text(
    qtbot, make_window, tmp_path
):
    event = sample_event()
    event["data"]["attributes"]["metric"]["name"] = "Placed Order"
    other = tmp_path / "order.json"
    other.write_text(json.dumps(event))
    window = make_window()
    with qtbot.waitSignal(window.sendFinished, timeout=10_000):
        window.request_send()
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)
    type_last_name(qtbot, window, "Typed-by-hand")

    window.open_path(other)
    click_button(wait_box(qtbot, window), "Cancel")
    qtbot.waitUntil(lambda: message_box(window, "confirmDiscard") is None, timeout=3000)
    assert "Typed-by-hand" in window.controller.text()

    window.history_pane.select_row(0)
    window.history_pane.load_action.trigger()
    click_button(wait_box(qtbot, window), "Cancel")
    qtbot.waitUntil(lambda: message_box(window, "confirmDiscard") is None, timeout=3000)
    assert "Typed-by-hand" in window.controller.text()

    # Save writes the typed text to a file first (chosen in the save dialog), then the other
    # file opens
    saved = tmp_path / "mine.json"
    window.open_path(other)
    click_button(wait_box(qtbot, window), "Save")
    choose_file(qtbot, window, "saveFileDialog", saved)
    qtbot.waitUntil(lambda: "Placed Order" in window.controller.text(), timeout=5000)
    assert "Typed-by-hand" in saved.read_text()


def test_closing_with_unsaved_text_asks_first(qtbot, make_window):
    window = make_window()
    type_last_name(qtbot, window, "Typed-by-hand")

    window.close()
    click_button(wait_box(qtbot, window), "Cancel")
    qtbot.waitUntil(lambda: "Not closed" in window.statusBar().currentMessage(), timeout=3000)
    assert window.isVisible()
    assert "Typed-by-hand" in window.controller.text()

    with qtbot.waitSignal(window.closed, timeout=5000):
        window.close()
        click_button(wait_box(qtbot, window), "Discard changes")
    assert not window.isVisible()


# -- small screens -----------------------------------------------------------------------------


def test_the_window_fits_a_small_screen_and_send_stays_in_reach(qtbot, make_window):
    window = make_window()
    screen = window.screen().availableGeometry()  # offscreen: 800 x 800
    assert window.width() <= screen.width() and window.height() <= screen.height()

    window.target_bar.set_target(parse_target("http://127.0.0.1:8787"))
    window.resize(760, 540)
    qtbot.waitUntil(lambda: window.width() == 760, timeout=3000)
    bar = window.target_bar
    send_right = bar.send_button.mapTo(window, bar.send_button.rect().topRight()).x()
    assert send_right < window.width(), "the Send button is inside the window"
    # the badge gives way to its short words (never a cut word), and still says where
    # events go in its tooltip
    assert bar.badge.text() == "● Local server"
    assert "http://127.0.0.1:8787" in bar.badge.toolTip()
    window.resize(1300, 540)
    qtbot.waitUntil(lambda: "http" in bar.badge.text(), timeout=3000)
    assert "Local server http://127.0.0.1:8787" in bar.badge.text()


# -- an empty history says what to do ----------------------------------------------------------


def test_an_empty_history_says_how_to_fill_it(qtbot, make_window):
    window = make_window()
    table = window.history_pane.table
    assert window.history_pane.model.rowCount() == 0
    assert "No sends yet" in table.placeholder_text()
    assert "Ctrl+Enter" in table.placeholder_text()

    with qtbot.waitSignal(window.sendFinished, timeout=10_000):
        window.request_send()
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)
    assert table.placeholder_text() == ""

    window.history_pane.search.setText("no such metric")
    window.history_pane.apply_filters()
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 0, timeout=5000)
    assert "No entries match" in table.placeholder_text()


# -- a send without a key says how to add one, in the app's words -------------------------------


def test_production_without_an_account_says_how_to_add_a_key_without_asking(qtbot, make_window):
    window = make_window()
    window.target_bar.set_target(parse_target("production"))
    window.request_send()
    qtbot.waitUntil(lambda: "API key" in window.response_view.status_label.text(), timeout=5000)
    assert message_box(window, "confirmProduction") is None  # nothing to confirm yet
    words = window.response_view.explanation.text()
    assert "Manage keys" in words
    assert "--account" not in words and "event-composer key" not in words
    assert "Viewed Product" in window.controller.text()  # nothing lost


def test_an_account_without_a_key_says_where_to_store_one(qtbot, make_window):
    window = make_window()
    window.target_bar.set_accounts(["Shop"], "Shop")  # an account whose key was never stored
    window.target_bar.set_target(parse_target("http://127.0.0.1:9"))
    window.request_send()
    qtbot.waitUntil(lambda: "Shop" in window.response_view.explanation.text(), timeout=15000)
    words = window.response_view.explanation.text()
    assert "Manage keys" in words
    assert "--account" not in words and "event-composer key" not in words


def test_keys_pressed_right_after_start_go_to_the_composer_not_the_target(qtbot, make_window):
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    focused = QApplication.focusWidget()
    assert focused is not None and window.composer.isAncestorOf(focused)
    for key in (Qt.Key.Key_PageDown, Qt.Key.Key_Down):
        qtbot.keyClick(QApplication.focusWidget(), key)
    assert window.target_bar.target().label == "sandbox"


def test_in_a_wide_window_the_target_badge_is_whole(qtbot, make_window):
    window = make_window()
    window.resize(1300, 700)
    qtbot.waitUntil(lambda: window.width() == 1300, timeout=3000)
    badge = window.target_bar.badge
    assert badge.text() == "● Sandbox: nothing leaves this computer"


def test_a_file_that_does_not_parse_leaves_the_keys_in_the_composer(qtbot, make_window, tmp_path):
    """The Form hides its fields when the text does not parse: the field with the focus
    handed it on to the toolbar's first picker, where the next key changed the environment
    (or opened its folder)."""
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": {"attributes": {"properties": {"a": 1,}}}}')
    window = make_window(file=broken)
    form = window.composer.form
    qtbot.waitUntil(form.banner.isVisible, timeout=3000)
    assert QApplication.focusWidget() is form.banner.findChild(QPushButton)
    window.controller.mark_saved()


def test_arrow_keys_on_a_closed_picker_choose_without_running_its_actions(qtbot, make_window):
    """One Down on the environment picker (the window's first control) opened the
    environments folder in the file manager; End on the target, the Custom URL dialog."""
    window = make_window()
    bar = window.target_bar
    asked: list[str] = []
    bar.manageEnvironmentsRequested.connect(lambda: asked.append("environments folder"))
    bar.customTargetRequested.connect(lambda: asked.append("custom URL"))
    bar.environment_combo.setFocus()
    qtbot.keyClick(bar.environment_combo, Qt.Key.Key_Down)
    qtbot.keyClick(bar.environment_combo, Qt.Key.Key_End)
    bar.target_combo.setFocus()
    qtbot.keyClick(bar.target_combo, Qt.Key.Key_End)
    assert asked == []
    assert bar.target().label == "production"  # a choice is still a key away
    qtbot.keyClick(bar.target_combo, Qt.Key.Key_Home)
    assert bar.target().label == "sandbox"
