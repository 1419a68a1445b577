"""The history pane: search, status filter, the table and the folding strip. What can be
done with the selected entries (load, resend, copy, export, delete) is in history_actions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFocusEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from composer.storage.records import HistoryQuery
    from composer.ui.history_actions import HistoryActions, HistoryStoreLike
    from composer.ui.history_model import HistoryTableModel
    from composer.ui.tasks import TaskRunner

SEARCH_DEBOUNCE_MS = 250
SEARCH_MIN_CHARS = 10
"""The search field is never narrower than this many average characters."""
FILTER_MIN_CHARS = 9
"""The status filter shows this many characters of its choice when the pane is narrow; its
open list shows every choice whole."""

EMPTY_HISTORY = (
    "No sends yet — press Ctrl+Enter to send the event in the composer. "
    "Every send is listed here, with its answer, to load, resend or copy later."
)


_KEYBOARD_FOCUS = (
    Qt.FocusReason.TabFocusReason,
    Qt.FocusReason.BacktabFocusReason,
    Qt.FocusReason.ShortcutFocusReason,
)


class HistoryTable(QTableView):
    """The history table; while it has no rows it says why, in the middle of its area."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._placeholder = ""

    def set_placeholder(self, text: str) -> None:
        """What to say while the table is empty (no sends yet, or nothing matches)."""
        self._placeholder = text
        self.viewport().update()

    def placeholder_text(self) -> str:
        """The sentence shown now: empty when the table has rows."""
        model = self.model()
        return self._placeholder if model is None or model.rowCount() == 0 else ""

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        # Tabbed into with nothing chosen, Qt frames a current row without selecting it, and
        # every action (Enter loads, Ctrl+R resends) works on the selection: choose that row.
        # (Not on a click: the click chooses, Ctrl+click adds to nothing.)
        if event.reason() not in _KEYBOARD_FOCUS:
            return
        model, chosen = self.model(), self.selectionModel()
        if model is None or chosen is None or model.rowCount() == 0 or chosen.hasSelection():
            return
        current = self.currentIndex()
        row = current.row() if current.isValid() else 0
        chosen.setCurrentIndex(
            model.index(row, max(current.column(), 0)),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        text = self.placeholder_text()
        if not text:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        area = self.viewport().rect().adjusted(16, 8, -16, -8)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        painter.drawText(area, int(flags), text)
        painter.end()


class HistoryPane(QWidget):
    """Lists sends newest first. ``entryActivated`` (double-click or Enter) and
    ``resendRequested`` carry the full :class:`HistoryEntry`; ``message`` carries a sentence
    for the status bar."""

    entryActivated = Signal(object)
    resendRequested = Signal(object)
    message = Signal(str)
    collapsedChanged = Signal(bool)

    model: HistoryTableModel
    entry_actions: HistoryActions

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("History")
        self._attached = False

        # the title is the switch that folds the pane to a one-line strip (and opens it)
        title = QToolButton()
        title.setObjectName("historyToggle")
        title.setText("History")
        title.setCheckable(True)
        title.setChecked(True)
        title.setAutoRaise(True)
        title.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        title.setArrowType(Qt.ArrowType.DownArrow)
        title.setAccessibleName("Show the history")
        title.setToolTip("Show or fold the history (Ctrl+H)")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        title.toggled.connect(lambda shown: self.set_collapsed(not shown))
        self.toggle = title
        self._collapsed = False
        # Ctrl+H anywhere in the window folds or opens the pane, as the title's tool tip says
        self.fold_action = QAction("&History", self)
        self.fold_action.setObjectName("toggleHistory")
        self.fold_action.setShortcut("Ctrl+H")
        self.fold_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.fold_action.triggered.connect(lambda: self.set_collapsed(not self._collapsed))
        self.addAction(self.fold_action)
        self.last_label = QLabel()
        self.last_label.setAccessibleName("Last send")
        # a long metric or profile never widens the window: the strip shows what fits, the
        # tool tip the whole line
        self.last_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.last_label.hide()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search metric, profile, properties, response…  (Ctrl+F)")
        self.search.setAccessibleName("Search history")
        self.search.setClearButtonEnabled(True)
        # never squeezed to a letter beside the buttons in a narrow window (the collections
        # shown at 1024 pixels): the status list gives way instead
        self.search.setMinimumWidth(self.fontMetrics().averageCharWidth() * SEARCH_MIN_CHARS)
        self.search.setToolTip(
            "Search the metric, profile, properties and response of every entry: each word "
            "must match, the last as the start of a word; case and accents are ignored, and "
            "Chinese or Japanese text matches inside words (Ctrl+F)"
        )
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Filter by status, delivery or read-back")
        self.status_filter.setToolTip(
            "Show entries by status, by delivery, or by whether the accepted event was found "
            "when read back"
        )
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Number of entries")

        self.table = HistoryTable()
        self.table.setObjectName("historyTable")
        self.table.setAccessibleName("History entries")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        # fixed row heights and no per-row sizing: what keeps a long table cheap to scroll
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.doubleClicked.connect(self._on_double_click)

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        self._buttons = buttons
        self._folding: list[QWidget] = [self.search, self.status_filter, self.table]

        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(8)
        top.addWidget(self.search, 2)
        top.addWidget(self.status_filter)
        top.addWidget(self.count_label)
        top.addWidget(self.last_label, 3)
        top.addStretch(1)
        top.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.status_filter.currentIndexChanged.connect(lambda _i: self.apply_filters())

    def attach(self, store: HistoryStoreLike, tasks: TaskRunner) -> None:
        """List ``store`` (the history opens after the window's first paint; until then the
        pane shows its frame without a count)."""
        from composer.ui.history_actions import HistoryActions
        from composer.ui.history_columns import HistoryColumns
        from composer.ui.history_model import (
            DELIVERY_FILTERS,
            STATUS_FILTERS,
            VERDICT_FILTERS,
            HistoryTableModel,
        )

        self._store = store
        self._tasks = tasks
        # the status list is as wide as its longest choice where there is room; narrower
        # only in a narrow pane (its open list still shows every choice whole). Measured here,
        # with its choices: QStyle's enums take ~5 ms to build, not before the first paint
        arrow = self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent)
        self.status_filter.setMinimumWidth(
            self.fontMetrics().averageCharWidth() * FILTER_MIN_CHARS + 2 * arrow
        )
        self.model = HistoryTableModel(store, tasks, self)
        self.table.setModel(self.model)
        self.columns = HistoryColumns(self.table, self.model)
        self.status_filter.blockSignals(True)  # the model loads its first page below
        for label, classes in STATUS_FILTERS:
            self.status_filter.addItem(label, {"status_classes": classes})
        self.status_filter.insertSeparator(self.status_filter.count())
        for label, states in DELIVERY_FILTERS[1:]:
            self.status_filter.addItem(label, {"deliveries": states})
        self.status_filter.insertSeparator(self.status_filter.count())
        for label, chosen in VERDICT_FILTERS:
            self.status_filter.addItem(label, chosen)
        self.status_filter.blockSignals(False)
        self.entry_actions = HistoryActions(
            self,
            table=self.table,
            model=self.model,
            store=store,
            tasks=tasks,
            activate=self.entryActivated.emit,
            resend=self.resendRequested.emit,
            say=self.message.emit,
            refresh=self.refresh,
        )
        self.load_action: QAction = self.entry_actions.load_action
        self.resend_action: QAction = self.entry_actions.resend_action
        self.curl_action: QAction = self.entry_actions.curl_action
        self.python_action: QAction = self.entry_actions.python_action
        self.export_action: QAction = self.entry_actions.export_action
        self.delete_action: QAction = self.entry_actions.delete_action
        for action in self.entry_actions.toolbar_actions():
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAccessibleName(action.text())
            button.setVisible(not self._collapsed)
            self._buttons.addWidget(button)
            self._folding.append(button)
        self.model.totalChanged.connect(self._show_count)
        self.model.modelReset.connect(self._show_last)
        self.model.rowsInserted.connect(lambda *_: self._show_last())
        self._attached = True

    def refresh_colors(self) -> None:
        """Follow the theme (the rows' status colours)."""
        if self._attached:
            self.model.refresh_colors()

    # -- filtering -----------------------------------------------------------------------------

    def current_query(self) -> HistoryQuery:
        from composer.storage.records import HistoryQuery

        text = self.search.text().strip() or None
        chosen = self.status_filter.currentData() or {}
        return HistoryQuery(
            text=text,
            status_classes=tuple(chosen.get("status_classes", ())),
            deliveries=tuple(chosen.get("deliveries", ())),
            verifications=tuple(chosen.get("verifications", ())),
        )

    def apply_filters(self) -> None:
        """Reload the table for the search text and status filter now (no debounce)."""
        self._search_timer.stop()
        if self._attached:
            self.model.set_query(self.current_query())

    def refresh(self) -> None:
        """Reload after a send or an outside change."""
        if self._attached:
            self.model.reload()

    def focus_search(self) -> None:
        """Put the cursor in the search box, opening a folded pane first: a hidden box takes
        no focus, and the words typed next would go into the composer's field instead."""
        self.set_collapsed(False)
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _show_count(self, total: int) -> None:
        from composer.storage.records import HistoryQuery

        filtered = self.current_query() != HistoryQuery()
        noun = "entry" if total == 1 else "entries"
        self.count_label.setText(f"{total:,} {'matching ' if filtered else ''}{noun}")
        self.table.set_placeholder(
            "No entries match the search and filter." if filtered else EMPTY_HISTORY
        )

    # -- folding -------------------------------------------------------------------------------

    def set_collapsed(self, collapsed: bool) -> None:
        """Fold the pane to a one-line strip (title, count, the last send) or open it."""
        if collapsed == self._collapsed:
            return
        self._collapsed = collapsed
        for widget in self._folding:
            widget.setVisible(not collapsed)
        self.last_label.setVisible(collapsed)
        self.toggle.blockSignals(True)
        self.toggle.setChecked(not collapsed)
        self.toggle.blockSignals(False)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow if collapsed else Qt.ArrowType.DownArrow)
        self.toggle.setAccessibleName("Show the history" if collapsed else "Fold the history")
        self._show_last()
        self.collapsedChanged.emit(collapsed)

    def is_collapsed(self) -> bool:
        return self._collapsed

    def _show_last(self) -> None:
        if not self.is_collapsed() or not self._attached:
            return
        from composer.storage.records import HistoryQuery

        filtered = self.current_query() != HistoryQuery()
        row = self.model.row_at(0) if self.model.rowCount() else None
        if row is None or filtered:
            text = "" if filtered else "No sends yet: Ctrl+Enter sends the event in the composer."
        else:
            when = row.created_at.strftime("%H:%M:%S")
            what = " · ".join(p for p in (row.status_text, row.metric, row.profile) if p)
            text = f"Last: {when}  {what}"
        self.last_label.setText(text)
        self.last_label.setToolTip(text)

    # -- selection and actions -----------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The history ids of the selected rows."""
        return self.entry_actions.selected_ids()

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.setCurrentIndex(index)

    def _on_double_click(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.entry_actions.load(row.id)

    def export_selected_to(self, path: Path, fmt: str) -> None:
        """Export the selected entries to ``path`` as ``fmt`` (har, ndjson, curl)."""
        self.entry_actions.export_selected_to(path, fmt)

    async def export_to(self, path: Path, fmt: str, ids: list[int]) -> int:
        """Write entries ``ids`` to ``path`` as ``fmt`` (har, ndjson, curl) off the UI thread."""
        return await self.entry_actions.export_to(path, fmt, ids)

    def delete_selected_now(self) -> None:
        """Delete the selected entries without asking (the dialog asked already)."""
        self.entry_actions.delete_selected_now()

    async def delete_ids(self, ids: list[int]) -> int:
        """Delete entries ``ids``; how many went."""
        return await self.entry_actions.delete_ids(ids)
