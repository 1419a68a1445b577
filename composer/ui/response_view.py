"""The response view: what the server answered, in words first and in exact bytes one click
away (headers, pretty body, the request as sent, attempts with timings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from composer.services.tones import SYMBOLS, Tone
from composer.ui import theme

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPlainTextEdit

    from composer.domain.findings import Finding
    from composer.domain.outcome import SendOutcome
    from composer.services.verify_text import VerdictText
    from composer.ui.response_details import ResponseDetails

# the words of an outcome (composer.services.outcome_text) load with the first one shown:
# the window paints its idle state without them

_IDLE_TEXT = (
    "Nothing sent yet. Press Send (Ctrl+Enter) and the answer appears here: what it means, "
    "the headers, the body and how long it took."
)


class ResponseView(QWidget):
    """Shows one :class:`SendOutcome`; emits ``findingActivated`` when the user picks one of
    the server's findings (the window then takes the composer to that field)."""

    findingActivated = Signal(object)
    checkRequested = Signal()
    """The user pressed Check again (or Check now) for the send on show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Response")
        self._outcome: SendOutcome | None = None
        title = QLabel("Response")
        title.setObjectName("paneTitle")
        font = title.font()
        font.setBold(True)
        title.setFont(font)

        self.status_label = QLabel()
        self.status_label.setObjectName("responseStatus")
        self.status_label.setAccessibleName("Response status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        big = self.status_label.font()
        big.setPointSizeF(big.pointSizeF() * 1.25)
        big.setBold(True)
        self.status_label.setFont(big)

        self.timing_label = QLabel()
        self.timing_label.setAccessibleName("Timing, tries and rate limit remaining")
        self.timing_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)

        self.delivery_label = QLabel()
        self.delivery_label.setObjectName("responseDelivery")
        self.delivery_label.setAccessibleName("Delivery: whether the event was recorded")
        self.delivery_label.setWordWrap(True)
        self.delivery_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.delivery_label.hide()

        self.history_warning = QLabel()
        self.history_warning.setObjectName("historyWriteProblem")
        self.history_warning.setAccessibleName("History problem")
        self.history_warning.setWordWrap(True)
        self.history_warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.history_warning.hide()

        self.verify_box = QWidget()
        self.verify_box.setObjectName("verification")
        self.verify_status = QLabel()
        self.verify_status.setObjectName("verifyStatus")
        self.verify_status.setAccessibleName("Whether it was recorded")
        self.verify_status.setWordWrap(True)
        self.verify_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        vfont = self.verify_status.font()
        vfont.setBold(True)
        self.verify_status.setFont(vfont)
        self.verify_details = QLabel()
        self.verify_details.setAccessibleName("Evidence of the check")
        self.verify_details.setWordWrap(True)
        self.verify_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_button = QPushButton("Check again")
        self.check_button.setAccessibleName("Check again whether it was recorded")
        self.check_button.clicked.connect(self.checkRequested)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.verify_status, 1)
        head.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        box = QVBoxLayout(self.verify_box)
        box.setContentsMargins(0, 4, 0, 4)
        box.addLayout(head)
        box.addWidget(self.verify_details)
        self.verify_box.hide()

        self.explanation = QLabel(_IDLE_TEXT)
        self.explanation.setWordWrap(True)
        self.explanation.setAccessibleName("What the response means")
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # what the send said besides its status (a body cut short, a retry not made and why):
        # plain text, since a note can quote what a server said
        self.notes_label = QLabel()
        self.notes_label.setObjectName("responseNotes")
        self.notes_label.setAccessibleName("Notes on how the send ended")
        self.notes_label.setTextFormat(Qt.TextFormat.PlainText)
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes_label.hide()

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.hide()

        self.findings_list = QListWidget()
        self.findings_list.setAccessibleName("Problems the server reported")
        self.findings_list.setWordWrap(True)
        self.findings_list.itemActivated.connect(self._on_finding_item)
        self.findings_list.itemClicked.connect(self._on_finding_item)
        self.findings_list.setMaximumHeight(120)
        self.findings_list.hide()

        # the body, headers, request and attempts tabs are built with the first outcome: an
        # empty frame says nothing, and the window paints sooner without them
        self._tabs: ResponseDetails | None = None

        self.timing_label.setAlignment(Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(title)
        layout.addWidget(self.status_label)
        layout.addWidget(self.timing_label)
        layout.addWidget(self.delivery_label)
        layout.addWidget(self.history_warning)
        layout.addWidget(self.progress)
        layout.addWidget(self.explanation)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.verify_box)
        layout.addWidget(self.findings_list, 1)
        self._tabs_at = layout.count()
        layout.addStretch(0)
        self._layout = layout
        self.show_idle()

    @property
    def tabs(self) -> ResponseDetails:
        """Body, Headers, Request and Attempts (built with the first outcome shown)."""
        if self._tabs is None:
            from composer.ui.response_details import ResponseDetails

            self._tabs = ResponseDetails()
            self._tabs.hide()
            self._layout.insertWidget(self._tabs_at, self._tabs, 3)
            # built late, they would come last in the Tab order (after the history): their
            # place is where they stand, after the findings
            QWidget.setTabOrder(self.findings_list, self._tabs)
        return self._tabs

    @property
    def body_view(self) -> QPlainTextEdit:
        return self.tabs.body_view

    @property
    def headers_view(self) -> QPlainTextEdit:
        return self.tabs.headers_view

    @property
    def request_view(self) -> QPlainTextEdit:
        return self.tabs.request_view

    @property
    def attempts_table(self) -> QTableWidget:
        return self.tabs.attempts_table

    # -- states ------------------------------------------------------------------------------

    def show_idle(self) -> None:
        self._clear_details()
        self._set_status(Tone.NEUTRAL, "Ready to send")
        self._set_timing("")
        self.explanation.setText(_IDLE_TEXT)

    def show_sending(self, target_label: str) -> None:
        """A send is running: say where to, and that Esc cancels it. Nothing of the
        previous send stays on show (its headers and attempts are not this send's)."""
        self._clear_details()
        self._set_status(Tone.NEUTRAL, f"Sending to {target_label}…")
        self._set_timing("")
        self.explanation.setText("Waiting for the answer. Press Esc (or Cancel) to stop.")
        self.progress.show()

    def show_failure(self, headline: str, message: str) -> None:
        """Something went wrong before or while a request went out (no key, cancelled, a
        bug): say what, and show no details of an earlier send."""
        self._clear_details()
        self.progress.hide()
        self._set_status(Tone.ERROR, headline)
        self._set_timing("")
        self.explanation.setText(message)

    def _clear_details(self) -> None:
        self._outcome = None
        self.verify_box.hide()
        self.delivery_label.hide()
        self.history_warning.hide()
        self.notes_label.clear()
        self.notes_label.hide()
        self.findings_list.clear()
        self.findings_list.hide()
        if self._tabs is not None:
            self._tabs.clear_outcome()

    def show_outcome(
        self,
        outcome: SendOutcome,
        *,
        unique_id: str | None = None,
        history_problem: str | None = None,
        note: str | None = None,
    ) -> None:
        """Show one outcome: its meaning and delivery state, timings, server findings, headers
        and bodies. ``unique_id`` is the one the request carried; ``history_problem`` why the
        history could not record the send; ``note`` a sentence to add (e.g. for a resend)."""
        from composer.domain.findings import describe_pointer
        from composer.services.outcome_text import (
            delivery_of,
            describe_outcome,
            timing_line,
        )

        self._outcome = outcome
        self.progress.hide()
        words = describe_outcome(
            outcome, unique_id=unique_id, resend="Resend exactly, in the history's menu"
        )
        self._set_status(words.tone, words.headline)
        self._set_timing(timing_line(outcome))
        self.explanation.setText(f"{note} {words.explanation}" if note else words.explanation)
        self.show_delivery(delivery_of(outcome).value, unique_id)
        self.show_history_problem(history_problem)
        self.notes_label.setText("\n".join(f"• {n[:1].upper()}{n[1:]}" for n in outcome.notes))
        self.notes_label.setVisible(bool(outcome.notes))
        self.findings_list.clear()
        for finding in outcome.findings:
            where = describe_pointer(finding.pointer) if finding.pointer else "the request"
            item = QListWidgetItem(f"✕ {where}: {finding.message}")
            item.setData(Qt.ItemDataRole.UserRole, finding)
            self.findings_list.addItem(item)
        self.findings_list.setVisible(bool(outcome.findings) and outcome.status == 400)
        self.tabs.show_outcome(outcome)

    def outcome(self) -> SendOutcome | None:
        return self._outcome

    def show_delivery(self, delivery: str, unique_id: str | None) -> None:
        """The delivery state line: accepted, not accepted, unknown or not sent."""
        from composer.services.outcome_text import delivery_text

        words = delivery_text(delivery)
        sent_with = f" · unique_id {unique_id}" if unique_id else " · no unique_id"
        self.delivery_label.setText(f"Delivery: {SYMBOLS[words.tone]} {words.label}{sent_with}")
        color = getattr(theme.colors(), words.tone.value)
        self.delivery_label.setStyleSheet(f"color: {color};")
        self.delivery_label.setToolTip(words.meaning)
        self.delivery_label.show()

    def show_history_problem(self, problem: str | None) -> None:
        """Say that the history could not record a send (disk full, read-only, locked)."""
        if not problem:
            self.history_warning.hide()
            return
        self.history_warning.setText(
            f"⚠ Not in the history: {problem[:1].upper()}{problem[1:]}. The send itself went "
            "ahead; what you see here is its only record."
        )
        self.history_warning.setStyleSheet(f"color: {theme.colors().warning};")
        self.history_warning.show()

    # -- the read-back check ------------------------------------------------------------------

    def show_checking(self, text: str) -> None:
        """The check of the send on show is running."""
        self._set_verify(Tone.NEUTRAL, text, "", button=False)

    def show_not_checked(self, text: str) -> None:
        """Automatic checks are off for this target: say so and offer Check now."""
        self._set_verify(Tone.NEUTRAL, "Not checked", text, button=True, label="Check now")

    def show_verdict(self, verdict: VerdictText) -> None:
        """The check's outcome in words, with its evidence."""
        self._set_verify(verdict.tone, verdict.headline, "\n".join(verdict.lines), button=True)

    def hide_check(self) -> None:
        self.verify_box.hide()

    def _set_verify(
        self, tone: Tone, headline: str, details: str, *, button: bool, label: str = "Check again"
    ) -> None:
        color = getattr(theme.colors(), tone.value)
        self.verify_status.setText(f"{SYMBOLS[tone]} {headline}")
        self.verify_status.setStyleSheet(f"color: {color};")
        self.verify_status.setProperty("tone", tone.value)
        self.verify_details.setText(details)
        self.verify_details.setVisible(bool(details))
        self.check_button.setText(label)
        self.check_button.setVisible(button)
        self.verify_box.show()

    # -- helpers -----------------------------------------------------------------------------

    def _set_timing(self, text: str) -> None:
        self.timing_label.setText(text)
        self.timing_label.setVisible(bool(text))

    def _set_status(self, tone: Tone, text: str) -> None:
        color = getattr(theme.colors(), tone.value)
        self.status_label.setText(f"{SYMBOLS[tone]} {text}")
        self.status_label.setStyleSheet(f"color: {color};")
        self.status_label.setProperty("tone", tone.value)

    def _on_finding_item(self, item: QListWidgetItem) -> None:
        finding = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(finding, Finding):
            self.findingActivated.emit(finding)

    def refresh_colors(self) -> None:
        """Re-apply status colours after a theme change."""
        tone = self.status_label.property("tone") or Tone.NEUTRAL.value
        color = getattr(theme.colors(), str(tone))
        self.status_label.setStyleSheet(f"color: {color};")
        vtone = self.verify_status.property("tone") or Tone.NEUTRAL.value
        self.verify_status.setStyleSheet(f"color: {getattr(theme.colors(), str(vtone))};")
