"""Format and Minify change only the blanks between tokens: numbers, escapes and a repeated
member stay as written (Format used to rewrite the text from its parse)."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from composer.editing.rewrites import reformat

HAND_WRITTEN = (
    '{"profile": {"$email": "caf\\u00e9@example.com", "Plan": "Gold", "Plan": "Silver"},'
    ' "properties": {"Total": 10.50, "Points": 1e3, "Tiny": 1.00000000000000000001,'
    ' "Zero": -0.0, "Tab": "a\\tb", "Slash": "a\\/b", "Empty": {}, "None": [ ]},'
    '  "value": 10.50}'
)


def _tokens(text: str) -> str:
    """The text without its blanks outside strings: what Format must not change."""
    return re.sub(r'("(?:[^"\\]|\\.)*")|\s+', lambda m: m.group(1) or "", text)


def test_format_and_minify_keep_every_token_as_written() -> None:
    for minify in (False, True):
        edit = reformat(HAND_WRITTEN, minify=minify)
        assert edit is not None
        out = edit.new
        assert _tokens(out) == _tokens(HAND_WRITTEN)
        for kept in ("10.50", "1e3", "1.00000000000000000001", "-0.0", "caf\\u00e9", "a\\/b"):
            assert kept in out
        assert out.count('"Plan"') == 2  # the repeated member is not dropped
        assert ('"Empty": {}' in out) != minify and ('"None": []' in out) != minify
    pretty = reformat(HAND_WRITTEN, minify=False)
    assert pretty is not None
    assert pretty.new.startswith('{\n  "profile": {\n    "$email": "caf\\u00e9@example.com",\n')
    assert "\n" not in (reformat(HAND_WRITTEN, minify=True) or pretty).new


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(value=_JSON, indent=st.sampled_from([None, 0, 1, 4, "\t"]), ascii_=st.booleans())
def test_a_text_laid_out_any_way_formats_as_the_canonical_layout(
    value: Any, indent: Any, ascii_: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_)
    pretty, short = reformat(text, minify=False), reformat(text, minify=True)
    assert pretty is not None and short is not None
    assert pretty.new == json.dumps(value, indent=2, ensure_ascii=ascii_)
    assert short.new == json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_)
