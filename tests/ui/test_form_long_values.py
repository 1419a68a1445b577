"""A long value (a data URL in the image field, a long unique_id) shows whole in its Form
field, and an edit in the field changes only what was typed: Qt's line edits used to cut
what they show at 32,767 characters, and one Backspace then cut the sent value there."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit

from composer.domain.draft import sample_event
from tests.ui.composer_fixtures import show_composer

LONG = 40_000


def test_a_long_value_shows_whole_and_one_backspace_removes_one_character(qtbot: Any) -> None:
    event = sample_event()
    attrs = event["data"]["attributes"]
    attrs["profile"]["$image"] = "data:image/png;base64," + "A" * LONG
    attrs["metric"]["name"] = "M" * LONG
    attrs["unique_id"] = "u" * LONG
    controller, widget = show_composer(qtbot, event)
    form = widget.form
    form.more_profile.setChecked(True)  # the image field is among the rarer ones
    metric_line = form.metric_combo.lineEdit()
    fields = {
        "$image": (form.profile_edits["$image"], ("profile", "$image")),
        "metric": (metric_line, ("metric", "name")),
        "unique_id": (form.unique_edit, ("unique_id",)),
    }
    for edit, path in fields.values():
        value: Any = json.loads(controller.text())["data"]["attributes"]
        for step in path:
            value = value[step]
        assert isinstance(edit, QLineEdit) and edit.text() == value
        edit.setFocus()
        edit.end(False)
        qtbot.keyClick(edit, Qt.Key.Key_Backspace)
        after: Any = json.loads(controller.text())["data"]["attributes"]
        for step in path:
            after = after[step]
        assert after == value[:-1] and edit.text() == after
    # every text field of the form takes a long paste whole (a date-time box is no text)
    form.build_rest()
    for edit in form.fields_panel.findChildren(QLineEdit):
        if not isinstance(edit.parent(), QAbstractSpinBox):
            assert edit.maxLength() > 10_000_000, edit.accessibleName()
