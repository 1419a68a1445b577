"""Where everything sits in the main window: the toolbar with the target bar, the banner, the
composer beside the response view, the history below them, and the status bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from composer.ui.banner import Banner
from composer.ui.editor import ComposerController, ComposerWidget
from composer.ui.history_pane import HistoryPane
from composer.ui.response_view import ResponseView
from composer.ui.status_bar import MessageStatusBar
from composer.ui.target_bar import TargetBar

if TYPE_CHECKING:
    from composer.ui.collection_model import CollectionTreeModel
    from composer.ui.collection_panel import CollectionPanel

DEFAULT_SIZE = (1280, 860)
HISTORY_OPEN_PX = 200
"""The history's height when it is opened and no height was remembered."""
PROBLEMS_PX = 64
"""The Problems list's first height: two findings, more after a drag of the splitter."""
NO_MAXIMUM = 16_777_215  # QWIDGETSIZE_MAX
TAB_PAGE_CHROME_PX = 12
"""The frame and margins of the Form's tab page around its scroll area."""
COLLECTIONS_PX = 250
"""The collections panel's first width."""


class WindowLayout:
    """Builds the widgets of ``window`` and places them; the window keeps references to them."""

    def __init__(
        self,
        window: QMainWindow,
        controller: ComposerController,
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
        # the response and, once a collection has run, the run's results: one area
        self.results_tabs = QTabWidget()
        self.results_tabs.setObjectName("resultsTabs")
        self.results_tabs.setDocumentMode(True)
        self.results_tabs.setTabBarAutoHide(True)
        # Tab reaches the tab bar itself while it shows: as the tab widget's focus proxy, the
        # bar hidden with one tab took the Tab key and kept nothing, so Tab stopped at the
        # composer's last control and never got to the response or the history
        self.results_tabs.setFocusProxy(None)  # type: ignore[arg-type]  # (None unsets it)
        self.results_tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.results_tabs.addTab(self.response_view, "Response")
        self.history_pane = HistoryPane()  # its history comes after the first paint

        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setObjectName("composerResponseSplitter")
        self.top_splitter.addWidget(self.composer)
        self.top_splitter.addWidget(self.results_tabs)
        self.top_splitter.setStretchFactor(0, 3)
        self.top_splitter.setStretchFactor(1, 2)
        self.top_splitter.setChildrenCollapsible(False)
        self.main_splitter = QSplitter(Qt.Orientation.Vertical)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.top_splitter)
        self.main_splitter.addWidget(self.history_pane)
        self.main_splitter.setStretchFactor(0, 1)
        self.main_splitter.setStretchFactor(1, 0)
        self.main_splitter.setChildrenCollapsible(False)
        # the collections panel beside everything else, full height; hidden until a
        # collection is open or the user shows it
        # (built when first shown or used: a slot holds its place until then)
        self._collection_model: CollectionTreeModel | None = None
        self._collection_panel: CollectionPanel | None = None
        self._panel_slot = QWidget()
        self._panel_slot.hide()
        self.side_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.side_splitter.setObjectName("collectionsSplitter")
        self.side_splitter.addWidget(self._panel_slot)
        self.side_splitter.addWidget(self.main_splitter)
        self.side_splitter.setStretchFactor(0, 0)
        self.side_splitter.setStretchFactor(1, 1)
        self.side_splitter.setChildrenCollapsible(False)
        self.side_splitter.setSizes([COLLECTIONS_PX, DEFAULT_SIZE[0] - COLLECTIONS_PX])
        self._side_restored = False
        # first start; later the saved layout wins
        self.top_splitter.setSizes([740, 500])
        self.main_splitter.setSizes([660, HISTORY_OPEN_PX])
        composer_splitter = getattr(self.composer, "splitter", None)
        if isinstance(composer_splitter, QSplitter):
            # a bigger window grows the form, not the Problems list or the history
            composer_splitter.setStretchFactor(0, 1)
            composer_splitter.setStretchFactor(1, 0)
            composer_splitter.setSizes([600, PROBLEMS_PX])
            composer_splitter.splitterMoved.connect(self._problems_dragged)
        self._problems_sized_by_user = False
        problems = getattr(self.composer, "problems", None)
        if problems is not None:
            # one finding's line is the least the list needs; the splitter may go that far
            problems.list.setMinimumHeight(problems.fontMetrics().height() + 10)
            controller.findingsChanged.connect(self._fit_problems)
        self.history_open_px = HISTORY_OPEN_PX
        self.history_pane.collapsedChanged.connect(self._history_folded)
        self._controller = controller
        self._form_watch: _LayoutWatch | None = None
        self.keep_form_whole()

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.settings_notice)
        layout.addWidget(self.banner)
        layout.addWidget(self.side_splitter, 1)
        window.setCentralWidget(central)

        self.status_target = QLabel()
        self.status_target.setAccessibleName("Target status")
        self.status_keyring = QLabel("Keys: checking the keyring…")
        self.status_keyring.setAccessibleName("Keyring status")
        self.status_rate = QLabel()
        self.status_rate.setAccessibleName("Rate limit remaining")
        bar = MessageStatusBar()
        window.setStatusBar(bar)
        bar.addWidget(self.status_target)
        bar.addWidget(self.status_keyring, 1)
        bar.addPermanentWidget(self.status_rate)
        window.resize(*DEFAULT_SIZE)

    @property
    def collection_model(self) -> CollectionTreeModel:
        """The collections' tree (built with the panel)."""
        self._build_collections()
        assert self._collection_model is not None
        return self._collection_model

    @property
    def collection_panel(self) -> CollectionPanel:
        """The collections side panel (built the first time it is shown or used)."""
        self._build_collections()
        assert self._collection_panel is not None
        return self._collection_panel

    def _build_collections(self) -> None:
        if self._collection_panel is not None:
            return
        from composer.ui.collection_model import CollectionTreeModel
        from composer.ui.collection_panel import CollectionPanel

        self._collection_model = CollectionTreeModel(self.window)
        panel = CollectionPanel(self._collection_model)
        self.side_splitter.replaceWidget(0, panel)  # in the slot's place, at its size
        panel.hide()
        self._panel_slot.deleteLater()
        self._collection_panel = panel

    def _history_folded(self, folded: bool) -> None:
        """Give the room of a folded history to the composer, and take it back on opening."""
        splitter = self.main_splitter
        sizes = splitter.sizes()
        total = sum(sizes)
        pane = self.history_pane
        if folded:
            layout = pane.layout()
            if layout is not None:
                layout.activate()
            strip = pane.minimumSizeHint().height()
            if sizes[1] > strip:
                self.history_open_px = sizes[1]
            pane.setMaximumHeight(strip)
            splitter.setSizes([max(total - strip, 0), strip])
        else:
            pane.setMaximumHeight(NO_MAXIMUM)
            height = min(self.history_open_px, max(total // 2, 0)) if total else 0
            splitter.setSizes([max(total - height, 0), height or self.history_open_px])
        splitter.handle(1).setEnabled(not folded)

    def _problems_dragged(self, _pos: int, _index: int) -> None:
        self._problems_sized_by_user = True

    def _fit_problems(self, findings: list[object]) -> None:
        """The Problems list as tall as its findings (only its one-line summary when there
        are none, at most four), so a valid event leaves the room to the form; a height the
        user dragged stays."""
        splitter = getattr(self.composer, "splitter", None)
        problems = getattr(self.composer, "problems", None)
        if self._problems_sized_by_user or splitter is None or problems is None:
            return
        listing = problems.list
        if listing.count():
            # the first four as laid out at the list's width: a long finding wraps onto a
            # second line (a row's size hint is one line, and cut it off)
            listing.doItemsLayout()
            first = [listing.item(i) for i in range(min(listing.count(), 4))]
            lines = sum(listing.visualItemRect(item).height() for item in first)
        else:
            lines = listing.fontMetrics().height() + 4
        margins = problems.layout().contentsMargins() if problems.layout() else None
        chrome = (margins.top() + margins.bottom()) if margins else 0
        want = problems.header.sizeHint().height() + lines + 2 * listing.frameWidth() + chrome
        want += problems.layout().spacing() if problems.layout() else 0
        # never more than the pane can use (one line when there is nothing to list): the
        # rest would be an empty band under it instead of room for the form
        want = min(want, problems.maximumHeight())
        sizes = splitter.sizes()
        total = sum(sizes)
        if total and abs(sizes[1] - want) > 2:
            splitter.setSizes([max(total - want, 0), want])

    def shown(self) -> None:
        """The window has its size now: place the splitters that depend on it."""
        self._fit_problems(list(self._controller.findings()))
        if not self._side_restored:
            self._fit_collections()
            if self.collections_shown():  # as wide as it would be without the panel
                top = self.top_splitter
                panel = self.side_splitter.sizes()[0] + self.side_splitter.handleWidth()
                width = (sum(top.sizes()) + panel) * 3 // 5  # the splitter's 3:2 stretch
                QTimer.singleShot(0, self.composer, lambda: self._composer_keeps(width))

    def _fit_collections(self) -> None:
        """The panel's first width: at most a fifth of the window, so on a small screen the
        composer keeps its room."""
        total = sum(self.side_splitter.sizes())
        if total:
            panel = self._collection_panel
            least = panel.minimumWidth() if panel is not None else 0
            width = max(min(COLLECTIONS_PX, total // 5), least)
            self.side_splitter.setSizes([width, total - width])

    def keep_form_whole(self) -> None:
        """The composer column never narrower than the Form's narrowest layout (its scroll
        area has no sideways scrolling, so anything narrower would cut the form); the
        response view gives way first."""
        form = getattr(self.composer, "form", None)
        area = getattr(form, "scroll_area", None)
        body = area.widget() if isinstance(area, QScrollArea) else None
        if body is None or not isinstance(area, QScrollArea):
            return
        scrollbar = area.verticalScrollBar().sizeHint().width()
        frame = 2 * area.frameWidth() + TAB_PAGE_CHROME_PX
        self.composer.setMinimumWidth(body.minimumSizeHint().width() + scrollbar + frame)
        if self._form_watch is None:
            # parts of the form are built after the first paint and widen it: follow them
            self._form_watch = _LayoutWatch(body, self.keep_form_whole)

    def flags(self) -> dict[str, int]:
        """What the layout blob keeps besides the splitters (see layout_state)."""
        return {
            "history_folded": int(self.history_pane.is_collapsed()),
            "history_open_px": self.history_open_px,
            "collections_shown": int(self.collections_shown()),
        }

    def apply_flags(self, flags: dict[str, int] | None, *, collections_open: bool = False) -> None:
        """Fold the history as it was left; on the first start it starts as a strip, so the
        composer has the room. The collections panel is shown or hidden as it was left (when
        the layout does not say, shown when collections are open)."""
        flags = flags or {}
        self.history_open_px = max(int(flags.get("history_open_px", HISTORY_OPEN_PX)), 80)
        self.history_pane.set_collapsed(bool(flags.get("history_folded", 1)))
        self._side_restored = "collections_shown" in flags
        self.show_collections(bool(flags.get("collections_shown", int(collections_open))))

    def show_run_view(self, view: QWidget) -> None:
        """Bring the runner view forward (its tab is added with the first run)."""
        tabs = self.results_tabs
        if tabs.indexOf(view) < 0:
            tabs.addTab(view, "Run results")
            title = self.response_view.findChild(QLabel, "paneTitle")
            if title is not None:
                title.hide()  # its tab names the response now
        tabs.setCurrentWidget(view)

    def show_response(self) -> None:
        self.results_tabs.setCurrentWidget(self.response_view)

    def collections_shown(self) -> bool:
        """Whether the collections panel is shown (it is hidden, not destroyed)."""
        panel = self._collection_panel
        return panel is not None and not panel.isHidden()

    def show_collections(self, shown: bool) -> None:
        """Show or hide the collections panel. Its width comes from the response view, so
        the composer keeps its width (and the form its layout) when the window has room."""
        if shown == self.collections_shown():
            return
        composer_width = self.top_splitter.sizes()[0]
        self.collection_panel.setVisible(shown)
        self.collection_panel.shownChanged.emit(shown)
        if shown:
            sizes = self.side_splitter.sizes()
            total = sum(sizes)
            if sizes[0] < self.collection_panel.minimumWidth() and total:
                self._fit_collections()
            if self.window.isVisible() and composer_width:
                QTimer.singleShot(0, self.composer, lambda: self._composer_keeps(composer_width))

    def _composer_keeps(self, width: int) -> None:
        """Give the composer ``width`` back from the response view (never below the
        response's narrowest)."""
        top = self.top_splitter
        total = sum(top.sizes())
        room = total - self.results_tabs.minimumSizeHint().width()
        width = max(min(width, room), self.composer.minimumWidth())
        if total and width < total:
            top.setSizes([width, total - width])

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


class _LayoutWatch(QObject):
    """Calls ``changed`` after ``widget``'s layout asked to be redone (its minimum size may
    have changed)."""

    def __init__(self, widget: QWidget, changed: Callable[[], None]) -> None:
        super().__init__(widget)
        self._changed = changed
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            # with this watch as the context, a window closed before the timer fires drops it
            QTimer.singleShot(0, self, self._changed)
        return False
