"""The fields behind "More profile fields": built when first shown (or right after the window's
first paint), they show what the text holds, take the findings that name them and sit in the
Tab order right after their toggle, as though they had been there from the start."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from composer.domain.draft import sample_event
from tests.ui.composer_fixtures import show_composer


def _with_profile(**members: Any) -> dict[str, Any]:
    event = sample_event()
    event["data"]["attributes"]["profile"].update(members)
    return event


def test_an_event_with_a_rare_field_opens_it_filled(qtbot: Any) -> None:
    _controller, widget = show_composer(qtbot, _with_profile(**{"$city": "Boston"}))
    form = widget.form
    assert form.more_profile.isChecked()
    assert form.profile_edits["$city"].text() == "Boston"
    assert form.profile_edits["$city"].isVisible()


def test_the_fields_are_built_when_first_shown_and_edit_the_text(qtbot: Any) -> None:
    controller, widget = show_composer(qtbot, sample_event())
    form = widget.form
    assert not form.more_profile.isChecked()
    form.more_profile.click()
    edit = form.profile_edits["$zip"]
    assert edit.isVisible()
    qtbot.keyClicks(edit, "02110")
    assert json.loads(controller.text())["data"]["attributes"]["profile"]["$zip"] == "02110"
    # once built they stay: closing and opening again keeps the same field and its text
    form.more_profile.click()
    form.more_profile.click()
    assert form.profile_edits["$zip"] is edit and edit.text() == "02110"


def test_a_finding_on_a_rare_field_opens_it_and_shows_the_problem(qtbot: Any) -> None:
    controller, widget = show_composer(qtbot, _with_profile(**{"$zip": 2110}))
    form = widget.form
    qtbot.waitUntil(
        lambda: any(f.pointer.endswith("/$zip") for f in controller.findings()), timeout=5000
    )
    finding = next(f for f in controller.findings() if f.pointer.endswith("/$zip"))
    assert form.focus_finding(finding)
    row = form.rows["$zip"]
    assert form.more_profile.isChecked() and row.isVisible()
    qtbot.waitUntil(row.message.isVisible, timeout=3000)
    assert "string" in row.message.text()


@pytest.mark.parametrize("built_by", ["toggle", "after first paint"])
def test_tab_goes_from_the_toggle_through_the_rare_fields_to_consent(
    qtbot: Any, built_by: str
) -> None:
    _controller, widget = show_composer(qtbot, sample_event())
    form = widget.form
    if built_by == "toggle":
        form.more_profile.click()
    else:
        widget.build_rest()
        form.more_profile.click()
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=3000)
    order = ["$city", "$region", "$country", "$zip", "$image"]
    form.more_profile.setFocus(Qt.FocusReason.TabFocusReason)
    for key in order:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is form.profile_edits[key], key
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is form.consent_boxes["sms"]
