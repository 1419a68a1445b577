"""Edit ▸ Undo / Redo: the composer's one history, named after what it takes back."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("qloop")


def test_edit_menu_undoes_and_redoes_a_form_edit(qtbot: Any, make_window: Any) -> None:
    window = make_window()
    controller = window.controller
    original = controller.text()
    assert not window.undo_action.isEnabled()
    controller.edit("set_value", "/data/attributes/metric/name", "Placed Order")
    assert window.undo_action.isEnabled()
    assert window.undo_action.text() == "&Undo edit of metric.name"
    window.undo_action.trigger()
    assert controller.text() == original
    assert window.redo_action.isEnabled() and not window.undo_action.isEnabled()
    window.redo_action.trigger()
    assert '"Placed Order"' in controller.text()
    controller.mark_saved()  # close without the unsaved-changes question
