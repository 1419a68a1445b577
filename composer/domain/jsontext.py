"""Reading JSON text strictly, with syntax problems reported as findings with line and column."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from composer.domain.findings import Finding, Severity
from composer.domain.rule_ids import JSON_SYNTAX, UNREADABLE

_NON_STANDARD = ("NaN", "Infinity", "-Infinity")


class _NonStandardConstant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _reject_constant(name: str) -> Any:
    raise _NonStandardConstant(name)


@dataclass(frozen=True, slots=True)
class ParsedText:
    """The result of reading JSON text: a value, or the finding that says why there is none."""

    value: Any
    finding: Finding | None
    size_bytes: int

    @property
    def ok(self) -> bool:
        return self.finding is None


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _find_outside_strings(text: str, token: str) -> int:
    in_string = escaped = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif text.startswith(token, i):
            return i
        i += 1
    return 0


def _syntax(message: str, line: int, column: int) -> Finding:
    return Finding(
        pointer="",
        severity=Severity.ERROR,
        rule=JSON_SYNTAX,
        message=message,
        line=line,
        column=column,
    )


def decode_bytes(raw: bytes) -> tuple[str | None, Finding | None]:
    """UTF-8 text of raw bytes, or an ``unreadable`` finding that says where decoding failed."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, Finding(
            pointer="",
            severity=Severity.ERROR,
            rule=UNREADABLE,
            message=(
                f"the file is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
                "cannot be decoded; save it as UTF-8 (JSON must be UTF-8)"
            ),
        )


def parse_json_text(text: str | bytes) -> ParsedText:
    """Parse JSON strictly (no NaN/Infinity, no trailing data); never raises."""
    if isinstance(text, bytes | bytearray):
        size = len(text)
        decoded, problem = decode_bytes(bytes(text))
        if problem is not None or decoded is None:
            return ParsedText(None, problem, size)
        text = decoded
    else:
        size = len(text.encode("utf-8", "surrogatepass"))
    if not text.strip():
        return ParsedText(None, _syntax("the text is empty; an event is a JSON object", 1, 1), size)
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        message = exc.msg
        if exc.pos >= len(text.rstrip()) and message != "Extra data":
            message = "the text ends before the JSON value is complete (a missing } or ]?)"
        elif message.startswith("Unexpected UTF-8 BOM"):
            message = "the text starts with a byte order mark (BOM); save it as UTF-8 without BOM"
        elif message == "Extra data":
            message = "extra text after the end of the JSON value; an event is a single JSON object"
        elif message.startswith("Expecting property name enclosed in double quotes"):
            message = (
                "expected a member name in double quotes (a trailing comma, or a name in "
                "single quotes?)"
            )
        return ParsedText(
            None,
            _syntax(f"JSON syntax error: {message[0].lower()}{message[1:]}", exc.lineno, exc.colno),
            size,
        )
    except _NonStandardConstant as exc:
        line, column = line_column(text, _find_outside_strings(text, exc.name))
        return ParsedText(
            None,
            _syntax(
                f"JSON syntax error: {exc.name} is not valid JSON; use a number or null",
                line,
                column,
            ),
            size,
        )
    except RecursionError:
        return ParsedText(
            None,
            _syntax("the JSON is nested too deeply to read (thousands of levels)", 1, 1),
            size,
        )
    return ParsedText(value, None, size)
