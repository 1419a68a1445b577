"""The history table at 1024x700 and 1280x800: every column whose text is short and fixed in
form (time, status, delivery, read back, duration, problems) shows its text whole; metric,
profile and target share the rest, and a cut one is whole in its cell's tool tip."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from composer.domain.draft import sample_event
from composer.domain.outcome import (
    Attempt,
    RequestRecord,
    SendOutcome,
    TransportError,
    TransportErrorKind,
)

pytestmark = pytest.mark.usefixtures("qloop")

REQUEST = RequestRecord(
    "POST", "http://sandbox/api/events/", (("revision", "2023-01-24"),),
    json.dumps(sample_event()).encode(),
)  # fmt: skip
DAY_MS = 86_400_000
WHOLE = (0, 1, 2, 3, 7, 8)
"""Time, Status, Delivery, Read back, Duration, Problems."""


def _fill(data_dir: Path) -> None:
    from composer.storage import open_storage
    from composer.storage.records import PlainContext

    now = int(time.time() * 1000)
    error = TransportError(TransportErrorKind.PROTOCOL, "bad answer")
    outcomes = [
        SendOutcome(REQUEST, status=202, total_ms=123_456.0),
        SendOutcome(
            REQUEST,
            error=error,
            attempts=(Attempt(1, 429, None, 10.0), Attempt(2, None, error, 20.0)),
        ),
        SendOutcome(REQUEST, error=error),
        SendOutcome(REQUEST, status=400, total_ms=35.0),
    ]
    long_metric = "Placed Order With A Rather Long Metric Name"
    long_profile = "margarethe.von-hohenberg@example-enterprise.com"
    with open_storage(data_dir) as storage:
        items = []
        for i, outcome in enumerate(outcomes):
            ctx = PlainContext(
                ["sandbox", "production", "https://events-staging.example.com"][i % 3],
                None, "2023-01-24", long_metric, long_profile,
            )  # fmt: skip
            items.append((REQUEST, ctx, outcome, now - (40 + i) * DAY_MS))  # an older day
        storage.history.add_many(items)
        storage.history.record_verification(1, "cannot_check", {"missing_scope": "events:read"})


def _cut(table: Any, row: int, col: int) -> bool:
    """Whether the cell's text is painted cut: its column, less the grid line and the
    style's text margins (as QTableView and the style lay a cell out), is narrower than
    the text."""
    text = table.model().index(row, col).data() or ""
    style = table.style()
    margin = style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    room = table.columnWidth(col) - (1 if table.showGrid() else 0) - 2 * margin
    elided = table.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)
    return elided != text


@pytest.mark.parametrize(
    ("size", "collections"), [((1024, 700), False), ((1280, 800), False), ((1024, 700), True)]
)
def test_no_fixed_form_column_is_cut_and_the_rest_fit(
    qtbot, make_window, data_dir, size, collections
):
    """With the collections panel beside a 1024-pixel window the table is too narrow for
    every column: metric and profile used to shrink to a letter each; they keep a readable
    width and the table scrolls sideways instead."""
    _fill(data_dir)
    window = make_window()
    window.resize(*size)
    window.layout_parts.show_collections(collections)
    pane = window.history_pane
    pane.set_collapsed(False)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 4, timeout=5000)
    qtbot.wait(50)  # the resize reaches the table
    table = pane.table
    model = pane.model
    cut = [
        (model.headerData(c, Qt.Orientation.Horizontal), model.index(r, c).data())
        for r in range(model.rowCount())
        for c in WHOLE
        if _cut(table, r, c)
    ]
    assert cut == []
    header = table.horizontalHeader()
    headers_cut = [
        model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(model.columnCount())
        if header.sectionSizeFromContents(c).width() > header.sectionSize(c)
    ]
    assert headers_cut == []
    # the search field says what it is, and the window still fits the screen
    search = pane.search
    assert search.width() >= search.fontMetrics().horizontalAdvance("Search…")
    assert window.width() <= size[0]
    if not collections:  # the status list shows its longest choice whole
        combo = pane.status_filter
        texts = [combo.itemText(i) for i in range(combo.count())]
        longest = max(combo.fontMetrics().horizontalAdvance(t) for t in texts)
        assert combo.width() >= longest + 20  # and its arrow
    if not collections:  # every column is in view: nothing to scroll sideways to
        assert header.length() <= table.viewport().width()
        assert not table.horizontalScrollBar().isVisible()
    # metric and profile keep a useful width; a cut one is whole in its tool tip
    for col in (4, 5):
        assert table.columnWidth(col) >= table.fontMetrics().averageCharWidth() * 16
        tip = model.index(0, col).data(Qt.ItemDataRole.ToolTipRole)
        assert model.index(0, col).data() in tip
