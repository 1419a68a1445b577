"""ComposerWidget: the Form and Raw JSON tabs over one controller, and the Problems list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget

from composer.domain.findings import Finding
from composer.domain.rule_ids import DUPLICATE_KEY, is_syntax
from composer.editing.revision_shapes import form_shape
from composer.ui.editor.controller import ComposerController
from composer.ui.editor.form import EventForm
from composer.ui.editor.problems import ProblemsView

if TYPE_CHECKING:
    from composer.ui.editor.raw_editor import JsonEdit
    from composer.ui.editor.raw_page import RawPage


class ComposerWidget(QWidget):
    """Compose one event: a form, the exact JSON, and what is wrong with it."""

    findingActivated = Signal(object)

    def __init__(self, controller: ComposerController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setAccessibleName("Event composer")

        self.form = EventForm(controller, shape=form_shape(controller.revision()))
        # The Raw JSON page is built when first shown or used (see raw_page()).
        self._raw_page: RawPage | None = None
        self._raw_holder = QWidget()
        self._raw_holder.setAccessibleName("Raw JSON page")
        holder_layout = QVBoxLayout(self._raw_holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Composer views")
        self.tabs.addTab(self.form, "Form")
        self.tabs.addTab(self._raw_holder, "Raw JSON")
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
        self.tabs.currentChanged.connect(self._on_tab_changed)
        controller.findingsChanged.connect(self.problems.set_findings)
        controller.busyChanged.connect(self.problems.set_busy)
        self.problems.set_findings(controller.findings())

    def build_rest(self) -> None:
        """Build the parts of the Form left for after the window's first paint."""
        self.form.build_rest()

    # -- the Raw JSON page, built on first use -----------------------------------------------

    def raw_page(self) -> RawPage:
        """The Raw JSON page, built now if it was not yet (its code loads then)."""
        if self._raw_page is None:
            from composer.ui.editor.raw_page import RawPage

            self._raw_page = RawPage(self.controller)
            layout = self._raw_holder.layout()
            assert layout is not None
            layout.addWidget(self._raw_page)
            self._raw_page.show()  # visible with its tab (added to a shown page, it would wait)
        return self._raw_page

    def raw_page_built(self) -> bool:
        """True once the Raw JSON page exists."""
        return self._raw_page is not None

    @property
    def raw_editor(self) -> JsonEdit:
        """The JSON editor of the Raw JSON tab."""
        return self.raw_page().raw_editor

    @property
    def format_button(self) -> QPushButton:
        return self.raw_page().format_button

    @property
    def minify_button(self) -> QPushButton:
        return self.raw_page().minify_button

    @property
    def cursor_problem(self) -> QLabel:
        return self.raw_page().cursor_problem

    @property
    def position_label(self) -> QLabel:
        return self.raw_page().position_label

    def _on_tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self._raw_holder:
            self.raw_page()

    # -- public ----------------------------------------------------------------------------

    def show_form(self) -> None:
        """Switch to the Form tab."""
        self.tabs.setCurrentWidget(self.form)

    def show_raw(self) -> None:
        """Switch to the Raw JSON tab."""
        self.tabs.setCurrentIndex(1)

    def focus_finding(self, finding: Finding) -> None:
        """Go to what a finding names: its form field when the Form tab is showing and has
        one, else the JSON text range its pointer (or line and column) names. A repeated
        member is always shown in the text: the Form shows only the one Klaviyo keeps, and
        the warning is about the other."""
        if (
            not is_syntax(finding.rule)
            and finding.rule != DUPLICATE_KEY
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
        else:  # the text parses but holds no event object: its text is what to edit
            self.show_raw()
            self.raw_editor.setFocus()
