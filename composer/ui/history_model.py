"""A table model over the history store that stays fast at 100,000 entries.

Only what is on screen is loaded: the view asks for more (``canFetchMore``/``fetchMore``) as it
scrolls, one page at a time, and every database call runs in a worker thread. A new search or
filter starts a new *generation*; pages of an older generation that arrive late are dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from composer.domain.outcome import StatusClass
from composer.services.outcome_text import SYMBOLS, delivery_text
from composer.services.verify_text import VerdictCell, verdict_cell
from composer.storage.records import HistoryQuery, HistoryRow
from composer.ui import theme
from composer.ui.tasks import TaskRunner, off_thread

PAGE_SIZE = 200
COLUMNS = (
    "Time", "Status", "Delivery", "Read back", "Metric", "Profile", "Target", "Duration",
    "Problems",
)  # fmt: skip
DELIVERY_COLUMN = 2
VERDICT_COLUMN = 3
"""Whether the accepted event was found when read back (composer.services.verify)."""
TARGET_COLUMN = 6
FREE_COLUMNS = (4, 5)
"""Metric and profile: texts of any length, which share the width the others leave."""
STATUS_FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("All statuses", ()),
    ("2xx accepted", (StatusClass.S2XX,)),
    ("4xx rejected", (StatusClass.S4XX,)),
    ("5xx server errors", (StatusClass.S5XX,)),
    ("No response", (StatusClass.ERROR,)),
    ("Unknown outcome", (StatusClass.PENDING,)),
)
DELIVERY_FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Any delivery", ()),
    ("Accepted", ("accepted",)),
    ("Not accepted", ("not_accepted",)),
    ("Delivery unknown", ("unknown",)),
    ("Not sent", ("not_sent",)),
)
VERDICT_FILTERS: tuple[tuple[str, dict[str, tuple[str, ...]]], ...] = (
    ("Read back: landed", {"verifications": ("landed",)}),
    ("Read back: not seen", {"verifications": ("not_seen",)}),
    ("Read back: cannot check", {"verifications": ("cannot_check",)}),
    ("Read back: skipped", {"verifications": ("skipped",)}),
    ("Accepted, not checked", {"deliveries": ("accepted",), "verifications": ("unchecked",)}),
)
"""The read-back filters: each verdict, and accepted entries never checked."""

_Index = QModelIndex | QPersistentModelIndex


class HistoryPager(Protocol):
    """What the model reads (composer.storage.history.HistoryStore has these)."""

    def count(self, query: HistoryQuery | None = None) -> int: ...

    def page(
        self, query: HistoryQuery | None = None, offset: int = 0, limit: int = 100
    ) -> list[HistoryRow]: ...


def time_text(row: HistoryRow, now: datetime | None = None) -> str:
    """Local time of day for today's entries, else the date and time."""
    when = row.created_at.astimezone()
    today = (now or datetime.now().astimezone()).date()
    return when.strftime("%H:%M:%S") if when.date() == today else when.strftime("%Y-%m-%d %H:%M")


def target_text(label: str) -> str:
    """A target's name in words: Sandbox, Production, or its URL."""
    return {"sandbox": "Sandbox", "production": "Production"}.get(label, label)


def target_cell(label: str) -> str:
    """A target as its column shows it: a custom URL by its host (and port), which is what
    tells one server from another; the cell's tool tip has the URL."""
    text = target_text(label)
    if text == label and "://" in label:
        return urlsplit(label).netloc or label
    return text


class HistoryTableModel(QAbstractTableModel):
    """Rows of :class:`HistoryRow`, newest first, loaded page by page off the UI thread."""

    loaded = Signal()
    """A page (or the count) arrived."""
    totalChanged = Signal(int)

    def __init__(self, store: HistoryPager, tasks: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._rows: list[HistoryRow] = []
        self._total = 0
        self._query = HistoryQuery()
        self._generation = 0
        self._loading = False

    # -- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QColor(self._status_color(row))
        if role == Qt.ItemDataRole.ForegroundRole and col == DELIVERY_COLUMN:
            return QColor(getattr(theme.colors(), delivery_text(row.delivery).tone.value))
        if role == Qt.ItemDataRole.ForegroundRole and col == VERDICT_COLUMN:
            return QColor(getattr(theme.colors(), _verdict(row).tone.value))
        if role == Qt.ItemDataRole.ToolTipRole and col == VERDICT_COLUMN:
            return _verdict(row, evidence=True).detail or self._tooltip(row)
        if role == Qt.ItemDataRole.ToolTipRole and col in (*FREE_COLUMNS, TARGET_COLUMN):
            # the whole text of a cell a narrow column cuts, before the entry's summary
            whole = row.target if col == TARGET_COLUMN else self._display(row, col)
            return f"{COLUMNS[col]}: {whole}\n{self._tooltip(row)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.UserRole:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (7, 8):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._loading and len(self._rows) < self._total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._loading = True
            self._tasks.spawn(
                self._load_page(self._generation, len(self._rows)), "Loading the history"
            )

    # -- public API ----------------------------------------------------------------------------

    def set_query(self, query: HistoryQuery) -> None:
        """Show the entries matching ``query`` (from the first page)."""
        self._query = query
        self.reload()

    def query(self) -> HistoryQuery:
        return self._query

    def reload(self) -> None:
        """Forget the loaded rows and load the count and the first page again."""
        self._generation += 1
        self._loading = True
        self._tasks.spawn(self._load_first(self._generation), "Loading the history")

    def total(self) -> int:
        """How many entries match the query (loaded or not)."""
        return self._total

    def is_loading(self) -> bool:
        return self._loading

    def row_at(self, row: int) -> HistoryRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, entry_id: int) -> int:
        """The row showing ``entry_id`` (-1 when it is not loaded)."""
        for i, r in enumerate(self._rows):
            if r.id == entry_id:
                return i
        return -1

    def refresh_colors(self) -> None:
        if self._rows:
            last = len(self._rows) - 1
            self.dataChanged.emit(self.index(0, 1), self.index(last, VERDICT_COLUMN))

    # -- loading -------------------------------------------------------------------------------

    async def _load_first(self, generation: int) -> None:
        query = self._query
        try:
            total, rows = await off_thread(self._count_and_page, query)
        finally:
            if generation == self._generation:
                self._loading = False
        if generation != self._generation:
            return  # a newer search started meanwhile
        self.beginResetModel()
        self._rows = rows
        self._total = max(total, len(rows))
        self.endResetModel()
        self.totalChanged.emit(self._total)
        self.loaded.emit()

    def _count_and_page(self, query: HistoryQuery) -> tuple[int, list[HistoryRow]]:
        rows = self._store.page(query, 0, PAGE_SIZE)
        total = len(rows) if len(rows) < PAGE_SIZE else self._store.count(query)
        return total, rows

    async def _load_page(self, generation: int, offset: int) -> None:
        try:
            rows = await off_thread(self._store.page, self._query, offset, PAGE_SIZE)
        finally:
            if generation == self._generation:
                self._loading = False
        if generation != self._generation or not rows:
            return
        known = {r.id for r in self._rows[-PAGE_SIZE:]}
        rows = [r for r in rows if r.id not in known]  # entries added meanwhile shift offsets
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()
        self.loaded.emit()

    # -- cells ---------------------------------------------------------------------------------

    @staticmethod
    def _display(row: HistoryRow, col: int) -> str:
        if col == 0:
            return time_text(row)
        if col == 1:
            return row.status_text
        if col == DELIVERY_COLUMN:
            words = delivery_text(row.delivery)
            return f"{SYMBOLS[words.tone]} {words.label}"
        if col == VERDICT_COLUMN:
            cell = _verdict(row)
            return f"{SYMBOLS[cell.tone]} {cell.label}" if cell.label else ""
        if col == 4:
            return row.metric or "—"
        if col == 5:
            return row.profile or "—"
        if col == TARGET_COLUMN:
            return target_cell(row.target)
        if col == 7:
            return "—" if row.total_ms is None else f"{row.total_ms:,.0f} ms"
        if col == 8:
            return str(row.finding_count) if row.finding_count else ""
        return ""

    @staticmethod
    def _status_color(row: HistoryRow) -> str:
        c = theme.colors()
        colors: dict[str, str] = {
            StatusClass.S2XX: c.ok,
            StatusClass.S4XX: c.error,
            StatusClass.S5XX: c.error,
            StatusClass.ERROR: c.error,
            StatusClass.PENDING: c.warning,
        }
        return colors.get(row.status_class, c.neutral)

    @staticmethod
    def _tooltip(row: HistoryRow) -> str:
        meaning = delivery_text(row.delivery).meaning
        if row.unique_id:
            meaning += f" unique_id {row.unique_id}."
        if row.outcome_unknown:
            return (
                "The request may have gone out, but the app stopped before the answer was "
                f"recorded. {meaning} Resend exactly keeps its unique_id."
            )
        when = row.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        return f"#{row.id} · {when} · {row.method} {row.url} · revision {row.revision}\n{meaning}"


def _verdict(row: HistoryRow, *, evidence: bool = False) -> VerdictCell:
    """The read-back cell of ``row``; its stored evidence is parsed only for the tool tip (a
    painted cell needs only the label)."""
    parsed = row.verification_json if evidence and row.verification is not None else None
    return verdict_cell(row.verification, row.delivery, parsed)
