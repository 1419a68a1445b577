"""The metric name is sent as typed: Klaviyo's metric names are case-sensitive, and Enter
in the metric field used to swap "placed order" for the list's "Placed Order"."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt

from tests.ui.composer_fixtures import show_composer


def _metric(controller: Any) -> Any:
    return json.loads(controller.text())["data"]["attributes"]["metric"]["name"]


def test_enter_keeps_the_case_of_a_typed_metric_name(qtbot: Any) -> None:
    controller, widget = show_composer(qtbot)
    combo = widget.form.metric_combo
    line = combo.lineEdit()
    line.setFocus()
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Delete)
    qtbot.keyClicks(line, "placed order")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert line.text() == "placed order" and _metric(controller) == "placed order"
    # a name of the list typed in its own case, or picked from it, is that name
    line.selectAll()
    qtbot.keyClicks(line, "Started Checkout")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert _metric(controller) == "Started Checkout"
    combo.setCurrentIndex(combo.findText("Placed Order"))
    combo.activated.emit(combo.currentIndex())
    assert _metric(controller) == "Placed Order" and line.text() == "Placed Order"
