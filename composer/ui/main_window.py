"""The main window: a shell that lays out the target bar, the composer (Form / Raw JSON /
Problems), the response view, the history pane and a status bar that always says where events
go, and composes the parts that act on them (:mod:`composer.ui.window_parts`):

- :class:`~composer.ui.document.DocumentPart`: New, Open, Save, import, unsaved changes;
- :class:`~composer.ui.send_flow.SendPart`: Send, Cancel and their questions;
- :class:`~composer.ui.history_part.HistoryPart`: load and resend entries, watch the history;
- :class:`~composer.ui.replay_part.ReplayPart`: File > Replay a file…, beside the composer;
- :class:`~composer.ui.settings_part.SettingsPart`: settings, keys, keyring state, theme;
- :class:`~composer.ui.collections_part.CollectionsPart`: the collections side panel.

Start-up paints first: the window is built from the settings alone (what the user sees),
painted, and only then given its storage with the history (:meth:`MainWindow.attach`); the
parts, the menus' actions and everything the user does not see yet are built after both.

The window holds no business rules and builds no services: storage and the send gateway come
from the composition root (composer/app.py). Everything that may block is awaited off the UI
thread through the window's :class:`~composer.ui.tasks.TaskRunner`, whose errors are shown
in the status bar (:class:`~composer.ui.window_status.WindowStatus`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QMainWindow, QSplitter, QWidget

from composer.client.targets import TargetError, parse_target
from composer.storage.settings import Settings, SettingsStore
from composer.ui import layout_state
from composer.ui.banner import settings_notice_text
from composer.ui.editor import ComposerController
from composer.ui.retired_dialog import revision_for_text, sample_in
from composer.ui.window_layout import WindowLayout
from composer.ui.window_status import APP_TITLE, WindowStatus

if TYPE_CHECKING:
    from composer.services.ports import SendGateway
    from composer.storage import Storage
    from composer.ui.collection_model import Node
    from composer.ui.collections_part import CollectionsPart
    from composer.ui.document import DocumentPart
    from composer.ui.environment_part import EnvironmentPart
    from composer.ui.history_part import HistoryPart
    from composer.ui.replay_part import ReplayPart
    from composer.ui.run_part import RunPart
    from composer.ui.send_flow import SendPart
    from composer.ui.settings_part import SettingsPart
    from composer.ui.tasks import TaskRunner
    from composer.ui.window_menus import WindowMenus

log = logging.getLogger(__name__)

FIRST_PAINT_FILE_BYTES = 1_000_000
"""A file named on the command line up to this size is read before the first paint."""
FIRST_PAINT_FALLBACK_MS = 2000
"""What is left for after the first paint runs by then even without a paint."""


class WindowStorage(Protocol):
    """What the window needs to paint: the settings and where they live (the history comes
    with :meth:`MainWindow.attach`, or at once when ``storage`` has one)."""

    @property
    def settings(self) -> SettingsStore: ...


class MainWindow(QMainWindow):
    """The app's one window. ``sendFinished`` carries each :class:`SendOutcome` (tests and the
    benchmark wait on it); ``closed`` fires once the window has shut down."""

    sendFinished = Signal(object)
    closed = Signal()
    firstPainted = Signal()
    """The window was painted for the first time."""
    settled = Signal()
    """After the first paint, with the storage: the history, the keyring and the menus'
    contents are loading."""

    # built by WindowParts once painted and attached (see _build_parts)
    tasks: TaskRunner
    document: DocumentPart
    collections_part: CollectionsPart
    send_part: SendPart
    history_part: HistoryPart
    replay_part: ReplayPart
    settings_part: SettingsPart
    environments: EnvironmentPart
    menus: WindowMenus

    def __init__(
        self,
        storage: WindowStorage,
        gateway: SendGateway | None = None,
        *,
        controller: ComposerController | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setAccessibleName(APP_TITLE)
        self.setAcceptDrops(True)
        self.storage: Any = storage
        self.gateway = gateway
        settings = storage.settings.settings
        self.controller = controller or ComposerController(settings.default_revision, self)
        self._closing = False
        self._close_asked = False
        self._shown_once = False
        self._first_paint_seen = False
        self._painted = False
        self.startup_done = False
        self.layout_parts = WindowLayout(self, self.controller)
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
        self.status = WindowStatus(self)
        self.next_id_label = self.status.next_id_label
        # the menu bar's titles paint with the window; their actions come with the parts
        bar = self.menuBar()
        self.top_menus = [bar.addMenu(t) for t in ("&File", "&Edit", "&Send", "&View", "&Help")]
        self._run_part: RunPart | None = None
        self._file: Path | None = None
        self._file_read = False
        self.target_bar.targetChanged.connect(lambda _t: self.status.refresh_target())
        self.target_bar.revisionChanged.connect(self.status.revision_chosen)
        self.controller.revisionChanged.connect(self.status.follow_revision)
        self._show_settings(settings)
        self.update_title()

    # -- start -------------------------------------------------------------------------------

    def _show_settings(self, settings: Settings) -> None:
        """What the settings decide of the first paint: the target, the revision, the layout."""
        bar = self.target_bar
        bar.set_custom_urls([t.base_url for t in settings.targets])
        bar.set_accounts(list(settings.accounts), settings.default_account)
        try:
            target = parse_target(settings.default_target)
        except TargetError:
            target = parse_target("sandbox")
        bar.set_target(target)
        bar.set_revision(settings.default_revision)
        flags = layout_state.restore(self, self.splitters(), settings.layout_bytes())
        self.layout_parts.apply_flags(flags, collections_open=bool(settings.collections))
        self.layout_parts.fit_to_screen()
        self.status.refresh_target()
        self.status.revision_chosen(bar.revision())

    def start(self, file: Path | None = None) -> None:
        """Show the first event: the sample, or ``file`` (read now, so that the first paint
        shows it; a file that cannot be read is opened, and why not said, once the parts are
        built). Call once, before the window is shown."""
        self.controller.hold_background_checks()  # until the first paint
        self._file = file
        self._file_read = file is not None and self._read_first(file)
        if file is None:
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
        self.update_title()

    def _read_first(self, file: Path) -> bool:
        """``file``'s text into the composer at its own revision (the picker follows);
        False when it cannot be read now (or is too big to read before the first paint)."""
        if not self.controller.load_file(file, max_bytes=FIRST_PAINT_FILE_BYTES):
            return False
        controller = self.controller
        controller.set_revision(revision_for_text(controller.text(), controller.revision()))
        return True

    @property
    def file_read_first(self) -> Path | None:
        """The file the window started with, when its text was read before the first paint."""
        return self._file if self._file_read else None

    def attach(self, storage: Storage, gateway: SendGateway) -> None:
        """Give the window its storage with the history, and the send gateway: the parts are
        built once the window has painted too."""
        self.storage = storage
        self.gateway = gateway
        self._build_parts()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._first_paint_seen:
            self._first_paint_seen = True
            self.firstPainted.emit()
            # what the user does not see yet is built once the window is on screen
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        if self._painted:
            return
        self._painted = True
        self.controller.release_background_checks()
        self._build_parts()

    def _build_parts(self) -> None:
        """Build the parts and start what waits for the first paint, once both the paint
        and the history are there."""
        if not self._painted or self.gateway is None or self.startup_done or self._closing:
            return
        if not hasattr(self.storage, "history"):
            return
        from composer.ui.window_menus import WindowMenus
        from composer.ui.window_parts import WindowParts

        parts = WindowParts(self, self.storage, self.gateway)
        self.parts = parts
        self.tasks = parts.tasks
        self.document = parts.document
        self.collections_part = parts.collections
        self.collection_panel = self.layout_parts.collection_panel
        self.send_part = parts.send
        self.history_part = parts.history
        self.replay_part = parts.replay
        self.settings_part = parts.settings
        self.environments = parts.environments
        self.menus = WindowMenus(self, self.top_menus)
        m = self.menus
        self.templates_menu = m.templates_menu
        self.theme_actions = m.theme_actions
        self.send_action, self.cancel_action = m.send_action, m.cancel_action
        self.undo_action, self.redo_action = m.undo_action, m.redo_action
        parts.wire()
        self.apply_settings(self.storage.settings.settings)
        parts.start(self._file)
        self.startup_done = True
        self.settled.emit()
        if self._close_asked:  # closed while the history was opening
            self.close()

    def apply_settings(self, settings: Settings) -> None:
        """Follow the settings (after the Settings dialog, and once the parts are built)."""
        self.settings_part.set_theme(settings.theme, save=False)
        self.target_bar.set_custom_urls([t.base_url for t in settings.targets])
        self.target_bar.set_accounts(list(settings.accounts), settings.default_account)
        self.environments.set_accounts(list(settings.accounts))
        self.send_part.verify.set_settings(settings)
        self.status.refresh_target()
        self.status.revision_chosen(self.target_bar.revision())
        self.send_part.set_fresh_unique_id(settings.fresh_unique_id)
        self.next_id_label.show()

    @property
    def painted(self) -> bool:
        """True once the window has been painted."""
        return self._first_paint_seen

    @property
    def last_error(self) -> str | None:
        """The last task that failed, in words (None: none did)."""
        return self.status.last_error

    def next_unique_id(self) -> str | None:
        """The unique_id the next Send from the composer carries (None: the event's own)."""
        return self.send_part.next_unique_id()

    def splitters(self) -> dict[str, QSplitter]:
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

    @property
    def started_run_part(self) -> RunPart | None:
        """The runner if a run was started (None: never built)."""
        return self._run_part

    def run_node(self, node: Node | None) -> None:
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

    def update_title(self) -> None:
        self.status.update_title()

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
        clients; then close (:class:`~composer.ui.window_close.CloseFlow`)."""
        if self._closing:
            event.accept()
            return
        event.ignore()
        if not self.startup_done:  # the history is still opening: close once it is there
            self._close_asked = True
            return
        self.parts.close_flow.request()

    def begin_closing(self) -> None:
        """The window is closing: no new send starts."""
        self._closing = True

    def close_now(self) -> None:
        """Close at once: after the close flow, or without the parts (the history could not
        be opened: nothing was edited that could be kept, so nothing is asked)."""
        self._closing = True
        self.close()
        self.closed.emit()
