"""ComposerWidget as a user drives it: form, raw JSON, problems, findings from the server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QLineEdit

from composer.domain.draft import sample_event
from composer.domain.findings import Finding, Severity
from composer.ui.editor import ComposerController, ComposerWidget
from tests.ui.composer_fixtures import show_composer

SAMPLE_REVISION = "2023-01-24"
"""The revision of the flat layout these tests' events (``sample_event()``) are written in."""


@pytest.fixture
def composer(qtbot: Any) -> tuple[ComposerController, ComposerWidget]:
    controller, widget = show_composer(qtbot)
    widget.activateWindow()
    return controller, widget


def attributes(controller: ComposerController) -> dict[str, Any]:
    return json.loads(controller.text())["data"]["attributes"]


def test_typing_in_the_form_changes_the_json(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    phone = widget.form.profile_edits["$phone_number"]
    qtbot.keyClicks(phone, "+15005550006")
    assert attributes(controller)["profile"]["$phone_number"] == "+15005550006"
    metric = widget.form.metric_combo.lineEdit()
    metric.selectAll()
    qtbot.keyClicks(metric, "Placed Order")
    assert attributes(controller)["metric"]["name"] == "Placed Order"
    widget.form.consent_boxes["sms"].click()
    assert attributes(controller)["profile"]["$consent"] == ["sms"]
    widget.form.value_edit.clear()
    qtbot.keyClicks(widget.form.value_edit, "12.5")
    assert attributes(controller)["value"] == 12.5
    old = attributes(controller)["unique_id"]
    widget.form.generate_button.click()
    assert attributes(controller)["unique_id"] not in (old, "")


def test_time_at_a_date_with_an_offset(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    form = widget.form
    form.time_at.click()
    form.offset_combo.setCurrentIndex(form.offset_combo.findData(330))
    sent = attributes(controller)["time"]
    assert sent.endswith("+05:30") and sent == form.time_iso()
    form.time_received.click()
    assert "time" not in attributes(controller)


def test_editing_the_json_changes_the_form(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    widget.show_raw()
    editor = widget.raw_editor
    cursor = editor.textCursor()
    start = controller.text().index("ann.lee@example.com")
    cursor.setPosition(start)
    cursor.setPosition(start + len("ann.lee"), QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    editor.setFocus()
    qtbot.keyClicks(editor, "bob")
    # The user's cursor stayed where they typed.
    assert editor.textCursor().position() == start + 3
    widget.show_form()
    email = widget.form.profile_edits["$email"]
    qtbot.waitUntil(lambda: email.text() == "bob@example.com", timeout=2000)


def _type_in_raw_json_before_metric(
    controller: ComposerController, widget: ComposerWidget, qtbot: Any, text: str
) -> int:
    """Type ``text`` in the Raw JSON tab just before the "metric" member; where it went."""
    widget.show_raw()
    editor = widget.raw_editor
    cursor = editor.textCursor()
    at = controller.text().index('"metric"')
    cursor.setPosition(at)
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, text)
    return at


def test_broken_json_keeps_the_text_and_the_form_says_where(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    at = _type_in_raw_json_before_metric(controller, widget, qtbot, "oops ")
    editor = widget.raw_editor
    expected_text = controller.text()
    banner = widget.form.banner
    qtbot.waitUntil(lambda: not banner.isHidden(), timeout=2000)
    line = expected_text.count("\n", 0, at) + 1
    assert f"line {line}, column" in widget.form.banner_label.text()
    assert not widget.form.fields_panel.isEnabled()
    assert editor.toPlainText() == expected_text == controller.text()
    assert "✖" in widget.problems.list.item(0).text()
    # Clicking the banner's button selects the error in the text.
    widget.show_form()
    widget.form.goToSyntaxError.emit()
    assert widget.tabs.currentIndex() == 1
    assert editor.textCursor().blockNumber() + 1 == line


def test_an_invalid_field_shows_its_finding_and_clicking_it_focuses_the_field(
    composer: Any, qtbot: Any
) -> None:
    _controller, widget = composer
    phone = widget.form.profile_edits["$phone_number"]
    qtbot.keyClicks(phone, "5005550006")
    qtbot.waitUntil(lambda: widget.problems.list.count() == 1, timeout=2000)
    row = widget.form.rows["$phone_number"]
    assert row.message.isVisible()
    assert row.message.text().startswith("⚠") and "E.164" in row.message.text()
    assert "E.164" in phone.accessibleDescription()
    widget.form.profile_edits["$email"].setFocus()
    item = widget.problems.list.item(0)
    assert item.text().startswith("⚠")
    rect = widget.problems.list.visualItemRect(item)
    with qtbot.waitSignal(widget.findingActivated, timeout=1000) as blocker:
        qtbot.mouseClick(
            widget.problems.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
        )
    assert blocker.args[0].rule == "phone-e164"
    assert QApplication.focusWidget() is phone


def test_a_server_finding_maps_to_the_metric_field(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    server = Finding(
        "/data/attributes/metric/name",
        Severity.ERROR,
        "server",
        "metric.name: This field may not be blank.",
        source="server",
    )
    controller.set_server_findings([server])
    row = widget.form.rows["metric_name"]
    assert "reported by Klaviyo" in row.message.text()
    assert "reported by Klaviyo" in widget.problems.list.item(0).text()
    widget.focus_finding(server)
    assert QApplication.focusWidget() is widget.form.metric_combo
    # On the Raw JSON tab the same finding selects its JSON text.
    widget.show_raw()
    widget.focus_finding(server)
    assert widget.raw_editor.textCursor().selectedText() == '"name": "Viewed Product"'
    assert len(widget.raw_editor.extraSelections()) == 1


def test_unknown_members_survive_form_edits(qtbot: Any) -> None:
    payload = sample_event()
    payload["links"] = {"self": "x"}
    payload["data"]["id"] = "abc"
    attrs = payload["data"]["attributes"]
    attrs["profile"]["Plan"] = {"tier": "Gold", "since": [2020, 2021]}
    attrs["metric"]["integration"] = {"key": "shopify"}
    attrs["custom_attribute"] = [1, {"a": None}]
    attrs["time"] = 12345  # a mistyped member the form has no field for
    controller = ComposerController(debounce_ms=20, revision=SAMPLE_REVISION)
    controller.load_payload(payload)
    widget = ComposerWidget(controller)
    qtbot.addWidget(widget)
    qtbot.keyClicks(widget.form.profile_edits["$last_name"], "Lee")
    after = json.loads(controller.text())
    payload["data"]["attributes"]["profile"]["$last_name"] = "Lee"
    assert after == payload


def test_properties_tree_edits_the_json(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    tree = widget.form.properties_tree
    model = tree.model
    path = tree.add_member(())
    assert path == ("new property",)
    assert attributes(controller)["properties"]["new property"] == ""
    tree.tree.closePersistentEditor(tree.tree.currentIndex())
    assert model.setData(model.index_of(path, 0), "Color")
    assert model.setData(model.index_of(("Color",), 2), "blue")
    assert attributes(controller)["properties"]["Color"] == "blue"
    assert tree.convert(("Color",), "array")  # keeps the value: nothing to ask
    assert attributes(controller)["properties"]["Color"] == ["blue"]
    assert not model.setData(model.index_of(("Price",), 2), "cheap")
    assert "not a number" in tree.status.text()
    assert attributes(controller)["properties"]["Price"] == 9.99
    tree.tree.setCurrentIndex(model.index_of(("Price",)))
    tree.remove_button.click()
    assert "Price" not in attributes(controller)["properties"]


def test_a_large_properties_object_reveals_a_deep_member(qtbot: Any) -> None:
    payload = sample_event()
    payload["data"]["attributes"]["properties"] = {f"p{i}": {"n": i} for i in range(1000)}
    controller = ComposerController(revision=SAMPLE_REVISION)
    controller.load_payload(payload)
    widget = ComposerWidget(controller)
    qtbot.addWidget(widget)
    tree = widget.form.properties_tree
    assert tree.model.rowCount() == 1000
    # A finding deep inside reveals its item.
    assert tree.select_path(("p950", "n"))
    assert tree.tree.currentIndex().data() == "n"


def _inside(widget: Any, kind: type) -> bool:
    parent = widget.parent()
    while parent is not None:
        if isinstance(parent, kind):
            return True
        parent = parent.parent()
    return False


def test_every_control_has_an_accessible_name(composer: Any) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QComboBox,
        QDateTimeEdit,
        QHeaderView,
        QPlainTextEdit,
        QWidget,
    )

    _controller, widget = composer
    kinds = (
        QLineEdit,
        QAbstractButton,
        QComboBox,
        QDateTimeEdit,
        QPlainTextEdit,
        QAbstractItemView,
    )
    unnamed = [
        (type(w).__name__, w.objectName())
        for w in widget.findChildren(QWidget)
        if isinstance(w, kinds)
        and not isinstance(w, QHeaderView)
        and not w.accessibleName()
        and not (isinstance(w, QAbstractButton) and w.text())
        # Qt's own parts of a control: clear buttons, combo pop-ups, spin box editors.
        and not _inside(w, QLineEdit | QComboBox | QDateTimeEdit)
    ]
    assert unnamed == []


def test_the_raw_json_page_built_on_first_use_shows_what_happened_before(
    qtbot: Any,
) -> None:
    # The Raw JSON page is built when its tab is first shown (after the first paint): the
    # syntax error and the findings that came before are there, and it works from then on.
    event = sample_event()
    event["data"]["attributes"]["metric"]["name"] = ""
    controller, widget = show_composer(qtbot, event)
    assert not widget.raw_page_built()
    cursor = QTextCursor(controller.document)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.insertText("}")  # the text no longer parses
    qtbot.waitUntil(lambda: controller.syntax_error() is not None, timeout=3000)

    widget.tabs.setCurrentIndex(1)  # as a click on "Raw JSON" does

    assert widget.raw_page_built()
    editor = widget.raw_editor
    assert editor.isVisible() and editor.toPlainText() == controller.document_text()
    assert not widget.format_button.isEnabled() and not widget.minify_button.isEnabled()
    assert editor.extraSelections()  # the syntax error is marked
    controller.undo()  # the page follows the controller from now on
    qtbot.waitUntil(lambda: controller.syntax_error() is None, timeout=3000)
    assert widget.format_button.isEnabled()
    qtbot.waitUntil(lambda: len(editor.extraSelections()) == len(controller.findings()))
    assert any(f.is_error for f in controller.findings())  # the empty metric name


def test_the_time_editor_built_after_the_first_paint_keeps_the_time_chosen_before(
    qtbot: Any,
) -> None:
    # The date-time editor is below the fold: the form is shown without it, and it is built
    # on first use with what the field already holds.
    controller, widget = show_composer(qtbot, size=(900, 500))
    field = widget.form.time_field
    assert not field.edit_built()

    widget.form.time_at.click()  # "At": the time is sent from now on
    sent = attributes(controller)["time"]

    assert sent == widget.form.time_iso()
    widget.build_rest()  # what the window does right after its first paint
    assert field.edit_built() and field.time_edit.isVisibleTo(widget.form)
    assert field.time_edit.isEnabled()
    assert widget.form.time_iso() == sent  # it shows the time already sent
    field.time_edit.setDateTime(field.time_edit.dateTime().addDays(1))
    assert attributes(controller)["time"] == widget.form.time_iso() != sent


def test_the_window_builds_the_time_editor_after_its_first_paint(make_window: Any) -> None:
    window = make_window()
    field = window.composer.form.time_field
    assert field.edit_built() and field.time_edit.isVisibleTo(window.composer.form)
    assert not field.time_edit.isEnabled()  # the sample event has no time


def test_a_field_keeps_its_own_tooltip_when_no_finding_is_on_it(composer: Any, qtbot: Any) -> None:
    # The tooltip says what the field is (e.g. the JSON member it edits); a finding replaces
    # it while it lasts, and it comes back when the finding goes.
    _controller, widget = composer
    metric = widget.form.metric_combo
    explained = "metric.name: the event's name in Klaviyo, e.g. Placed Order"
    assert metric.toolTip() == explained
    line = metric.lineEdit()
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: metric.toolTip().startswith("Error: "), timeout=3000)
    qtbot.keyClicks(line, "Placed Order")
    qtbot.waitUntil(lambda: metric.toolTip() == explained, timeout=3000)
    assert widget.form.profile_edits["$email"].toolTip() == "profile $email"


def test_the_problem_at_the_cursor_carries_its_own_symbol(composer: Any, qtbot: Any) -> None:
    """The bar above the text called every problem a warning (⚠), a syntax error too."""
    controller, widget = composer
    _type_in_raw_json_before_metric(controller, widget, qtbot, "oops ")
    qtbot.waitUntil(lambda: controller.syntax_error() is not None, timeout=2000)
    syntax = controller.syntax_error()
    assert syntax is not None
    widget.focus_finding(syntax)
    qtbot.waitUntil(lambda: bool(widget.cursor_problem.text()), timeout=2000)
    assert widget.cursor_problem.text().startswith("✖")
