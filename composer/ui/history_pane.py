"""The history pane: search, status filter, the table, and what can be done with entries
(load into the composer, resend, copy as cURL or Python, export, delete)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.storage.exports import curl_command
from composer.storage.records import HistoryEntry, HistoryQuery
from composer.ui.dialogs import ask, ask_save_path_and_filter, question
from composer.ui.history_model import (
    DELIVERY_FILTERS,
    STATUS_FILTERS,
    HistoryPager,
    HistoryTableModel,
)
from composer.ui.tasks import TaskRunner, off_thread

SEARCH_DEBOUNCE_MS = 250
EXPORT_FORMATS = (
    ("HAR 1.2 (*.har)", "har", ".har"),
    ("NDJSON, replayable (*.ndjson)", "ndjson", ".ndjson"),
    ("cURL script (*.sh)", "curl", ".sh"),
)


class HistoryStoreLike(HistoryPager, Protocol):
    """The parts of composer.storage.history.HistoryStore the pane uses."""

    def get(self, entry_id: int) -> HistoryEntry | None: ...

    def delete(self, ids: Any) -> int: ...

    def export(self, fmt: str, out: Any, query: HistoryQuery | None = None) -> int: ...


EMPTY_HISTORY = (
    "No sends yet — press Ctrl+Enter to send the event in the composer. "
    "Every send is listed here, with its answer, to load, resend or copy later."
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

    def __init__(
        self, store: HistoryStoreLike, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("History")
        self._store = store
        self._tasks = tasks
        self.model = HistoryTableModel(store, tasks, self)

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
        self.last_label = QLabel()
        self.last_label.setAccessibleName("Last send")
        self.last_label.hide()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search metric, profile, properties, response…  (Ctrl+F)")
        self.search.setAccessibleName("Search history")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Filter by status")
        for label, classes in STATUS_FILTERS:
            self.status_filter.addItem(label, {"status_classes": classes})
        self.status_filter.insertSeparator(self.status_filter.count())
        for label, states in DELIVERY_FILTERS[1:]:
            self.status_filter.addItem(label, {"deliveries": states})
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Number of entries")

        self.table = HistoryTable()
        self.table.setObjectName("historyTable")
        self.table.setAccessibleName("History entries")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        # fixed row heights and no per-row sizing: what keeps a long table cheap to scroll
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for col, width in enumerate((90, 120, 110, 170, 220, 110, 80, 70)):
            header.resizeSection(col, width)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(self._on_double_click)

        self.load_action = self._action("Load into composer", self._load_selected, "Return")
        self.resend_action = self._action("Resend exactly", self._resend_selected, "Ctrl+R")
        self.resend_action.setIconText("Resend")  # the toolbar stays narrow; the menu says all
        self.resend_action.setToolTip(
            "Send the recorded request again byte for byte, with its unique_id: Klaviyo "
            "records an event with the same unique_id only once"
        )
        self.curl_action = self._action("Copy as cURL", self._copy_curl, "Ctrl+Shift+C")
        self.python_action = self._action("Copy as Python", self._copy_python, None)
        self.export_action = self._action("Export selection…", self._export_selected, None)
        self.delete_action = self._action("Delete", self._delete_selected, "Delete")
        # the buttons' short words keep the pane usable in a narrow window; menus say it all
        self.export_action.setIconText("Export…")

        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        self._folding: list[QWidget] = [self.search, self.status_filter, self.table]
        for action in (
            self.resend_action,
            self.curl_action,
            self.python_action,
            self.export_action,
            self.delete_action,
        ):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAccessibleName(action.text())
            buttons.addWidget(button)
            self._folding.append(button)

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
        self.model.totalChanged.connect(self._show_count)
        self.model.modelReset.connect(self._show_last)
        self.model.rowsInserted.connect(lambda *_: self._show_last())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self._update_actions()

    # -- filtering -----------------------------------------------------------------------------

    def current_query(self) -> HistoryQuery:
        text = self.search.text().strip() or None
        chosen = self.status_filter.currentData() or {}
        return HistoryQuery(
            text=text,
            status_classes=tuple(chosen.get("status_classes", ())),
            deliveries=tuple(chosen.get("deliveries", ())),
        )

    def apply_filters(self) -> None:
        """Reload the table for the search text and status filter now (no debounce)."""
        self._search_timer.stop()
        self.model.set_query(self.current_query())

    def refresh(self) -> None:
        """Reload after a send or an outside change."""
        self.model.reload()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _show_count(self, total: int) -> None:
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
        if not self.is_collapsed():
            return
        filtered = self.current_query() != HistoryQuery()
        row = self.model.row_at(0) if self.model.rowCount() else None
        if row is None or filtered:
            text = "" if filtered else "No sends yet: Ctrl+Enter sends the event in the composer."
        else:
            when = row.created_at.strftime("%H:%M:%S")
            what = " · ".join(p for p in (row.status_text, row.metric, row.profile) if p)
            text = f"Last: {when}  {what}"
        self.last_label.setText(text)

    # -- selection and actions -----------------------------------------------------------------

    def _action(self, text: str, slot: Any, shortcut: str | None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.table.addAction(action)
        return action

    def selected_ids(self) -> list[int]:
        ids = []
        for index in self.table.selectionModel().selectedRows():
            row = self.model.row_at(index.row())
            if row is not None:
                ids.append(row.id)
        return ids

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.setCurrentIndex(index)

    def _update_actions(self) -> None:
        count = len(self.table.selectionModel().selectedRows())
        for action in (self.load_action, self.resend_action, self.curl_action, self.python_action):
            action.setEnabled(count == 1)
        self.export_action.setEnabled(count >= 1)
        self.delete_action.setEnabled(count >= 1)

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        for action in (
            self.load_action,
            self.resend_action,
            None,
            self.curl_action,
            self.python_action,
            self.export_action,
            None,
            self.delete_action,
        ):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _on_double_click(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self._tasks.spawn(
                self._with_entry(row.id, self.entryActivated.emit), "Loading the entry"
            )

    def _single_id(self) -> int | None:
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    async def _with_entry(self, entry_id: int, use: Any) -> None:
        entry = await off_thread(self._store.get, entry_id)
        if entry is None:
            self.message.emit("That entry is no longer in the history (deleted meanwhile).")
            self.refresh()
            return
        use(entry)

    def _load_selected(self) -> None:
        entry_id = self._single_id()
        if entry_id is not None:
            self._tasks.spawn(
                self._with_entry(entry_id, self.entryActivated.emit), "Loading the entry"
            )

    def _resend_selected(self) -> None:
        entry_id = self._single_id()
        if entry_id is not None:
            self._tasks.spawn(
                self._with_entry(entry_id, self.resendRequested.emit), "Loading the entry"
            )

    def _copy_curl(self) -> None:
        entry_id = self._single_id()
        if entry_id is not None:
            self._tasks.spawn(self._with_entry(entry_id, self._put_curl), "Copying as cURL")

    def _put_curl(self, entry: HistoryEntry) -> None:
        QGuiApplication.clipboard().setText(curl_command(entry))
        self.message.emit("Copied as cURL; the key is read from $KLAVIYO_API_KEY.")

    def _copy_python(self) -> None:
        entry_id = self._single_id()
        if entry_id is not None:
            self._tasks.spawn(self._with_entry(entry_id, self._put_python), "Copying as Python")

    def _put_python(self, entry: HistoryEntry) -> None:
        from composer.ui.snippets import as_python

        QGuiApplication.clipboard().setText(as_python(entry.request))
        self.message.emit(
            "Copied as Python (httpx and the klaviyo-api SDK); the key is read "
            "from $KLAVIYO_API_KEY."
        )

    def _export_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._tasks.spawn(self._export_dialog(), "Exporting the history")

    async def _export_dialog(self) -> None:
        filters = ";;".join(f for f, _fmt, _ext in EXPORT_FORMATS)
        chosen = await ask_save_path_and_filter(
            self, "Export history entries", "history-export.har", filters, name="exportDialog"
        )
        if chosen is None:
            return
        target, label = chosen
        fmt, ext = next(((f, e) for name, f, e in EXPORT_FORMATS if name == label), ("har", ".har"))
        if not target.suffix:
            target = target.with_suffix(ext)
        self.export_selected_to(target, fmt)

    def export_selected_to(self, path: Path, fmt: str) -> None:
        """Export the selected entries to ``path`` as ``fmt`` (har, ndjson, curl)."""
        ids = self.selected_ids()
        if ids:
            self._tasks.spawn(self.export_to(path, fmt, ids), "Exporting the history")

    async def export_to(self, path: Path, fmt: str, ids: list[int]) -> int:
        """Write entries ``ids`` to ``path`` as ``fmt`` (har, ndjson, curl) off the UI thread."""

        def write() -> int:
            with path.open("w", encoding="utf-8") as out:
                return self._store.export(fmt, out, HistoryQuery(ids=tuple(ids)))

        written = await off_thread(write)
        self.message.emit(f"Exported {written:,} entr{'y' if written == 1 else 'ies'} to {path}.")
        return written

    def _delete_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._tasks.spawn(self._confirm_delete(len(ids)), "Deleting history entries")

    async def _confirm_delete(self, count: int) -> None:
        noun = "this entry" if count == 1 else f"these {count:,} entries"
        box = question(
            self,
            "confirmDelete",
            "Delete from history",
            f"Delete {noun} from the history? This cannot be undone.",
        )
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(cancel)
        if await ask(box) is delete:
            self.delete_selected_now()

    def delete_selected_now(self) -> None:
        """Delete the selected entries without asking (the dialog asked already)."""
        ids = self.selected_ids()
        if ids:
            self._tasks.spawn(self.delete_ids(ids), "Deleting history entries")

    async def delete_ids(self, ids: list[int]) -> int:
        removed = await off_thread(self._store.delete, ids)
        self.message.emit(f"Deleted {removed:,} entr{'y' if removed == 1 else 'ies'}.")
        self.refresh()
        return removed
