"""How wide the history table's columns are: each column of short texts of a fixed form
(time, status, delivery, read back, duration, problems) fits the widest text among the rows
loaded and its title; the target fits too while it takes no more than metric or profile get
(a long custom host is cut); metric and profile share what is left, never narrower than
:data:`MIN_FREE_CHARS` characters: in a narrow window (the collections shown beside a
1024-pixel one) the table scrolls sideways rather than cut them to a letter. A cut metric or
profile is whole in its cell's tool tip. A column the user has resized keeps its width."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject
from PySide6.QtWidgets import QHeaderView, QTableView

from composer.ui.history_model import FREE_COLUMNS, TARGET_COLUMN, HistoryTableModel

MAX_TARGET_CHARS = 16
"""A target (a custom URL's host) wider than this many average characters is cut when metric
and profile would get less room than it."""
MIN_FREE_CHARS = 16
"""Metric and profile are never narrower than this many average characters."""

_REMEASURE = (QEvent.Type.FontChange, QEvent.Type.StyleChange)
_SAMPLE = "2026-12-31 23:59 no response (protocol)"


class HistoryColumns(QObject):
    """Sizes the columns of ``table`` (showing ``model``) as rows arrive and as it resizes."""

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
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
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
            self._place()
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
        self._place()

    def _place(self) -> None:
        """Share the width the fixed-form columns leave: the target as wide as its widest
        text while metric and profile keep as much each (else cut, at a width that still
        shows Production whole), then metric and profile, each at least
        :data:`MIN_FREE_CHARS` characters wide."""
        header = self._table.horizontalHeader()
        char = self._table.fontMetrics().averageCharWidth()
        fixed = (TARGET_COLUMN, *FREE_COLUMNS)
        taken = sum(header.sectionSize(c) for c in range(header.count()) if c not in fixed)
        room = self._table.viewport().width() - taken
        widest = self._widths.get(TARGET_COLUMN, 0)
        self._set_width(TARGET_COLUMN, min(widest, max(room // 3, char * MAX_TARGET_CHARS)))
        room -= header.sectionSize(TARGET_COLUMN)
        chosen = [c for c in FREE_COLUMNS if c in self._user_sized]
        room -= sum(header.sectionSize(c) for c in chosen)
        free = [c for c in FREE_COLUMNS if c not in self._user_sized]
        for i, col in enumerate(free):
            share = room // len(free) + (room % len(free) if i == 0 else 0)
            self._set_width(col, max(share, char * MIN_FREE_CHARS))

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
