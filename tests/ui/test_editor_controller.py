"""ComposerController: the text as typed, the draft, findings, off-thread checks of big texts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtGui import QTextCursor

from composer.domain.draft import sample_event
from composer.domain.findings import Finding, Severity
from composer.ui.editor import ComposerController

SAMPLE_REVISION = "2023-01-24"
"""The revision of the flat layout these tests' events (``sample_event()``) are written in."""


def _type(controller: ComposerController, position: int, text: str) -> None:
    cursor = QTextCursor(controller.document)
    cursor.setPosition(position)
    cursor.insertText(text)


def big_payload(target_bytes: int = 1_000_000) -> dict[str, Any]:
    event = sample_event()
    props = event["data"]["attributes"]["properties"]
    items = [
        {
            "SKU": f"SKU-{i:06d}",
            "Name": "Winnie the Pooh, hardcover",
            "Price": 9.99,
            "Tags": ["books", "children"],
        }
        for i in range(target_bytes // 110)
    ]
    props["Items"] = items
    return event


@pytest.fixture
def controller(qtbot: Any) -> ComposerController:
    c = ComposerController(debounce_ms=20, revision=SAMPLE_REVISION)
    c.load_payload(sample_event())
    return c


def test_loaded_text_is_kept_exactly_and_starts_unmodified(qtbot: Any) -> None:
    c = ComposerController(revision=SAMPLE_REVISION)
    text = '{"data": {"type": "event",\t"attributes": {}},   "x": "\u00a0😀"}\n'
    c.load_text(text)
    assert c.text() == text
    assert not c.is_modified
    assert c.payload() == json.loads(text)
    assert c.has_errors()  # profile and metric are missing


def test_form_edit_changes_only_its_value_and_keeps_unknown_members(
    controller: ComposerController, qtbot: Any
) -> None:
    _type(controller, 1, '\n  "top_unknown": {"keep": [1, 2]},')
    qtbot.waitUntil(
        lambda: controller.payload() is not None and "top_unknown" in controller.payload(),
        timeout=2000,
    )
    before = controller.text()
    with qtbot.waitSignal(controller.textChanged, timeout=2000):
        assert controller.edit("set_value", "/data/attributes/metric/name", "Placed Order")
    assert controller.text() == before.replace('"Viewed Product"', '"Placed Order"')
    payload = json.loads(controller.text())
    assert payload["data"]["attributes"]["metric"]["name"] == "Placed Order"
    assert payload["top_unknown"] == {"keep": [1, 2]}
    assert controller.is_modified
    controller.mark_saved()
    assert not controller.is_modified


def test_raw_edit_updates_the_draft_after_the_pause(
    controller: ComposerController, qtbot: Any
) -> None:
    text = controller.text()
    at = text.index("Viewed Product")
    with qtbot.waitSignal(controller.draftChanged, timeout=2000):
        _type(controller, at, "Re-")
    draft = controller.draft()
    assert draft is not None and draft.metric_name == "Re-Viewed Product"


def test_broken_text_is_kept_and_reported_with_line_and_column(
    controller: ComposerController, qtbot: Any
) -> None:
    with qtbot.waitSignal(controller.syntaxStateChanged, timeout=2000) as blocker:
        _type(controller, 0, "oops ")
    finding = blocker.args[0]
    assert isinstance(finding, Finding) and finding.line == 1 and finding.column == 1
    assert controller.text().startswith("oops {")
    assert controller.payload() is None
    # The form cannot overwrite what was typed while it does not parse.
    assert controller.edit("set_value", "/data/attributes/metric/name", "X") is None
    assert controller.text().startswith("oops {")
    with qtbot.waitSignal(controller.syntaxStateChanged, timeout=2000) as blocker:
        assert controller.undo()
    assert blocker.args[0] is None


def test_a_form_edit_right_after_typing_does_not_lose_the_typing(qtbot: Any) -> None:
    # the pause has not ended yet
    c = ComposerController(debounce_ms=10_000, revision=SAMPLE_REVISION)
    c.load_payload(sample_event())
    at = c.text().index('"value"')
    _type(c, at, '"Plan": "Gold", ')
    assert c.edit("set_value", "/data/attributes/value", 5)
    attributes = json.loads(c.text())["data"]["attributes"]
    assert attributes["Plan"] == "Gold" and attributes["value"] == 5


def test_server_findings_join_the_list_until_the_next_edit(
    controller: ComposerController, qtbot: Any
) -> None:
    server = Finding(
        "/data/attributes/metric/name",
        Severity.ERROR,
        "server",
        "metric.name: may not be blank",
        source="server",
    )
    with qtbot.waitSignal(controller.findingsChanged, timeout=1000) as blocker:
        controller.set_server_findings([server])
    assert server in blocker.args[0]
    assert controller.has_errors()
    with qtbot.waitSignal(controller.findingsChanged, timeout=1000) as blocker:
        _type(controller, len(controller.text()), " ")
    assert server not in controller.findings()


def test_format_and_minify(controller: ComposerController, qtbot: Any) -> None:
    before = json.loads(controller.text())
    assert controller.minify_json()
    assert "\n" not in controller.text()
    assert json.loads(controller.text()) == before
    assert controller.format_json()
    assert controller.text() == json.dumps(before, indent=2, ensure_ascii=False)
    controller.load_text("{ broken")
    assert not controller.format_json()
    assert controller.text() == "{ broken"


def test_revision_change_revalidates(controller: ComposerController, qtbot: Any) -> None:
    assert controller.findings() == []
    with qtbot.waitSignal(controller.findingsChanged, timeout=2000) as blocker:
        controller.set_revision("2024-10-15")
    assert any(f.is_error for f in blocker.args[0])  # the flat profile is not that shape
    assert controller.revision() == "2024-10-15"


def test_large_text_is_checked_off_the_ui_thread_and_stale_results_dropped(qtbot: Any) -> None:
    c = ComposerController(debounce_ms=10, sync_limit=10_000, revision=SAMPLE_REVISION)
    busy: list[bool] = []
    c.busyChanged.connect(busy.append)
    payload = big_payload(200_000)
    with qtbot.waitSignal(c.draftChanged, timeout=10_000):
        c.load_payload(payload)
    assert busy[:1] == [True]
    assert c.draft() is not None and c.draft().metric_name == "Viewed Product"
    # Two quick edits: only the result for the final text is applied.
    at = c.text().index("Viewed Product")
    seen: list[str | None] = []
    c.draftChanged.connect(lambda: seen.append(c.draft().metric_name))
    _type(c, at, "A")
    _type(c, at, "B")
    qtbot.waitUntil(lambda: seen != [] and not c.is_busy(), timeout=10_000)
    assert seen[-1] == "BAViewed Product"
    assert "AViewed Product" not in seen
    report = c.validate_now()
    assert report.payload["data"]["attributes"]["metric"]["name"] == "BAViewed Product"


def test_span_of_a_missing_member_points_at_its_object(controller: ComposerController) -> None:
    controller.load_text('{"data": {"type": "event", "attributes": {"metric": {"name": "X"}}}}')
    missing = next(f for f in controller.findings() if f.rule == "schema-required")
    span = controller.span_of(missing)
    assert span is not None
    start, end = span.mark_range(controller.text())
    assert controller.text()[start:end] == '"attributes": {'


def test_line_ends_and_unusual_spaces_survive_edits(qtbot: Any) -> None:
    c = ComposerController(revision=SAMPLE_REVISION)
    text = '{\r\n  "a": "x\u00a0\u2028y😀"\r\n}\r\n'
    c.load_text(text)
    assert c.text() == text
    _type(c, 1, " ")
    assert c.text() == '{ \r\n  "a": "x\u00a0\u2028y😀"\r\n}\r\n'
    span = c.span_of(Finding("/a", Severity.WARNING, "demo", "demo"))
    assert span is not None
    start, end = c.qt_range(span.value_start, span.value_end)
    cursor = QTextCursor(c.document)
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    assert cursor.selectedText() == '"x\u00a0\u2028y😀"'


def test_a_held_background_check_runs_on_release_for_the_text_as_it_is_then(
    controller: ComposerController, qtbot: Any
) -> None:
    # The window holds the first check until it has painted: the Problems list says it is
    # checking meanwhile, and the check that runs on release sees the latest text.
    busy: list[bool] = []
    controller.busyChanged.connect(busy.append)
    controller.hold_background_checks()
    event = sample_event()
    event["data"]["attributes"]["metric"]["name"] = ""
    controller.load_payload(event, check_later=True)
    qtbot.wait(100)
    assert busy == [True] and controller.findings() == []
    with qtbot.waitSignal(controller.findingsChanged, timeout=10000):
        controller.release_background_checks()
    assert busy == [True, False]
    assert any((f.pointer or "").endswith("/metric/name") for f in controller.findings())
