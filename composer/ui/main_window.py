"""The main window: a shell that lays out the target bar, the composer (Form / Raw JSON /
Problems), the response view, the history pane and a status bar that always says where events
go, and composes the parts that act on them:

- :class:`~composer.ui.document.DocumentPart`: New, Open, Save, import, unsaved changes;
- :class:`~composer.ui.send_flow.SendPart`: Send, Cancel and their questions;
- :class:`~composer.ui.history_part.HistoryPart`: load and resend entries, watch the history;
- :class:`~composer.ui.replay_part.ReplayPart`: File > Replay a file…, beside the composer;
- :class:`~composer.ui.settings_part.SettingsPart`: settings, keys, keyring state, theme;
- :class:`~composer.ui.collections_part.CollectionsPart`: the collections side panel.

The window holds no business rules and builds no services: storage and the send gateway come
from the composition root (composer/app.py). Everything that may block is awaited off the UI
thread through the window's :class:`~composer.ui.tasks.TaskRunner`, whose errors are shown
here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QPaintEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QApplication, QMainWindow, QSplitter, QWidget

from composer.client.targets import Target, TargetError, TargetKind, parse_target
from composer.domain.outcome import SendOutcome
from composer.services.ports import SendGateway
from composer.storage import Storage
from composer.storage.settings import Settings
from composer.ui import layout_state, theme
from composer.ui.banner import retired_revision_text, settings_notice_text
from composer.ui.collections_part import CollectionsPart
from composer.ui.document import DocumentPart
from composer.ui.editor import ComposerController
from composer.ui.environment_part import EnvironmentPart
from composer.ui.history_part import HistoryPart
from composer.ui.replay_part import ReplayPart
from composer.ui.retired_dialog import conversion_summary, sample_in
from composer.ui.send_flow import SendPart
from composer.ui.settings_part import SettingsPart
from composer.ui.target_bar import target_headline
from composer.ui.tasks import TaskRunner, off_thread
from composer.ui.unique_id_label import NextUniqueIdLabel
from composer.ui.wheel_guard import WheelGuard
from composer.ui.window_layout import WindowLayout
from composer.ui.window_menus import WindowMenus

if TYPE_CHECKING:
    from composer.ui.collection_model import Node
    from composer.ui.run_part import RunPart

log = logging.getLogger(__name__)

APP_TITLE = "Event Composer"
FIRST_PAINT_FALLBACK_MS = 2000
"""What is left for after the first paint runs by then even without a paint."""


class MainWindow(QMainWindow):
    """The app's one window. ``sendFinished`` carries each :class:`SendOutcome` (tests and the
    benchmark wait on it); ``closed`` fires once the window has shut down."""

    sendFinished = Signal(object)
    closed = Signal()
    settled = Signal()
    """After the first paint: the history, the keyring and the menus' contents are loading."""

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
        settings = storage.settings.settings
        self.controller = controller or ComposerController(settings.default_revision, self)
        self._closing = False
        self._asking_to_close = False
        self._shown_once = False
        self._first_paint_seen = False
        self.startup_done = False
        self.last_error: str | None = None
        self.tasks = TaskRunner(self)
        self.tasks.failed.connect(self._report_error)
        self.layout_parts = WindowLayout(self, self.controller, storage.history, self.tasks)
        lay = self.layout_parts
        self.target_bar = lay.target_bar
        self.toolbar = lay.toolbar
        self.banner = lay.banner
        self.settings_notice = lay.settings_notice
        self.composer = lay.composer
        self.response_view = lay.response_view
        self.history_pane = lay.history_pane
        self.top_splitter = lay.top_splitter
        self.main_splitter = lay.main_splitter
        self.status_target = lay.status_target
        self.status_keyring = lay.status_keyring
        self.status_rate = lay.status_rate

        self.document = DocumentPart(
            self,
            controller=self.controller,
            settings=storage.settings,
            history=storage.history,
            tasks=self.tasks,
        )
        self.collections_part = CollectionsPart(
            self,
            model=lay.collection_model,
            panel=lay.collection_panel,
            document=self.document,
            settings=storage.settings,
            tasks=self.tasks,
        )
        self.collection_panel = lay.collection_panel
        self._run_part: RunPart | None = None
        self.send_part = SendPart(
            self,
            gateway=gateway,
            controller=self.controller,
            target_bar=self.target_bar,
            response_view=self.response_view,
            tasks=self.tasks,
        )
        self.next_id_label = NextUniqueIdLabel()
        self.statusBar().addPermanentWidget(self.next_id_label)
        self.send_part.nextUniqueIdChanged.connect(self.next_id_label.set_next)
        self.history_part = HistoryPart(
            self,
            store=storage.history,
            pane=self.history_pane,
            document=self.document,
            sender=self.send_part,
            response_view=self.response_view,
            tasks=self.tasks,
        )
        self.replay_part = ReplayPart(
            self,
            gateway=gateway,
            runs=storage.history.runs,
            target_bar=self.target_bar,
            tasks=self.tasks,
        )
        self.settings_part = SettingsPart(
            self,
            store=storage.settings,
            secrets=storage.secrets,
            target_bar=self.target_bar,
            keyring_label=self.status_keyring,
            tasks=self.tasks,
        )
        self.environments = EnvironmentPart(
            self,
            controller=self.controller,
            target_bar=self.target_bar,
            user_folder=storage.paths.environments_dir,
            collection_root=self._collection_root,
        )
        self.menus = WindowMenus(self)
        m = self.menus
        self.templates_menu = m.templates_menu
        self.theme_actions = m.theme_actions
        self.send_action, self.cancel_action = m.send_action, m.cancel_action
        self.undo_action, self.redo_action = m.undo_action, m.redo_action
        self._wire()
        self._apply_settings(settings, initial=True)
        self._update_title()

    # -- construction --------------------------------------------------------------------------

    def _wire(self) -> None:
        bar = self.target_bar
        bar.sendRequested.connect(self.request_send)
        bar.cancelRequested.connect(self.cancel_send)
        bar.targetChanged.connect(self._on_target_changed)
        bar.revisionChanged.connect(self._on_revision_changed)
        self.controller.revisionChanged.connect(self._follow_revision)
        bar.manageKeysRequested.connect(self.settings_part.manage_keys)
        bar.customTargetRequested.connect(self.settings_part.ask_custom_target)
        self.response_view.findingActivated.connect(self.composer.focus_finding)
        self.history_pane.message.connect(self._show_message)
        parts = (
            self.document,
            self.send_part,
            self.history_part,
            self.collections_part,
            self.environments,
            self.replay_part,
        )
        for part in parts:
            part.message.connect(self._show_message)
        self.replay_part.historyChanged.connect(self.history_part.refresh)
        self.collection_panel.runRequested.connect(self._run_node)
        self.history_part.responseShown.connect(self.layout_parts.show_response)
        self.send_part.sendingChanged.connect(self._follow_sending)
        self.document.titleChanged.connect(self._update_title)
        # environments follow the collection the window works in
        self.document.titleChanged.connect(self.environments.reload)
        self.collections_part.listed.connect(lambda _c: self.environments.reload())
        self.document.historyChanged.connect(self.history_part.refresh)
        self.send_part.sendingChanged.connect(self._set_sending)
        self.send_part.cancelled.connect(self.history_part.refresh)
        self.send_part.finished.connect(self._on_send_finished)
        self.send_part.verify.verified.connect(lambda _verdict: self.history_part.refresh())
        self.settings_part.applied.connect(self._apply_settings)
        self.settings_part.themeChanged.connect(self._refresh_colors)

    def _collection_root(self) -> Path | None:
        """The collection the window works in: the one whose request is in the composer, else
        the one opened last (None: no collection is open)."""
        if self.document.request is not None:
            return self.document.request[0].root
        if self.collections_part.has_collections():
            return list(self.collections_part.collections)[-1].root
        return None

    def _show_message(self, text: str, ms: int = 0) -> None:
        self.statusBar().showMessage(text, ms)

    # -- start -------------------------------------------------------------------------------

    def start(self, file: Path | None = None) -> None:
        """Show the first event (``file``, else the sample), load the history, probe the
        keyring. Call once, after the event loop exists."""
        self.controller.hold_background_checks()  # until the first paint
        if file is not None:
            self.open_path(file)
        else:
            # findings arrive from a worker thread: the window paints first
            # in the shape of the revision the window starts with (the default revision)
            self.controller.load_payload(sample_in(self.controller.revision()), check_later=True)
            self.controller.mark_saved()
        # the first key a user presses edits the event; a Page Down on the target picker
        # (Qt's first focus otherwise) would switch to production
        first = next(iter(self.composer.form.profile_edits.values()), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)
        self.settings_notice.show_message("settings", settings_notice_text(self.storage.settings))

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._first_paint_seen:
            self._first_paint_seen = True
            # what the user does not see yet is built once the window is on screen
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        self.controller.release_background_checks()
        if self._closing or self.startup_done:
            return
        self.composer.build_rest()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            WheelGuard.install(app)
        self.history_part.start()
        self.settings_part.start()
        self.environments.reload()
        self.document.fill_menus()
        self.collections_part.start()
        self.startup_done = True
        self.settled.emit()

    def _apply_settings(self, settings: Settings, *, initial: bool = False) -> None:
        self.settings_part.set_theme(settings.theme, save=False)
        self.target_bar.set_custom_urls([t.base_url for t in settings.targets])
        self.target_bar.set_accounts(list(settings.accounts), settings.default_account)
        self.environments.set_accounts(list(settings.accounts))
        self.send_part.verify.set_settings(settings)
        if initial:
            try:
                target = parse_target(settings.default_target)
            except TargetError:
                target = parse_target("sandbox")
            self.target_bar.set_target(target)
            self.target_bar.set_revision(settings.default_revision)
            flags = layout_state.restore(self, self._splitters(), settings.layout_bytes())
            self.layout_parts.apply_flags(flags, collections_open=bool(settings.collections))
            self.layout_parts.fit_to_screen()
        self._refresh_target_status()
        self._on_revision_changed(self.target_bar.revision())
        self.send_part.set_fresh_unique_id(settings.fresh_unique_id)

    def next_unique_id(self) -> str | None:
        """The unique_id the next Send from the composer carries (None: the event's own)."""
        return self.send_part.next_unique_id()

    def _splitters(self) -> dict[str, QSplitter]:
        found = {
            "top": self.top_splitter,
            "main": self.main_splitter,
            "side": self.layout_parts.side_splitter,
        }
        composer_splitter = getattr(self.composer, "splitter", None)
        if isinstance(composer_splitter, QSplitter):
            found["composer"] = composer_splitter
        return found

    # -- what the parts do, by their old names (menus, tests and benchmarks use them) ------------

    @property
    def run_part(self) -> RunPart:
        """The runner (built with the first run: the window paints without it)."""
        if self._run_part is None:
            from composer.ui.run_part import build_run_part

            self._run_part = build_run_part(self)
        return self._run_part

    def _run_node(self, node: Node | None) -> None:
        self.run_part.run_node(node)

    def cancel_run(self) -> None:
        if self._run_part is not None:
            self._run_part.cancel()

    def request_send(self) -> None:
        """Send (Ctrl+Enter): validate, confirm when needed, send, show the outcome."""
        if not self._closing:
            self.send_part.request_send()

    def cancel_send(self) -> None:
        """Cancel (Esc): stop the send that is running."""
        self.send_part.cancel_send()

    def is_sending(self) -> bool:
        return self.send_part.is_sending()

    def open_path(self, path: Path, *, as_template: bool = False) -> None:
        self.document.open_path(path, as_template=as_template)

    def import_path(self, path: Path) -> None:
        self.document.import_path(path)

    def new_event(self) -> None:
        self.document.new_event()

    def open_settings(self, accounts: bool = False) -> None:
        self.settings_part.open_settings(accounts)

    def set_theme(self, name: str, *, save: bool = True) -> None:
        self.settings_part.set_theme(name, save=save)

    async def may_replace_composer(self, doing: str) -> bool:
        return await self.document.may_replace_composer(doing)

    def show_about(self) -> None:
        from composer.ui.about import AboutDialog

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # -- status --------------------------------------------------------------------------------

    def _refresh_colors(self) -> None:
        for widget in (self.target_bar, self.banner, self.settings_notice, self.response_view):
            widget.refresh_colors()
        self.history_pane.model.refresh_colors()
        self._refresh_target_status()

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

    def _on_send_finished(self, outcome: SendOutcome) -> None:
        info = outcome.rate_limit
        if info is not None and info.remaining is not None:
            self.status_rate.setText(f"{info.remaining:,} sends left this minute")
        elif outcome.status == 429:
            self.status_rate.setText("Rate limited")
        self.history_part.refresh()
        self.sendFinished.emit(outcome)

    def _follow_sending(self, sending: bool) -> None:
        if sending:  # a Send's answer is what the user waits for now
            self.layout_parts.show_response()

    def _set_sending(self, sending: bool) -> None:
        self.target_bar.set_sending(sending)
        self.send_action.setEnabled(not sending)
        self.cancel_action.setEnabled(sending)

    def _report_error(self, what: str, exc: BaseException) -> None:
        """Show a failed task in words, never as a traceback."""
        text = str(exc) or type(exc).__name__
        self.last_error = f"{what}: {text}"
        self.statusBar().showMessage(f"{what} failed: {text}", 15000)
        if what.startswith("Send"):
            self.response_view.show_failure(f"{what} failed", text)
            self._set_sending(False)

    def _update_title(self) -> None:
        modified = bool(getattr(self.controller, "is_modified", False))
        self.setWindowTitle(f"{'• ' if modified else ''}{self.document.title()} — {APP_TITLE}")

    def _on_target_changed(self, _target: Target) -> None:
        self._refresh_target_status()

    def _on_revision_changed(self, revision: str) -> None:
        """The picker changed: the open event is rewritten in that revision's shape (one undo
        step) and the status bar says what moved."""
        before = self.controller.revision()
        report = self.controller.convert_to_revision(revision)
        if report is not None:
            self._show_message(conversion_summary(report, before, revision), 30000)
        self.banner.show_message(f"retired:{revision}", retired_revision_text(revision))

    def _follow_revision(self, revision: str) -> None:
        """Undo or redo of a conversion changed the revision: the picker follows."""
        if self.target_bar.revision() != revision:
            self.target_bar.set_revision(revision)

    # -- drops -----------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        if DocumentPart.droppable(paths):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        found = DocumentPart.droppable(paths)
        if found:
            self.open_path(Path(found))
            event.acceptProposedAction()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.layout_parts.shown()
            # a window that is never painted (shown minimized, say) still gets its history,
            # its first check and the rest
            QTimer.singleShot(FIRST_PAINT_FALLBACK_MS, self, self._after_first_paint)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "response_view"):
            self.response_view.refresh_colors()

    # -- closing -------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask about unsaved changes, save the layout, cancel a running send, close the HTTP
        clients; then close. One close flow at a time."""
        if self._closing:
            event.accept()
            return
        event.ignore()
        if self._asking_to_close:
            return
        self._asking_to_close = True
        self.tasks.spawn(self._close_flow(), "Closing")

    async def _close_flow(self) -> None:
        try:
            close = await self.document.may_replace_composer("closing")
        finally:
            self._asking_to_close = False
        if not close:
            self.statusBar().showMessage("Not closed: your changes are still here.", 8000)
            return
        self._closing = True
        await self._shutdown()

    async def _shutdown(self) -> None:
        try:
            self.history_part.stop()
            self.settings_part.stop()
            blob = layout_state.capture(self, self._splitters(), self.layout_parts.flags())
            try:
                await off_thread(self.storage.settings.modify, lambda s: s.with_layout(blob))
            except OSError as exc:
                log.warning("the window layout was not saved: %s", exc)
            await self.replay_part.stop()  # its run is recorded as stopped: it resumes later
            if self._run_part is not None:
                await self._run_part.stop()
            await self.send_part.stop()
            await self.history_part.settle()
        finally:
            self.close()
            self.closed.emit()
