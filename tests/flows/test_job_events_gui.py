"""A Bulk Create Events job in the history: opening it lists its events (line, profile,
metric, unique_id), a search narrows them to the line, and one of them loads into the
composer as the Create Event body the job sent. Real window, real SQLite; the job is written
as the bulk sender writes it (packed by the real packer, one entry listing its events)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from composer.domain.bulk_pack import JobPacker, split_event
from composer.domain.outcome import Attempt, RequestRecord, SendOutcome
from composer.services.ports import SendContext
from composer.storage.history import HistoryStore

pytestmark = pytest.mark.usefixtures("qloop")

RUN = "0e8b7c2a-1111-4222-8333-944455556666"


def record_job(data_dir: Path, count: int) -> int:
    """One accepted job of ``count`` Placed Order events (lines 10 + i) in the history."""
    packer = JobPacker()
    for i in range(count):
        body = {
            "data": {
                "type": "event",
                "attributes": {
                    "profile": {"data": {"type": "profile", "attributes": {
                        "email": f"buyer{i}@shop.test"}}},
                    "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                    "properties": {"OrderId": f"ORD-{i:05d}", "Total": 10.5 + i},
                    "unique_id": f"uid-{i}",
                },
            }
        }  # fmt: skip
        split = split_event(body)
        assert not isinstance(split, str)
        assert packer.add(i, 10 + i, split) == []
    (job,) = packer.finish()
    request = RequestRecord("POST", "http://sandbox/api/event-bulk-create-jobs", (), job.body)
    context = SendContext(
        "sandbox", None, "2026-07-15", "Placed Order", f"buyer0@shop.test and {count - 1} more",
        run_id=RUN, job_events=job.members,
    )  # fmt: skip
    with HistoryStore(data_dir / "history.sqlite3") as store:
        entry = store.begin(request, context)
        store.complete(
            entry, SendOutcome(request, status=202, attempts=(Attempt(1, 202, None, 5.0),))
        )
    return entry


def job_dialog(qtbot: Any, window: Any) -> Any:
    from composer.ui.job_events_dialog import JobEventsDialog

    def find() -> Any:
        found = [d for d in window.findChildren(JobEventsDialog) if d.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: find() is not None, timeout=5000)
    return find()


def select_first(qtbot: Any, pane: Any) -> None:
    """Select the history's first row once its page has loaded (a reload clears a
    selection made before it)."""

    def selected() -> bool:
        if pane.model.is_loading() or pane.model.rowCount() == 0:
            return False
        if not pane.selected_ids():
            pane.select_row(0)
        return bool(pane.selected_ids())

    qtbot.waitUntil(selected, timeout=5000)


def rows(dialog: Any) -> list[tuple[str, ...]]:
    model = dialog.model
    return [
        tuple(model.data(model.index(r, c)) for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]


def test_a_jobs_events_are_listed_searched_and_one_is_loaded(qtbot, make_window, data_dir):
    entry_id = record_job(data_dir, 5)
    window = make_window()
    pane = window.history_pane
    pane.set_collapsed(False)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=5000)
    pane.entry_actions.load(entry_id)  # what a double-click or Enter does
    dialog = job_dialog(qtbot, window)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 5, timeout=5000)
    assert rows(dialog)[2] == ("12", "buyer2@shop.test", "Placed Order", "uid-2")
    assert dialog.count_label.text() == "5 events"
    assert f"#{entry_id}" in dialog.windowTitle()

    qtbot.keyClicks(dialog.search, "ORD-00003")  # an order id finds its line
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)
    assert rows(dialog) == [("13", "buyer3@shop.test", "Placed Order", "uid-3")]
    assert dialog.count_label.text() == "1 of 5 match"

    dialog.load_button.click()
    qtbot.waitUntil(lambda: "uid-3" in window.controller.text(), timeout=5000)
    loaded = json.loads(window.controller.text())
    attributes = loaded["data"]["attributes"]
    assert attributes["properties"] == {"OrderId": "ORD-00003", "Total": 13.5}
    assert attributes["profile"]["data"]["attributes"]["email"] == "buyer3@shop.test"
    expected = window.storage.history.job_event_body(entry_id, 3)
    assert window.controller.text() == expected.decode()  # the bytes the history gives
    assert "line 13 of bulk job" in window.statusBar().currentMessage()


def test_the_history_search_carries_into_the_jobs_list(qtbot, make_window, data_dir):
    record_job(data_dir, 4)
    window = make_window()
    pane = window.history_pane
    pane.set_collapsed(False)
    pane.search.setText("buyer1@shop.test")
    pane.apply_filters()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=5000)  # the job is found
    select_first(qtbot, pane)
    pane.load_action.trigger()
    dialog = job_dialog(qtbot, window)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)
    assert rows(dialog)[0][:2] == ("11", "buyer1@shop.test")  # ...and the line in it
    dialog.reject()


def test_resend_exactly_of_a_job_sends_nothing_and_says_why(qtbot, make_window, data_dir):
    record_job(data_dir, 2)
    window = make_window()
    pane = window.history_pane
    pane.set_collapsed(False)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=5000)
    select_first(qtbot, pane)
    pane.resend_action.trigger()
    qtbot.waitUntil(lambda: "is a bulk job" in window.statusBar().currentMessage(), timeout=5000)
    assert not window.is_sending()
    assert window.storage.history.count() == 1
