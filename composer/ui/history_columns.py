"""How wide the history table's columns are: each column of short texts of a fixed form
(time, status, delivery, read back, duration, problems) fits the widest text among the rows
loaded and its title; the target fits too while it takes no more than metric or profile
get (a long custom host is cut); metric and profile share what is left and are cut with "…"
(their cell's tool tip has the whole text). A column the user has resized keeps its width."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject
from PySide6.QtWidgets import QHeaderView, QTableView

from composer.ui.history_model import FREE_COLUMNS, TARGET_COLUMN, HistoryTableModel

MAX_TARGET_CHARS = 16
"""A target (a custom URL's host) wider than this many average characters is cut when metric
and profile would get less room than it."""

_REMEASURE = (QEvent.Type.FontChange, QEvent.Type.StyleChange)
_SAMPLE = "2026-12-31 23:59 no response (protocol)"


class HistoryColumns(QObject):
    """Sizes the columns of ``table`` (showing ``model``) as rows arrive."""

    def __init__(self, table: QTableView, model: HistoryTableModel) -> None:
        super().__init__(table)
        self._table = table
        self._model = model
        self._sizing = False
        self._user_sized: set[int] = set()
        self._widths: dict[int, int] = {}
        self._measured = 0
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(table.fontMetrics().horizontalAdvance("x" * 3))
        for col in range(model.columnCount()):
            mode = QHeaderView.ResizeMode.Stretch if col in FREE_COLUMNS else None
            header.setSectionResizeMode(col, mode or QHeaderView.ResizeMode.Interactive)
        header.sectionResized.connect(self._resized)
        model.modelReset.connect(self.fit)
        model.rowsInserted.connect(self._rows_added)
        table.installEventFilter(self)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Measured again when the font or style changes, and when shown in a font that now
        # measures otherwise: texts measured while the table was hidden (the history starts
        # folded) may have been measured in a font still loading. Not on every show: a
        # long-scrolled table has thousands of rows to measure.
        if event.type() in _REMEASURE or (
            event.type() == QEvent.Type.Show and self._measure() != self._measured
        ):
            self.fit()
        elif event.type() == QEvent.Type.Resize:
            self._place_target()
        return False

    def _resized(self, col: int, _old: int, _new: int) -> None:
        if not self._sizing:
            self._user_sized.add(col)  # dragged by the user: leave it as they chose

    def _measure(self) -> int:
        return self._table.fontMetrics().horizontalAdvance(_SAMPLE)

    def fit(self) -> None:
        """Fit every fixed-form column to the titles and the rows loaded now."""
        self._widths = {}
        self._measured = self._measure()
        self._widen(0, self._model.rowCount() - 1)

    def _rows_added(self, _parent: QModelIndex, first: int, last: int) -> None:
        self._widen(first, last)

    def _widen(self, first: int, last: int) -> None:
        table, model = self._table, self._model
        header = table.horizontalHeader()
        metrics = table.fontMetrics()
        pad = self._padding()
        for col in range(model.columnCount()):
            if col in FREE_COLUMNS:
                continue
            widest = max(self._widths.get(col, 0), header.sectionSizeFromContents(col).width())
            texts = {model.index(r, col).data() or "" for r in range(first, last + 1)}
            for text in texts:
                widest = max(widest, metrics.horizontalAdvance(text) + pad)
            self._widths[col] = widest
            if col != TARGET_COLUMN:
                self._set_width(col, widest)
        self._place_target()

    def _place_target(self) -> None:
        """The target column as wide as its widest text while metric and profile keep a
        third of the free width each; else cut (a custom URL's host) at a width that still
        shows Production whole."""
        widest = self._widths.get(TARGET_COLUMN, 0)
        others = sum(w for c, w in self._widths.items() if c != TARGET_COLUMN)
        share = (self._table.viewport().width() - others) // (len(FREE_COLUMNS) + 1)
        cap = self._table.fontMetrics().averageCharWidth() * MAX_TARGET_CHARS
        self._set_width(TARGET_COLUMN, min(widest, max(share, cap)))

    def _set_width(self, col: int, width: int) -> None:
        header = self._table.horizontalHeader()
        if col in self._user_sized or header.sectionSize(col) == width:
            return
        self._sizing = True
        try:
            header.resizeSection(col, width)
        finally:
            self._sizing = False

    def _padding(self) -> int:
        """What a cell takes beside its text: the style's text margin on either side, the
        grid line, and a pixel for rounding (the text is laid out at fractional widths)."""
        table = self._table
        style = table.style()
        margin = style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
        return 2 * margin + (1 if table.showGrid() else 0) + 1
