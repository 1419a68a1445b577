"""Where everything sits in the main window: the toolbar with the target bar, the banner, the
composer beside the response view, the history below them, and the status bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from composer.storage.history import HistoryStore
from composer.ui.banner import Banner
from composer.ui.editor import ComposerController, ComposerWidget
from composer.ui.history_pane import HistoryPane
from composer.ui.response_view import ResponseView
from composer.ui.target_bar import TargetBar
from composer.ui.tasks import TaskRunner

DEFAULT_SIZE = (1280, 860)


class WindowLayout:
    """Builds the widgets of ``window`` and places them; the window keeps references to them."""

    def __init__(
        self,
        window: QMainWindow,
        controller: ComposerController,
        history: HistoryStore,
        tasks: TaskRunner,
    ) -> None:
        self.window = window
        self.target_bar = TargetBar()
        toolbar = QToolBar("Send")
        toolbar.setObjectName("sendToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.addWidget(self.target_bar)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

        self.banner = Banner()
        self.settings_notice = Banner()
        self.settings_notice.setAccessibleName("Settings notice")
        self.composer = ComposerWidget(controller)
        self.composer.setAccessibleName("Composer")
        self.response_view = ResponseView()
        self.history_pane = HistoryPane(history, tasks)

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
        layout.addWidget(self.settings_notice)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_splitter, 1)
        window.setCentralWidget(central)

        self.status_target = QLabel()
        self.status_target.setAccessibleName("Target status")
        self.status_keyring = QLabel("Keys: checking the keyring…")
        self.status_keyring.setAccessibleName("Keyring status")
        self.status_rate = QLabel()
        self.status_rate.setAccessibleName("Rate limit remaining")
        bar = window.statusBar()
        bar.addWidget(self.status_target)
        bar.addWidget(self.status_keyring, 1)
        bar.addPermanentWidget(self.status_rate)
        window.resize(*DEFAULT_SIZE)

    def fit_to_screen(self) -> None:
        """Keep the window within the screen's free area (first start on a small screen, or
        a layout saved on a bigger monitor), so Send and the status bar stay in reach."""
        window = self.window
        screen = window.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        free = screen.availableGeometry()
        width = min(window.width(), free.width())
        height = min(window.height(), free.height())
        if (width, height) != (window.width(), window.height()):
            window.resize(width, height)
