"""ComposerWidget: the Form and Raw JSON tabs over one controller, and the Problems list."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from composer.domain.findings import Finding
from composer.domain.rule_ids import is_syntax
from composer.editing.revision_shapes import form_shape
from composer.ui.editor.controller import ComposerController
from composer.ui.editor.form import EventForm
from composer.ui.editor.problems import ProblemsView
from composer.ui.editor.raw_editor import JsonEdit, Problem


class ComposerWidget(QWidget):
    """Compose one event: a form, the exact JSON, and what is wrong with it."""

    findingActivated = Signal(object)

    def __init__(self, controller: ComposerController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setAccessibleName("Event composer")

        self.form = EventForm(controller, shape=form_shape(controller.revision()))
        self.raw_editor = JsonEdit()
        self.raw_editor.setDocument(controller.document)

        raw_page = QWidget()
        raw_page.setAccessibleName("Raw JSON page")
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
        raw_layout = QVBoxLayout(raw_page)
        raw_layout.setContentsMargins(6, 6, 6, 6)
        raw_layout.addLayout(bar)
        raw_layout.addWidget(self.raw_editor)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Composer views")
        self.tabs.addTab(self.form, "Form")
        self.tabs.addTab(raw_page, "Raw JSON")
        self.tabs.setDocumentMode(True)

        self.problems = ProblemsView()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("composerSplitter")
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.problems)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.problems.activated.connect(self._on_problem_activated)
        self.form.goToSyntaxError.connect(self._go_to_syntax_error)
        controller.revisionChanged.connect(lambda name: self.form.set_shape(form_shape(name)))
        self.raw_editor.problemAtCursor.connect(self._show_cursor_problem)
        self.raw_editor.undoRequested.connect(controller.undo)
        self.raw_editor.redoRequested.connect(controller.redo)
        self.raw_editor.cursorPositionChanged.connect(self._show_position)
        controller.findingsChanged.connect(self._on_findings)
        controller.syntaxStateChanged.connect(self._on_syntax)
        controller.busyChanged.connect(self.problems.set_busy)
        self._on_findings(controller.findings())
        self._on_syntax(controller.syntax_error())
        self._show_position()

    # -- public ----------------------------------------------------------------------------

    def show_form(self) -> None:
        """Switch to the Form tab."""
        self.tabs.setCurrentWidget(self.form)

    def show_raw(self) -> None:
        """Switch to the Raw JSON tab."""
        self.tabs.setCurrentIndex(1)

    def focus_finding(self, finding: Finding) -> None:
        """Go to what a finding names: its form field when the Form tab is showing and has
        one, else the JSON text range its pointer (or line and column) names."""
        if (
            not is_syntax(finding.rule)
            and self.tabs.currentWidget() is self.form
            and self.form.focus_finding(finding)
        ):
            return
        self.show_raw()
        span = self.controller.span_of(finding)
        if span is None:
            self.raw_editor.setFocus()
            return
        text = self.controller.document_text()
        start, end = span.mark_range(text)
        self.raw_editor.select_range(*self.controller.qt_range(start, end))

    # -- reactions -------------------------------------------------------------------------

    def _on_problem_activated(self, finding: Finding) -> None:
        self.focus_finding(finding)
        self.findingActivated.emit(finding)

    def _go_to_syntax_error(self) -> None:
        syntax = self.controller.syntax_error()
        if syntax is not None:
            self.show_raw()
            self.focus_finding(syntax)

    def _on_findings(self, findings: list[Finding]) -> None:
        self.problems.set_findings(findings)
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

    def _on_syntax(self, finding: Finding | None) -> None:
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

    def _elide_cursor_problem(self) -> None:
        message = getattr(self, "_cursor_message", "")
        text = f"⚠ {message}" if message else ""
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
