"""The Form edits only what it changes, shows what is sent, and never shows a stale event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPushButton, QScrollArea

from composer.domain.draft import sample_event
from composer.ui.editor import ComposerController, ComposerWidget
from tests.ui.composer_fixtures import show_composer

SAMPLE_REVISION = "2023-01-24"
"""The revision of the flat layout these tests' events (``sample_event()``) are written in."""

HAND_WRITTEN = """{
    "data": {
        "type": "event",
        "attributes": {
            "profile": {"$email": "caf\\u00e9@example.com", "Plan": "Gold", "Plan": "Silver"},
            "metric": {"name": "Placed Order"},
            "properties": {
                "Total": 10.50,
                "Points": 1e3,
                "City": "caf\\u00e9"
            },
            "value": 10.50,
            "unique_id": "abc"
        }
    }
}
"""


@pytest.fixture
def composer(qtbot: Any) -> tuple[ComposerController, ComposerWidget]:
    return show_composer(qtbot)


def _value_of(controller: ComposerController) -> Any:
    return json.loads(controller.text())["data"]["attributes"].get("value")


@pytest.fixture
def english() -> Any:
    old = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    yield
    QLocale.setDefault(old)


def test_a_decimal_comma_is_sent_as_the_number_the_field_shows(
    composer: Any, qtbot: Any, english: Any
) -> None:
    controller, widget = composer
    widget.form.value_edit.clear()
    qtbot.keyClicks(widget.form.value_edit, "59,90")
    # What Send sends (the text) holds what the field shows: 59.90, not 59.
    assert _value_of(controller) == 59.9
    assert '"value": 59.90' in controller.text()
    assert widget.form.value_edit.text() == "59,90"
    assert controller.validate_now().valid


@pytest.mark.parametrize("typed", ["59,9x", "1,234", "ten"])
def test_a_value_that_is_not_a_number_blocks_send_with_its_pointer(
    composer: Any, qtbot: Any, english: Any, typed: str
) -> None:
    controller, widget = composer
    widget.form.value_edit.clear()
    qtbot.keyClicks(widget.form.value_edit, typed)
    # Never a different value than the one shown: the text holds what was typed ...
    assert _value_of(controller) == typed
    # ... and Send sees an error about the value field (Send anyway still asks).
    report = controller.validate_now()
    assert not report.valid
    assert any(f.pointer == "/data/attributes/value" and f.is_error for f in report.findings)
    qtbot.waitUntil(lambda: widget.problems.list.count() > 0, timeout=2000)
    assert "value" in widget.problems.list.item(0).text()
    row = widget.form.rows["value"]
    assert row.message.isVisible() and "number" in row.message.text()


def test_a_dot_grouped_number_in_a_decimal_comma_locale_is_not_guessed(
    composer: Any, qtbot: Any
) -> None:
    """In German "1.234" is 1234: it was sent as 1.234, a thousandth of what was meant."""
    controller, widget = composer
    old = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    try:
        widget.form.value_edit.clear()
        qtbot.keyClicks(widget.form.value_edit, "1.234")
        assert _value_of(controller) == "1.234"  # what the field shows, as text
        assert not controller.validate_now().valid
        widget.form.value_edit.clear()
        qtbot.keyClicks(widget.form.value_edit, "1.234,50")
        assert _value_of(controller) == 1234.5
    finally:
        QLocale.setDefault(old)


def test_a_form_edit_changes_only_the_span_of_its_value(qtbot: Any) -> None:
    controller = ComposerController(debounce_ms=20, revision=SAMPLE_REVISION)
    controller.load_text(HAND_WRITTEN)
    widget = ComposerWidget(controller)
    qtbot.addWidget(widget)
    metric = widget.form.metric_combo.lineEdit()
    metric.selectAll()
    qtbot.keyClicks(metric, "Ordered Product")
    assert controller.text() == HAND_WRITTEN.replace("Placed Order", "Ordered Product")
    qtbot.keyClicks(widget.form.profile_edits["$first_name"], "Ann")
    # A new member follows its neighbours' layout; every other byte stays as it was.
    assert controller.text() == HAND_WRITTEN.replace("Placed Order", "Ordered Product").replace(
        '"Plan": "Silver"}', '"Plan": "Silver", "$first_name": "Ann"}'
    )
    assert controller.findings()  # the duplicate "Plan" is reported, not dropped


def test_a_duplicate_member_is_a_warning_with_its_pointer(qtbot: Any) -> None:
    controller = ComposerController(debounce_ms=20, revision=SAMPLE_REVISION)
    controller.load_text(HAND_WRITTEN)
    duplicates = [f for f in controller.findings() if f.rule == "duplicate-key"]
    assert len(duplicates) == 1
    dup = duplicates[0]
    assert dup.pointer == "/data/attributes/profile/Plan" and not dup.is_error
    assert "keeps the last one" in dup.message
    span = controller.span_of(dup)
    assert span is not None
    start, end = span.mark_range(controller.document_text())
    assert controller.document_text()[start:end] == '"Plan": "Gold"'  # the ignored one


def test_syntax_error_hides_the_stale_event_and_says_so_at_the_top(
    composer: Any, qtbot: Any
) -> None:
    controller, widget = composer
    form = widget.form
    widget.show_form()
    area = form.findChild(QScrollArea) if not isinstance(form, QScrollArea) else form
    area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
    widget.show_raw()
    cursor = widget.raw_editor.textCursor()
    cursor.setPosition(controller.text().index('"metric"'))
    widget.raw_editor.setTextCursor(cursor)
    qtbot.keyClicks(widget.raw_editor, "oops ")
    widget.show_form()
    qtbot.waitUntil(form.banner.isVisible, timeout=2000)
    # The banner is at the top, seen whatever the scroll position ...
    assert 0 <= form.banner.mapTo(form, form.banner.rect().topLeft()).y() <= 12
    # ... and no field shows the event from before the error.
    assert not form.fields_panel.isVisibleTo(form)
    assert "does not parse" in form.banner_label.text()
    # Fixing the text brings the fields back with the current values.
    cursor = widget.raw_editor.textCursor()
    at = controller.text().index("oops ")
    cursor.setPosition(at)
    cursor.setPosition(at + 5, QTextCursor.MoveMode.KeepAnchor)
    widget.raw_editor.setTextCursor(cursor)
    qtbot.keyClick(widget.raw_editor, "\b")
    qtbot.waitUntil(lambda: form.fields_panel.isVisibleTo(form), timeout=2000)
    assert not form.banner.isVisible()


def test_undo_is_shared_by_the_form_and_the_raw_text(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    original = controller.text()
    qtbot.keyClicks(widget.form.profile_edits["$last_name"], "Lee")
    after_form = controller.text()
    widget.show_raw()
    cursor = widget.raw_editor.textCursor()
    cursor.setPosition(0)
    widget.raw_editor.setTextCursor(cursor)
    qtbot.keyClicks(widget.raw_editor, " ")
    assert controller.text() == " " + after_form
    qtbot.keySequence(widget.raw_editor, "Ctrl+Z")
    assert controller.text() == after_form
    qtbot.keySequence(widget.raw_editor, "Ctrl+Z")  # the form's typing, as one step
    assert controller.text() == original
    qtbot.keySequence(widget.raw_editor, "Ctrl+Shift+Z")
    assert controller.text() == after_form


def test_ctrl_z_in_a_field_undoes_the_composer_s_last_change(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    original = controller.text()
    last_name = widget.form.profile_edits["$last_name"]
    qtbot.keyClicks(last_name, "Lee")
    assert '"$last_name": "Lee"' in controller.text()
    qtbot.keyClick(last_name, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert controller.text() == original
    qtbot.waitUntil(lambda: last_name.text() == "", timeout=2000)


def test_the_form_shows_a_loaded_event_before_its_check_is_done(qtbot: Any) -> None:
    controller = ComposerController(revision=SAMPLE_REVISION)
    widget = ComposerWidget(controller)
    qtbot.addWidget(widget)
    widget.show()
    controller.load_payload(sample_event(), check_later=True)  # the check runs on a worker
    assert widget.form.profile_edits["$email"].text() == "ann.lee@example.com"
    assert widget.form.properties_tree.model.rowCount() == 5


def test_a_duplicate_member_warning_leads_to_the_ignored_member_in_the_raw_json(
    qtbot: Any,
) -> None:
    """The Form shows only the member Klaviyo keeps: the warning led to that one, where
    following its advice (remove the extra) removed the value that is sent."""
    controller = ComposerController(debounce_ms=20, revision=SAMPLE_REVISION)
    controller.load_text(HAND_WRITTEN)
    widget = ComposerWidget(controller)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    problems = widget.problems.list
    qtbot.waitUntil(lambda: problems.count() > 0, timeout=2000)
    item = next(
        problems.item(i)
        for i in range(problems.count())
        if "more than once" in problems.item(i).text()
    )
    with qtbot.waitSignal(widget.findingActivated, timeout=1000):
        qtbot.mouseClick(
            problems.viewport(),
            Qt.MouseButton.LeftButton,
            pos=problems.visualItemRect(item).center(),
        )
    assert widget.tabs.currentIndex() == 1
    assert widget.raw_editor.textCursor().selectedText() == '"Plan": "Gold"'


@pytest.mark.parametrize("text", ['[{"data": {"type": "event"}}]', '"an event"', "null"])
def test_a_body_that_is_no_object_hides_the_fields_and_says_so(qtbot: Any, text: str) -> None:
    """A list of events (or a bare value) showed empty fields: what was typed into them
    stayed in the field and never reached the text that is sent."""
    controller = ComposerController(debounce_ms=20, revision=SAMPLE_REVISION)
    controller.load_payload(sample_event())
    widget = ComposerWidget(controller)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    form = widget.form
    controller.load_text(text)
    assert form.banner.isVisible() and "not one event" in form.banner_label.text()
    assert not form.scroll_area.isVisible()
    form.banner.findChild(QPushButton).click()
    assert widget.tabs.currentIndex() == 1
    widget.show_form()
    controller.load_payload(sample_event())
    assert not form.banner.isVisible() and form.scroll_area.isVisible()


def test_the_currency_field_shows_the_code_that_is_sent(qtbot: Any) -> None:
    """Typed "usd " showed as typed while "USD" was sent."""
    from composer.domain.convert import sample_event_in

    controller, widget = show_composer(qtbot, sample_event_in("2026-07-15"), revision="2026-07-15")
    field = widget.form.currency_edit
    assert field is not None
    qtbot.keyClicks(field, "usd ")
    sent = json.loads(controller.text())["data"]["attributes"]["value_currency"]
    assert sent == "USD" == field.text()
