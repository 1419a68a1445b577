"""Edits in a big expanded array of the property tree change only their rows: what is
expanded, the current row and the scroll position stay, and the view is told row by row (no
model reset), so an edit does not take a long array's whole layout each time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from composer.domain.draft import sample_event
from composer.ui.editor import ComposerController, ComposerWidget

SAMPLE_REVISION = "2023-01-24"
ITEMS = 120
MIDDLE = 60


def event_with_items(n: int = ITEMS) -> dict[str, Any]:
    event = sample_event()
    event["data"]["attributes"]["properties"]["Items"] = [
        {"SKU": f"SKU-{i:05d}", "Price": 9.99, "Tags": ["a"]} for i in range(n)
    ]
    return event


class Signals:
    """What the model told its views, in order."""

    def __init__(self, model: Any) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.model = model
        model.modelReset.connect(lambda: self.seen.append(("reset", None)))
        model.rowsInserted.connect(
            lambda parent, a, b: self.seen.append(("inserted", (model.path_of(parent), a, b)))
        )
        model.rowsRemoved.connect(
            lambda parent, a, b: self.seen.append(("removed", (model.path_of(parent), a, b)))
        )
        model.rowsMoved.connect(
            lambda parent, a, b, dest, row: self.seen.append(
                ("moved", (model.path_of(parent), a, b, row))
            )
        )
        model.dataChanged.connect(
            lambda top, bottom, _roles: self.seen.append(
                ("changed", (model.path_of(top), bottom.row() - top.row() + 1))
            )
        )

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.seen]

    def clear(self) -> None:
        self.seen.clear()


@pytest.fixture
def big(qtbot: Any, qtmodeltester: Any, qtlog: Any) -> Iterator[Any]:
    """The composer with an Items array of objects (few: Qt's model tester walks the whole
    model at each signal): Items and two items expanded, the middle item's Price current and
    scrolled to the middle of the tree; the tester says FAIL in the log when the model breaks
    a rule."""
    controller = ComposerController(debounce_ms=20, revision=SAMPLE_REVISION, sync_limit=10**7)
    controller.load_payload(event_with_items())
    widget = ComposerWidget(controller)
    qtbot.addWidget(widget)
    widget.resize(1000, 900)
    widget.show()
    qtbot.waitExposed(widget)
    editor = widget.form.properties_tree
    model, view = editor.model, editor.tree
    qtmodeltester.check(model)
    view.expand(model.index_of(("Items",)))
    view.expand(model.index_of(("Items", MIDDLE)))
    view.expand(model.index_of(("Items", MIDDLE + 20)))
    price = model.index_of(("Items", MIDDLE, "Price"), 2)
    view.setCurrentIndex(price)
    view.scrollTo(price, view.ScrollHint.PositionAtCenter)
    view.setFocus()
    qtbot.wait(10)
    assert view.verticalScrollBar().value() > 0  # the tree scrolls inside itself
    ctx = type("Big", (), {})()
    ctx.controller, ctx.widget, ctx.editor, ctx.model, ctx.view = (
        controller,
        widget,
        editor,
        model,
        view,
    )
    ctx.signals = Signals(model)
    yield ctx
    failures = [r.message for r in qtlog.records if "FAIL" in r.message]
    assert not failures, failures


def expanded_skus(ctx: Any) -> list[str]:
    """The SKUs (each item's first member) of the expanded items, as the view shows them."""
    model, view = ctx.model, ctx.view
    items = model.index_of(("Items",))
    out = []
    for row in range(model.rowCount(items)):
        item = model.index(row, 0, items)
        if view.isExpanded(item):
            value = model.value_at(model.path_of(item))[1]
            out.append(next(iter(value.values())) if isinstance(value, dict) else value)
    return out


def view_state(ctx: Any) -> tuple[Any, ...]:
    return (
        ctx.view.verticalScrollBar().value(),
        ctx.editor.current_path(),
        ctx.view.currentIndex().column(),
        expanded_skus(ctx),
        ctx.view.isExpanded(ctx.model.index_of(("Items",))),
    )


def props(controller: ComposerController) -> dict[str, Any]:
    return json.loads(controller.text())["data"]["attributes"]["properties"]


def test_a_value_typed_into_a_cell_changes_that_row_alone(big: Any, qtbot: Any) -> None:
    before = view_state(big)
    view = big.view
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editors = [w for w in view.viewport().findChildren(QLineEdit) if w.isVisible()]
    assert editors, "F2 opened no editor"
    editors[-1].setText("12.50")
    qtbot.keyClick(editors[-1], Qt.Key.Key_Return)  # commits once the key is handled
    qtbot.waitUntil(lambda: props(big.controller)["Items"][MIDDLE]["Price"] == 12.5)
    assert view_state(big) == before
    assert view.currentIndex().data() == "12.50"  # the edited row shows the value as typed
    assert QApplication.focusWidget() is view
    assert big.signals.seen == [("changed", (("Items", MIDDLE, "Price"), 1))]


def test_a_rename_and_a_type_change_keep_the_view(big: Any, qtbot: Any) -> None:
    before = view_state(big)
    model = big.model
    assert model.setData(model.index_of(("Items", MIDDLE, "SKU")), "Code")
    assert big.editor.convert(("Items", MIDDLE, "Price"), "string")
    assert view_state(big) == before
    item = model.index_of(("Items", MIDDLE))
    assert [model.index(r, 0, item).data() for r in range(3)] == ["Code", "Price", "Tags"]
    assert model.index_of(("Items", MIDDLE, "Price"), 1).data() == "string"
    assert big.signals.kinds() == ["changed", "changed"]


def test_adding_removing_duplicating_and_moving_items_are_row_changes(big: Any, qtbot: Any) -> None:
    """Edits just above the expanded item: it stays expanded (the same item, a row further
    down), the tree does not scroll, and nothing is reset."""
    view, editor, signals = big.view, big.editor, big.signals
    scrolled = view.verticalScrollBar().value()
    skus = expanded_skus(big)
    original = props(big.controller)["Items"]
    view.setCurrentIndex(big.model.index_of(("Items", MIDDLE - 2)))
    qtbot.keyClick(view, Qt.Key.Key_Insert)  # a new item after it, its value being edited
    QApplication.focusWidget().setText("new")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: props(big.controller)["Items"][MIDDLE - 1] == "new")
    assert editor.current_path() == ("Items", MIDDLE - 1)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # duplicate
    assert editor.current_path() == ("Items", MIDDLE)
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)  # move down
    assert editor.current_path() == ("Items", MIDDLE + 1)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    items = props(big.controller)["Items"]
    assert items == [*original[: MIDDLE - 1], "new", *original[MIDDLE - 1 :]]
    assert expanded_skus(big) == skus
    assert view.isExpanded(big.model.index_of(("Items", MIDDLE + 1)))
    assert view.verticalScrollBar().value() == scrolled
    assert "reset" not in signals.kinds()
    structural = [(k, v) for k, v in signals.seen if k != "changed"]
    assert structural == [
        ("inserted", (("Items",), MIDDLE - 1, MIDDLE - 1)),
        ("inserted", (("Items",), MIDDLE, MIDDLE)),
        ("moved", (("Items",), MIDDLE, MIDDLE, MIDDLE + 2)),
        ("removed", (("Items",), MIDDLE + 1, MIDDLE + 1)),
    ]


def test_undo_and_redo_change_rows_not_the_whole_tree(big: Any, qtbot: Any) -> None:
    view, model, signals = big.view, big.model, big.signals
    before = view_state(big)
    model.setData(model.index_of(("Items", MIDDLE, "Price"), 2), "1")
    view.setCurrentIndex(model.index_of(("Items", MIDDLE + 3)))
    big.editor.run("remove")
    view.setCurrentIndex(model.index_of(("Items", MIDDLE, "Price"), 2))
    signals.clear()
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the removal
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the price
    assert (
        props(big.controller)["Items"]
        == event_with_items()["data"]["attributes"]["properties"]["Items"]
    )
    assert view_state(big) == before
    assert signals.seen == [
        ("inserted", (("Items",), MIDDLE + 3, MIDDLE + 3)),
        ("changed", (("Items",), 1)),  # its count of items
        ("changed", (("Items", MIDDLE, "Price"), 1)),
    ]
    signals.clear()
    qtbot.keyClick(
        view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert view_state(big) == before
    assert signals.seen == [("changed", (("Items", MIDDLE, "Price"), 1))]


def test_raw_json_typing_changes_the_rows_it_touched(big: Any, qtbot: Any) -> None:
    """Typed in the Raw JSON text, through a moment where it does not parse: the tree
    follows what changed when the text reads again."""
    controller, widget, signals = big.controller, big.widget, big.signals
    before = view_state(big)
    widget.show_raw()
    editor = widget.raw_editor
    cursor = editor.textCursor()
    at = controller.text().index(f'"SKU-{MIDDLE + 1:05d}"') + 1
    cursor.setPosition(at)
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, 'X", "Note": "')  # does not parse until the last quote
    qtbot.waitUntil(
        lambda: (
            "Note"
            in (controller.payload() or {})
            .get("data", {})
            .get("attributes", {})
            .get("properties", {})
            .get("Items", [{}] * ITEMS)[MIDDLE + 1]
        ),
        timeout=3000,
    )
    qtbot.waitUntil(lambda: signals.seen != [], timeout=3000)
    widget.show_form()
    assert big.model.index_of(("Items", MIDDLE + 1), 2).data() == "{ 4 members }"
    assert view_state(big) == before
    assert "reset" not in signals.kinds()
    assert ("changed", (("Items", MIDDLE + 1), 1)) in signals.seen  # now 4 members


def test_another_document_resets_and_keeps_what_it_can(big: Any, qtbot: Any) -> None:
    """Loading another event with the same members follows it row by row; one with no
    member in common starts over."""
    controller, signals = big.controller, big.signals
    controller.load_payload(event_with_items(ITEMS - 10))
    assert "reset" not in signals.kinds()
    assert ("removed", (("Items",), ITEMS - 10, ITEMS - 1)) in signals.seen
    assert big.editor.current_path() == ("Items", MIDDLE, "Price")
    other = sample_event()
    other["data"]["attributes"]["properties"] = {"Plan": "Gold"}
    controller.load_payload(other)
    assert signals.kinds()[-1] == "reset"
    assert big.model.rowCount(QModelIndex()) == 1


def current_sku(ctx: Any) -> Any:
    """The SKU of the item the current row belongs to."""
    path = ctx.editor.current_path()
    return ctx.model.value_at(path[:2])[1]["SKU"]


def test_an_item_typed_above_keeps_the_current_row_and_what_is_expanded_on_their_items(
    big: Any, qtbot: Any
) -> None:
    """An item typed into the Raw JSON text above the current one: the current row and the
    expanded items stay on the items they were on (each one index further down), and the
    current row stays in sight."""
    controller, widget, view = big.controller, big.widget, big.view
    sku, skus = current_sku(big), expanded_skus(big)
    widget.show_raw()
    editor = widget.raw_editor
    cursor = editor.textCursor()
    cursor.setPosition(controller.text().rindex("{", 0, controller.text().index('"SKU-00010"')))
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, '{"SKU": "typed"}, ')
    qtbot.waitUntil(lambda: "typed" in json.dumps(controller.payload()), timeout=3000)
    qtbot.waitUntil(lambda: big.signals.seen != [], timeout=3000)
    widget.show_form()
    assert current_sku(big) == sku
    assert big.editor.current_path() == ("Items", MIDDLE + 1, "Price")
    assert expanded_skus(big) == skus
    assert view.visualRect(view.currentIndex()).intersects(view.viewport().rect())
    assert ("inserted", (("Items",), 10, 10)) in big.signals.seen


def test_a_moved_member_takes_its_expansion_along(big: Any, qtbot: Any) -> None:
    """Alt+Up and Alt+Down on an expanded item, and on an expanded member of an object:
    it stays expanded where it goes, and the one it passed stays collapsed."""
    view, model, editor = big.view, big.model, big.editor
    skus = expanded_skus(big)
    view.setCurrentIndex(model.index_of(("Items", MIDDLE)))
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert editor.current_path() == ("Items", MIDDLE - 1)
    assert view.isExpanded(model.index_of(("Items", MIDDLE - 1)))
    assert not view.isExpanded(model.index_of(("Items", MIDDLE)))
    assert expanded_skus(big) == skus
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert view.isExpanded(model.index_of(("Items", MIDDLE)))
    assert not view.isExpanded(model.index_of(("Items", MIDDLE - 1)))
    # a member of the properties object: Items moves up past the member before it
    before = model.child_keys(())
    view.setCurrentIndex(model.index_of(("Items",)))
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    at = before.index("Items")
    assert model.child_keys(())[at - 1 : at + 1] == ["Items", before[at - 1]]
    assert view.isExpanded(model.index_of(("Items",)))
    assert expanded_skus(big) == skus
    assert ("reset", None) not in big.signals.seen
    assert [k for k in big.signals.kinds() if k != "changed"] == ["moved", "moved", "moved"]
