"""Whatever the edits (the tree's own, undo and redo, text typed over part of the document),
the rows the property tree shows row by row are the rows a tree read afresh from the text
would show, with everything expanded, and Qt's model tester finds nothing wrong."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QTextCursor

from composer.domain.draft import sample_event
from composer.editing.values import type_of
from composer.ui.editor import ComposerController
from composer.ui.editor.property_editor import PropertyEditor
from composer.ui.editor.tree_model import LABEL_ROLE

POINTER = "/data/attributes/properties"
scalars = st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["a", "b", ""])
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["x", "y", "z"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def shown(model: Any, parent: QModelIndex | None = None) -> list[Any]:
    """What the rows say: (name, type, members) of each row, all the way down."""
    parent = parent or QModelIndex()
    out = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        name = index.data() or index.data(LABEL_ROLE)
        out.append((name, model.index(row, 1, parent).data(), shown(model, index)))
    return out


def expected(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [(k, type_of(v), expected(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [(f"[{i}]", type_of(v), expected(v)) for i, v in enumerate(value)]
    return []


def pointers(value: Any, here: str = POINTER) -> list[str]:
    out: list[str] = []
    if not isinstance(value, dict | list):
        return out
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, member in items:
        ptr = f"{here}/{key}"
        out.append(ptr)
        if isinstance(member, dict | list):
            out.extend(pointers(member, ptr))
    return out


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.dictionaries(st.sampled_from(["P", "Q", "R", "S"]), values, max_size=4), st.data())
def test_rows_followed_edit_by_edit_are_the_rows_read_afresh(
    qtbot: Any, qtmodeltester: Any, qtlog: Any, start: dict[str, Any], data: Any
) -> None:
    event = sample_event()
    event["data"]["attributes"]["properties"] = start
    controller = ComposerController(revision="2023-01-24")
    controller.load_payload(event)
    editor = PropertyEditor(controller, POINTER, "properties")
    qtbot.addWidget(editor)
    editor.show()
    model = editor.model
    qtmodeltester.check(model)
    for _ in range(6):
        editor.tree.expandAll()
        props = controller.payload()["data"]["attributes"]["properties"]
        ptrs = pointers(props)
        op = data.draw(
            st.sampled_from(["set", "insert", "remove", "move", "dup", "reread", "undo", "redo"])
        )
        if op == "set" and ptrs:
            text = json.dumps(data.draw(values))
            controller.edit("set_json", data.draw(st.sampled_from(ptrs)), text)
        elif op == "set":
            controller.edit("set_json", POINTER, json.dumps(data.draw(values)))
        elif op == "insert":
            holders = [POINTER] + [
                p for p in ptrs if isinstance(controller.state.value_at(p)[1], dict | list)
            ]
            holder = data.draw(st.sampled_from(holders))
            found = controller.state.value_at(holder)[1]
            key = data.draw(st.sampled_from(["x", "y", "new"])) if isinstance(found, dict) else None
            if key is None or key not in found:
                controller.edit("insert", holder, key, data.draw(values))
        elif op in ("remove", "move", "dup") and ptrs:
            ptr = data.draw(st.sampled_from(ptrs))
            if op == "remove":
                controller.edit("remove", ptr)
            elif op == "move":
                controller.edit("move", ptr, data.draw(st.sampled_from([-1, 1])))
            else:
                controller.edit("duplicate", ptr)
        elif op == "reread":  # typed in the text: it stops parsing, then reads again whole
            cursor = QTextCursor(controller.document)
            cursor.insertText("x")
            cursor.deletePreviousChar()
            controller.validate_now()
        elif op == "undo":
            controller.undo()
        elif op == "redo":
            controller.redo()
        props = controller.payload()["data"]["attributes"]["properties"]
        assert shown(model) == expected(props)
    failures = [r.message for r in qtlog.records if "FAIL" in r.message]
    assert not failures, failures
