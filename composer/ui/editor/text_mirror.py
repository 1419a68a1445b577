"""The QTextDocument the Raw JSON editor shows, kept as a mirror of the composer's text: an
edit of the state is put into it as the same edit, and typing in it is read back as a
:class:`TextEdit` (positions converted between Qt's UTF-16 and Python's code points)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from composer.editing.history import TextEdit
from composer.editing.locator import from_utf16_offset, utf16_offset
from composer.editing.style import escape_unshowable

if TYPE_CHECKING:
    from PySide6.QtGui import QTextDocument

# Qt's text document classes (and their enums) load with the first document, when the Raw
# JSON editor first needs one: not before the window's first paint.

_BLOCK_BREAK = re.compile("\r\n?|[\u2029\ufdd0\ufdd1]")
"""Where QTextDocument.setPlainText starts a new block (each becomes one line end)."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def plain_text(text: str) -> str | None:
    """``text`` as a QTextDocument holds it (its blocks joined by line feeds), without making
    one; None for a text with surrogate code points (only Qt knows how it pairs them)."""
    if _SURROGATE.search(text):
        return None
    if text.startswith("\ufeff"):  # one leading byte-order mark is not part of the text
        text = text[1:]
    return _BLOCK_BREAK.sub("\n", text)


class TextMirror(QObject):
    """Owns :attr:`document`, which mirrors the text ``current()`` returns. ``typed``
    carries each change the user made in the document (a :class:`TextEdit` against the text
    before it), never one this mirror made itself."""

    typed = Signal(object)

    def __init__(self, current: Callable[[], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current = current
        self._applying = False
        # made when the Raw JSON editor first needs it (not before the first paint)
        self._document: QTextDocument | None = None

    @property
    def document(self) -> QTextDocument:
        """The document, holding the text as it is now."""
        if self._document is None:
            from PySide6.QtGui import QTextDocument
            from PySide6.QtWidgets import QPlainTextDocumentLayout

            document = QTextDocument(self)
            document.setDocumentLayout(QPlainTextDocumentLayout(document))
            document.setUndoRedoEnabled(False)  # one history: the state's
            self._set_plain_text(document, self._current())
            document.contentsChange.connect(self._on_contents_change)
            self._document = document
        return self._document

    def _set_plain_text(self, document: QTextDocument, text: str) -> None:
        self._applying = True
        try:
            document.setPlainText(text)
        finally:
            self._applying = False

    def load(self, text: str) -> str:
        """Replace the document's text with ``text``; the text as the document holds it
        (its lines end in "\\n", and a character it cannot hold, such as U+2029 inside a
        string, is written as its escape instead of becoming a line end)."""
        text = escape_unshowable(text)
        plain = plain_text(text)
        if plain is None:
            self._set_plain_text(self.document, text)
            # toRawText keeps non-breaking spaces; only block separators need mapping back
            return self.document.toRawText().replace("\u2029", "\n")
        if self._document is not None:
            self._set_plain_text(self._document, plain)
        return plain

    def put(self, edit: TextEdit, before: str) -> None:
        """Make ``edit`` (against the text ``before``) in the document."""
        if self._document is None:
            return  # made later from the text as it is then
        start = utf16_offset(before, edit.start)
        end = start + utf16_offset(before[edit.start : edit.end], edit.end - edit.start)
        from PySide6.QtGui import QTextCursor

        cursor = QTextCursor(self._document)
        self._applying = True
        try:
            cursor.beginEditBlock()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(edit.new)
            cursor.endEditBlock()
        finally:
            self._applying = False

    def _on_contents_change(self, pos: int, removed: int, added: int) -> None:
        """Typing in the Raw JSON text: the same edit against the text before it."""
        if self._applying or (removed == 0 and added == 0):
            return
        before = self._current()
        start = from_utf16_offset(before, pos)
        end = start + from_utf16_offset(before[start:], removed)
        from PySide6.QtGui import QTextCursor

        cursor = QTextCursor(self.document)
        cursor.setPosition(pos)
        cursor.setPosition(pos + added, QTextCursor.MoveMode.KeepAnchor)
        new = cursor.selectedText().replace("\u2029", "\n")
        if new == before[start:end]:
            return  # formats only (the highlighter), no characters changed
        self.typed.emit(TextEdit(start, end, new))
