"""A revision switch in the window (editing.rewrites.conversion) moves members between the two
layouts and keeps every number as it was written: 1.10 stays 1.10, 1e2 stays 1e2, there and
back; so does the retired-revision Convert choice."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from composer.editing.rewrites import conversion
from composer.services.retired import RetiredChoice, plan

TEXT = """{
  "data": {
    "type": "event",
    "attributes": {
      "profile": {"$email": "ann@example.com", "$latitude": 40.71280},
      "metric": {"name": "Placed Order"},
      "properties": {"Price": 1.10, "Count": 1e2, "Ratio": 0.30000000000000000001,
                     "Tiny": 1E-7, "Items": [2.50, {"Weight": 3.0e0}]},
      "value": 9.990,
      "unique_id": "order-1"
    }
  }
}"""
LITERALS = ["40.71280", "1.10", "1e2", "0.30000000000000000001", "1E-7", "2.50", "3.0e0", "9.990"]


def _numbers(text: str) -> list[str]:
    """Every number literal in ``text`` outside strings, in order."""
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    return re.findall(r"-?\d[\d.eE+-]*", outside)


def _apply(text: str, revision: str, current: str) -> str:
    step = conversion(text, revision, current)
    assert step is not None
    return step[0].apply(text)


def test_a_revision_switch_and_back_keeps_each_number_as_written() -> None:
    up = _apply(TEXT, "2026-07-15", "2023-01-24")
    assert sorted(_numbers(up)) == sorted(LITERALS)
    down = _apply(up, "2023-01-24", "2026-07-15")
    assert _numbers(down) == _numbers(TEXT)
    assert json.loads(down) == json.loads(TEXT)


def test_the_retired_convert_choice_sends_the_numbers_as_written() -> None:
    planned = plan(TEXT.encode(), "2023-01-24", RetiredChoice.CONVERT)
    assert sorted(_numbers(planned.body.decode())) == sorted(LITERALS)


_LITERALS = st.builds(
    lambda whole, frac, zeros, exp: f"{whole}{'.' + frac + '0' * zeros if frac else ''}{exp}",
    st.integers(-999, 999).map(str),
    st.text("0123456789", max_size=20),
    st.integers(0, 3),
    st.sampled_from(["", "e2", "E-7", "e+0", "E10"]),
).filter(lambda s: "." in s or "e" in s.lower())


@settings(max_examples=60, deadline=None)
@given(st.lists(_LITERALS, min_size=1, max_size=6))
def test_any_decimal_spelling_survives_the_switch_there_and_back(literals: list[str]) -> None:
    props = ", ".join(f'"p{i}": {lit}' for i, lit in enumerate(literals))
    text = TEXT.replace('"Price": 1.10', props)
    back = _apply(_apply(text, "2024-10-15", "2023-01-24"), "2023-01-24", "2024-10-15")
    assert _numbers(back) == _numbers(text)


ESCAPED = r"""{
  "data": {
    "type": "event",
    "attributes": {
      "profile": {"$email": "ren\u00e9e@example.com", "$first_name": "Ren\u00e9e"},
      "metric": {"name": "Viewed \u00c9t\u00e9"},
      "properties": {"caf\u00e9": "caf\u00e9", "Path": "a\/b", "Emoji": "\ud83c\udf89",
                     "Plain": "caf\u00e9 au lait", "Line": "one\ntwo"}
    }
  }
}"""
ESCAPED_LITERALS = [
    r'"ren\u00e9e@example.com"', r'"Ren\u00e9e"', r'"Viewed \u00c9t\u00e9"', r'"caf\u00e9"',
    r'"a\/b"', r'"\ud83c\udf89"', r'"caf\u00e9 au lait"',
]  # fmt: skip


def test_a_revision_switch_and_back_keeps_each_string_as_written() -> None:
    """An escape (\\u00e9, \\/, a surrogate pair) stays an escape there and back, in values
    and in member names; it used to come back as the character (the same value, other bytes)."""
    up = _apply(ESCAPED, "2026-07-15", "2023-01-24")
    assert all(literal in up for literal in ESCAPED_LITERALS), up
    assert "é" not in up and "🎉" not in up
    down = _apply(up, "2023-01-24", "2026-07-15")
    assert all(literal in down for literal in ESCAPED_LITERALS), down
    assert json.loads(down) == json.loads(ESCAPED)


def test_the_retired_convert_choice_sends_the_strings_as_written() -> None:
    planned = plan(ESCAPED.encode(), "2023-01-24", RetiredChoice.CONVERT)
    assert all(literal.encode() in planned.body for literal in ESCAPED_LITERALS)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=5))
def test_any_escaped_properties_keep_their_spelling_there_and_back(props: dict[str, str]) -> None:
    body = json.loads(TEXT)
    body["data"]["attributes"]["properties"] = props
    text = json.dumps(body, indent=2)  # every non-ASCII character written as an escape
    up = _apply(text, "2026-07-15", "2023-01-24")
    down = _apply(up, "2023-01-24", "2026-07-15")
    assert json.loads(down) == body
    strings = re.findall(r'"(?:[^"\\]|\\.)*"', text)
    assert all(s in down for s in strings if "\\" in s)
