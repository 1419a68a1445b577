"""Settings, accounts and the theme as the window uses them: the Settings dialog, Manage keys,
the keyring's state in the status bar, the theme menu, and a custom target URL."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMenu, QWidget

from composer.client.targets import TargetError, parse_target
from composer.storage.secrets import KeyringStatus, SecretStore, SecretStoreError
from composer.storage.settings import Settings, SettingsStore
from composer.ui import theme
from composer.ui.dialogs import ask_text, dispose, run_dialog, warn
from composer.ui.target_bar import TargetBar
from composer.ui.tasks import TaskRunner, off_thread

KEYRING_PROBE_DELAY_MS = 200


class SettingsPart(QObject):
    """Owns the settings as the window shows them. ``applied(Settings)`` fires after the user
    saved the Settings dialog; ``themeChanged`` after the palette changed, so every widget
    that paints status colours repaints them."""

    applied = Signal(object)
    themeChanged = Signal()
    keyringChanged = Signal(object)
    """The keyring stopped or started working (emitted from the thread that noticed)."""

    def __init__(
        self,
        parent: QWidget,
        *,
        store: SettingsStore,
        secrets: SecretStore,
        target_bar: TargetBar,
        keyring_label: QLabel,
        tasks: TaskRunner,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._window = parent
        self._store = store
        self._secrets = secrets
        self._target_bar = target_bar
        self._keyring_label = keyring_label
        self.closing = False
        self.theme_actions: dict[str, QAction] = {}
        # after the first paint: the keyring probe imports and talks to D-Bus
        self._probe_timer = QTimer(self)
        self._probe_timer.setSingleShot(True)
        self._probe_timer.setInterval(KEYRING_PROBE_DELAY_MS)
        self._probe_timer.timeout.connect(self.probe_keyring)
        # the status line follows the keyring: a key it refuses, or its working again
        self.keyringChanged.connect(self._show_keyring)
        secrets.on_change = self.keyringChanged.emit

    @property
    def settings(self) -> Settings:
        return self._store.settings

    def fill_theme_menu(self, menu: QMenu) -> None:
        for name in theme.THEMES:
            act = menu.addAction(name.capitalize())
            act.setCheckable(True)
            act.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_actions[name] = act
        self._check_theme(self.settings.theme)

    def start(self) -> None:
        """Probe the keyring shortly after the window is painted."""
        self._probe_timer.start()

    def stop(self) -> None:
        self.closing = True
        self._probe_timer.stop()
        self._secrets.on_change = None

    # -- keyring -------------------------------------------------------------------------------

    def probe_keyring(self) -> None:
        self._tasks.spawn(self._probe_keyring(), "Checking the keyring")

    async def _probe_keyring(self) -> None:
        status = await off_thread(lambda: self._secrets.status)
        self._show_keyring(status)

    @Slot(object)
    def _show_keyring(self, status: KeyringStatus) -> None:
        from composer.ui.settings_dialog import keyring_words

        if self.closing:
            return
        if status.available:
            self._keyring_label.setText(f"Keys: {status.message}")
        else:
            self._keyring_label.setText("Keys: no working keyring, kept in memory for this run")
        self._keyring_label.setToolTip(keyring_words(status))

    # -- the Settings dialog ---------------------------------------------------------------------

    def manage_keys(self) -> None:
        self.open_settings(accounts=True)

    def open_settings(self, accounts: bool = False) -> None:
        from composer.ui.settings_dialog import SettingsDialog  # the dialog loads on first use

        dialog = SettingsDialog(self.settings, self._secrets, self._tasks, self._window)
        dialog.setObjectName("settingsDialog")
        if accounts:
            dialog.show_accounts()
        self._tasks.spawn(self._settings_flow(dialog), "Settings")

    async def _settings_flow(self, dialog: QDialog) -> None:
        from composer.ui.settings_dialog import SettingsDialog

        assert isinstance(dialog, SettingsDialog)
        try:
            if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
                await self._restore_keys(dialog.keys_before())
                return
            new = dialog.result_settings()
            removed = [name for name in dialog.removed_accounts() if name not in new.accounts]
        finally:
            dispose(dialog)

        def keep_layout(current: Settings) -> Settings:
            return new.with_layout(current.layout_bytes())

        saved = await off_thread(self._store.modify, keep_layout)
        self.applied.emit(saved)
        for name in removed:
            try:
                await off_thread(self._secrets.delete_key, name)
            except SecretStoreError as exc:
                warn(self._window, "Key not deleted", f"{exc}. Delete it in the system keyring.")
        await self._probe_keyring()

    async def _restore_keys(self, before: dict[str, str | None]) -> None:
        """Cancel: the keys the dialog stored go back to what the keyring held before."""
        for name, key in before.items():
            try:
                if key is None:
                    await off_thread(self._secrets.delete_key, name)
                else:
                    await off_thread(self._secrets.set_key, name, key)
            except SecretStoreError as exc:
                warn(self._window, "Key not restored", f"{exc}. Check it in the system keyring.")

    # -- theme -----------------------------------------------------------------------------------

    def set_theme(self, name: str, *, save: bool = True) -> None:
        app = QApplication.instance()
        # the app applies the saved theme before the window exists; not twice
        if isinstance(app, QApplication) and (save or name != theme.current_theme()):
            name = theme.apply_theme(app, name)
        self._check_theme(name)
        self.themeChanged.emit()
        if save and name != self.settings.theme:
            self._tasks.spawn(
                off_thread(lambda: self._store.update(theme=name)), "Saving the theme"
            )

    def _check_theme(self, name: str) -> None:
        for key, act in self.theme_actions.items():
            act.setChecked(key == name)

    # -- custom target ---------------------------------------------------------------------------

    def ask_custom_target(self) -> None:
        self._tasks.spawn(self._custom_target(), "Custom target")

    async def _custom_target(self) -> None:
        url = await ask_text(
            self._window,
            "Custom target",
            "Base URL of a server that speaks Klaviyo's API\n"
            "(for example a sandbox: http://127.0.0.1:8787):",
            name="customTargetDialog",
        )
        if url is None:
            return
        try:
            target = parse_target(url)
        except TargetError as exc:
            warn(self._window, "Custom target", str(exc))
            return
        self._target_bar.set_target(target)
