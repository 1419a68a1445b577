"""The events of a Bulk Create Events job (one history entry): line, profile, metric and
unique_id of each, searchable, and one of them chosen to load into the composer."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from composer.storage.records import HistoryEntry, JobEventRow
from composer.ui.history_model import target_text, time_text
from composer.ui.tasks import TaskRunner, off_thread

COLUMNS = ("Line", "Profile", "Metric", "unique_id")
SEARCH_DEBOUNCE_MS = 250

_Index = QModelIndex | QPersistentModelIndex


class JobEventSource(Protocol):
    """What the dialog reads (composer.storage.history.HistoryStore has it)."""

    def job_events(self, entry_id: int, text: str | None = None) -> list[JobEventRow]: ...


class JobEventsModel(QAbstractTableModel):
    """Rows of :class:`JobEventRow`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[JobEventRow] = []
        self.places: list[str] = []
        """Where each row's event is in the file: its line, or its number and line where
        several events start on one line (a JSON array written on one line)."""

    def set_rows(self, rows: list[JobEventRow]) -> None:
        from composer.services.replay_places import recorded_places

        self.beginResetModel()
        self.rows = rows
        self.places = [
            place.removeprefix("line ")
            for place in recorded_places(
                [(r.run_index if r.run_index is not None else r.position, r.line) for r in rows]
            )
        ]
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            values = (self.places[index.row()], row.profile, row.metric, row.unique_id)
            value = values[index.column()]
            return "—" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class JobEventsDialog(QDialog):
    """Lists the events of job ``entry``; :meth:`chosen` is the event to load (after Accepted).
    ``search`` starts the list filtered (e.g. with the history's search text)."""

    def __init__(
        self,
        store: JobEventSource,
        entry: HistoryEntry,
        tasks: TaskRunner,
        *,
        search: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobEventsDialog")
        self.setWindowTitle(f"Events of bulk job #{entry.id}")
        self._store = store
        self._entry_id = entry.id
        self._tasks = tasks
        self._generation = 0
        self._total: int | None = None
        row = entry.row
        self.summary = QLabel(
            f"History entry #{entry.id} · {time_text(row)} · {row.status_text} · "
            f"{target_text(row.target)} · revision {row.revision}"
        )
        self.summary.setObjectName("jobSummary")
        self.summary.setWordWrap(True)
        self.search = QLineEdit(search)
        self.search.setObjectName("jobSearch")
        self.search.setPlaceholderText("Search profile, metric, unique_id, properties…")
        self.search.setAccessibleName("Search the job's events")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel("Reading the job…")
        self.count_label.setObjectName("jobCount")
        self.model = JobEventsModel(self)
        self.table = QTableView()
        self.table.setObjectName("jobEventsTable")
        self.table.setAccessibleName("Events of the job")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate((60, 220, 160)):
            header.resizeSection(column, width)
        self.table.doubleClicked.connect(lambda _i: self._load())

        self.load_button = QPushButton("Load into composer")
        self.load_button.setObjectName("jobLoad")
        self.load_button.setToolTip(
            "The chosen event as the Create Event body that sends it alone, as the job sent it "
            "(its unique_id included)"
        )
        self.load_button.setEnabled(False)
        self.load_button.setDefault(True)
        self.load_button.clicked.connect(self._load)
        buttons = QDialogButtonBox()
        buttons.addButton(self.load_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(760, 480)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.load_button.setEnabled(self.current() is not None)
        )
        self.refresh()

    def refresh(self) -> None:
        """Read the job's events matching the search now (off the UI thread)."""
        self._timer.stop()
        self._generation += 1
        self._tasks.spawn(self._read(self._generation), "Reading the job's events")

    async def _read(self, generation: int) -> None:
        text = self.search.text().strip() or None
        if self._total is None and text is not None:  # "3 of 1,000 match" needs the 1,000
            everything = await off_thread(self._store.job_events, self._entry_id, None)
            self._set_total(len(everything))
        rows = await off_thread(self._store.job_events, self._entry_id, text)
        if generation != self._generation:
            return  # a newer search is on its way
        if text is None:
            self._set_total(len(rows))
        # in the file's order (the job's body holds them grouped by profile)
        rows.sort(key=lambda r: (r.line is None, r.line or 0, r.run_index or 0, r.position))
        self.model.set_rows(rows)
        noun = "event" if len(rows) == 1 else "events"
        if text is None:
            self.count_label.setText(f"{len(rows):,} {noun}")
        elif self._total is not None:
            self.count_label.setText(f"{len(rows):,} of {self._total:,} match")
        else:
            self.count_label.setText(f"{len(rows):,} matching {noun}")
        if rows:
            self.table.selectRow(0)
        self.load_button.setEnabled(self.current() is not None)

    def _set_total(self, total: int) -> None:
        if self._total is None:
            self.summary.setText(f"Bulk job of {total:,} events · {self.summary.text()}")
        self._total = total

    def current(self) -> JobEventRow | None:
        """The event selected in the list."""
        index = self.table.currentIndex()
        rows = self.table.selectionModel().selectedRows()
        if not rows or not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.rows[index.row()]

    def chosen(self) -> JobEventRow | None:
        """The event to load, once the dialog was accepted."""
        return self.current() if self.result() == QDialog.DialogCode.Accepted else None

    def _load(self) -> None:
        if self.current() is not None:
            self.accept()
