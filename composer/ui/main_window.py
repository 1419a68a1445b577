"""The main window: target bar, the composer (Form / Raw JSON / Problems), the response view,
the history pane and a status bar that always says where events go.

The window holds no business rules: validation is the controller's, sending the gateway's,
storage the stores'. Everything that may block (database, keyring, files, network) is awaited
off the UI thread through :func:`composer.ui.tasks.spawn`, whose errors are shown here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from composer.client.targets import KeyRoute, Target, TargetError, TargetKind, parse_target
from composer.domain.draft import new_unique_id, sample_event
from composer.domain.findings import ValidationReport
from composer.domain.outcome import SendOutcome
from composer.services.keys import plain_http_refusal
from composer.services.outcome_text import no_key_message
from composer.storage import Storage
from composer.storage.records import HistoryEntry
from composer.storage.secrets import KeyringStatus
from composer.storage.settings import Settings
from composer.ui import layout_state, theme
from composer.ui.about import AboutDialog
from composer.ui.banner import Banner, retired_revision_text
from composer.ui.editor import ComposerController, ComposerWidget
from composer.ui.files import EventFileError, read_event_file, templates, write_event_file
from composer.ui.history_pane import HistoryPane
from composer.ui.ports import SendGateway
from composer.ui.response_view import ResponseView
from composer.ui.settings_dialog import SettingsDialog, keyring_words
from composer.ui.target_bar import TargetBar, target_headline
from composer.ui.tasks import off_thread, set_error_reporter, spawn
from composer.ui.unique_id_label import NextUniqueIdLabel

log = logging.getLogger(__name__)

APP_TITLE = "Event Composer"
DATA_VERSION_POLL_MS = 3000


async def ask(box: QMessageBox) -> Any:
    """Show ``box`` window-modal without a nested event loop; the button clicked, or None."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def done(_result: int) -> None:
        if not future.done():
            future.set_result(box.clickedButton())

    box.finished.connect(done)
    box.open()
    try:
        return await future
    finally:
        box.deleteLater()


class MainWindow(QMainWindow):
    """The app's one window. ``sendFinished`` carries each :class:`SendOutcome` (tests and the
    benchmark wait on it)."""

    sendFinished = Signal(object)
    closed = Signal()

    def __init__(
        self,
        storage: Storage,
        gateway: SendGateway,
        *,
        controller: ComposerController | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setAccessibleName(APP_TITLE)
        self.setAcceptDrops(True)
        self.storage = storage
        self.gateway = gateway
        self.settings: Settings = storage.settings.settings
        self.controller = controller or ComposerController(self.settings.default_revision, self)
        self._file: Path | None = None
        self._send_task: asyncio.Task[None] | None = None
        self._production_confirmed = False
        self._next_unique_id = new_unique_id()
        self._key_hosts_confirmed: set[tuple[str, str]] = set()
        """(host, account) pairs the user agreed to send that account's key to, this session."""
        self._closing = False
        self._asking_to_close = False
        self._data_version: int | None = None
        self._keyring: KeyringStatus | None = None
        self.last_error: str | None = None

        self._build_widgets()
        self._build_actions()
        self._wire()
        self._apply_settings(self.settings, initial=True)
        self._update_title()
        set_error_reporter(self._report_error)

    # -- construction --------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.target_bar = TargetBar()
        toolbar = QToolBar("Send")
        toolbar.setObjectName("sendToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.addWidget(self.target_bar)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

        self.banner = Banner()
        self.composer = ComposerWidget(self.controller)
        self.composer.setAccessibleName("Composer")
        self.response_view = ResponseView()
        self.next_id_label = NextUniqueIdLabel()
        self.statusBar().addPermanentWidget(self.next_id_label)
        self.history_pane = HistoryPane(self.storage.history)

        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setObjectName("composerResponseSplitter")
        self.top_splitter.addWidget(self.composer)
        self.top_splitter.addWidget(self.response_view)
        self.top_splitter.setStretchFactor(0, 3)
        self.top_splitter.setStretchFactor(1, 2)
        self.top_splitter.setChildrenCollapsible(False)
        self.main_splitter = QSplitter(Qt.Orientation.Vertical)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.top_splitter)
        self.main_splitter.addWidget(self.history_pane)
        self.main_splitter.setStretchFactor(0, 3)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setChildrenCollapsible(False)
        self.top_splitter.setSizes([740, 500])  # first start; later the saved layout wins
        self.main_splitter.setSizes([660, 170])

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)

        self.status_target = QLabel()
        self.status_target.setAccessibleName("Target status")
        self.status_keyring = QLabel("Keys: checking the keyring…")
        self.status_keyring.setAccessibleName("Keyring status")
        self.status_rate = QLabel()
        self.status_rate.setAccessibleName("Rate limit remaining")
        bar = self.statusBar()
        bar.addWidget(self.status_target)
        bar.addWidget(self.status_keyring, 1)
        bar.addPermanentWidget(self.status_rate)
        self.resize(1280, 860)

    def _action(self, text: str, slot: Any, shortcut: Any = None, name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        if name:
            action.setObjectName(name)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.new_action = self._action("&New event", self.new_event, QKeySequence.StandardKey.New)
        file_menu.addAction(self.new_action)
        self.templates_menu = file_menu.addMenu("New from &template")
        for tpl in templates():
            act = self.templates_menu.addAction(tpl.title)
            act.triggered.connect(lambda _c=False, p=tpl.path: self.open_path(p, as_template=True))
        self.open_action = self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.save_action = self._action("&Save", self.save, QKeySequence.StandardKey.Save)
        file_menu.addAction(self.save_action)
        self.save_as_action = self._action(
            "Save &as…", self.save_as, QKeySequence.StandardKey.SaveAs
        )
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        self.import_action = self._action(
            "&Import requests (NDJSON, HAR)…", self.import_dialog, name="importRequests"
        )
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        self.settings_action = self._action(
            "Se&ttings…", self.open_settings, QKeySequence.StandardKey.Preferences
        )
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit_menu = menu.addMenu("&Edit")
        self.format_action = self._action(
            "&Format JSON", self.controller.format_json, "Ctrl+Shift+F"
        )
        edit_menu.addAction(self.format_action)
        edit_menu.addAction(self._action("&Minify JSON", self.controller.minify_json))
        edit_menu.addSeparator()
        self.search_action = self._action(
            "&Search history", self.history_pane.focus_search, QKeySequence.StandardKey.Find
        )
        edit_menu.addAction(self.search_action)

        send_menu = menu.addMenu("&Send")
        self.send_action = self._action("&Send", self.request_send, name="sendAction")
        self.send_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.send_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        send_menu.addAction(self.send_action)
        self.cancel_action = self._action("&Cancel send", self.cancel_send, "Esc")
        self.cancel_action.setEnabled(False)
        send_menu.addAction(self.cancel_action)
        send_menu.addSeparator()
        send_menu.addAction(self._action("Manage &keys…", self.manage_keys))

        view_menu = menu.addMenu("&View")
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_actions: dict[str, QAction] = {}
        for name in theme.THEMES:
            act = theme_menu.addAction(name.capitalize())
            act.setCheckable(True)
            act.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_actions[name] = act

        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("&About Event Composer", self.show_about))

    def _wire(self) -> None:
        bar = self.target_bar
        bar.sendRequested.connect(self.request_send)
        bar.cancelRequested.connect(self.cancel_send)
        bar.targetChanged.connect(self._on_target_changed)
        bar.revisionChanged.connect(self._on_revision_changed)
        bar.manageKeysRequested.connect(self.manage_keys)
        bar.customTargetRequested.connect(self.ask_custom_target)
        self.response_view.findingActivated.connect(self.composer.focus_finding)
        self.history_pane.entryActivated.connect(self.load_entry)
        self.history_pane.resendRequested.connect(self.resend_entry)
        self.history_pane.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        modified = getattr(self.controller, "modifiedChanged", None)
        if modified is not None:
            modified.connect(lambda _m: self._update_title())
        # after the first paint: the keyring probe imports and talks to D-Bus
        self._keyring_timer = QTimer(self)
        self._keyring_timer.setSingleShot(True)
        self._keyring_timer.setInterval(200)
        self._keyring_timer.timeout.connect(
            lambda: spawn(self._probe_keyring(), "Checking the keyring")
        )
        self._poll = QTimer(self)
        self._poll.setInterval(DATA_VERSION_POLL_MS)
        self._poll.timeout.connect(lambda: spawn(self._poll_history(), "Checking the history"))

    # -- start -------------------------------------------------------------------------------

    def start(self, file: Path | None = None) -> None:
        """Show the first event (``file``, else the sample), load the history, probe the
        keyring. Call once, after the event loop exists."""
        if file is not None:
            self.open_path(file)
        else:
            # findings arrive from a worker thread: the window paints first
            self.controller.load_payload(sample_event(), check_later=True)
            self.controller.mark_saved()
        # the first key a user presses edits the event; a Page Down on the target picker
        # (Qt's first focus otherwise) would switch to production
        self.composer.form.profile_edits["$email"].setFocus(Qt.FocusReason.OtherFocusReason)
        self.history_pane.refresh()
        self._keyring_timer.start()
        self._poll.start()
        if self.storage.settings.problem:
            self.statusBar().showMessage(self.storage.settings.problem, 15000)

    def _apply_settings(self, settings: Settings, *, initial: bool = False) -> None:
        self.settings = settings
        self.set_theme(settings.theme, save=False)
        self.target_bar.set_custom_urls([t.base_url for t in settings.targets])
        self.target_bar.set_accounts(list(settings.accounts), settings.default_account)
        if initial:
            try:
                target = parse_target(settings.default_target)
            except TargetError:
                target = parse_target("sandbox")
            self.target_bar.set_target(target)
            self.target_bar.set_revision(settings.default_revision)
            layout_state.restore(self, self._splitters(), settings.layout_bytes())
            self._fit_to_screen()
            self._rebuild_recent_menu()
        self._refresh_target_status()
        self._on_revision_changed(self.target_bar.revision())
        self.next_id_label.set_next(self.next_unique_id())

    def _fit_to_screen(self) -> None:
        """Keep the window within the screen's free area (first start on a small screen, or
        a layout saved on a bigger monitor), so Send and the status bar stay in reach."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        free = screen.availableGeometry()
        width = min(self.width(), free.width())
        height = min(self.height(), free.height())
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)

    def _splitters(self) -> dict[str, QSplitter]:
        found = {"top": self.top_splitter, "main": self.main_splitter}
        composer_splitter = getattr(self.composer, "splitter", None)
        if isinstance(composer_splitter, QSplitter):
            found["composer"] = composer_splitter
        return found

    # -- status --------------------------------------------------------------------------------

    def _refresh_target_status(self) -> None:
        target = self.target_bar.target()
        c = theme.colors()
        color = {
            TargetKind.SANDBOX: c.ok,
            TargetKind.LOOPBACK: c.ok,
            TargetKind.PRODUCTION: c.error,
        }.get(target.kind, c.warning)
        self.status_target.setText(target_headline(target))
        self.status_target.setStyleSheet(f"color: {color}; font-weight: 600;")

    async def _probe_keyring(self) -> None:
        status = await off_thread(lambda: self.storage.secrets.status)
        if self._closing:
            return
        self._keyring = status
        if status.available:
            self.status_keyring.setText(f"Keys: {status.message}")
        else:
            self.status_keyring.setText("Keys: no working keyring, kept in memory for this run")
        self.status_keyring.setToolTip(keyring_words(status))

    def _show_rate(self, outcome: SendOutcome) -> None:
        info = outcome.rate_limit
        if info is not None and info.remaining is not None:
            self.status_rate.setText(f"{info.remaining:,} sends left this minute")
        elif outcome.status == 429:
            self.status_rate.setText("Rate limited")

    def _report_error(self, what: str, exc: BaseException) -> None:
        """Show a failed task in words, never as a traceback."""
        text = str(exc) or type(exc).__name__
        self.last_error = f"{what}: {text}"
        self.statusBar().showMessage(f"{what} failed: {text}", 15000)
        if what.startswith("Send"):
            self.response_view.show_failure(f"{what} failed", text)
            self._set_sending(False)

    def warn(self, title: str, text: str) -> None:
        """A window-modal warning that does not block the event loop."""
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("warning")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _update_title(self) -> None:
        name = self._file.name if self._file else "Untitled event"
        modified = bool(getattr(self.controller, "is_modified", False))
        self.setWindowTitle(f"{'• ' if modified else ''}{name} — {APP_TITLE}")

    # -- target / revision ---------------------------------------------------------------------

    def _on_target_changed(self, _target: Target) -> None:
        self._refresh_target_status()

    def _on_revision_changed(self, revision: str) -> None:
        self.controller.set_revision(revision)
        self.banner.show_message(f"retired:{revision}", retired_revision_text(revision))

    def ask_custom_target(self) -> None:
        url, ok = QInputDialog.getText(
            self,
            "Custom target",
            "Base URL of a server that speaks Klaviyo's API\n"
            "(for example a sandbox: http://127.0.0.1:8787):",
        )
        if not ok or not url.strip():
            return
        try:
            target = parse_target(url.strip())
        except TargetError as exc:
            self.warn("Custom target", str(exc))
            return
        self.target_bar.set_target(target)

    # -- send ----------------------------------------------------------------------------------

    def is_sending(self) -> bool:
        return self._send_task is not None and not self._send_task.done()

    def request_send(self) -> None:
        """Send (Ctrl+Enter): validate, confirm when needed, send, show the outcome."""
        if self.is_sending() or self._closing:
            return
        self._send_task = spawn(self._send_flow(self.controller.text()), "Send")

    def cancel_send(self) -> None:
        """Cancel (Esc): stop the send that is running."""
        if self.is_sending() and self._send_task is not None:
            self._send_task.cancel()

    def _set_sending(self, sending: bool) -> None:
        self.target_bar.set_sending(sending)
        self.send_action.setEnabled(not sending)
        self.cancel_action.setEnabled(sending)

    async def _send_flow(
        self, text: str, *, skip_validation: bool = False, exactly: HistoryEntry | None = None
    ) -> None:
        """Validate (unless ``skip_validation``), confirm, send and show. ``exactly`` is the
        history entry being resent byte for byte (its unique_id kept); otherwise the event
        gets the composer's next unique_id when the setting says each Send is a new event."""
        target = self.target_bar.target()
        revision = self.target_bar.revision()
        account = self.target_bar.account()
        if not skip_validation:
            report = self.controller.validate_now()
            if not report.valid and not await self._confirm_send_anyway(report):
                self.statusBar().showMessage("Not sent: fix the problems or choose Send anyway.")
                return
        if target.key_route is KeyRoute.NEVER:
            self.response_view.show_failure("Not sent: plain http", plain_http_refusal(target))
            return
        if account is None and not target.is_local:
            # no key can sign it: say so now rather than after the production question
            self.response_view.show_failure("Not sent: no API key", no_key_message(target, None))
            return
        if target.is_klaviyo and not await self._confirm_production(account):
            return
        confirmed = False
        if account is not None and target.key_route is KeyRoute.NAMED_ONLY:
            confirmed = await self._confirm_key_host(target, account)
            if not confirmed:
                self.response_view.show_failure(
                    "Not sent: the key stays here",
                    f"{target.base_url} is not Klaviyo, so the key of “{account}” was not sent. "
                    "Send again and choose “Send the key” to send it to that server.",
                )
                return
        self._set_sending(True)
        self.response_view.show_sending(target_headline(target).split(":")[0])
        fresh = None if exactly is not None else self.next_unique_id()
        try:
            result = await self.gateway.send_event(
                text.encode("utf-8"),
                target=target,
                account=account,
                revision=revision,
                account_confirmed=confirmed,
                fresh_unique_id=fresh,
                exactly=exactly is not None,
            )
        except asyncio.CancelledError:
            self.response_view.show_failure(
                "Cancelled",
                "You cancelled the send; the server may or may not have received it. "
                "The history keeps an entry for it.",
            )
            self.history_pane.refresh()
            return
        finally:
            self._set_sending(False)
            if fresh is not None:
                self._draw_next_unique_id()  # the next Send is a new event, whatever happened
        note = None
        if exactly is not None and result.unique_id:
            note = (
                f"Resent history entry #{exactly.id} exactly, with its unique_id: Klaviyo records "
                "an event with the same unique_id only once."
            )
        assert result.outcome is not None  # the gateway always sends
        self._show_outcome(
            result.outcome,
            unique_id=result.unique_id,
            history_problem=result.history_problem,
            note=note,
        )

    def next_unique_id(self) -> str | None:
        """The unique_id the next Send from the composer will carry (None: the event's own,
        when the setting to give each Send a new one is off)."""
        return self._next_unique_id if self.settings.fresh_unique_id else None

    def _draw_next_unique_id(self) -> None:
        self._next_unique_id = new_unique_id()
        self.next_id_label.set_next(self.next_unique_id())

    def _show_outcome(
        self,
        outcome: SendOutcome,
        *,
        unique_id: str | None = None,
        history_problem: str | None = None,
        note: str | None = None,
    ) -> None:
        self.response_view.show_outcome(
            outcome, unique_id=unique_id, history_problem=history_problem, note=note
        )
        if history_problem:
            self.statusBar().showMessage(f"Not in the history: {history_problem}", 15000)
        if outcome.status == 400 and outcome.findings:
            self.controller.set_server_findings(list(outcome.findings))
        self._show_rate(outcome)
        self.history_pane.refresh()
        self.sendFinished.emit(outcome)

    async def _confirm_send_anyway(self, report: ValidationReport) -> bool:
        errors = report.errors
        listed = "\n".join(f"• {f.message}" for f in errors[:5])
        more = f"\n…and {len(errors) - 5} more" if len(errors) > 5 else ""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "The event has problems",
            f"Klaviyo will reject this event ({len(errors)} error"
            f"{'s' * (len(errors) != 1)}):\n\n{listed}{more}\n\n"
            "Send it anyway, for example to see how the server answers a bad payload?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("confirmSendAnyway")
        anyway = box.addButton("&Send anyway", QMessageBox.ButtonRole.AcceptRole)
        fix = box.addButton("&Don't send", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(fix)
        box.setEscapeButton(fix)
        return await ask(box) is anyway

    async def _confirm_production(self, account: str | None) -> bool:
        if self._production_confirmed:
            return True
        who = f"with the key of account “{account}”" if account else "(no account chosen)"
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Send to Klaviyo production?",
            f"This sends the event to your live Klaviyo account {who}. It will show on real "
            "profiles and may trigger flows (emails, SMS).\n\nYou are asked once per session.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("confirmProduction")
        go = box.addButton("&Send to production", QMessageBox.ButtonRole.AcceptRole)
        stay = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        if await ask(box) is go:
            self._production_confirmed = True
            return True
        return False

    async def _confirm_key_host(self, target: Target, account: str) -> bool:
        """Ask once per session, host and account before a key leaves for a server that is
        neither Klaviyo nor this machine."""
        slot = (target.host, account)
        if slot in self._key_hosts_confirmed:
            return True
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Send the API key to another server?",
            f"{target.host} is not Klaviyo and not this machine. Sending there gives it the "
            f"private API key of the account “{account}”, with which it can act on your "
            "Klaviyo account.\n\nSend the key only to a server you trust. You are asked once "
            "per session for each server and account.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("confirmKeyHost")
        go = box.addButton(f"Send the &key to {target.host}", QMessageBox.ButtonRole.AcceptRole)
        stay = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        if await ask(box) is go:
            self._key_hosts_confirmed.add(slot)
            return True
        return False

    # -- history -------------------------------------------------------------------------------

    def load_entry(self, entry: HistoryEntry) -> None:
        """Put a recorded request back into the composer (asking first when the composer
        holds unsaved changes), and its response in the view."""
        spawn(self._load_entry_flow(entry), "Loading the entry")

    async def _load_entry_flow(self, entry: HistoryEntry) -> bool:
        if not await self.may_replace_composer(f"loading history entry #{entry.id}"):
            return False
        self._show_entry(entry)
        return True

    def _show_entry(self, entry: HistoryEntry) -> None:
        self.controller.load_text(_pretty_request_text(entry.request.body))
        self._file = None
        self._update_title()
        outcome = entry.to_outcome()
        if outcome is not None:
            self.response_view.show_outcome(outcome, unique_id=entry.row.unique_id)
        self.statusBar().showMessage(
            f"Loaded history entry #{entry.id} ({entry.row.status_text}) into the composer.",
            8000,
        )

    def resend_entry(self, entry: HistoryEntry) -> None:
        """Send the recorded bytes again, as they were (no re-validation)."""
        if self.is_sending():
            return
        spawn(self._resend_flow(entry), "Send")

    async def _resend_flow(self, entry: HistoryEntry) -> None:
        if not await self._load_entry_flow(entry) or self.is_sending():
            return
        body = entry.request.body.decode("utf-8", "replace")
        self._send_task = spawn(self._send_flow(body, skip_validation=True, exactly=entry), "Send")

    async def _poll_history(self) -> None:
        """Notice entries another process (a CLI replay) added, and show them."""
        version = await off_thread(self.storage.history.data_version)
        if self._data_version is not None and version != self._data_version:
            self.history_pane.refresh()
        self._data_version = version

    # -- files -----------------------------------------------------------------------------------

    async def may_replace_composer(self, doing: str) -> bool:
        """True when the composer's text may be replaced: it has no unsaved changes, or the
        user saved them or chose to discard them. ``doing`` names what replaces it."""
        if not self.controller.is_modified:
            return True
        name = f"“{self._file.name}”" if self._file else "The event in the composer"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"{name} has changes that are not saved.\n\nSave them before {doing}?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("confirmDiscard")
        save = box.addButton("&Save", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("&Discard changes", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setEscapeButton(cancel)
        clicked = await ask(box)
        if clicked is discard:
            return True
        if clicked is save:
            path = self._file or self._ask_save_path()
            return path is not None and await self._save(path)
        return False

    def new_event(self) -> None:
        """File ▸ New (Ctrl+N): the sample event, after asking about unsaved changes."""
        spawn(self._new_event(), "New event")

    async def _new_event(self) -> None:
        if not await self.may_replace_composer("starting a new event"):
            return
        self.controller.load_payload(sample_event())
        self.controller.mark_saved()
        self._file = None
        self._update_title()

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open event", "", "Event JSON (*.json);;All files (*)"
        )
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path, *, as_template: bool = False) -> None:
        spawn(self._open(path, as_template), f"Opening {path.name}")

    async def _open(self, path: Path, as_template: bool) -> None:
        if not await self.may_replace_composer(f"opening {path.name}"):
            return
        try:
            text = await off_thread(read_event_file, path)
        except EventFileError as exc:
            self.warn("Cannot open the file", str(exc))
            return
        self.controller.load_text(text)
        self.controller.mark_saved()
        self._file = None if as_template else path
        if not as_template:
            await self._remember_recent(path)
        self._update_title()
        self.statusBar().showMessage(f"Opened {path.name}.", 5000)

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import requests into the history",
            "",
            "Requests (*.ndjson *.jsonl *.har *.json);;All files (*)",
        )
        if path:
            self.import_path(Path(path))

    def import_path(self, path: Path) -> None:
        """Import the event bodies of an NDJSON file (or JSON array) or a HAR file into the
        history; a file of one request also goes into the composer."""
        spawn(self._import(path), f"Importing {path.name}")

    async def _import(self, path: Path) -> None:
        try:
            result = await off_thread(self.storage.history.import_file, path)
        except (OSError, ValueError) as exc:
            self.warn("Cannot import the file", f"{path.name}: {exc}")
            return
        self.history_pane.refresh()
        count = result.imported
        plural = "s" * (count != 1)
        message = f"Imported {count} request{plural} from {path.name} into the history"
        if result.problems:
            shown = "\n".join(f"• {p}" for p in result.problems[:10])
            more = len(result.problems) - 10
            if more > 0:
                shown += f"\n… and {more} more"
            self.warn(
                "Some requests were not imported",
                f"{message}; {len(result.problems)} could not be read:\n\n{shown}",
            )
        if count == 1 and await self.may_replace_composer(f"loading {path.name}"):
            self.controller.load_text(result.bodies[0].decode("utf-8", "replace"))
            self._file = None
            self._update_title()
            message += " and into the composer"
        elif count > 1:
            message += "; double-click one to load it into the composer"
        self.statusBar().showMessage(message + ".", 10000)

    def save(self) -> None:
        if self._file is None:
            self.save_as()
        else:
            spawn(self._save(self._file), "Saving")

    def save_as(self) -> None:
        target = self._ask_save_path()
        if target is not None:
            spawn(self._save(target), "Saving")

    def _ask_save_path(self) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save event", str(self._file or "event.json"), "Event JSON (*.json)"
        )
        if not path:
            return None
        target = Path(path)
        return target if target.suffix else target.with_suffix(".json")

    async def _save(self, path: Path) -> bool:
        try:
            await off_thread(write_event_file, path, self.controller.text())
        except EventFileError as exc:
            self.warn("Cannot save the file", str(exc))
            return False
        self._file = path
        self.controller.mark_saved()
        await self._remember_recent(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}.", 5000)
        return True

    async def _remember_recent(self, path: Path) -> None:
        resolved = str(path.resolve())
        self.settings = await off_thread(
            self.storage.settings.modify, lambda s: s.with_recent_file(resolved)
        )
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        for item in self.settings.recent_files:
            act = self.recent_menu.addAction(item)
            act.triggered.connect(lambda _c=False, p=item: self.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(self.settings.recent_files))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() and u.toLocalFile().lower().endswith(".json") for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith(".json"):
                self.open_path(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return

    # -- dialogs and theme -----------------------------------------------------------------------

    def show_about(self) -> None:
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def manage_keys(self) -> None:
        self.open_settings(accounts=True)

    def open_settings(self, accounts: bool = False) -> None:
        dialog = SettingsDialog(self.settings, self.storage.secrets, self)
        dialog.setObjectName("settingsDialog")
        if accounts:
            dialog.show_accounts()

        def finished(result: int) -> None:
            if result == SettingsDialog.DialogCode.Accepted:
                new = dialog.result_settings()
                spawn(self._save_settings(new), "Saving the settings")
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()

    async def _save_settings(self, new: Settings) -> None:
        def keep_layout(current: Settings) -> Settings:
            return new.with_layout(current.layout_bytes())

        saved = await off_thread(self.storage.settings.modify, keep_layout)
        self._apply_settings(saved)
        spawn(self._probe_keyring(), "Checking the keyring")

    def set_theme(self, name: str, *, save: bool = True) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            name = theme.apply_theme(app, name)
        for key, act in self.theme_actions.items():
            act.setChecked(key == name)
        for widget in (self.target_bar, self.banner, self.response_view):
            widget.refresh_colors()
        self.history_pane.model.refresh_colors()
        self._refresh_target_status()
        if save and name != self.settings.theme:
            spawn(self._store_theme(name), "Saving the theme")

    async def _store_theme(self, name: str) -> None:
        self.settings = await off_thread(lambda: self.storage.settings.update(theme=name))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "response_view"):
            self.response_view.refresh_colors()

    # -- closing -------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the layout, cancel a running send, close the HTTP clients; then close."""
        if self._closing:
            event.accept()
            return
        event.ignore()
        if self._asking_to_close:
            return
        spawn(self._close_flow(), "Closing")

    async def _close_flow(self) -> None:
        self._asking_to_close = True
        try:
            close = await self.may_replace_composer("closing")
        finally:
            self._asking_to_close = False
        if not close:
            self.statusBar().showMessage("Not closed: your changes are still here.", 8000)
            return
        self._closing = True
        await self._shutdown()

    async def _shutdown(self) -> None:
        try:
            self._poll.stop()
            self._keyring_timer.stop()
            if self.is_sending() and self._send_task is not None:
                self._send_task.cancel()
            blob = layout_state.capture(self, self._splitters())
            try:
                await off_thread(self.storage.settings.modify, lambda s: s.with_layout(blob))
            except OSError as exc:
                log.warning("the window layout was not saved: %s", exc)
            await self.gateway.aclose()
        finally:
            set_error_reporter(None)
            self.close()
            self.closed.emit()


def _pretty_request_text(body: bytes) -> str:
    """A recorded body as the composer shows it: indented when it is JSON, else as sent."""
    text = body.decode("utf-8", "replace")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
