"""The exact bytes of one send, one click away from its meaning: the response body (pretty),
the response headers, the request exactly as sent, and the attempts with their timings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QTableWidget, QTableWidgetItem, QTabWidget

if TYPE_CHECKING:
    from composer.domain.outcome import SendOutcome


def exact_body(body: bytes) -> str:
    """Bytes as the text they are (a byte that is not UTF-8 shows as an escape, \\xff)."""
    if not body:
        return "(empty body)"
    return body.decode("utf-8", "backslashreplace")


def _mono() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def _readonly_text(name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setReadOnly(True)
    edit.setFont(_mono())
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    edit.setAccessibleName(name)
    return edit


class ResponseDetails(QTabWidget):
    """Body, Headers, Request and Attempts of one outcome (:meth:`show_outcome`)."""

    def __init__(self) -> None:
        super().__init__()
        self.setDocumentMode(True)
        self.body_view = _readonly_text("Response body")
        self.headers_view = _readonly_text("Response headers")
        self.request_view = _readonly_text("Request as sent")
        table = QTableWidget(0, 4)
        table.setAccessibleName("Attempts")
        table.setHorizontalHeaderLabels(["Try", "Result", "Waited before", "Took"])
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.attempts_table = table
        self.addTab(self.body_view, "Body")
        self.addTab(self.headers_view, "Headers")
        self.addTab(self.request_view, "Request")
        self.addTab(table, "Attempts")

    def clear_outcome(self) -> None:
        """Nothing on show (and the tabs hidden: an empty frame says nothing)."""
        for view in (self.body_view, self.headers_view, self.request_view):
            view.clear()
        self.attempts_table.setRowCount(0)
        self.hide()

    def show_outcome(self, outcome: SendOutcome) -> None:
        """The bytes of ``outcome``, opened on the body (on the headers when it has none)."""
        from composer.services.outcome_text import headers_text, pretty_body

        self.body_view.setPlainText(pretty_body(outcome.response_body))
        self.headers_view.setPlainText(headers_text(outcome.response_headers))
        req = outcome.request
        # The body exactly as it was sent: byte for byte, not re-indented.
        self.request_view.setPlainText(
            f"{req.method} {req.url}\n{headers_text(req.headers)}\n\n{exact_body(req.body)}"
        )
        self._fill_attempts(outcome)
        # an empty body (every 202) says nothing: open on the headers then
        self.setCurrentWidget(self.body_view if outcome.response_body else self.headers_view)
        self.show()

    def _fill_attempts(self, outcome: SendOutcome) -> None:
        table = self.attempts_table
        table.setRowCount(len(outcome.attempts))
        from composer.services.attempt_text import attempt_words

        for row, attempt in enumerate(outcome.attempts):
            # the same words as the outcome's explanation: "no answer in time (the request
            # had gone out)", "429 Rate limited"
            result = attempt_words(attempt.status, attempt.error)
            cells = [
                str(attempt.number),
                result,
                f"{attempt.waited_ms:,.0f} ms",
                f"{attempt.duration_ms:,.0f} ms",
            ]
            for col, text in enumerate(cells):
                table.setItem(row, col, QTableWidgetItem(text))
        table.resizeColumnsToContents()
