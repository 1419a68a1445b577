"""The Raw JSON editor: line numbers, JSON highlighting, problems underlined in place."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QMimeData, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFontDatabase,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

from composer.domain.findings import Severity
from composer.editing.indentation import indent_unit, shift_lines, tab_text
from composer.editing.style import escape_unshowable
from composer.ui.editor.drops import carries_files
from composer.ui.theme import is_dark_palette

# Highlighting a block is linear in its length; a minified megabyte is one block, so only its
# start is coloured (typing in it must stay instant).
MAX_HIGHLIGHT_CHARS = 20_000

_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*"?)(?P<colon>\s*:)?'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<keyword>\btrue\b|\bfalse\b|\bnull\b)"
)

ERROR_COLOR = QColor("#c62828")
WARNING_COLOR = QColor("#b26a00")
SERVER_COLOR = QColor("#6a1b9a")


def is_dark(palette: QPalette) -> bool:
    """True when the palette's window is dark (pick readable syntax colours)."""
    return is_dark_palette(palette)


class JsonHighlighter(QSyntaxHighlighter):
    """Colours keys, strings, numbers and keywords, one line (block) at a time."""

    def __init__(self, document: QTextDocument, dark: bool = False) -> None:
        super().__init__(document)
        self.set_dark(dark, rehighlight=False)

    def set_dark(self, dark: bool, *, rehighlight: bool = True) -> None:
        """Switch between colours for light and dark backgrounds."""
        colors = (
            {"key": "#9cdcfe", "string": "#ce9178", "number": "#b5cea8", "keyword": "#569cd6"}
            if dark
            else {"key": "#0b5394", "string": "#2e7d32", "number": "#6a1b9a", "keyword": "#b71c1c"}
        )
        self._formats: dict[str, QTextCharFormat] = {}
        for name, color in colors.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(color))
            self._formats[name] = fmt
        if rehighlight:
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        """Colour one line."""
        fmts = self._formats
        for m in _TOKEN.finditer(text, 0, MAX_HIGHLIGHT_CHARS):
            if m.group("string") is not None:
                kind = "key" if m.group("colon") else "string"
                self.setFormat(m.start(), len(m.group("string")), fmts[kind])
            elif m.group("number") is not None:
                self.setFormat(m.start(), m.end() - m.start(), fmts["number"])
            else:
                self.setFormat(m.start(), m.end() - m.start(), fmts["keyword"])


@dataclass
class Problem:
    """A range of the document (Qt positions) with what is wrong there."""

    start: int
    end: int
    severity: Severity
    message: str
    server: bool = False
    whole_line: bool = False
    """Also tint the whole line (a syntax error is easy to miss in one token)."""


@dataclass
class VariableMark:
    """A ``{{variable}}`` in the document (Qt positions) and what it resolves to, in words."""

    start: int
    end: int
    text: str


VARIABLE_COLOR = QColor("#1565c0")


class _LineNumbers(QWidget):
    def __init__(self, editor: JsonEdit) -> None:
        super().__init__(editor)
        self._editor = editor
        self.setAccessibleName("Line numbers")

    def sizeHint(self) -> QSize:
        return QSize(self._editor.line_number_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self._editor.paint_line_numbers(self, event)


def _is_undo_or_redo(e: QEvent) -> bool:
    return isinstance(e, QKeyEvent) and (
        e.matches(QKeySequence.StandardKey.Undo) or e.matches(QKeySequence.StandardKey.Redo)
    )


class JsonEdit(QPlainTextEdit):
    """A plain-text editor for JSON with line numbers and problem underlines."""

    problemAtCursor = Signal(str)
    """The problem under the text cursor: its symbol (✖ error, ⚠ warning) and message ("" when
    none)."""
    variableAtCursor = Signal(str)
    """What the variable under the text cursor resolves to ("" when none)."""
    undoRequested = Signal()
    """Ctrl+Z: the composer's one history undoes (the document keeps no history itself)."""
    redoRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.highlighter: JsonHighlighter | None = None
        self.setAccessibleName("Raw JSON")
        self.setAccessibleDescription("The exact request body; edits update the form")
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabChangesFocus(False)
        self._problems: list[tuple[QTextCursor, Problem]] = []
        self._problem_selections: list[QTextEdit.ExtraSelection] = []
        self._variables: list[tuple[QTextCursor, VariableMark]] = []
        self._variable_selections: list[QTextEdit.ExtraSelection] = []
        self._numbers = _LineNumbers(self)
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._on_update_request)
        self.cursorPositionChanged.connect(self._report_problem_at_cursor)
        self._update_margin()

    def changeEvent(self, event: QEvent) -> None:
        """Follow a theme switch: syntax colours for light or dark backgrounds."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.highlighter is not None:
            self.highlighter.set_dark(is_dark(self.palette()))

    def setDocument(self, document: QTextDocument) -> None:
        """Show ``document`` (the controller's) and highlight it."""
        super().setDocument(document)
        self.highlighter = JsonHighlighter(document, is_dark(self.palette()))
        self._update_margin()

    # -- line numbers ----------------------------------------------------------------------

    def line_number_width(self) -> int:
        digits = max(3, len(str(max(1, self.blockCount()))))
        return 12 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_margin(self, _count: int = 0) -> None:
        self.setViewportMargins(self.line_number_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._numbers.scroll(0, dy)
        else:
            self._numbers.update(0, rect.y(), self._numbers.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._numbers.setGeometry(QRect(cr.left(), cr.top(), self.line_number_width(), cr.height()))

    def paint_line_numbers(self, area: QWidget, event: QPaintEvent) -> None:
        """Paint the numbers of the visible lines only (cheap on huge documents)."""
        painter = QPainter(area)
        pal = self.palette()
        painter.fillRect(event.rect(), pal.color(QPalette.ColorRole.AlternateBase))
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = area.width() - 6
        limit = event.rect().bottom()
        for _ in range(10_000):  # bounded: a screen never shows this many lines
            if not block.isValid() or top > limit:
                break
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                painter.drawText(
                    0, top, width, height, Qt.AlignmentFlag.AlignRight, str(number + 1)
                )
            block = block.next()
            top = bottom
            number += 1
        painter.end()

    # -- problems --------------------------------------------------------------------------

    def set_problems(self, problems: list[Problem]) -> None:
        """Underline each problem's range with a wavy line (red errors, amber warnings)."""
        selections = []
        self._problems = []
        doc_end = max(0, self.document().characterCount() - 1)
        for p in problems:
            cursor = QTextCursor(self.document())
            start = min(max(p.start, 0), doc_end)
            end = min(max(p.end, start), doc_end)
            if end == start:
                # An empty range (end of text) still gets a visible mark on its character.
                start = max(0, start - 1) if start == doc_end else start
                end = min(start + 1, doc_end)
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            sel = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            color = ERROR_COLOR if p.severity is Severity.ERROR else WARNING_COLOR
            fmt.setUnderlineColor(SERVER_COLOR if p.server else color)
            fmt.setToolTip(p.message)
            sel.format = fmt
            sel.cursor = cursor
            selections.append(sel)
            self._problems.append((cursor, p))
            if p.whole_line:
                line = QTextEdit.ExtraSelection()
                tint = QTextCharFormat()
                back = QColor(ERROR_COLOR)
                back.setAlpha(40)
                tint.setBackground(back)
                tint.setProperty(QTextFormat.Property.FullWidthSelection, True)
                line_cursor = QTextCursor(self.document())
                line_cursor.setPosition(start)
                line.format = tint
                line.cursor = line_cursor
                selections.insert(0, line)
        self._problem_selections = selections
        self.setExtraSelections(self._variable_selections + selections)
        self._report_problem_at_cursor()

    # -- variables -------------------------------------------------------------------------

    def set_variables(self, marks: list[VariableMark]) -> None:
        """Underline each ``{{variable}}`` (dotted, blue); its resolved value is the tooltip
        and is told when the text cursor is on it."""
        doc_end = max(0, self.document().characterCount() - 1)
        selections = []
        self._variables = []
        for mark in marks:
            cursor = QTextCursor(self.document())
            start = min(max(mark.start, 0), doc_end)
            cursor.setPosition(start)
            cursor.setPosition(min(max(mark.end, start), doc_end), QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            fmt.setUnderlineColor(VARIABLE_COLOR)
            sel = QTextEdit.ExtraSelection()
            sel.format = fmt
            sel.cursor = cursor
            selections.append(sel)
            self._variables.append((cursor, mark))
        self._variable_selections = selections
        self.setExtraSelections(selections + self._problem_selections)
        self._report_problem_at_cursor()

    def variable_at(self, position: int) -> VariableMark | None:
        """The variable whose (live) range contains a document position."""
        for cursor, mark in self._variables:
            if cursor.selectionStart() <= position <= cursor.selectionEnd():
                return mark
        return None

    def problem_at(self, position: int) -> Problem | None:
        """The problem whose (live) range contains a document position."""
        for cursor, p in self._problems:
            if cursor.selectionStart() <= position <= cursor.selectionEnd():
                return p
        return None

    def _report_problem_at_cursor(self) -> None:
        position = self.textCursor().position()
        p = self.problem_at(position)
        # with the symbol of its severity, as in the Problems list (an error is no warning)
        symbol = "✖" if p is not None and p.severity is Severity.ERROR else "⚠"
        self.problemAtCursor.emit(f"{symbol} {p.message}" if p else "")
        mark = self.variable_at(position)
        self.variableAtCursor.emit(mark.text if mark else "")

    open_menu: Callable[[QPoint], None] | None = None
    """Opens the right-click menu at a global position (the page's: its Undo and Redo are
    the composer's); None: Qt's own menu."""

    def contextMenuEvent(self, e: QContextMenuEvent) -> None:
        if self.open_menu is not None:
            self.open_menu(e.globalPos())
        else:
            super().contextMenuEvent(e)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        """A dragged file is not text to insert: the window opens it (its path went into
        the JSON)."""
        return not carries_files(source) and super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        """Paste (and drop) plain text only, a character the document cannot hold (U+2029
        in a string) written as its escape: it would become a line end and break the
        string."""
        if source.hasText() and not carries_files(source):
            self.insertPlainText(escape_unshowable(source.text()))

    def keyPressEvent(self, e: QKeyEvent) -> None:
        """Undo and redo go to the composer's history; a cursor move ends a typing step."""
        if e.matches(QKeySequence.StandardKey.Undo):
            self.undoRequested.emit()
            return
        if e.matches(QKeySequence.StandardKey.Redo):
            self.redoRequested.emit()
            return
        if e.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and not e.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        ):  # Ctrl+Tab still leaves the editor
            self._indent(outdent=e.key() == Qt.Key.Key_Backtab)
            return
        super().keyPressEvent(e)

    def _indent(self, *, outdent: bool) -> None:
        """Tab: indentation in the text's own unit at the cursor, or every selected line one
        level in; Shift+Tab: the cursor's line or the selected lines one level out. One
        change of the text, so one undo step."""
        cursor = self.textCursor()
        doc = self.document()
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        first, last = doc.findBlock(start), doc.findBlock(end)
        if last != first and end == last.position():  # a selection up to a line's start
            last = last.previous()
        near = [
            doc.findBlockByNumber(n).text()
            for n in range(max(0, first.blockNumber() - 40), last.blockNumber() + 41)
        ]
        unit = indent_unit(near)
        if not outdent and first == last:
            cursor.insertText(tab_text(unit, start - first.position()))
            return
        lines = QTextCursor(doc)
        lines.setPosition(first.position())
        lines.setPosition(last.position() + last.length() - 1, QTextCursor.MoveMode.KeepAnchor)
        old = "\n".join(
            doc.findBlockByNumber(n).text()
            for n in range(first.blockNumber(), last.blockNumber() + 1)
        )
        new = shift_lines(old, unit, outdent=outdent)
        if new == old:
            return
        lines.insertText(new)
        if first == last and not cursor.hasSelection():  # the cursor keeps its place on the line
            column = max(0, start - first.position() + _units(new) - _units(old))
            cursor.setPosition(first.position() + min(column, _units(new)))
            self.setTextCursor(cursor)
            return
        selected = QTextCursor(doc)
        selected.setPosition(first.position())
        selected.setPosition(first.position() + _units(new), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(selected)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ShortcutOverride and _is_undo_or_redo(e):
            e.accept()  # ours, not a window shortcut's
            return True
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            pos = self.cursorForPosition(self.viewport().mapFromParent(e.pos())).position()
            p = self.problem_at(pos)
            mark = self.variable_at(pos)
            if p is not None:
                QToolTip.showText(e.globalPos(), p.message, self)
            elif mark is not None:
                QToolTip.showText(e.globalPos(), mark.text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)

    def select_range(self, start: int, end: int) -> None:
        """Select document positions ``[start, end)``, scroll there and take the focus."""
        doc_end = max(0, self.document().characterCount() - 1)
        cursor = QTextCursor(self.document())
        cursor.setPosition(min(end, doc_end))
        cursor.setPosition(min(start, doc_end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus(Qt.FocusReason.OtherFocusReason)


def _units(text: str) -> int:
    """``text``'s length in the document's positions (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


__all__ = ["JsonEdit", "JsonHighlighter", "Problem", "VariableMark"]
