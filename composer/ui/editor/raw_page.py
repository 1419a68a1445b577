"""The Raw JSON tab's page: the exact text in the JSON editor, Format and Minify, the problem
at the cursor and the cursor's position. The composer builds it the first time it is needed
(the Form tab is the one shown at start), so the editor's code loads after the first paint."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from composer.domain.findings import Finding
from composer.domain.rule_ids import is_syntax
from composer.domain.variables import describe_resolved
from composer.ui.editor.controller import ComposerController
from composer.ui.editor.history_menu import open_history_menu
from composer.ui.editor.raw_editor import JsonEdit, Problem, VariableMark


class RawPage(QWidget):
    """The JSON editor over ``controller``'s document, with its bar; it follows the
    controller's findings (marks in the text) and syntax state (Format and Minify)."""

    def __init__(self, controller: ComposerController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.raw_editor = JsonEdit()
        self.raw_editor.setDocument(controller.document)
        self.format_button = QPushButton("Format")
        self.format_button.setAccessibleName("Format the JSON")
        self.format_button.setToolTip("Indent the JSON with two spaces (Ctrl+Shift+F)")
        self.minify_button = QPushButton("Minify")
        self.minify_button.setAccessibleName("Minify the JSON")
        self.minify_button.setToolTip("Put the JSON on one line without spaces")
        self.format_button.clicked.connect(controller.format_json)
        self.minify_button.clicked.connect(controller.minify_json)
        self.cursor_problem = QLabel()
        self.cursor_problem.setAccessibleName("Problem at the cursor")
        self.cursor_problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long message must not widen the window: it is elided, the tooltip has it whole.
        self.cursor_problem.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.position_label = QLabel()
        self.position_label.setAccessibleName("Cursor position")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.format_button)
        bar.addWidget(self.minify_button)
        bar.addSpacing(12)
        bar.addWidget(self.cursor_problem, 1)
        bar.addWidget(self.position_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.raw_editor)

        self._cursor_message = ""
        self._cursor_variable = ""
        self.raw_editor.problemAtCursor.connect(self._show_cursor_problem)
        self.raw_editor.variableAtCursor.connect(self._show_cursor_variable)
        self.raw_editor.undoRequested.connect(controller.undo)
        self.raw_editor.redoRequested.connect(controller.redo)
        self.raw_editor.open_menu = lambda at: open_history_menu(self.raw_editor, controller, at)
        self.raw_editor.cursorPositionChanged.connect(self._show_position)
        controller.findingsChanged.connect(self.show_findings)
        controller.syntaxStateChanged.connect(self.show_syntax)
        # what happened before the page existed
        self.show_findings(controller.findings())
        self.show_syntax(controller.syntax_error())
        self._show_position()

    def show_findings(self, findings: list[Finding]) -> None:
        """Mark each finding's range of the text."""
        text = self.controller.document_text()
        marks: list[Problem] = []
        for f in findings:
            span = self.controller.span_of(f)
            if span is None:
                continue
            start, end = span.mark_range(text)
            qs, qe = self.controller.qt_range(start, end)
            marks.append(
                Problem(
                    qs,
                    qe,
                    f.severity,
                    f.message,
                    server=f.source == "server",
                    whole_line=is_syntax(f.rule),
                )
            )
        self.raw_editor.set_problems(marks)
        self.show_variables()

    def show_variables(self) -> None:
        """Mark each known variable in the text; its value is its tooltip and shows in the
        bar above the text when the cursor is on it (an unknown one is marked as an error)."""
        resolution = self.controller.resolution()
        environment = self.controller.variables().environment_name
        marks: list[VariableMark] = []
        if resolution is not None:
            for resolved in resolution.uses:
                if resolved.value is None:
                    continue
                start, end = self.controller.qt_range(resolved.use.start, resolved.use.end)
                marks.append(VariableMark(start, end, describe_resolved(resolved, environment)))
        self.raw_editor.set_variables(marks)

    def show_syntax(self, finding: Finding | None) -> None:
        """Format and Minify only while the text parses; the tooltips say why not."""
        enabled = finding is None
        self.format_button.setEnabled(enabled)
        self.minify_button.setEnabled(enabled)
        tip = "" if enabled else "Fix the JSON syntax error first"
        self.format_button.setToolTip(tip or "Indent the JSON with two spaces (Ctrl+Shift+F)")
        self.minify_button.setToolTip(tip or "Put the JSON on one line without spaces")

    def _show_cursor_problem(self, message: str) -> None:
        self._cursor_message = message
        self._elide_cursor_problem()
        self.cursor_problem.setToolTip(message)

    def _show_cursor_variable(self, text: str) -> None:
        """On a variable (and no problem): what it resolves to, in the bar above the text."""
        self._cursor_variable = text
        self._elide_cursor_problem()
        if not self._cursor_message:
            self.cursor_problem.setToolTip(text)

    def _elide_cursor_problem(self) -> None:
        message = self._cursor_message
        text = message or self._cursor_variable
        metrics = self.cursor_problem.fontMetrics()
        width = max(self.cursor_problem.width(), 40)
        self.cursor_problem.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Re-elide the message of the problem at the cursor to the new width."""
        super().resizeEvent(event)
        self._elide_cursor_problem()

    def _show_position(self) -> None:
        cursor = self.raw_editor.textCursor()
        self.position_label.setText(
            f"Ln {cursor.blockNumber() + 1}, Col {cursor.positionInBlock() + 1}"
        )
