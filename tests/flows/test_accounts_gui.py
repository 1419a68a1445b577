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


def _answer_key_dialog(qtbot: Any, dialog: Any, key: str) -> None:
    from PySide6.QtWidgets import QDialog

    qtbot.waitUntil(lambda: dialog.findChild(QDialog, "keyDialog") is not None, timeout=5000)
    key_dialog = dialog.findChild(QDialog, "keyDialog")
    key_dialog.key_edit.setText(key)
    key_dialog.accept()


def test_a_key_replaced_then_cancel_gives_the_old_key_back(qtbot, make_window):
    """Set key… then Cancel: the keyring holds the key it held before (it used to keep the
    new one, so the account the user backed out of sent with a different key)."""
    window = make_window()
    _keep_account_with_key(window, "Production")
    dialog = _accounts_dialog(qtbot, window)
    _select(dialog, "Production")
    dialog.set_key_button.click()
    _answer_key_dialog(qtbot, dialog, "pk_" + "e5" * 17)
    qtbot.waitUntil(lambda: "e5e5" in dialog.accounts_list.item(0).text(), timeout=5000)
    dialog.reject()
    qtbot.waitUntil(lambda: window.storage.secrets.get_key("Production") == KEY, timeout=5000)


def test_an_account_added_then_cancel_leaves_no_key_behind(qtbot, make_window):
    """Add account… (name, key) then Cancel: the account is not kept, so neither is its key
    (it stayed in the keyring, out of sight of every list)."""
    from PySide6.QtWidgets import QInputDialog

    window = make_window()
    _keep_account_with_key(window, "Production")
    dialog = _accounts_dialog(qtbot, window)
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.findChild(QInputDialog, "accountNameDialog") is not None)
    ask = dialog.findChild(QInputDialog, "accountNameDialog")
    ask.setTextValue("Staging")
    ask.accept()
    _answer_key_dialog(qtbot, dialog, "pk_" + "f6" * 17)
    qtbot.waitUntil(lambda: window.storage.secrets.get_key("Staging") is not None, timeout=5000)
    dialog.reject()
    qtbot.waitUntil(lambda: window.storage.secrets.get_key("Staging") is None, timeout=5000)
    assert window.storage.secrets.get_key("Production") == KEY
    assert window.storage.settings.settings.accounts == ("Production",)
    qtbot.wait(200)  # closing while the keyring was read is no failure to report
    assert window.last_error is None
