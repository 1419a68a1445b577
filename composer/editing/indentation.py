"""Tab and Shift+Tab in the Raw JSON text: indentation in the text's own unit.

A JSON string cannot span lines, so the whitespace a line starts with is always between
tokens: indenting or outdenting whole lines never changes a value."""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_UNIT = "  "


def indent_unit(lines: Iterable[str]) -> str:
    """What one level of indentation is in ``lines`` (those around the cursor): a tab when
    they are indented with tabs, else the smallest step between consecutive indented lines;
    two spaces when they say nothing."""
    previous: int | None = None
    step = 0
    for line in lines:
        body = line.lstrip(" \t")
        if not body:
            continue
        lead = line[: len(line) - len(body)]
        if lead.startswith("\t"):
            return "\t"
        if previous is not None and len(lead) > previous:
            grown = len(lead) - previous
            step = grown if not step else min(step, grown)
        previous = len(lead)
    return " " * step if step else DEFAULT_UNIT


def tab_text(unit: str, column: int) -> str:
    """What Tab inserts at ``column``: spaces to the next multiple of the unit (a tab when the
    text is indented with tabs)."""
    if unit == "\t":
        return "\t"
    width = len(unit)
    return " " * (width - column % width)


def shift_lines(block: str, unit: str, *, outdent: bool = False) -> str:
    """``block`` (whole lines joined by newlines) one level in (blank lines are left as they
    are) or, with ``outdent``, one level out (as much of a level as a line has)."""
    shifted = []
    for line in block.split("\n"):
        if not outdent:
            shifted.append(unit + line if line.strip() else line)
            continue
        if line.startswith("\t"):
            shifted.append(line[1:])
            continue
        spaces = len(line) - len(line.lstrip(" "))
        shifted.append(line[min(spaces, len(unit)) :])
    return "\n".join(shifted)
