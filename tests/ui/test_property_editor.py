"""The property tree as a user drives it: mouse, context menu, keyboard alone, undo."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QComboBox, QLineEdit, QMenu

from composer.domain.draft import sample_event
from composer.ui.editor import ComposerController, ComposerWidget
from tests.ui.composer_fixtures import show_composer
from tests.ui.window_fixtures import click_button, message_box

SAMPLE_REVISION = "2023-01-24"
"""The revision of the flat layout these tests' events (``sample_event()``) are written in."""


@pytest.fixture
def composer(qtbot: Any) -> tuple[ComposerController, ComposerWidget]:
    controller = ComposerController(debounce_ms=20, revision=SAMPLE_REVISION)
    controller.load_payload(sample_event())
    widget = ComposerWidget(controller)
    qtbot.addWidget(widget)
    widget.resize(1000, 900)
    widget.show()
    qtbot.waitExposed(widget)
    return controller, widget


def props(controller: ComposerController) -> dict[str, Any]:
    return json.loads(controller.text())["data"]["attributes"]["properties"]


def view_of(widget: ComposerWidget) -> Any:
    return widget.form.properties_tree.tree


def names(view: Any, parent: QModelIndex | None = None) -> list[str]:
    """The Name column as the view shows it."""
    model = view.model()
    parent = parent or QModelIndex()
    return [model.index(r, 0, parent).data() for r in range(model.rowCount(parent))]


def row_of(view: Any, name: str, column: int = 0, parent: QModelIndex | None = None) -> Any:
    parent = parent or QModelIndex()
    model = view.model()
    for r in range(model.rowCount(parent)):
        if model.index(r, 0, parent).data() == name:
            return model.index(r, column, parent)
    raise AssertionError(f"no row {name!r} in {names(view, parent)}")


def open_editor(qtbot: Any, view: Any, index: Any, kind: type) -> Any:
    view.setCurrentIndex(index)
    view.edit(index)
    editors = [w for w in view.viewport().findChildren(kind) if w.isVisible()]
    assert editors, f"no {kind.__name__} editor opened"
    return editors[-1]


def choose_type(qtbot: Any, view: Any, name: str, new_type: str) -> None:
    combo = open_editor(qtbot, view, row_of(view, name, 1), QComboBox)
    combo.setCurrentText(new_type)
    combo.activated.emit(combo.currentIndex())


def test_the_model_passes_qt_s_model_tester_through_edits(composer: Any, qtmodeltester: Any):
    controller, widget = composer
    editor = widget.form.properties_tree
    model = editor.model
    qtmodeltester.check(model)
    view = view_of(widget)
    view.expandAll()
    editor.add_member(())
    controller.edit("set_value", "/data/attributes/properties/Categories/2", "Humor")
    controller.edit("remove", "/data/attributes/properties/ProductID")
    controller.undo()
    qtmodeltester.check(model)


def test_removing_a_property_leaves_no_ghost_row(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    view = view_of(widget)
    before = names(view)
    view.setCurrentIndex(row_of(view, "ProductID"))
    widget.form.properties_tree.remove_button.click()
    assert "ProductID" not in props(controller)
    assert names(view) == [n for n in before if n != "ProductID"]
    # nested: an item of a list
    categories = row_of(view, "Categories")
    view.expand(categories)
    view.setCurrentIndex(view.model().index(0, 0, categories))
    widget.form.properties_tree.remove_button.click()
    categories = row_of(view, "Categories")
    assert props(controller)["Categories"] == ["Children"]
    assert view.model().rowCount(categories) == 1


def test_a_removed_custom_property_leaves_no_blank_row(qtbot: Any) -> None:
    event = sample_event()
    event["data"]["attributes"]["profile"].update({"Plan": "Gold", "Tier": 2})
    _controller, widget = show_composer(qtbot, event, size=(1000, 900))
    view = widget.form.profile_tree.tree
    assert names(view) == ["Plan", "Tier"]
    view.setCurrentIndex(row_of(view, "Tier"))
    widget.form.profile_tree.remove_button.click()
    qtbot.wait(50)
    assert names(view) == ["Plan"]
    row_height = view.visualRect(row_of(view, "Plan")).height()
    assert view.viewport().height() < 2 * row_height  # one row shown, no empty one


def test_add_inside_is_enabled_as_soon_as_a_row_becomes_an_object(
    composer: Any, qtbot: Any
) -> None:
    _controller, widget = composer
    editor = widget.form.properties_tree
    view = view_of(widget)
    editor.add_member(())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)  # keep the name
    choose_type(qtbot, view, "new property", "object")
    qtbot.wait(50)
    assert view.currentIndex().siblingAtColumn(0).data() == "new property"
    assert editor.add_child_button.isEnabled()


def test_a_type_change_that_loses_a_value_asks_first(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    view = view_of(widget)
    choose_type(qtbot, view, "ProductName", "object")
    qtbot.waitUntil(lambda: message_box(widget, "convertType") is not None, timeout=2000)
    box = message_box(widget, "convertType")
    assert "Winnie the Pooh" in box.text()
    click_button(box, "Cancel")
    assert props(controller)["ProductName"] == "Winnie the Pooh"
    choose_type(qtbot, view, "ProductName", "object")
    qtbot.waitUntil(lambda: message_box(widget, "convertType") is not None, timeout=2000)
    click_button(message_box(widget, "convertType"), "Change type")
    assert props(controller)["ProductName"] == {}


def test_the_type_column_fits_its_drop_down(composer: Any, qtbot: Any) -> None:
    _controller, widget = composer
    view = view_of(widget)
    combo = open_editor(qtbot, view, row_of(view, "Price", 1), QComboBox)
    assert combo.sizeHint().width() <= view.columnWidth(1)


@pytest.mark.parametrize("new_name", ["  x", "✖ ok", "⚠", "a/b~c"])
def test_a_renamed_key_keeps_every_character(composer: Any, qtbot: Any, new_name: str) -> None:
    controller, widget = composer
    view = view_of(widget)
    edit = open_editor(qtbot, view, row_of(view, "ProductID"), QLineEdit)
    edit.setText(new_name)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: new_name in props(controller), timeout=2000)
    assert "ProductID" not in props(controller)
    assert new_name in names(view)


def test_a_finding_marks_a_row_without_touching_its_name(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    event = sample_event()
    event["data"]["attributes"]["properties"]["ProductName"] = "x" * 200_000
    controller.load_payload(event)
    view = view_of(widget)
    index = row_of(view, "ProductName")
    qtbot.waitUntil(lambda: index.data(Qt.ItemDataRole.DecorationRole) is not None, timeout=2000)
    assert index.data() == "ProductName"
    assert index.data(Qt.ItemDataRole.ToolTipRole)


def test_the_context_menu_offers_the_editing_actions(composer: Any, qtbot: Any) -> None:
    _controller, widget = composer
    view = view_of(widget)
    assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    seen: list[str] = []

    def read_menu() -> None:
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu):
            seen.extend(a.text() for a in menu.actions() if a.text())
            menu.close()

    QTimer.singleShot(200, read_menu)
    rect = view.visualRect(row_of(view, "Price"))
    view.customContextMenuRequested.emit(rect.center())
    for wanted in ("Add member after", "Add member inside", "Duplicate", "Remove", "Move up"):
        assert wanted in seen
    for wanted in ("Move down", "Copy as JSON", "Paste JSON", "Change type to"):
        assert wanted in seen


def test_keyboard_alone_moves_across_cells_and_edits(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    view = view_of(widget)
    view.setFocus()
    view.setCurrentIndex(row_of(view, "Price"))
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert view.currentIndex().column() == 1
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert view.currentIndex().column() == 2
    qtbot.keyClick(view, Qt.Key.Key_Backtab)
    assert view.currentIndex().column() == 1
    view.setCurrentIndex(row_of(view, "Price"))
    qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert props(controller)["Price copy"] == 9.99
    view.setCurrentIndex(row_of(view, "Price copy"))
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "Price copy" not in props(controller)
    view.setCurrentIndex(row_of(view, "Price"))
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert list(props(controller)).index("Price") == 2
    # Insert: a new member after the current one, its name ready to type
    qtbot.keyClick(view, Qt.Key.Key_Insert)
    edit = QApplication.focusWidget()
    assert isinstance(edit, QLineEdit)
    qtbot.keyClicks(edit, "Color")
    qtbot.keyClick(edit, Qt.Key.Key_Tab)  # on to the Type cell
    qtbot.waitUntil(lambda: "Color" in props(controller), timeout=2000)
    assert list(props(controller)).index("Color") == 3
    qtbot.waitUntil(lambda: view.currentIndex().column() == 1, timeout=2000)
    assert view.currentIndex().data() == "string"


def test_copy_paste_as_json_and_undo_in_one_step(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    view = view_of(widget)
    before = controller.text()
    view.setFocus()
    view.setCurrentIndex(row_of(view, "$extra"))
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert json.loads(QApplication.clipboard().text()) == props(controller)["$extra"]
    QApplication.clipboard().setText('{"Gift": true, "Note": "café"}')
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert props(controller)["$extra"]["Gift"] is True
    assert props(controller)["$extra"]["Note"] == "café"
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert controller.text() == before  # one step, and every byte back
    QApplication.clipboard().setText("{not json")
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert "not hold JSON" in widget.form.properties_tree.status.text()
    assert controller.text() == before


def test_the_focus_stays_in_the_tree_after_a_committed_edit(composer: Any, qtbot: Any) -> None:
    """Choosing a type with a key, or Enter on a value, keeps the keyboard in the tree (it
    went to the next button, so the next Insert or Tab did something else)."""
    controller, widget = composer
    view = view_of(widget)
    view.window().activateWindow()
    view.setFocus()
    view.setCurrentIndex(row_of(view, "Price", 1))
    qtbot.keyClick(view, Qt.Key.Key_F2)
    qtbot.keyClicks(QApplication.focusWidget(), "s")  # the drop-down: "string"
    assert props(controller)["Price"] == "9.99"
    assert QApplication.focusWidget() is view
    qtbot.keyClick(view, Qt.Key.Key_Tab)  # to the Value cell
    qtbot.keyClick(view, Qt.Key.Key_F2)
    edit = QApplication.focusWidget()
    assert isinstance(edit, QLineEdit)
    edit.selectAll()
    qtbot.keyClicks(edit, "10.50")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: props(controller)["Price"] == "10.50", timeout=2000)
    qtbot.wait(20)
    assert QApplication.focusWidget() is view
    assert view.currentIndex() == row_of(view, "Price", 2)


def test_ctrl_insert_adds_inside_and_copies_nothing(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    view = view_of(widget)
    view.setFocus()
    QApplication.clipboard().setText("kept")
    view.setCurrentIndex(row_of(view, "Categories"))
    qtbot.keyClick(view, Qt.Key.Key_Insert, Qt.KeyboardModifier.ControlModifier)
    assert props(controller)["Categories"] == ["Fiction", "Children", ""]
    assert QApplication.clipboard().text() == "kept"
    assert isinstance(QApplication.focusWidget(), QLineEdit)  # the new item's value


@pytest.mark.parametrize("removed, then", [("ProductID", "Categories"), ("$extra", "Price")])
def test_after_a_removal_the_next_row_is_current(
    composer: Any, qtbot: Any, removed: str, then: str
) -> None:
    """Delete, Delete removes two members, as in a file tree: the row after the removed one
    (the one before, at the end) becomes current."""
    controller, widget = composer
    view = view_of(widget)
    view.setFocus()
    view.setCurrentIndex(row_of(view, removed))
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert removed not in props(controller)
    assert view.currentIndex() == row_of(view, then)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert then not in props(controller)


@pytest.mark.parametrize("pasted", ["NaN", "1e999", "-Infinity", '{"a": NaN}'])
def test_pasting_what_json_cannot_hold_is_refused(composer: Any, qtbot: Any, pasted: str) -> None:
    controller, widget = composer
    view = view_of(widget)
    before = controller.text()
    view.setFocus()
    view.setCurrentIndex(row_of(view, "Price"))
    QApplication.clipboard().setText(pasted)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert controller.text() == before
    assert controller.state.parses()
    assert "not hold JSON" in widget.form.properties_tree.status.text()


def test_a_pasted_fragment_keeps_its_spelling(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    view = view_of(widget)
    view.setFocus()
    view.setCurrentIndex(row_of(view, "$extra"))
    QApplication.clipboard().setText(
        '{\n    "Total": 10.50,\n    "Points": 1e3,\n'
        '    "City": "caf\\u00e9", "Tags": [1.0, {"a": 2}]\n}'
    )
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    text = controller.text()
    assert '"Total": 10.50' in text
    assert '"Points": 1e3' in text
    assert '"City": "caf\\u00e9"' in text
    assert props(controller)["$extra"]["Tags"] == [1.0, {"a": 2}]
    # an item pasted into a list, and a value pasted over a scalar, as written too
    view.setCurrentIndex(row_of(view, "Categories"))
    QApplication.clipboard().setText("  2.50 ")
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    view.setCurrentIndex(row_of(view, "Price"))
    QApplication.clipboard().setText('"caf\\u00e9"')
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    text = controller.text()
    assert "2.50\n" in text
    assert '"Price": "caf\\u00e9"' in text


def test_a_value_pasted_with_no_row_chosen_never_replaces_the_whole_object(
    composer: Any, qtbot: Any
) -> None:
    controller, widget = composer
    view = view_of(widget)
    before = controller.text()
    view.setFocus()
    view.setCurrentIndex(QModelIndex())
    QApplication.clipboard().setText('"hello"')
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert controller.text() == before
    assert "select the member" in widget.form.properties_tree.status.text()


def test_the_menu_key_opens_the_menu_on_the_current_row(composer: Any, qtbot: Any) -> None:
    """As Qt sends it for the menu key: placed by the input method's cursor rectangle (in
    the tree's coordinates). Its Remove removed the row below."""
    controller, widget = composer
    view = view_of(widget)
    view.setFocus()
    view.setCurrentIndex(row_of(view, "Price"))

    def remove_from_menu() -> None:
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu):
            next(a for a in menu.actions() if a.text() == "Remove").trigger()
            menu.close()

    QTimer.singleShot(200, remove_from_menu)
    pos = view.inputMethodQuery(Qt.InputMethodQuery.ImCursorRectangle).center()
    QApplication.sendEvent(
        view, QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, pos, view.mapToGlobal(pos))
    )
    qtbot.waitUntil(lambda: "Price" not in props(controller), timeout=2000)
    assert "$extra" in props(controller)


def test_a_lossy_type_chosen_with_a_key_asks_once(composer: Any, qtbot: Any) -> None:
    """The drop-down stayed open behind the question and committed again when the question
    took the focus: Cancel left a second, identical question."""
    controller, widget = composer
    view = view_of(widget)
    widget.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=2000)
    view.setFocus()
    view.setCurrentIndex(row_of(view, "ProductName", 1))
    qtbot.keyClick(view, Qt.Key.Key_O)  # the Type cell's drop-down: "object"
    qtbot.waitUntil(lambda: message_box(widget, "convertType") is not None, timeout=2000)
    qtbot.wait(100)  # the question takes the focus
    click_button(message_box(widget, "convertType"), "Cancel")
    qtbot.wait(100)
    assert message_box(widget, "convertType") is None
    assert props(controller)["ProductName"] == "Winnie the Pooh"
    assert row_of(view, "ProductName", 1).data() == "string"
    assert not [c for c in view.viewport().findChildren(QComboBox) if c.isVisible()]


def test_tab_leaves_the_tree_after_its_last_cell(composer: Any, qtbot: Any) -> None:
    """Tab on the last cell went back to the start of the last row: the keyboard was
    trapped in the tree."""
    _controller, widget = composer
    view = view_of(widget)
    widget.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=2000)
    view.setFocus()
    view.setCurrentIndex(row_of(view, "$extra", 2))
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is widget.form.properties_tree.add_button
    view.setFocus()
    view.setCurrentIndex(row_of(view, "ProductName", 0))
    qtbot.keyClick(view, Qt.Key.Key_Backtab)  # and out backwards before the first cell
    assert QApplication.focusWidget() is not view


def test_copy_as_json_is_indented_from_its_first_line(composer: Any, qtbot: Any) -> None:
    """The copied lines kept the indentation of their place in the event: pasted elsewhere,
    the closing bracket stood 8 columns in."""
    _controller, widget = composer
    view = view_of(widget)
    view.setFocus()
    view.setCurrentIndex(row_of(view, "Categories"))
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == '[\n  "Fiction",\n  "Children"\n]'


def test_an_edit_keeps_what_was_expanded_and_what_was_collapsed(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    view = view_of(widget)
    view.expand(row_of(view, "Categories"))
    view.expand(row_of(view, "$extra"))
    view.collapse(row_of(view, "$extra"))
    controller.edit("set_json", "/data/attributes/properties/Price", "10.50")
    assert view.isExpanded(row_of(view, "Categories"))
    assert not view.isExpanded(row_of(view, "$extra"))
    view.setCurrentIndex(row_of(view, "Categories"))
    widget.form.properties_tree.run("duplicate")  # the copy is not expanded, the original is
    assert view.isExpanded(row_of(view, "Categories"))
    assert not view.isExpanded(row_of(view, "Categories copy"))


def test_a_type_change_keeps_the_number_as_written(composer: Any, qtbot: Any) -> None:
    """10.50 changed to a string read "10.5", and back to a number 10.5."""
    controller, widget = composer
    view = view_of(widget)
    controller.edit("set_json", "/data/attributes/properties/Price", "10.50")
    choose_type(qtbot, view, "Price", "string")
    assert props(controller)["Price"] == "10.50"
    choose_type(qtbot, view, "Price", "number")
    assert '"Price": 10.50' in controller.text()
    choose_type(qtbot, view, "Price", "array")
    assert '"Price": [10.50]' in controller.text()


def test_a_cell_left_as_it_was_keeps_its_spelling(composer: Any, qtbot: Any) -> None:
    """Tab from cell to cell commits each one: an untouched "caf\\u00e9" became "café" and
    made an undo step (and an unsaved change) out of nothing."""
    controller, widget = composer
    view = view_of(widget)
    controller.edit("set_json", "/data/attributes/properties/ProductName", '"caf\\u00e9"')
    controller.mark_saved()
    steps = controller.state.history.undo_label()
    edit = open_editor(qtbot, view, row_of(view, "ProductName", 2), QLineEdit)
    assert edit.text() == "café"
    qtbot.keyClick(edit, Qt.Key.Key_Tab)  # on to the next row's name
    assert '"ProductName": "caf\\u00e9"' in controller.text()
    assert not controller.is_modified
    assert controller.state.history.undo_label() == steps


def test_a_pasted_object_of_many_members_is_one_change(composer: Any, qtbot: Any) -> None:
    """Each pasted member was a change of its own (the text, the tree and the Form each
    followed it): thousands of members stalled the window for minutes."""
    controller, widget = composer
    view = view_of(widget)
    view.setFocus()
    view.setCurrentIndex(row_of(view, "$extra"))
    members = {f"k{i}": i for i in range(300)} | {"URL": "replaced"}
    QApplication.clipboard().setText(json.dumps(members))
    changes: list[None] = []
    controller.textChanged.connect(lambda: changes.append(None))
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert props(controller)["$extra"] == members
    assert len(changes) <= 2  # the member it had, then the new ones
    assert list(props(controller)["$extra"])[:2] == ["URL", "k0"]
    # pasted again with other values: every member is one it has
    again = {key: f"new {key}" for key in members}
    QApplication.clipboard().setText(json.dumps(again))
    changes.clear()
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert props(controller)["$extra"] == again
    assert len(changes) == 1


def test_a_refusal_is_not_shown_after_the_next_change(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    view = view_of(widget)
    status = widget.form.properties_tree.status
    view.setFocus()
    view.setCurrentIndex(row_of(view, "Price"))
    QApplication.clipboard().setText("{not json")
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert status.isVisible() and "not hold JSON" in status.text()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "Price" not in props(controller)
    assert not status.isVisible()


def test_undoing_a_rename_keeps_the_row_current(composer: Any, qtbot: Any) -> None:
    """The renamed member is gone after the undo: no row was current, so the next key went
    nowhere."""
    controller, widget = composer
    view = view_of(widget)
    view.setFocus()
    edit = open_editor(qtbot, view, row_of(view, "ProductID"), QLineEdit)
    edit.setText("SKU")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "SKU" in props(controller), timeout=2000)
    assert view.currentIndex() == row_of(view, "SKU")
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "ProductID" in props(controller)
    assert view.currentIndex() == row_of(view, "ProductID")


def test_tab_in_the_last_cell_s_editor_closes_it(composer: Any, qtbot: Any) -> None:
    """Tab in the editor of the last cell committed and opened the same editor again, so
    the keyboard stayed in it."""
    controller, widget = composer
    view = view_of(widget)
    widget.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=2000)
    controller.edit("set_value", "/data/attributes/properties/Last", "x")
    edit = open_editor(qtbot, view, row_of(view, "Last", 2), QLineEdit)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "y")
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    assert props(controller)["Last"] == "y"
    qtbot.waitUntil(lambda: view.state() != QAbstractItemView.State.EditingState, timeout=2000)
    assert QApplication.focusWidget() is view
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is widget.form.properties_tree.add_button


def test_a_finding_on_a_member_named_with_digits_marks_that_member(
    composer: Any, qtbot: Any
) -> None:
    """A member named "2024" was taken for the index 2024: its marker went nowhere and a
    click on its finding chose the object's last member."""
    controller, widget = composer
    event = sample_event()
    event["data"]["attributes"]["properties"]["Sales"] = {"2024": "x" * 200_000, "2025": 1}
    controller.load_payload(event)
    view = view_of(widget)
    qtbot.waitUntil(
        lambda: any(f.pointer.endswith("/Sales/2024") for f in controller.findings()),
        timeout=3000,
    )
    sales = row_of(view, "Sales")
    year = row_of(view, "2024", parent=sales)
    qtbot.waitUntil(lambda: year.data(Qt.ItemDataRole.DecorationRole) is not None, timeout=2000)
    finding = next(f for f in controller.findings() if f.pointer.endswith("/Sales/2024"))
    assert widget.form.focus_finding(finding)
    assert view.currentIndex() == row_of(view, "2024", parent=row_of(view, "Sales"))
