"""Pasted JSON fragments: read strictly, written as they are spelled, placed at any depth."""

from __future__ import annotations

import json

import pytest

from composer.editing.fragments import read_fragment
from composer.editing.state import EditState

DOC = '{\n  "a": {\n    "b": 1\n  },\n  "list": [\n    1\n  ]\n}'


@pytest.mark.parametrize("text", ["NaN", "-Infinity", "1e999", '{"a": NaN}', "[1, 2", "", "1 2"])
def test_what_json_cannot_hold_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        read_fragment(text)
    assert str(caught.value)


def test_members_keep_their_spelling_and_come_out_at_column_0() -> None:
    fragment = read_fragment(
        '  {\r\n      "Total": 10.50,\r\n      "City": "caf\\u00e9",\r\n'
        '      "Tags": [\r\n        1e3\r\n      ]\r\n    }\n'
    )
    assert fragment.members == (
        ("Total", "10.50"),
        ("City", '"caf\\u00e9"'),
        ("Tags", "[\n  1e3\n]"),
    )
    assert fragment.value == {"Total": 10.5, "City": "café", "Tags": [1000.0]}
    assert fragment.text.startswith("{\n  ") and fragment.text.endswith("\n}")


def test_a_multi_line_value_is_placed_at_the_depth_of_its_member() -> None:
    state = EditState(DOC)
    state.set_json("/a/c", '[\n  1.50,\n  {\n    "x": 2\n  }\n]')
    state.insert("/list", None, None, json_text='{\n  "y": 1e3\n}')
    assert state.text == (
        '{\n  "a": {\n    "b": 1,\n    "c": [\n      1.50,\n      {\n        "x": 2\n'
        '      }\n    ]\n  },\n  "list": [\n    1,\n    {\n      "y": 1e3\n    }\n  ]\n}'
    )
    one_line = EditState('{"a": {"b": 1}}')
    one_line.set_json("/a/c", "[\n  1.50\n]")
    assert one_line.text == '{"a": {"b": 1, "c": [1.50]}}'
    assert json.loads(one_line.text) == {"a": {"b": 1, "c": [1.5]}}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [1, float("-inf")]])
def test_the_state_never_writes_a_value_json_cannot_hold(value: object) -> None:
    state = EditState(DOC)
    with pytest.raises(ValueError):
        state.set_value("/a/b", value)
    with pytest.raises(ValueError):
        state.set_json("/a/b", "NaN")
    with pytest.raises(ValueError):
        state.insert("/list", None, value)
    assert state.text == DOC
    assert not state.history.can_undo()


@pytest.mark.parametrize(
    "doc",
    [
        DOC,
        '{"a": {"b": 1}, "list": [1]}',
        '{"a":{"b":1,"c":2}}',
        '{\n    "a": {}\n}',
        '{"a": {}}',
        '{\n\t"a": {\n\t\t"b": 1\n\t}\n}',
    ],
)
def test_members_added_in_one_edit_look_as_if_added_one_by_one(doc: str) -> None:
    members = [("x", "1.50"), ("y", '[\n  "caf\\u00e9"\n]'), ("z", "{}")]
    one_by_one = EditState(doc)
    for key, text in members:
        one_by_one.set_json(f"/a/{key}", text)
    at_once = EditState(doc)
    edit = at_once.insert_members("/a", members)
    assert edit is not None
    assert at_once.text == one_by_one.text
    assert at_once.value() == json.loads(one_by_one.text)  # the kept parse is right
    at_once.undo()
    assert at_once.text == doc


def test_members_set_in_one_edit_change_only_their_values() -> None:
    doc = '{\n  "a": {\n    "b": 1,\n    "keep": 1e3,\n    "c": "x", "c": "y"\n  }\n}'
    state = EditState(doc)
    edit = state.set_members("/a", [("c", "10.50"), ("b", '{\n  "n": null\n}'), ("no", "1")])
    assert edit is not None
    assert state.text == (
        '{\n  "a": {\n    "b": {\n      "n": null\n    },\n    "keep": 1e3,\n'
        '    "c": "x", "c": 10.50\n  }\n}'
    )
    assert state.value() == json.loads(state.text)
    assert state.set_members("/a", [("c", "10.50")]) is None  # nothing changes
    state.undo()
    assert state.text == doc
