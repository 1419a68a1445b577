"""Reading JSON text: syntax errors carry line and column; odd input never raises."""

from __future__ import annotations

import pytest

from composer.domain.validator import validate_text


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ('{\n  "data": {\n    "type": "event",\n  }\n}', 4, 3, "member name"),
        ('{"a": 1} {"b": 2}', 1, 10, "extra text"),
        ('{"a": NaN}', 1, 7, "NaN"),
        ('{"s": "NaN", "a": Infinity}', 1, 19, "Infinity"),
        ('{"a":', 1, 6, "ends before"),
        ("", 1, 1, "empty"),
        ("\ufeff{}", 1, 1, "byte order mark"),
        ("{'a': 1}", 1, 2, "member name"),
    ],
)
def test_syntax_errors_have_line_and_column(text, line, column, words):  # type: ignore[no-untyped-def]
    (finding,) = validate_text(text).findings
    assert finding.rule == "json-syntax"
    assert (finding.line, finding.column) == (line, column)
    assert words in finding.message


def test_bytes_that_are_not_utf8_are_unreadable() -> None:
    (finding,) = validate_text(b'{"a": "\xff"}').findings
    assert finding.rule == "unreadable"
    assert "0xff" in finding.message and "UTF-8" in finding.message


def test_absurd_nesting_is_a_finding_not_a_crash() -> None:
    (finding,) = validate_text("[" * 100_000 + "]" * 100_000).findings
    assert finding.rule == "json-syntax"
