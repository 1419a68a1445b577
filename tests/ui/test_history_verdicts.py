"""The history's read-back column and filter, on the real window over a real SQLite history:
each accepted entry says whether its event was found when read back (landed, not seen, cannot
check, skipped, not checked), the evidence is in the cell's tool tip, and the filter shows the
entries of one verdict."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from composer.storage import open_storage
from composer.ui.history_model import COLUMNS, VERDICT_COLUMN
from tests.storage.factories import accepted, context, rejected, request

pytestmark = pytest.mark.usefixtures("qloop")

VERDICTS: dict[str, dict[str, Any]] = {
    "landed": {
        "event_id": "EV-LANDED-1",
        "datetime": "2026-11-30T03:00:00+00:00",
        "profile_id": "PROFILE1",
        "metric_id": "MET1",
        "differences": ["time: sent with a fraction of a second, stored as 03:00:00"],
    },
    "not_seen": {
        "summary": "Not seen: an earlier event with the same unique_id is what Klaviyo keeps",
        "likely_causes": ["duplicate unique_id: an earlier event with unique_id 'order-7'"],
    },
    "cannot_check": {"missing_scope": "events:read"},
    "skipped": {"summary": "Not checked: the event has no metric."},
}


def fill(data_dir: Any) -> dict[str, int]:
    """A history file with one accepted entry per verdict, one accepted never checked and one
    rejected; returns the entry id of each."""
    storage = open_storage(data_dir)
    history = storage.history
    ids: dict[str, int] = {}
    rej = request()
    ids["rejected"] = history.begin(rej, context(profile="rejected@example.com"))
    history.complete(ids["rejected"], rejected(rej))
    for name in ("unchecked", *VERDICTS):
        req = request()
        ids[name] = history.begin(req, context(profile=f"{name}@example.com"))
        history.complete(ids[name], accepted(req))
        if name in VERDICTS:
            assert history.record_verification(ids[name], name, VERDICTS[name])
    storage.close()
    return ids


def cells(window: Any) -> dict[str, tuple[str, str]]:
    """Profile -> (read-back cell text, its tool tip) of every loaded row."""
    model = window.history_pane.model
    out = {}
    for row in range(model.rowCount()):
        index = model.index(row, VERDICT_COLUMN)
        profile = model.row_at(row).profile.split("@")[0]
        out[profile] = (model.data(index), model.data(index, Qt.ItemDataRole.ToolTipRole))
    return out


def test_each_entry_shows_its_verdict_with_the_evidence_in_the_tool_tip(
    qtbot, make_window, data_dir
):
    fill(data_dir)
    window = make_window()
    model = window.history_pane.model
    qtbot.waitUntil(lambda: model.rowCount() == 6, timeout=5000)
    assert COLUMNS[VERDICT_COLUMN] == "Read back"
    shown = cells(window)
    assert shown["landed"][0] == "✓ Landed"
    assert "EV-LANDED-1" in shown["landed"][1]
    assert "2026-11-30T03:00:00" in shown["landed"][1]
    assert "Stored differently: time" in shown["landed"][1]
    assert shown["not_seen"][0] == "⚠ Not seen"
    assert "duplicate unique_id" in shown["not_seen"][1]
    assert shown["cannot_check"][0] == "⚠ Cannot check"
    assert "events:read" in shown["cannot_check"][1]
    assert shown["skipped"][0] == "• Skipped"
    assert "has no metric" in shown["skipped"][1]
    assert shown["unchecked"][0] == "• Not checked"
    assert "Check now" in shown["unchecked"][1]
    assert shown["rejected"][0] == ""  # nothing was accepted, so nothing to read back
    assert "Checked at" in shown["landed"][1]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Read back: landed", {"landed"}),
        ("Read back: not seen", {"not_seen"}),
        ("Read back: cannot check", {"cannot_check"}),
        ("Read back: skipped", {"skipped"}),
        ("Accepted, not checked", {"unchecked"}),
    ],
)
def test_the_filter_shows_the_entries_of_one_verdict(qtbot, make_window, data_dir, label, expected):
    fill(data_dir)
    window = make_window()
    pane = window.history_pane
    qtbot.waitUntil(lambda: pane.model.rowCount() == 6, timeout=5000)
    index = pane.status_filter.findText(label)
    assert index >= 0, label
    pane.status_filter.setCurrentIndex(index)
    qtbot.waitUntil(
        lambda: not pane.model.is_loading() and pane.model.rowCount() == len(expected),
        timeout=5000,
    )
    assert set(cells(window)) == expected
    assert pane.count_label.text() == "1 matching entry"
    pane.status_filter.setCurrentIndex(0)  # All statuses: every entry again
    qtbot.waitUntil(lambda: pane.model.rowCount() == 6, timeout=5000)
