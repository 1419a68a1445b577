"""Every menu command that has a standard shortcut somewhere has one here: the platform's
binding where it has one (QKeySequence's standard keys), the common one otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

pytestmark = pytest.mark.usefixtures("qloop")


def _action(window: Any, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text().replace("&", "") == text)


def test_settings_has_a_shortcut_shown_in_the_menu_and_it_opens_settings(qtbot, make_window):
    """On Linux without a desktop's key theme, QKeySequence.Preferences is empty: Settings
    had no shortcut at all. It is the platform's key where there is one, Ctrl+, otherwise."""
    from composer.ui.settings_dialog import SettingsDialog

    window = make_window()
    action = _action(window, "Settings…")
    platform = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
    expected = platform[0] if platform else QKeySequence("Ctrl+,")
    assert action.shortcut() == expected
    file_menu = window.menuBar().actions()[0].menu()
    assert action in file_menu.actions()  # the menu shows the action's shortcut beside it

    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: (
            (d := window.findChild(SettingsDialog, "settingsDialog")) is not None and d.isVisible()
        ),
        timeout=3000,
    )
    window.findChild(SettingsDialog, "settingsDialog").reject()


@pytest.mark.parametrize(
    ("text", "standard", "fallback"),
    [
        ("Settings…", QKeySequence.StandardKey.Preferences, "Ctrl+,"),
        ("Quit", QKeySequence.StandardKey.Quit, "Ctrl+Q"),
        ("Search history", QKeySequence.StandardKey.Find, "Ctrl+F"),
    ],
)
def test_standard_commands_never_end_up_without_a_shortcut(
    make_window, text: str, standard: QKeySequence.StandardKey, fallback: str
):
    window = make_window()
    shortcut = _action(window, text).shortcut()
    assert not shortcut.isEmpty()
    platform = QKeySequence.keyBindings(standard)
    assert shortcut == (platform[0] if platform else QKeySequence(fallback))
