"""How a text is laid out (indent, separators), so that new members look like their neighbours."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from composer.editing.jsontree import Node


@dataclass(frozen=True, slots=True)
class Style:
    """The layout of one JSON text: one member per line with ``indent`` per level, or all on
    one line with ``item_sep`` between members (", " or ","); ``colon`` is ": " or ":"."""

    multiline: bool = True
    indent: str = "  "
    colon: str = ": "
    item_sep: str = ", "

    def render(self, value: Any, line_indent: str = "") -> str:
        """``value`` as JSON text in this style, for a place whose line starts with
        ``line_indent`` (nested lines are indented from there). ValueError for a value JSON
        cannot hold (NaN, an infinity): such a text would no longer parse."""
        if not isinstance(value, dict | list) or not value:
            return json.dumps(value, ensure_ascii=False, allow_nan=False)
        if not self.multiline:
            return json.dumps(
                value,
                ensure_ascii=False,
                allow_nan=False,
                separators=(self.item_sep, self.colon),
            )
        text = json.dumps(
            value,
            ensure_ascii=False,
            allow_nan=False,
            indent=self.indent,
            separators=(",", self.colon),
        )
        return text.replace("\n", "\n" + line_indent) if line_indent else text


def line_indent(text: str, pos: int) -> str:
    """The whitespace a line starts with (the line that holds ``pos``)."""
    start = text.rfind("\n", 0, pos) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def detect_style(text: str, root: Node) -> Style:
    """The style of ``text``: read from the first containers with two or more members."""
    multiline = "\n" in text[root.start : root.end]
    indent = "  "
    colon = ": " if multiline else ":"
    item_sep = ", "
    found_indent = found_colon = found_sep = False
    stack: list[tuple[Node, int]] = [(root, 0)]
    budget = 50  # a few containers say enough; never walk a whole megabyte for this
    while stack and budget and not (found_indent and found_colon and found_sep):
        node, base = stack.pop(0)
        budget -= 1
        children = node.children or []
        start = base + node.start
        if children:
            first = children[0]
            first_start = start + (first.key_start if first.key is not None else first.start)
            gap = text[start + 1 : first_start]
            if multiline and not found_indent and "\n" in gap:
                lead = gap.rsplit("\n", 1)[1]
                outer = line_indent(text, start)
                if lead.startswith(outer) and len(lead) > len(outer):
                    indent = lead[len(outer) :]
                    found_indent = True
            if first.key is not None and not found_colon:
                between = text[start + first.key_end : start + first.start]
                if "\n" not in between and between.strip() == ":":
                    colon = between
                found_colon = True
            if len(children) > 1 and not found_sep and not multiline:
                nxt = children[1]
                nxt_start = start + (nxt.key_start if nxt.key is not None else nxt.start)
                item_sep = text[start + first.end : nxt_start] or ","
                found_sep = True
            for child in children[:5]:
                if child.children:
                    stack.append((child, start))
    if multiline:
        found_sep = True
    return Style(multiline, indent, colon, item_sep)


# Characters a text widget cannot hold as themselves: Qt's QTextDocument starts a new block at
# each (a paragraph separator, its frame markers), so they would read back as a line end and
# break the string they stand in. In valid JSON they can only stand inside a string, where
# their \u escape is the same value.
_UNSHOWABLE = re.compile("[\u2029\ufdd0\ufdd1]")


def escape_unshowable(text: str) -> str:
    """``text`` with U+2029, U+FDD0 and U+FDD1 written as their ``\\u`` escapes (the same
    JSON value: they can only stand inside a string)."""
    if _UNSHOWABLE.search(text) is None:
        return text
    return _UNSHOWABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
