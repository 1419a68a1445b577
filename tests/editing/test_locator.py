"""The pointer -> text range mapper of the raw JSON editor (pure Python)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from composer.domain.findings import pointer
from composer.editing.locator import (
    JsonLocator,
    from_utf16_offset,
    locate,
    offset_of_line_column,
    utf16_offset,
)

TEXT = """{
  "data": {
    "type": "event",
    "attributes": {
      "profile": {"$email": "ann@example.com", "a/b": 1, "m~n": [true, null]},
      "metric": {"name": "Viewed Product"},
      "properties": {"Items": [{"SKU": "A"}, {"SKU": "B"}], "esc\\"aped": "x"}
    }
  }
}"""


def text_at(ptr: str, text: str = TEXT) -> str:
    span = locate(text, ptr)
    assert span is not None, ptr
    return text[span.value_start : span.value_end]


def test_values_of_members_and_elements() -> None:
    assert text_at("/data/type") == '"event"'
    assert text_at("/data/attributes/metric/name") == '"Viewed Product"'
    assert text_at("/data/attributes/metric") == '{"name": "Viewed Product"}'
    assert text_at("/data/attributes/properties/Items/1/SKU") == '"B"'
    assert text_at("/data/attributes/profile/a~1b") == "1"
    assert text_at("/data/attributes/profile/m~0n/1") == "null"
    assert text_at('/data/attributes/properties/esc"aped') == '"x"'
    assert json.loads(text_at("")) == json.loads(TEXT)


def test_key_range_covers_the_quoted_name() -> None:
    span = locate(TEXT, "/data/attributes/metric/name")
    assert span is not None and span.key_start is not None and span.key_end is not None
    assert TEXT[span.key_start : span.key_end] == '"name"'
    assert TEXT[slice(*span.mark_range(TEXT))] == '"name": "Viewed Product"'


def test_absent_member_maps_to_the_object_that_lacks_it() -> None:
    assert locate(TEXT, "/data/attributes/unique_id") is None
    span = locate(TEXT, "/data/attributes/unique_id", nearest=True)
    assert span is not None and not span.exact
    start, end = span.mark_range(TEXT)
    assert TEXT[start:end] == '"attributes": {'
    assert locate(TEXT, "/data/attributes/properties/Items/7", nearest=True) is not None


def test_tolerates_broken_text_elsewhere() -> None:
    broken = '{"a": {"b": 1,, "c": [1, 2}, "d": "unterminated\n, "e": 5}'
    assert text_at("/a/b", broken) == "1"
    assert locate(broken, "/zzz") is None
    assert locate("", "/a") is None
    assert locate("   ", "") is None
    assert locate("{", "/a", nearest=True) is not None
    assert locate('{"a": ', "/a") is None
    assert locate("[1, 2]", "/01") is None
    assert locate("[1, 2]", "/x") is None
    assert locate("[1, 2]", "bad pointer") is None


def test_duplicate_keys_map_to_the_last_like_json_loads() -> None:
    text = '{"k": 1, "k": 2}'
    assert text_at("/k", text) == "2"


def test_line_column_and_utf16_offsets() -> None:
    text = 'ab\ncd\n"😀x"'
    assert offset_of_line_column(text, 2, 2) == 4
    assert offset_of_line_column(text, 9, 1) == len(text)
    assert offset_of_line_column(text, 1, 99) == 2
    emoji_end = text.index("x")
    assert utf16_offset(text, emoji_end) == emoji_end + 1
    assert from_utf16_offset(text, emoji_end + 1) == emoji_end
    assert from_utf16_offset("plain", 3) == 3


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


def _pointers(value: Any, parts: list[str | int]) -> list[tuple[str, Any]]:
    out = [(pointer(parts), value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_pointers(v, [*parts, k]))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_pointers(v, [*parts, i]))
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.text(max_size=6), json_values, max_size=5),
    st.sampled_from([None, 0, 2]),
    st.booleans(),
)
def test_every_pointer_maps_to_text_that_parses_to_its_value(
    obj: dict[str, Any], indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(obj, indent=indent, ensure_ascii=ascii_only)
    locator = JsonLocator(text)
    for ptr, value in _pointers(obj, []):
        span = locator.locate(ptr)
        assert span is not None, ptr
        assert json.loads(text[span.value_start : span.value_end]) == value
        if span.key_start is not None and span.key_end is not None:
            assert ptr.endswith(
                "/"
                + json.loads(text[span.key_start : span.key_end])
                .replace("~", "~0")
                .replace("/", "~1")
            )
