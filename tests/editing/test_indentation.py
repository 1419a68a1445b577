"""Tab and Shift+Tab in the Raw JSON text indent in the text's own unit (Qt-free part)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from composer.editing.indentation import indent_unit, shift_lines, tab_text


def test_the_unit_is_read_from_the_lines_around_the_cursor() -> None:
    assert indent_unit(json.dumps({"a": {"b": 1}}, indent=4).splitlines()) == "    "
    assert indent_unit(json.dumps({"a": {"b": 1}}, indent=2).splitlines()) == "  "
    assert indent_unit(json.dumps({"a": {"b": 1}}, indent="\t").splitlines()) == "\t"
    assert indent_unit(['{"a": 1}']) == "  "  # one line says nothing: two spaces


def test_tab_reaches_the_next_level() -> None:
    assert tab_text("    ", 0) == "    " and tab_text("    ", 6) == "  "
    assert tab_text("\t", 3) == "\t"


def test_lines_go_in_and_out_by_one_level_and_blank_lines_stay() -> None:
    block = '  "a": 1,\n\n  "b": 2'
    assert shift_lines(block, "  ") == '    "a": 1,\n\n    "b": 2'
    assert shift_lines(block, "  ", outdent=True) == '"a": 1,\n\n"b": 2'
    assert shift_lines(' "a": 1', "    ", outdent=True) == '"a": 1'  # as much as there is


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=8),
       st.sampled_from([2, 4, "\t"]))  # fmt: skip
def test_shifting_whole_lines_never_changes_a_value(value: object, indent: int | str) -> None:
    text = json.dumps({"v": value}, indent=indent, ensure_ascii=False)
    unit = indent_unit(text.splitlines())
    for outdent in (False, True):
        assert json.loads(shift_lines(text, unit, outdent=outdent)) == {"v": value}
