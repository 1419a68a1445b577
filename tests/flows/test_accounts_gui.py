"""The Accounts tab of Settings edits a copy: nothing it does to the keyring outlasts Cancel."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("qloop")

KEY = "pk_" + "d4" * 17


def _accounts_dialog(qtbot: Any, window: Any) -> Any:
    from composer.ui.settings_dialog import SettingsDialog

    window.open_settings(accounts=True)
    qtbot.waitUntil(lambda: window.findChild(SettingsDialog, "settingsDialog") is not None)
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    qtbot.waitUntil(lambda: "key pk_" in dialog.accounts_list.item(0).text(), timeout=5000)
    return dialog


def _select(dialog: Any, name: str) -> None:
    from PySide6.QtCore import Qt

    for row in range(dialog.accounts_list.count()):
        item = dialog.accounts_list.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == name:
            dialog.accounts_list.setCurrentItem(item)
            return
    raise AssertionError(f"{name} is not listed")


def _keep_account_with_key(window: Any, name: str) -> None:
    window.storage.secrets.set_key(name, KEY)
    window.storage.settings.modify(lambda s: s.with_account(name))


def test_remove_then_cancel_keeps_the_account_and_its_key(qtbot, make_window):
    """Remove, then Cancel: the user backed out, so the private key must still be in the
    keyring (it used to be deleted at once, leaving an account with no key)."""
    window = make_window()
    _keep_account_with_key(window, "Production")
    dialog = _accounts_dialog(qtbot, window)
    _select(dialog, "Production")
    dialog.remove_button.click()
    qtbot.waitUntil(lambda: "Production" not in dialog.accounts_list.item(0).text())
    qtbot.wait(200)  # a deletion off the UI thread would have finished by now
    dialog.reject()
    qtbot.waitUntil(lambda: window.findChild(type(dialog), "settingsDialog") is None)
    assert window.storage.secrets.get_key("Production") == KEY
    assert "Production" in window.storage.settings.settings.accounts


def test_remove_then_save_forgets_the_account_and_deletes_its_key(qtbot, make_window):
    window = make_window()
    _keep_account_with_key(window, "Production")
    _keep_account_with_key(window, "Staging")
    dialog = _accounts_dialog(qtbot, window)
    _select(dialog, "Production")
    dialog.remove_button.click()
    dialog.accept()
    qtbot.waitUntil(lambda: window.storage.secrets.get_key("Production") is None, timeout=5000)
    qtbot.waitUntil(lambda: window.storage.settings.settings.accounts == ("Staging",), timeout=5000)
    assert window.storage.secrets.get_key("Staging") == KEY
    window.storage.secrets.delete_key("Staging")
