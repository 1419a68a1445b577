"""Reading JSON text: syntax errors carry line and column; odd input never raises."""

from __future__ import annotations

import json

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


BODY = (
    '{"data": {"type": "event", "attributes": {"profile": {"$email": "a@example.com"}, '
    '"metric": {"name": "M"}, "unique_id": "u1", "properties": {%s}}}}'
)


def _at(text: str, needle: str) -> tuple[int, int]:
    from composer.domain.jsontext import line_column

    return line_column(text, text.index(needle))


@pytest.mark.parametrize(
    ("member", "needle", "words"),
    [
        ('"n": ' + "7" * 4301, "7" * 4301, "4,301 digits"),
        ('"n": -' + "7" * 5000, "-" + "7" * 5000, "5,000 digits"),
        ('"f": 1e400', "1e400", "too large for a 64-bit float"),
        ('"f": -1.5E+999', "-1.5E+999", "too large for a 64-bit float"),
        ('"s": "1e400", "f": [0.1e400]', "0.1e400", "too large"),
        ('"s": "\\ud800"', "\\ud800", "surrogate"),
        ('"\\udfff": 1', "\\udfff", "surrogate"),
        ('"s": "ok \\ud83d\\ude00 then \\ud83d"', '\\ud83d"', "surrogate"),
        ('"s": "\\ud83d\\u0041"', "\\ud83d", "surrogate"),
        ('"s": "\\\\ud800 is text", "t": "\\uDBFF\\uDBFF\\uDC00"', "\\uDBFF", "surrogate"),
    ],
)
def test_values_that_cannot_be_carried_on_are_syntax_errors_at_their_place(
    member: str, needle: str, words: str
) -> None:
    text = BODY % member
    (finding,) = validate_text(text).findings
    assert finding.rule == "json-syntax"
    assert words in finding.message
    assert (finding.line, finding.column) == _at(text, needle)
    # The finding itself is always printable text.
    finding.message.encode("utf-8")


@pytest.mark.parametrize(
    "member",
    [
        '"n": ' + "7" * 4300,
        '"f": 1.7976931348623157e308',
        '"f": 1e-400',
        '"s": "\\ud83d\\ude00"',
        '"s": "\\\\ud800"',
        '"s": "😀"',
    ],
)
def test_values_at_the_edge_are_read(member: str) -> None:
    report = validate_text(BODY % member, "2023-01-24")  # BODY's flat layout
    assert report.parsed and report.valid, report.findings


def test_a_raw_surrogate_in_text_from_the_editor_is_a_syntax_error() -> None:
    text = BODY % '"s": "a\ud800b"'
    (finding,) = validate_text(text).findings
    assert finding.rule == "json-syntax"
    assert "U+D800" in finding.message
    assert (finding.line, finding.column) == _at(text, "\ud800")


def test_findings_quoting_a_lone_surrogate_stay_printable() -> None:
    from composer.domain.validator import validate_payload

    payload = json.loads(BODY % '"x": 1')
    payload["data"]["attributes"]["\udc00valeu"] = 1
    payload["data"]["attributes"]["properties"]["\ud800" * 100_001] = 1
    report = validate_payload(payload, "2023-01-24")  # BODY's flat layout
    assert {f.rule for f in report.findings} >= {"unknown-member", "string-size"}
    for finding in report.findings:
        json.dumps(finding.to_json(), ensure_ascii=False).encode("utf-8")
        assert "\\udc00" in finding.pointer or "\\ud800" in finding.pointer


def test_the_strict_reader_is_a_json_decode_error() -> None:
    from composer.domain.jsontext import JsonTextError, loads

    with pytest.raises(json.JSONDecodeError) as caught:
        loads("[1, 2e999]")
    assert isinstance(caught.value, JsonTextError)
    assert caught.value.pos == 4
    assert loads(' {"a": [1, 2.5, "\\ud83d\\ude00"]} \n') == {"a": [1, 2.5, "😀"]}
