"""The Settings dialog: accounts and keys (keyring state in words, keys masked), default
target and revision, history retention, auto unique_id and theme.

Keys go straight to the secret store (never into the settings) and every keyring call runs in
a worker thread.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from composer.storage.secrets import KeyringStatus, mask_key
from composer.storage.settings import Retention, Settings
from composer.ui.dialogs import ask, ask_text, dispose, run_dialog, warn
from composer.ui.revision_picker import fill_revisions
from composer.ui.tasks import TaskRunner, off_thread
from composer.ui.theme import THEMES


class SecretsLike(Protocol):
    """The parts of composer.storage.secrets.SecretStore the dialog uses (all may block)."""

    @property
    def status(self) -> KeyringStatus: ...

    def get_key(self, account: str) -> str | None: ...

    def set_key(self, account: str, key: str) -> str: ...

    def delete_key(self, account: str) -> bool: ...


def keyring_words(status: KeyringStatus) -> str:
    """The keyring state as the dialog and the status bar say it."""
    if status.available:
        return f"Keys are kept in {status.message}."
    return f"{status.message[:1].upper()}{status.message[1:]}."


class KeyDialog(QDialog):
    """Asks for one private key; the text is hidden as it is typed."""

    def __init__(self, account: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"API key for {account}")
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("pk_…")
        self.key_edit.setAccessibleName("Private API key")
        hint = QLabel(
            "Paste the private API key (it starts with pk_). It is stored in the system "
            "keyring, never in a file, and shown only masked."
        )
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.key_edit)
        layout.addWidget(buttons)

    def key(self) -> str:
        return self.key_edit.text().strip()


class SettingsDialog(QDialog):
    """Edits a copy of :class:`Settings`; :meth:`result_settings` returns it on Save."""

    def __init__(
        self,
        settings: Settings,
        secrets: SecretsLike,
        tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.setMinimumWidth(520)
        self._settings = settings
        self._secrets = secrets
        self._accounts = list(settings.accounts)
        # Removed accounts keep their keys until Save: Cancel must leave the keyring as it was.
        self._removed: list[str] = []
        # What the keyring held for each account before this dialog stored a key for it, so
        # that Cancel can put it back (None: no key)
        self._before: dict[str, str | None] = {}
        self._states: dict[str, str] = {}

        self.tabs = QTabWidget()
        self.tabs.addTab(self._general_tab(), "General")
        self.accounts_tab = self._accounts_tab()
        self.tabs.addTab(self.accounts_tab, "Accounts and keys")
        self.tabs.addTab(self._history_tab(), "History")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self._fill_accounts()
        self._tasks.spawn(self._load_key_states(), "Reading the keyring")

    # -- tabs ----------------------------------------------------------------------------------

    def _general_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        s = self._settings
        self.default_target = QComboBox()
        self.default_target.setAccessibleName("Default target")
        self.default_target.addItem("Sandbox (nothing leaves this computer)", "sandbox")
        self.default_target.addItem("Klaviyo production", "production")
        for t in s.targets:
            self.default_target.addItem(f"{t.name} ({t.base_url})", t.base_url)
        index = self.default_target.findData(s.default_target)
        if index < 0 and s.default_target:
            self.default_target.addItem(s.default_target, s.default_target)
            index = self.default_target.count() - 1
        self.default_target.setCurrentIndex(max(index, 0))
        self.default_revision = QComboBox()
        self.default_revision.setAccessibleName("Default revision")
        fill_revisions(self.default_revision, s.default_revision)
        self.auto_unique_id = QCheckBox("Fill in a unique_id when the event has none")
        self.auto_unique_id.setAccessibleName("Auto unique_id")
        self.auto_unique_id.setToolTip(
            "Klaviyo de-duplicates on unique_id, so a retried send can never record the "
            "event twice."
        )
        self.auto_unique_id.setChecked(s.auto_unique_id)
        self.fresh_unique_id = QCheckBox("Give every Send from the composer a new unique_id")
        self.fresh_unique_id.setAccessibleName("New unique_id per Send")
        self.fresh_unique_id.setToolTip(
            "Klaviyo records an event with the same unique_id only once and answers 202 all the "
            "same. With this on, pressing Send again records a new event; off, the event's own "
            "unique_id is sent and a repeated Send is not recorded again."
        )
        self.fresh_unique_id.setChecked(s.fresh_unique_id)
        self.verify_sandbox = QCheckBox("Read the event back from the sandbox")
        self.verify_sandbox.setAccessibleName("Check sends to the sandbox")
        self.verify_sandbox.setChecked(s.verify_sandbox)
        self.verify_klaviyo = QCheckBox("Read the event back from Klaviyo and other servers")
        self.verify_klaviyo.setAccessibleName("Check sends to Klaviyo")
        self.verify_klaviyo.setChecked(s.verify_klaviyo)
        for box in (self.verify_sandbox, self.verify_klaviyo):
            box.setToolTip(
                "A 202 only means the event was queued. With this on, the response says "
                "whether it was recorded (GET /api/profiles, /api/metrics, /api/events: the "
                "key needs profiles:read, metrics:read and events:read, or the check says "
                "which scope to add)."
            )
        self.theme = QComboBox()
        self.theme.setAccessibleName("Theme")
        for name in THEMES:
            self.theme.addItem(name.capitalize(), name)
        self.theme.setCurrentIndex(max(self.theme.findData(s.theme), 0))
        self.sandbox_retired = QComboBox()
        self.sandbox_retired.setAccessibleName("Sandbox: retired revisions")
        for label, value in (
            ("Answer as published", "serve"),
            ("Fall forward, as Klaviyo does today", "fall-forward"),
            ("Refuse with 410 Gone", "gone"),
        ):
            self.sandbox_retired.addItem(label, value)
        self.sandbox_retired.setToolTip(
            "What the built-in sandbox does with a revision Klaviyo retired (two years after "
            "its release). Fall forward checks the event as the oldest supported revision, and "
            "answers 410 when the request opts out of falling forward."
        )
        self.sandbox_retired.setCurrentIndex(
            max(self.sandbox_retired.findData(s.sandbox_retired_revisions), 0)
        )
        form.addRow("Default target", self.default_target)
        form.addRow("Default revision", self.default_revision)
        form.addRow("Retired revisions in the sandbox", self.sandbox_retired)
        form.addRow("unique_id", self.auto_unique_id)
        form.addRow("", self.fresh_unique_id)
        form.addRow("Check after a 202", self.verify_sandbox)
        form.addRow("", self.verify_klaviyo)
        form.addRow("Theme", self.theme)
        return page

    def _accounts_tab(self) -> QWidget:
        page = QWidget()
        self.keyring_label = QLabel("Checking the system keyring…")
        self.keyring_label.setWordWrap(True)
        self.keyring_label.setAccessibleName("Keyring state")
        self.accounts_list = QListWidget()
        self.accounts_list.setAccessibleName("Accounts")
        self.add_button = QPushButton("Add account…")
        self.set_key_button = QPushButton("Set key…")
        self.remove_button = QPushButton("Remove")
        for b in (self.add_button, self.set_key_button, self.remove_button):
            b.setAccessibleName(b.text().rstrip("…"))
        self.add_button.clicked.connect(self._add_account)
        self.set_key_button.clicked.connect(self._set_key_for_selected)
        self.remove_button.clicked.connect(self._remove_selected)
        hint = QLabel(
            "An account is a label such as Staging or Production; its private key lives in "
            "the system keyring. The sandbox needs no key."
        )
        hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.set_key_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.keyring_label)
        layout.addWidget(hint)
        layout.addWidget(self.accounts_list, 1)
        layout.addLayout(buttons)
        return page

    def _history_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        r = self._settings.retention
        self.keep_last = QSpinBox()
        self.keep_last.setRange(0, 10_000_000)
        self.keep_last.setSingleStep(1000)
        self.keep_last.setSpecialValueText("no limit")
        self.keep_last.setValue(r.keep_last or 0)
        self.keep_last.setAccessibleName("Keep the last N entries")
        self.keep_days = QSpinBox()
        self.keep_days.setRange(0, 36_500)
        self.keep_days.setSpecialValueText("no limit")
        self.keep_days.setSuffix(" days")
        self.keep_days.setValue(r.keep_days or 0)
        self.keep_days.setAccessibleName("Keep entries for N days")
        form.addRow("Keep the last", self.keep_last)
        form.addRow("Keep entries for", self.keep_days)
        note = QLabel("Older entries are removed when the app starts.")
        note.setWordWrap(True)
        form.addRow(note)
        return page

    # -- accounts ------------------------------------------------------------------------------

    def show_accounts(self) -> None:
        self.tabs.setCurrentWidget(self.accounts_tab)

    def _fill_accounts(self, states: dict[str, str] | None = None) -> None:
        if states is not None:
            self._states = states
        self.accounts_list.clear()
        for name in self._accounts:
            state = self._states.get(name, "…")
            item = QListWidgetItem(f"{name}    {state}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.accounts_list.addItem(item)
        if not self._accounts:
            item = QListWidgetItem("No accounts yet: add one to send to Klaviyo.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.accounts_list.addItem(item)

    async def _load_key_states(self) -> None:
        def read() -> tuple[KeyringStatus, dict[str, str]]:
            status = self._secrets.status
            states = {}
            for name in self._accounts:
                key = self._secrets.get_key(name)
                states[name] = f"key {mask_key(key)}" if key else "no key yet"
            return status, states

        status, states = await off_thread(read)
        if not shiboken6.isValid(self.keyring_label):
            return  # the dialog was closed while the keyring was read: nothing to show
        self.keyring_label.setText(keyring_words(status))
        self._fill_accounts(states)

    def _selected_account(self) -> str | None:
        item = self.accounts_list.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item else None
        return value if isinstance(value, str) else None

    def _add_account(self) -> None:
        self._tasks.spawn(self._add_account_flow(), "Adding an account")

    async def _add_account_flow(self) -> None:
        name = await ask_text(
            self, "Add account", "Account name (e.g. Staging):", name="accountNameDialog"
        )
        if name is None:
            return
        if name in self._removed:
            self._removed.remove(name)
        if name not in self._accounts:
            self._accounts.append(name)
        self._fill_accounts()
        await self._ask_key(name)

    def _set_key_for_selected(self) -> None:
        name = self._selected_account()
        if name:
            self._tasks.spawn(self._ask_key(name), "Storing the key")

    async def _ask_key(self, account: str) -> None:
        dialog = KeyDialog(account, self)
        dialog.setObjectName("keyDialog")
        try:
            accepted = await run_dialog(dialog) == QDialog.DialogCode.Accepted
            key = dialog.key() if accepted else ""
        finally:
            dispose(dialog)
        if key:
            await self._store_key(account, key)

    async def _store_key(self, account: str, key: str) -> None:
        name = account.strip()
        if name and name not in self._before:
            self._before[name] = await off_thread(self._secrets.get_key, name)
        try:
            where = await off_thread(self._secrets.set_key, account, key)
        except ValueError as exc:
            warn(self, "Key not stored", str(exc))
            return
        if where == "memory":
            box = QMessageBox(
                QMessageBox.Icon.Information,
                "Key kept in memory only",
                "No working system keyring was found, so the key is kept in memory for this "
                "run only and must be entered again next time. It is never written to a file.",
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("keyInMemory")
            await ask(box)
        await self._load_key_states()

    def _remove_selected(self) -> None:
        name = self._selected_account()
        if not name:
            return
        self._accounts.remove(name)
        if name not in self._removed:
            self._removed.append(name)
        self._fill_accounts()

    def keys_before(self) -> dict[str, str | None]:
        """For each account this dialog stored a key for, the key the keyring held before
        (None: none). Cancel puts these back: the dialog edits nothing until Save."""
        return dict(self._before)

    def removed_accounts(self) -> tuple[str, ...]:
        """The accounts removed in this dialog: their keys are deleted from the keyring only
        once the dialog is saved (Cancel keeps every key)."""
        return tuple(self._removed)

    # -- result --------------------------------------------------------------------------------

    def result_settings(self) -> Settings:
        """The settings as edited (accounts without keys; keys are already stored)."""
        s = self._settings
        default_account = s.default_account if s.default_account in self._accounts else None
        return dataclasses.replace(
            s,
            accounts=tuple(self._accounts),
            default_account=default_account,
            default_target=str(self.default_target.currentData()),
            default_revision=str(self.default_revision.currentData()),
            auto_unique_id=self.auto_unique_id.isChecked(),
            fresh_unique_id=self.fresh_unique_id.isChecked(),
            sandbox_retired_revisions=str(self.sandbox_retired.currentData()),
            verify_sandbox=self.verify_sandbox.isChecked(),
            verify_klaviyo=self.verify_klaviyo.isChecked(),
            theme=str(self.theme.currentData()),
            retention=Retention(self.keep_last.value() or None, self.keep_days.value() or None),
        )
