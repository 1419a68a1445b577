"""The QTextDocument the Raw JSON editor shows, kept as a mirror of the composer's text: an
edit of the state is put into it as the same edit, and typing in it is read back as a
:class:`TextEdit` (positions converted between Qt's UTF-16 and Python's code points)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextDocumentLayout

from composer.editing.history import TextEdit
from composer.editing.locator import from_utf16_offset, utf16_offset


class TextMirror(QObject):
    """Owns :attr:`document`, which mirrors the text ``current()`` returns. ``typed``
    carries each change the user made in the document (a :class:`TextEdit` against the text
    before it), never one this mirror made itself."""

    typed = Signal(object)

    def __init__(self, current: Callable[[], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current = current
        self._applying = False
        self.document = QTextDocument(self)
        self.document.setDocumentLayout(QPlainTextDocumentLayout(self.document))
        self.document.setUndoRedoEnabled(False)  # one history: the state's
        self.document.contentsChange.connect(self._on_contents_change)

    def load(self, text: str) -> str:
        """Replace the document's text with ``text``; the text as the document holds it
        (its lines end in "\\n")."""
        self._applying = True
        try:
            self.document.setPlainText(text)
        finally:
            self._applying = False
        # toRawText keeps non-breaking spaces; only block separators need mapping back.
        return self.document.toRawText().replace("\u2029", "\n")

    def put(self, edit: TextEdit, before: str) -> None:
        """Make ``edit`` (against the text ``before``) in the document."""
        start = utf16_offset(before, edit.start)
        end = start + utf16_offset(before[edit.start : edit.end], edit.end - edit.start)
        cursor = QTextCursor(self.document)
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
        cursor = QTextCursor(self.document)
        cursor.setPosition(pos)
        cursor.setPosition(pos + added, QTextCursor.MoveMode.KeepAnchor)
        new = cursor.selectedText().replace("\u2029", "\n")
        if new == before[start:end]:
            return  # formats only (the highlighter), no characters changed
        self.typed.emit(TextEdit(start, end, new))
