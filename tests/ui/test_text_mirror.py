"""The Raw JSON editor's document is made when it is first needed (not before the window's
first paint): the text the composer keeps meanwhile is exactly what Qt's document would hold,
so offsets, edits and typing agree once the document exists."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QPlainTextDocumentLayout

from composer.ui.editor import ComposerController
from composer.ui.editor.text_mirror import plain_text

TRICKY = st.lists(
    st.sampled_from(
        ["a", "{", '"', " ", "\n", "\r", "\r\n", "\u2028", "\u2029", "\u00a0", "\ufdd0",
         "\ufdd1", "\ufeff", "\t", "\x00", "é", "😀", "\u0085"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


def _as_qt_holds(text: str) -> str:
    document = QTextDocument()
    document.setDocumentLayout(QPlainTextDocumentLayout(document))
    document.setPlainText(text)
    return document.toRawText().replace("\u2029", "\n")


@settings(max_examples=150, deadline=None)
@given(TRICKY)
def test_the_text_kept_without_a_document_is_what_the_document_would_hold(
    qapp: Any, text: str
) -> None:
    assert plain_text(text) == _as_qt_holds(text)


def test_a_document_made_after_edits_holds_the_text_and_reads_typing_back(qapp: Any) -> None:
    controller = ComposerController()
    controller.load_text('{\r\n  "a": "x\u00a0y",\r\n  "b": 1\r\n}\r\n')
    controller.edit("set_value", "/b", 25)
    document = controller.document  # made now, from the text as it is
    assert document.toRawText().replace("\u2029", "\n") == controller.document_text()
    from PySide6.QtGui import QTextCursor

    cursor = QTextCursor(document)
    start, _end = controller.qt_range(controller.document_text().index("25"), 0)
    cursor.setPosition(start)
    cursor.insertText("1")  # typing in the Raw JSON text
    assert controller.payload() == {"a": "x\u00a0y", "b": 125}
    assert controller.text().endswith('"b": 125\r\n}\r\n')  # its line ends kept
