"""A long string in the property tree edits whole: its cell editor used to hold at most
32,767 characters, so F2 and Enter on a longer value sent the value cut there."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from composer.domain.draft import sample_event
from tests.ui.composer_fixtures import show_composer

LONG = 40_000


def test_a_long_value_and_name_edit_whole_in_the_tree(qtbot: Any) -> None:
    event = sample_event()
    long_name = "N" * LONG
    event["data"]["attributes"]["properties"] = {"Long": "L" * LONG, long_name: 1}
    controller, widget = show_composer(qtbot, event)
    tree = widget.form.properties_tree.tree
    model = tree.model()
    for row, column in ((0, 2), (1, 0)):
        index = model.index(row, column)
        tree.setCurrentIndex(index)
        tree.edit(index)
        editor = tree.indexWidget(index)
        assert isinstance(editor, QLineEdit)
        assert len(editor.text()) == LONG
        editor.end(False)
        qtbot.keyClicks(editor, "!")
        before = controller.text()
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda before=before: controller.text() != before, timeout=3000)
    props = json.loads(controller.text())["data"]["attributes"]["properties"]
    assert props == {"Long": "L" * LONG + "!", long_name + "!": 1}
