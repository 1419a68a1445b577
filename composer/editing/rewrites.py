"""Edits that rewrite the whole text: format, minify, and the conversion of the event into
another revision's shape (one undo step whose label says which revisions, so that undo and
redo can take the revision back and forth with the text)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from composer.domain.jsontext import parse_json_text
from composer.editing.history import TextEdit
from composer.editing.values import dump

if TYPE_CHECKING:
    from composer.domain.convert import ConversionReport

CONVERT_LABEL = "Convert revision "
"""Undo label of a conversion: ``Convert revision <from> <to>``."""


def reformat(text: str, *, minify: bool) -> TextEdit | None:
    """The edit that re-indents ``text`` (2 spaces) or puts it on one line; None when the
    text does not parse. An edit that changes nothing when it is laid out so already."""
    parsed = parse_json_text(text)
    if not parsed.ok:
        return None
    return TextEdit(0, len(text), dump(parsed.value, minify=minify))


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

    result = convert(parsed.value, revision, current)
    if result.body == parsed.value:
        return None
    edit = TextEdit(0, len(text), dump(result.body))
    return edit, f"{CONVERT_LABEL}{current} {revision}", result.report


def revision_of(label: str, *, undone: bool) -> str | None:
    """The revision a conversion step's undo (``undone``) or redo leaves the event in; None
    when ``label`` is no conversion."""
    if not label.startswith(CONVERT_LABEL):
        return None
    before, after = label[len(CONVERT_LABEL) :].split(" ")[:2]
    return before if undone else after
