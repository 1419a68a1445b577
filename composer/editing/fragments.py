"""A JSON fragment pasted into the composer: read with the one strict reader, kept as written.

Pasting ``{"Total": 10.50, "City": "caf\\u00e9"}`` must put ``10.50`` and ``\\u00e9`` into the
text, not what Python makes of them (``10.5``, ``é``), and a fragment JSON cannot hold
(``NaN``, ``1e999``) is refused before anything changes: written into the text, it would make
the whole event stop parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from composer.domain.jsontext import JsonTextError
from composer.domain.jsontext import loads as strict_loads
from composer.editing.jsontree import parse_tree

_LEAD = re.compile(r"[ \t]*")


@dataclass(frozen=True, slots=True)
class Fragment:
    """A pasted JSON value: ``value`` as parsed, ``text`` as written (its lines after the
    first indented from column 0, ready to be placed at any depth), and for an object its
    ``members`` as (name, text of the value as written), in the order written."""

    value: Any
    text: str
    members: tuple[tuple[str, str], ...] = ()


def read_fragment(text: str) -> Fragment:
    """Read pasted text as one JSON value. Raises ValueError saying what is wrong (the
    strict reader's words, with the line and column) when it is not one."""
    source = text.replace("\r\n", "\n").strip()
    if not source:
        raise ValueError("it is empty")
    try:
        value = strict_loads(source)
        root, _duplicates = parse_tree(source)
    except JsonTextError as exc:
        raise ValueError(f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise ValueError(str(exc)) from None
    members: list[tuple[str, str]] = []
    if root.kind == "object":
        for child in root.children or []:
            assert child.key is not None
            start, end = root.start + child.start, root.start + child.end
            members.append((child.key, at_column_0(source[start:end])))
    return Fragment(value, at_column_0(source[root.start : root.end]), tuple(members))


def at_column_0(value_text: str) -> str:
    """A value's text as it stands in a larger text, with the indentation of its place taken
    off its later lines (a container's last line, its closing bracket, is indented as the
    line the value starts on): what Copy puts on the clipboard, and Paste places anew."""
    if "\n" not in value_text:
        return value_text
    lines = value_text.split("\n")
    margin = _LEAD.match(lines[-1])
    width = margin.end() if margin else 0
    out = [lines[0]]
    for line in lines[1:]:
        lead = _LEAD.match(line)
        out.append(line[min(width, lead.end() if lead else 0) :])
    return "\n".join(out)


__all__ = ["Fragment", "at_column_0", "read_fragment"]
