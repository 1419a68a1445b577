"""Map RFC 6901 JSON pointers to character ranges of JSON text that may be broken.

:class:`composer.editing.jsontree.EditTree` places every value of a text that parses; this
scanner is for the text that does not (a server's finding on a text edited since). It is
tolerant: it never raises, it only walks the structure it needs (members before
the one looked for are skipped by bracket matching), and it works on text that is broken
elsewhere as long as the path to the member is readable. Offsets are Python string indices
(code points); :func:`utf16_offset` converts them for Qt.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from composer.domain.findings import array_index, split_pointer

# A string ends at its closing quote or, tolerantly, at the end of the line (JSON strings
# cannot hold a raw newline, so an unterminated one stops there).
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"?')
_BRACKET_OR_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[{}\[\]]')
_SCALAR = re.compile(r'[^\s,:\[\]{}"]+')
_WS = re.compile(r"\s*")


@dataclass(frozen=True, slots=True)
class JsonSpan:
    """Where one value sits in the text: ``[value_start, value_end)`` and, for an object
    member, ``[key_start, key_end)`` of its name (with quotes). ``exact`` is False when the
    pointer named something absent and the span is that of its nearest existing ancestor."""

    value_start: int
    value_end: int
    key_start: int | None = None
    key_end: int | None = None
    exact: bool = True

    @property
    def start(self) -> int:
        """Start of the member: its key if it has one, else its value."""
        return self.key_start if self.key_start is not None else self.value_start

    def mark_range(self, text: str) -> tuple[int, int]:
        """The short range to underline or select: a scalar member whole (key and value); for
        an object or array only its key and opening bracket, so a finding about a big
        container does not paint a whole screen."""
        if self.value_start < len(text) and text[self.value_start] in "{[":
            return self.start, self.value_start + 1
        return self.start, max(self.value_end, self.start + 1)


@dataclass(frozen=True, slots=True)
class _Member:
    key: str | None  # None for an array element
    key_start: int | None
    key_end: int | None
    value_start: int
    value_end: int


def _skip_ws(text: str, pos: int) -> int:
    m = _WS.match(text, pos)
    return m.end() if m else pos


def value_end(text: str, pos: int) -> int:
    """End offset of the JSON value starting at ``pos`` (tolerant: never past the text)."""
    n = len(text)
    if pos >= n:
        return n
    ch = text[pos]
    if ch == '"':
        m = _STRING.match(text, pos)
        return m.end() if m else n
    if ch in "{[":
        depth = 0
        for m in _BRACKET_OR_STRING.finditer(text, pos):
            tok = m.group()
            if tok in "{[":
                depth += 1
            elif tok in "}]":
                depth -= 1
                if depth == 0:
                    return m.end()
        return n
    m = _SCALAR.match(text, pos)
    return m.end() if m and m.end() > pos else pos + 1


def member_end(text: str, key_start: int) -> int:
    """End offset of the member whose name starts at ``key_start`` (name, colon, value)."""
    pos = _skip_ws(text, value_end(text, key_start))
    if pos < len(text) and text[pos] == ":":
        return value_end(text, _skip_ws(text, pos + 1))
    return pos


def _decode_key(raw: str) -> str:
    try:
        key = json.loads(raw if raw.endswith('"') and len(raw) > 1 else raw + '"')
    except ValueError:
        return raw.strip('"')
    return key if isinstance(key, str) else raw


class JsonLocator:
    """Looks pointers up in one text; remembers the containers it has read, so many
    findings in one large document cost about one pass."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._members: dict[int, list[_Member]] = {}
        self._root: tuple[int, int] | None = None

    def _root_span(self) -> tuple[int, int]:
        if self._root is None:
            start = _skip_ws(self.text, 0)
            self._root = (start, value_end(self.text, start))
        return self._root

    def _read_members(self, start: int) -> list[_Member]:
        cached = self._members.get(start)
        if cached is not None:
            return cached
        text, n = self.text, len(self.text)
        members: list[_Member] = []
        is_object = text[start] == "{"
        close = "}" if is_object else "]"
        pos = start + 1
        for _ in range(n):  # bounded: every round consumes at least one character
            pos = _skip_ws(text, pos)
            if pos >= n or text[pos] == close:
                break
            if text[pos] == ",":
                pos += 1
                continue
            key = key_start = key_end = None
            if is_object:
                if text[pos] != '"':
                    break  # unreadable member name: stop rather than guess
                key_start = pos
                key_end = value_end(text, pos)
                key = _decode_key(text[key_start:key_end])
                pos = _skip_ws(text, key_end)
                if pos >= n or text[pos] != ":":
                    break
                pos = _skip_ws(text, pos + 1)
            if pos >= n or text[pos] in ",}]":
                break
            end = value_end(text, pos)
            members.append(_Member(key, key_start, key_end, pos, end))
            pos = end
        self._members[start] = members
        return members

    def _child(self, start: int, token: str) -> _Member | None:
        if start >= len(self.text) or self.text[start] not in "{[":
            return None
        members = self._read_members(start)
        if self.text[start] == "{":
            found = None
            for m in members:  # the last duplicate wins, as in json.loads
                if m.key == token:
                    found = m
            return found
        index = array_index(token)
        if index is None:
            return None
        return members[index] if index < len(members) else None

    def locate(self, ptr: str, *, nearest: bool = False) -> JsonSpan | None:
        """The span of the value ``ptr`` names, or None when it is absent or unreadable.

        With ``nearest=True`` an absent member yields the span of its deepest existing
        ancestor (``exact=False``): a finding about a missing member points at the object
        that lacks it.
        """
        try:
            tokens = split_pointer(ptr)
        except ValueError:
            return None
        start, end = self._root_span()
        if start >= len(self.text):
            return None
        span = JsonSpan(start, end)
        for token in tokens:
            member = self._child(span.value_start, token)
            if member is None:
                if nearest:
                    return JsonSpan(
                        span.value_start, span.value_end, span.key_start, span.key_end, exact=False
                    )
                return None
            span = JsonSpan(member.value_start, member.value_end, member.key_start, member.key_end)
        return span


def locate(text: str, ptr: str, *, nearest: bool = False) -> JsonSpan | None:
    """One-off :meth:`JsonLocator.locate`."""
    return JsonLocator(text).locate(ptr, nearest=nearest)


def offset_of_line_column(text: str, line: int, column: int) -> int:
    """Character offset of a 1-based line and column (clamped into the text)."""
    pos = 0
    for _ in range(max(line, 1) - 1):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return len(text)
        pos = nxt + 1
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    return min(pos + max(column, 1) - 1, line_end)


def utf16_offset(text: str, offset: int) -> int:
    """Qt counts UTF-16 code units; a character beyond the BMP is two of them."""
    head = text[:offset]
    if head.isascii():
        return offset
    return len(head.encode("utf-16-le", "surrogatepass")) // 2


def from_utf16_offset(text: str, qt_offset: int) -> int:
    """Inverse of :func:`utf16_offset`."""
    if text.isascii():
        return qt_offset
    units = text.encode("utf-16-le", "surrogatepass")[: 2 * max(qt_offset, 0)]
    return len(units.decode("utf-16-le", "surrogatepass"))
