"""The parts of the main window that act on its widgets (document, send flow, history,
replay, settings, environments, collections), built once the window has painted and its
storage is open, and wired to the window and to each other."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from composer.ui.collections_part import CollectionsPart
from composer.ui.document import DocumentPart
from composer.ui.environment_part import EnvironmentPart
from composer.ui.history_part import HistoryPart
from composer.ui.replay_part import ReplayPart
from composer.ui.send_flow import SendPart
from composer.ui.settings_part import SettingsPart
from composer.ui.tasks import TaskRunner
from composer.ui.wheel_guard import WheelGuard
from composer.ui.window_close import CloseFlow

if TYPE_CHECKING:
    from composer.services.ports import SendGateway
    from composer.storage import Storage
    from composer.ui.main_window import MainWindow


class WindowParts(QObject):
    """Builds the parts of ``window`` over ``storage`` and ``gateway`` and connects them."""

    def __init__(self, window: MainWindow, storage: Storage, gateway: SendGateway) -> None:
        super().__init__(window)
        self.window = window
        lay = window.layout_parts
        self.tasks = TaskRunner(window)
        tasks = self.tasks
        self.document = DocumentPart(
            window,
            controller=window.controller,
            settings=storage.settings,
            history=storage.history,
            tasks=tasks,
        )
        self.collections = CollectionsPart(
            window,
            model=lay.collection_model,
            panel=lay.collection_panel,
            document=self.document,
            settings=storage.settings,
            tasks=tasks,
        )
        self.send = SendPart(
            window,
            gateway=gateway,
            controller=window.controller,
            target_bar=lay.target_bar,
            response_view=lay.response_view,
            tasks=tasks,
        )
        lay.history_pane.attach(storage.history, tasks)
        self.history = HistoryPart(
            window,
            store=storage.history,
            pane=lay.history_pane,
            document=self.document,
            sender=self.send,
            response_view=lay.response_view,
            tasks=tasks,
        )
        self.replay = ReplayPart(
            window,
            gateway=gateway,
            runs=storage.history.runs,
            target_bar=lay.target_bar,
            tasks=tasks,
        )
        self.settings = SettingsPart(
            window,
            store=storage.settings,
            secrets=storage.secrets,
            target_bar=lay.target_bar,
            keyring_label=lay.status_keyring,
            tasks=tasks,
        )
        self.environments = EnvironmentPart(
            window,
            controller=window.controller,
            target_bar=lay.target_bar,
            user_folder=storage.paths.environments_dir,
            collection_root=self.collection_root,
        )

        self.close_flow = CloseFlow(window, self)
        window.installEventFilter(self.document)  # files dropped on the window

    def start(self, file: Path | None) -> None:
        """What waits for the first paint: ``file`` into the composer, the rest of the
        composer, the wheel guard, the history's first page and its poll, the keyring probe,
        the environments, the menus' contents, the remembered collections."""
        window = self.window
        if file is not None and window.file_read_first is not None:
            self.document.adopt_file(file)
        elif file is not None:  # it could not be read at once: opened (or why not said) now
            window.open_path(file)
        window.composer.build_rest()
        window.composer.form.show_next_unique_id(self.send.next_unique_id())
        app = QApplication.instance()
        if isinstance(app, QApplication):
            WheelGuard.install(app)
        self.history.start()
        self.settings.start()
        self.environments.reload()
        self.document.fill_menus()
        self.collections.start()

    def collection_root(self) -> Path | None:
        """The collection the window works in: the one whose request is in the composer, else
        the one opened last (None: no collection is open)."""
        if self.document.request is not None:
            return self.document.request[0].root
        if self.collections.has_collections():
            return list(self.collections.collections)[-1].root
        return None

    def wire(self) -> None:
        """Connect the parts to the window's widgets, to its status and to each other."""
        window, lay = self.window, self.window.layout_parts
        bar = lay.target_bar
        bar.sendRequested.connect(window.request_send)
        bar.cancelRequested.connect(window.cancel_send)
        bar.manageKeysRequested.connect(self.settings.manage_keys)
        bar.customTargetRequested.connect(self.settings.ask_custom_target)
        lay.response_view.findingActivated.connect(lay.composer.focus_finding)
        status = window.status
        self.tasks.failed.connect(status.report_error)
        lay.history_pane.message.connect(status.show_message)
        for part in (
            self.document,
            self.send,
            self.history,
            self.collections,
            self.environments,
            self.replay,
        ):
            part.message.connect(status.show_message)
        self.replay.historyChanged.connect(self.history.refresh)
        lay.collection_panel.runRequested.connect(window.run_node)
        self.history.responseShown.connect(lay.show_response)
        self.send.sendingChanged.connect(self._follow_sending)
        self.document.titleChanged.connect(window.update_title)
        # environments follow the collection the window works in
        self.document.titleChanged.connect(self.environments.reload)
        self.collections.listed.connect(lambda _c: self.environments.reload())
        self.document.historyChanged.connect(self.history.refresh)
        self.send.sendingChanged.connect(status.set_sending)
        self.send.cancelled.connect(self.history.refresh)
        self.send.finished.connect(status.send_finished)
        self.send.nextUniqueIdChanged.connect(status.next_id_label.set_next)
        self.send.nextUniqueIdChanged.connect(lay.composer.form.show_next_unique_id)
        self.send.verify.verified.connect(lambda _verdict: self.history.refresh())
        self.settings.applied.connect(window.apply_settings)
        self.settings.themeChanged.connect(status.refresh_colors)

    def _follow_sending(self, sending: bool) -> None:
        if sending:  # a Send's answer is what the user waits for now
            self.window.layout_parts.show_response()
