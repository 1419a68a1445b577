"""The time field says what the JSON's time is: a time that is no date-time text (a Unix
timestamp, null) is sent as it is, so the field never says that no time is sent; and once
"when Klaviyo receives it" is chosen, it no longer says "Sent as" the time taken away."""

from __future__ import annotations

import json
from typing import Any

import pytest

from composer.domain.draft import sample_event
from tests.ui.composer_fixtures import show_composer


@pytest.mark.parametrize(("time", "shown"), [(1717200000, "1717200000"), (None, "null")])
def test_a_time_that_is_no_text_is_shown_as_sent(qtbot: Any, time: Any, shown: str) -> None:
    event = sample_event()
    event["data"]["attributes"]["time"] = time
    controller, widget = show_composer(qtbot, event)
    field = widget.form.time_field
    assert not field.time_received.isChecked() and field.time_at.isChecked()
    assert f"time {shown}" in field.note.text() and "No time is sent" not in field.note.text()
    # choosing "when Klaviyo receives it" takes the member away, as the field then says
    field.time_received.click()
    assert "time" not in json.loads(controller.text())["data"]["attributes"]
    assert "No time is sent" in field.note.text()


def test_choosing_when_klaviyo_receives_it_says_no_time_is_sent(qtbot: Any) -> None:
    controller, widget = show_composer(qtbot)
    field = widget.form.time_field
    field.time_at.click()
    sent = json.loads(controller.text())["data"]["attributes"]["time"]
    assert field.note.text() == f"Sent as {sent}"
    field.time_received.click()
    assert "time" not in json.loads(controller.text())["data"]["attributes"]
    assert "Sent as" not in field.note.text() and "No time is sent" in field.note.text()
