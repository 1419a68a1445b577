"""Reading JSON text strictly, with every problem reported at its line and column.

This is the one entry point through which the validator, the sandbox, the CLI and the
importers read JSON. Beyond the grammar it refuses what cannot be carried on faithfully:

- ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON);
- a number too large for a 64-bit float (``1e400`` would become infinity, which JSON cannot
  write back);
- an integer literal of more than 4,300 digits (Python's ``int_max_str_digits``: any Python
  JSON reader, Klaviyo's API included, refuses it);
- an unpaired UTF-16 surrogate (``"\\ud800"``): not a character, so the text cannot be
  stored, printed or sent as UTF-8.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any

from composer.domain.findings import Finding, Severity
from composer.domain.rule_ids import JSON_SYNTAX, UNREADABLE

MAX_INT_DIGITS = 4300
"""Digits an integer literal may have (CPython's default ``int_max_str_digits``)."""

# A JSON string (skipped as a whole) or anything else one character at a time: used to find a
# token outside strings in C speed instead of a Python loop over megabytes.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_NUMBER_CHARS = r"[0-9A-Za-z.+\-]"
_SURROGATE_ESCAPE_HINT = re.compile(r"\\u[dD][89abcdefABCDEF]")
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


class JsonTextError(json.JSONDecodeError):
    """JSON text that cannot be read; ``msg``, ``lineno``, ``colno`` and ``pos`` say what and
    where. A :class:`json.JSONDecodeError`, so existing handlers of that class catch it."""


class _TokenProblem(ValueError):
    """Raised from inside the decoder's hooks: ``token`` is the literal text to locate."""

    def __init__(self, token: str, message: str) -> None:
        super().__init__(message)
        self.token = token
        self.message = message


def _parse_constant(name: str) -> Any:
    raise _TokenProblem(name, f"{name} is not valid JSON; use a number or null")


def _parse_int(literal: str) -> int:
    digits = len(literal) - literal.startswith("-")
    if digits > MAX_INT_DIGITS:
        raise _TokenProblem(
            literal,
            f"an integer of {digits:,} digits is too long to read (JSON readers such as "
            f"Klaviyo's refuse more than {MAX_INT_DIGITS:,} digits); send it as a string",
        )
    return int(literal)


def _parse_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        shown = literal if len(literal) <= 40 else literal[:37] + "..."
        raise _TokenProblem(
            literal,
            f"the number {shown} is too large for a 64-bit float (at most about 1.8e308): "
            "it would be read as infinity, which is not JSON; send a smaller number or a string",
        )
    return value


# Integers go through C's own int(): it refuses more than int_max_str_digits digits with a
# plain ValueError, and only then is the text read again with the hook that says where.
# (A Python hook per number would cost a quarter of the parse of a large event.)
_FAST = json.JSONDecoder(parse_constant=_parse_constant, parse_float=_parse_float)
_STRICT = json.JSONDecoder(
    parse_constant=_parse_constant, parse_int=_parse_int, parse_float=_parse_float
)


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def find_token(text: str, token: str, start: int = 0) -> int:
    """Offset of the first ``token`` outside strings that is a whole JSON token (not part of a
    longer number or name); ``start`` when there is none."""
    pattern = re.compile(
        f"{_STRING}|(?<!{_NUMBER_CHARS}){re.escape(token)}(?!{_NUMBER_CHARS})", re.DOTALL
    )
    for match in pattern.finditer(text, start):
        if not match.group().startswith('"') or token.startswith('"'):
            return match.start()
    return start


def _first_raw_surrogate(text: str, start: int, end: int) -> int | None:
    """Offset of the first surrogate code point in ``text[start:end]`` (only text handed over
    as a Python string can hold one; UTF-8 bytes cannot encode it)."""
    if text.isascii():
        return None
    try:
        text[start:end].encode("utf-8")
    except UnicodeEncodeError as exc:
        return start + exc.start
    return None


def _first_unpaired_surrogate(text: str, start: int, end: int) -> tuple[int, str] | None:
    """Offset and source spelling of the first surrogate that is not half of a pair.

    Only valid JSON reaches here, so every backslash opens an escape inside a string and the
    escapes can be read in order without tracking strings.
    """
    first_raw = _first_raw_surrogate(text, start, end)
    raw = first_raw is not None
    if first_raw is None:
        first_raw = end
    if _SURROGATE_ESCAPE_HINT.search(text, start, first_raw) is None:
        return (first_raw, f"U+{ord(text[first_raw]):04X}") if raw else None
    pending: re.Match[str] | None = None
    for match in _ESCAPE.finditer(text, start, first_raw):
        code = int(match.group(1), 16) if match.group(1) else -1
        if pending is not None:
            if 0xDC00 <= code <= 0xDFFF and match.start() == pending.end():
                pending = None
                continue
            return pending.start(), pending.group()
        if 0xD800 <= code <= 0xDBFF:
            pending = match
        elif 0xDC00 <= code <= 0xDFFF:
            return match.start(), match.group()
    if pending is not None:
        return pending.start(), pending.group()
    return (first_raw, f"U+{ord(text[first_raw]):04X}") if raw else None


def _reader() -> json.JSONDecoder:
    limit = sys.get_int_max_str_digits()
    # The limit is a process setting (PYTHONINTMAXSTRDIGITS): when it is not the default, the
    # hook applies MAX_INT_DIGITS so that what is accepted never depends on the environment.
    return _FAST if limit == MAX_INT_DIGITS else _STRICT


def _error(message: str, text: str, pos: int) -> JsonTextError:
    return JsonTextError(message, text, pos)


def raw_decode(text: str, pos: int = 0) -> tuple[Any, int]:
    """Read one JSON value starting at ``pos`` (no whitespace skipped); returns it and the
    offset after it. Raises :class:`JsonTextError` for anything the module docstring refuses."""
    try:
        try:
            value, end = _reader().raw_decode(text, pos)
        except (json.JSONDecodeError, _TokenProblem):
            raise
        except ValueError:  # an integer over int_max_str_digits: read again to say where
            value, end = _STRICT.raw_decode(text, pos)
    except _TokenProblem as exc:
        raise _error(exc.message, text, find_token(text, exc.token, pos)) from None
    except json.JSONDecodeError as exc:
        raise _error(exc.msg[:1].lower() + exc.msg[1:], text, exc.pos) from None
    except RecursionError:
        raise _error(
            "the JSON is nested too deeply to read (thousands of levels)", text, pos
        ) from None
    surrogate = _first_unpaired_surrogate(text, pos, end)
    if surrogate is not None:
        offset, spelled = surrogate
        raise _error(
            f"{spelled} is half of a UTF-16 surrogate pair without its other half, so it is "
            "not a character and cannot be sent as UTF-8; remove it, or write the whole pair "
            "(e.g. \\ud83d\\ude00 for an emoji)",
            text,
            offset,
        )
    return value, end


def _ignore(_literal: str) -> None:
    return None


_GRAMMAR_ONLY = json.JSONDecoder(parse_constant=_ignore, parse_int=_ignore, parse_float=_ignore)


def value_end(text: str, pos: int = 0) -> int:
    """The offset just after the JSON value that starts at ``pos``, checking only the grammar:
    numbers and ``NaN``/``Infinity`` are not interpreted, so that finding where each event of
    a file ends never fails on them (the validator judges each event). Raises
    :class:`JsonTextError`."""
    try:
        return int(_GRAMMAR_ONLY.raw_decode(text, pos)[1])
    except json.JSONDecodeError as exc:
        raise _error(exc.msg[:1].lower() + exc.msg[1:], text, exc.pos) from None
    except RecursionError:
        raise _error(
            "the JSON is nested too deeply to read (thousands of levels)", text, pos
        ) from None


def loads(text: str) -> Any:
    """Read a whole JSON text strictly (whitespace around the value allowed, nothing else).

    Raises :class:`JsonTextError`; never another exception.
    """
    start = _skip_whitespace(text, 0)
    value, end = raw_decode(text, start)
    end = _skip_whitespace(text, end)
    if end != len(text):
        raise _error("extra data", text, end)
    return value


_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _skip_whitespace(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


@dataclass(frozen=True, slots=True)
class ParsedText:
    """The result of reading JSON text: a value, or the finding that says why there is none."""

    value: Any
    finding: Finding | None
    size_bytes: int

    @property
    def ok(self) -> bool:
        return self.finding is None


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


def _friendly(message: str, pos: int, text: str) -> str:
    if pos >= len(text.rstrip()) and message != "extra data":
        return "the text ends before the JSON value is complete (a missing } or ]?)"
    if message == "extra data":
        return "extra text after the end of the JSON value; an event is a single JSON object"
    if message.startswith("expecting property name enclosed in double quotes"):
        return (
            "expected a member name in double quotes (a trailing comma, or a name in "
            "single quotes?)"
        )
    return message


def parse_json_text(text: str | bytes) -> ParsedText:
    """Parse JSON strictly (see the module docstring); never raises."""
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
    if text.startswith("\ufeff"):
        message = "the text starts with a byte order mark (BOM); save it as UTF-8 without BOM"
        return ParsedText(None, _syntax(f"JSON syntax error: {message}", 1, 1), size)
    try:
        value = loads(text)
    except JsonTextError as exc:
        line, column = line_column(text, exc.pos)
        message = f"JSON syntax error: {_friendly(exc.msg, exc.pos, text)}"
        return ParsedText(None, _syntax(message, line, column), size)
    return ParsedText(value, None, size)
