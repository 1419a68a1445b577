"""Running a collection from the window: a folder of requests sent to the sandbox over
loopback, each checked against its NAME.expect.json, the results per request in the runner
view, a result opening its request and its history entry; a run cancelled mid-way; the
composer usable meanwhile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from composer.client.targets import parse_target
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread

pytestmark = pytest.mark.usefixtures("qloop")

EVENT = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {"$email": "ann@example.com"},
            "metric": {"name": "Placed Order"},
            "properties": {"Brand": "Kids Book"},
        },
    }
}


def _collection(root: Path) -> Path:
    """checkout/smoke: one request that must be accepted (and is), one that expects a 400
    (but is a valid event, so the sandbox accepts it: that expectation fails)."""
    smoke = root / "checkout" / "smoke"
    smoke.mkdir(parents=True)
    (smoke / "accepted.event.json").write_text(json.dumps(EVENT, indent=2) + "\n")
    (smoke / "accepted.expect.json").write_text('{"status": 202}\n')
    # a long metric name (valid: under 128 characters) is the last send the history shows
    long_metric = json.loads(json.dumps(EVENT))
    long_metric["data"]["attributes"]["metric"]["name"] = "Viewed Product " * 8
    (smoke / "wrongly-expected.event.json").write_text(json.dumps(long_metric, indent=2) + "\n")
    (smoke / "wrongly-expected.expect.json").write_text('{"status": 400}\n')
    return root / "checkout"


def _open(qtbot: Any, window: Any, root: Path) -> None:
    window.collections_part.open_collection(root)
    qtbot.waitUntil(lambda: window.collections_part.model.rowCount() == 1, timeout=10_000)


def _menu_action(window: Any, key: str, name: str) -> Any:
    panel = window.collection_panel
    node = next(n for n in panel.model.nodes() if n.key == key)
    panel.select(node)
    return next(a for a in panel.menu_for(node).actions() if a.objectName() == name)


def test_a_folder_runs_with_one_pass_and_one_failure_and_a_result_opens_its_entry(
    qtbot, make_window, tmp_path
):
    root = _collection(tmp_path)
    window = make_window()
    _open(qtbot, window, root)
    with run_in_thread(SandboxConfig()) as url:
        window.target_bar.set_target(parse_target(url))
        with qtbot.waitSignal(window.run_part.finished, timeout=15_000) as done:
            _menu_action(window, "smoke/", "runFolder").trigger()
    report = done.args[0]
    assert (report.passed, report.failed) == (1, 1)
    # neither the results tab nor the last send's long metric in the history strip makes
    # the window wider than the screen it fits
    strip = window.history_pane.last_label
    qtbot.waitUntil(lambda: "Viewed Product Viewed" in strip.text(), timeout=10_000)
    assert window.minimumSizeHint().width() <= 1024
    view = window.run_part.view
    assert window.layout_parts.results_tabs.currentWidget() is view
    rows = view.result_rows()
    assert [row[:3] for row in rows] == [
        ("passed", "smoke/accepted", "✓ 202"),
        ("failed", "smoke/wrongly-expected", "✗ 202"),
    ]
    assert any("400" in reason and "202" in reason for reason in rows[1][3])
    assert "1 passed, 1 failed" in view.summary.text()
    # the tree marks each request with its verdict
    model = window.collections_part.model
    collection = model.collections()[0]
    from composer.ui.collection_model import RESULT_ROLE

    assert model.index_of(collection, "smoke/accepted").data(RESULT_ROLE) is True
    assert model.index_of(collection, "smoke/wrongly-expected").data(RESULT_ROLE) is False
    # a folder (and the collection) shows that a request in it failed, even folded
    assert model.index_of(collection, "smoke/").data(RESULT_ROLE) is False
    assert model.index_of(collection, "").data(RESULT_ROLE) is False

    # Enter on the failed result: its request in the composer, its entry in the history
    failed = report.results[1]
    assert failed.history_id is not None
    view.select_row(1)
    view.results.setFocus()
    qtbot.keyClick(view.results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.document.request is not None, timeout=10_000)
    assert window.document.request[1] == "smoke/wrongly-expected"
    pane = window.history_pane
    qtbot.waitUntil(lambda: pane.selected_ids() == [failed.history_id], timeout=10_000)
    assert not pane.is_collapsed()
    assert window.layout_parts.results_tabs.currentWidget() is window.response_view
    assert "202" in window.response_view.status_label.text()
    assert window.storage.history.get(failed.history_id).row.status == 202


def test_a_run_is_cancelled_mid_way_and_the_composer_stays_usable(qtbot, make_window, tmp_path):
    root = _collection(tmp_path)
    window = make_window(
        sandbox=SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=30)
    )
    _open(qtbot, window, root)
    view = window.run_part.view
    _menu_action(window, "", "runFolder").trigger()  # the whole collection
    qtbot.waitUntil(
        lambda: bool(view.result_rows()) and view.result_rows()[0][0] == "running",
        timeout=10_000,
    )
    # the loop is free: the composer takes edits while the first request waits
    window.controller.edit("set_value", "/data/attributes/properties/Brand", "Edited")
    assert '"Edited"' in window.controller.text()
    assert view.cancel_button.isVisible()
    with qtbot.waitSignal(window.run_part.finished, timeout=10_000) as done:
        view.cancel_button.click()
    report = done.args[0]
    assert report.cancelled and report.skipped == 1
    assert [row[0] for row in view.result_rows()] == ["cancelled", "not run"]
    assert "Cancelled" in view.summary.text()
    window.controller.mark_saved()


def test_a_run_against_klaviyo_production_asks_first_and_cancel_sends_nothing(
    qtbot, make_window, tmp_path
):
    from tests.ui.window_fixtures import click_button, message_box

    root = _collection(tmp_path)
    window = make_window()
    _open(qtbot, window, root)
    window.target_bar.set_target(parse_target("production"))
    before = window.storage.history.count()
    _menu_action(window, "smoke/", "runFolder").trigger()
    qtbot.waitUntil(lambda: message_box(window, "confirmProductionRun") is not None, timeout=10_000)
    box = message_box(window, "confirmProductionRun")
    assert "2 events" in box.text() and "live Klaviyo account" in box.text()
    with qtbot.waitSignal(window.run_part.finished, timeout=10_000) as done:
        click_button(box, "Cancel")
    assert done.args[0] is None
    assert "nothing was sent" in window.run_part.view.summary.text()
    assert window.storage.history.count() == before


def test_a_run_uses_the_environment_chosen_in_the_toolbar(qtbot, make_window, tmp_path):
    root = tmp_path / "signup"
    (root / "environments").mkdir(parents=True)
    (root / "environments" / "staging.json").write_text(
        '{"target": "sandbox", "variables": {"store": "Berlin"}}\n'
    )
    body = json.loads(json.dumps(EVENT))
    body["data"]["attributes"]["properties"] = {"Store": "{{store}}", "Id": "{{$uuid}}"}
    (root / "in-store.event.json").write_text(json.dumps(body, indent=2) + "\n")
    window = make_window()
    _open(qtbot, window, root)
    view = window.run_part.view

    # no environment: {{store}} is unknown, the request is not sent and says why
    with qtbot.waitSignal(window.run_part.finished, timeout=15_000) as done:
        _menu_action(window, "", "runFolder").trigger()
    result = done.args[0].results[0]
    assert not result.passed and not result.sent
    assert "store" in " ".join(result.reasons())

    window.environments.choose("staging")
    with qtbot.waitSignal(window.run_part.finished, timeout=15_000) as done:
        view.rerun_button.click()
    result = done.args[0].results[0]
    assert result.passed, result.reasons()
    assert "staging" in view.title.text()
    sent = window.storage.history.get(result.history_id).request.body
    assert b'"Store": "Berlin"' in sent and b"{{" not in sent


def test_each_collection_runs_with_its_own_file_of_the_chosen_environment(
    qtbot, make_window, tmp_path
):
    body = json.loads(json.dumps(EVENT))
    body["data"]["attributes"]["properties"] = {"Store": "{{store}}"}
    for name, store in (("berlin-shop", "Berlin"), ("paris-shop", "Paris")):
        (tmp_path / name / "environments").mkdir(parents=True)
        (tmp_path / name / "environments" / "staging.json").write_text(
            json.dumps({"variables": {"store": store}}) + "\n"
        )
        (tmp_path / name / "visit.event.json").write_text(json.dumps(body, indent=2) + "\n")
    window = make_window()
    for name in ("berlin-shop", "paris-shop"):
        window.collections_part.open_collection(tmp_path / name)
    model = window.collections_part.model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=10_000)
    # the composer works in berlin-shop: its environments are the ones listed
    berlin = next(c for c in model.collections() if c.name == "berlin-shop")
    window.document.open_request(berlin, "visit")
    qtbot.waitUntil(lambda: window.document.request is not None, timeout=10_000)
    window.environments.reload()
    window.environments.choose("staging")
    paris = next(n for n in model.nodes() if n.key == "" and n.collection.name == "paris-shop")
    with qtbot.waitSignal(window.run_part.finished, timeout=15_000) as done:
        window.run_part.run_node(paris)
    result = done.args[0].results[0]
    assert result.passed, result.reasons()
    assert b'"Store": "Paris"' in window.storage.history.get(result.history_id).request.body
