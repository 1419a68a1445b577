"""A Form field whose object is of another type in the text ("profile": [], "metric": null)
writes what it shows: typing in it used to change nothing while the field showed the
typed value."""

from __future__ import annotations

import json
from typing import Any

import pytest

from composer.domain.draft import sample_event
from tests.ui.composer_fixtures import show_composer


@pytest.mark.parametrize("holder", [[], None])
def test_typing_in_a_field_whose_object_is_no_object_writes_it(qtbot: Any, holder: Any) -> None:
    event = sample_event()
    event["data"]["attributes"]["profile"] = holder
    event["data"]["attributes"]["metric"] = holder
    controller, widget = show_composer(qtbot, event)
    email = widget.form.profile_edits["$email"]
    email.setFocus()
    qtbot.keyClicks(email, "ann@example.com")
    metric = widget.form.metric_combo.lineEdit()
    metric.setFocus()
    metric.selectAll()
    qtbot.keyClicks(metric, "Placed Order")
    attrs = json.loads(controller.text())["data"]["attributes"]
    assert attrs["profile"] == {"$email": email.text()} == {"$email": "ann@example.com"}
    assert attrs["metric"] == {"name": metric.text()} == {"name": "Placed Order"}
