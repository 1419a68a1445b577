"""Edits that rewrite the whole text: format, minify, and the conversion of the event into
another revision's shape (one undo step whose label says which revisions, so that undo and
redo can take the revision back and forth with the text)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from composer.domain.jsontext import parse_json_text
from composer.editing.history import TextEdit

# The tokens of valid JSON: a string as written (escapes kept), a bracket or separator, or a
# bare scalar (a number as spelled, true, false, null). Blanks between them are not tokens.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]|[^\s,:{}\[\]"]+')

if TYPE_CHECKING:
    from composer.domain.convert import ConversionReport

CONVERT_LABEL = "Convert revision "
"""Undo label of a conversion: ``Convert revision <from> <to>``."""


def reformat(text: str, *, minify: bool) -> TextEdit | None:
    """The edit that re-indents ``text`` (2 spaces) or puts it on one line; None when the
    text does not parse. An edit that changes nothing when it is laid out so already.

    Only the blanks between tokens change: every number, string and member stays as written
    (``10.50``, ``1e3``, ``"caf\\u00e9"`` and a repeated member are not rewritten from the
    parse), in the layout ``json.dumps`` would give the value."""
    parsed = parse_json_text(text)
    if not parsed.ok:
        return None
    return TextEdit(0, len(text), layout(text, minify=minify))


def layout(text: str, *, minify: bool) -> str:
    """Valid JSON ``text`` laid out with 2-space indent (or on one line without blanks),
    its tokens kept as written."""
    tokens = _TOKEN.findall(text)
    if minify:
        return "".join(tokens)
    out: list[str] = []
    depth = 0
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        if tok in "{[":
            if i + 1 < n and tokens[i + 1] in "}]":
                out.append(tok + tokens[i + 1])  # an empty container stays on its line
                i += 2
                continue
            depth += 1
            out.append(tok + "\n" + "  " * depth)
        elif tok in "}]":
            depth -= 1
            out.append("\n" + "  " * depth + tok)
        elif tok == ",":
            out.append(",\n" + "  " * depth)
        elif tok == ":":
            out.append(": ")
        else:
            out.append(tok)
        i += 1
    return "".join(out)


def conversion(
    text: str, revision: str, current: str
) -> tuple[TextEdit, str, ConversionReport] | None:
    """The edit that rewrites ``text`` (of revision ``current``) in the shape of
    ``revision``, its undo label, and the report of what moved; None when the text does not
    parse or nothing has to move."""
    if revision == current:
        return None
    parsed = parse_json_text(text)
    if not parsed.ok:
        return None
    from composer.domain.convert import convert
    from composer.domain.spelling import dump_keeping_spelling, read_keeping_spelling

    # numbers keep their spelling (1.10, 1e2): the switch moves members, it does not retype
    value, spelled = read_keeping_spelling(text)
    result = convert(value, revision, current)
    if result.body == value:
        return None
    edit = TextEdit(0, len(text), dump_keeping_spelling(result.body, spelled=spelled))
    return edit, f"{CONVERT_LABEL}{current} {revision}", result.report


def repeated_members(text: str) -> list[str]:
    """Pointers of the members ``text`` gives more than once in one object, in text order
    (each once): a rewrite from the parse keeps only the last of each, as Klaviyo reads it,
    and says so. Empty when the text does not parse."""
    from composer.editing.jsontree import parse_tree

    try:
        _root, duplicates = parse_tree(text)
    except (ValueError, RecursionError):
        return []
    return list(dict.fromkeys(d.pointer for d in duplicates))


def revision_of(label: str, *, undone: bool) -> str | None:
    """The revision a conversion step's undo (``undone``) or redo leaves the event in; None
    when ``label`` is no conversion."""
    if not label.startswith(CONVERT_LABEL):
        return None
    before, after = label[len(CONVERT_LABEL) :].split(" ")[:2]
    return before if undone else after
