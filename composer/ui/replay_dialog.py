"""The Replay a file dialog: what the file holds and where it goes, single creates or bulk
jobs, then progress in events with Pause and Cancel, and the outcome by delivery state.

A view only: :class:`~composer.ui.replay_part.ReplayPart` runs the replay and feeds it. The
dialog is modeless, so the composer stays usable while a long replay runs beside it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from composer.client.targets import Target, TargetKind
from composer.services.outcome_text import SYMBOLS, Tone
from composer.services.replay_session import (
    ReadProgress,
    ReplayCounts,
    ReplayFile,
)
from composer.services.replay_text import ReplayOutcomeText
from composer.services.target_words import target_headline
from composer.ui import theme
from composer.ui.dialogs import grow_to_fit
from composer.ui.replay_file_row import ReplayFileRow
from composer.ui.replay_progress import ReplayProgress, tone_color
from composer.ui.revision_picker import fill_revisions
from composer.ui.target_style import badge_colors, badge_symbol, paint_send_button

SINGLE, BULK = "single", "bulk"


class ReplayDialog(QDialog):
    """``startRequested`` (Start pressed), ``pauseRequested(bool)`` (True: pause),
    ``cancelRequested`` (Cancel replay), ``revisionChanged(str)``, ``modeChanged(str)``.
    Closed while a replay runs, it only hides (the replay goes on)."""

    startRequested = Signal()
    pauseRequested = Signal(bool)
    cancelRequested = Signal()
    revisionChanged = Signal(str)
    modeChanged = Signal(str)

    def __init__(self, path_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayDialog")
        self.setWindowTitle(f"Replay {path_name}")
        self.setAccessibleName("Replay a file")
        self._running = False
        self._bulk_refusal: str | None = None
        self._production = False
        self._replayed = False
        self._resume_mode = SINGLE

        self.file_row = ReplayFileRow(path_name)
        self.file_name = self.file_row.file_name
        self.file_details = self.file_row.file_details

        self.target_badge = QLabel()
        self.target_badge.setObjectName("replayTarget")
        self.target_badge.setContentsMargins(8, 3, 8, 3)
        self.target_warning = QLabel()
        self.target_warning.setObjectName("replayProductionWarning")
        self.target_warning.setWordWrap(True)
        self.target_warning.hide()
        target_box = QVBoxLayout()
        target_box.setSpacing(4)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target_badge)
        target_row.addStretch(1)
        target_box.addLayout(target_row)
        target_box.addWidget(self.target_warning)
        self.account_label = QLabel()

        self.revision_combo = QComboBox()
        self.revision_combo.setObjectName("replayRevision")
        self.revision_combo.setAccessibleName("Revision")
        self.revision_combo.currentIndexChanged.connect(self._on_revision)

        self.single_radio = QRadioButton(
            "One request per event (Create Event, up to 3,500 a minute)"
        )
        self.single_radio.setObjectName("replaySingle")
        self.bulk_radio = QRadioButton(
            "Bulk jobs (up to 1,000 events a request, about 40 times faster)"
        )
        self.bulk_radio.setObjectName("replayBulk")
        self.single_radio.setChecked(True)
        self.modes = QButtonGroup(self)
        self.modes.addButton(self.single_radio)
        self.modes.addButton(self.bulk_radio)
        self.modes.buttonToggled.connect(self._on_mode)
        self.mode_reason = QLabel()
        self.mode_reason.setObjectName("replayModeReason")
        self.mode_reason.setWordWrap(True)
        self.mode_reason.hide()
        mode_box = QVBoxLayout()
        mode_box.setSpacing(4)
        mode_box.addWidget(self.single_radio)
        mode_box.addWidget(self.bulk_radio)
        mode_box.addWidget(self.mode_reason)
        self.layout_note = QLabel()
        self.layout_note.setObjectName("replayLayoutNote")
        self.layout_note.setWordWrap(True)
        self.layout_note.hide()
        mode_box.addWidget(self.layout_note)

        self.resume_check = QCheckBox("Resume the interrupted run")
        self.resume_check.setObjectName("replayResume")
        self.resume_check.hide()
        self.resume_check.toggled.connect(self._on_resume_toggled)
        self.resume_note = QLabel()
        self.resume_note.setObjectName("replayResumeNote")
        self.resume_note.setWordWrap(True)
        self.resume_note.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("File", self.file_row)
        form.addRow("Target", target_box)
        form.addRow("Account", self.account_label)
        form.addRow("Revision", self.revision_combo)
        form.addRow("Send as", mode_box)
        resume_box = QVBoxLayout()
        resume_box.setSpacing(2)
        resume_box.addWidget(self.resume_check)
        resume_box.addWidget(self.resume_note)
        form.addRow("", resume_box)

        self.progress_box = ReplayProgress()
        self.progress_box.hide()
        # the parts of the progress the dialog's users read directly
        self.bar = self.progress_box.bar
        self.progress_label = self.progress_box.progress_label
        self.count_labels = self.progress_box.count_labels
        self.outcome_headline = self.progress_box.outcome_headline
        self.outcome_detail = self.progress_box.outcome_detail
        self.problems = self.progress_box.problems

        self.buttons = QDialogButtonBox()
        self.start_button = QPushButton("Start replay")
        self.start_button.setObjectName("replayStart")
        self.start_button.setEnabled(False)
        self.start_button.setDefault(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("replayPause")
        self.pause_button.setCheckable(True)
        self.cancel_button = QPushButton("Cancel replay")
        self.cancel_button.setObjectName("replayCancel")
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("replayClose")
        self.buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.pause_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.pause_button.hide()  # after addButton, which shows them
        self.cancel_button.hide()
        self.start_button.clicked.connect(self.startRequested.emit)
        self.pause_button.toggled.connect(self._on_pause)
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addLayout(form)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        layout.addWidget(self.progress_box, 1)
        layout.addWidget(self.buttons)
        self.resize(720, self.sizeHint().height())

    # -- before the start ----------------------------------------------------------------------

    def show_reading(self, progress: ReadProgress) -> None:
        """The file is being counted: how far it has got (a large file takes a few seconds;
        the dialog and the window stay usable meanwhile)."""
        self.file_row.show_reading(progress)

    def set_file(self, file: ReplayFile) -> None:
        """The file has been read: say what it holds."""
        self.file_row.show_file(file)
        self._update_start()
        grow_to_fit(self)

    def set_unreadable(self, problem: str) -> None:
        """The file cannot be replayed: say why; nothing can start."""
        self.file_row.show_unreadable(problem)
        self._update_start()
        grow_to_fit(self)

    def set_target(self, target: Target, account: str | None) -> None:
        """Where the events go; production is red, says so in words and asks at the start."""
        c = theme.colors()
        production = target.kind is TargetKind.PRODUCTION
        bg, fg = badge_colors(target.kind)
        symbol = badge_symbol(target.kind)
        self.target_badge.setText(f"{symbol} {target_headline(target)}")
        self.target_badge.setProperty("targetKind", target.kind.value)
        self.target_badge.setStyleSheet(
            f"QLabel#replayTarget {{ background: {bg}; color: {fg}; border-radius: 4px;"
            f" font-weight: {700 if production else 600}; }}"
        )
        self.target_warning.setVisible(production)
        if production:
            self.target_warning.setText(
                "Every event of this file goes to your live Klaviyo account: it shows on real "
                "profiles and may trigger flows (emails, SMS). You are asked once more at the "
                "start."
            )
            self.target_warning.setStyleSheet(f"color: {c.error}; font-weight: 600;")
        self.account_label.setText(account or "— (none)")
        self._production = production
        self._update_start()
        paint_send_button(self.start_button, production, focus_ring=False)

    def set_revision(self, revision: str) -> None:
        fill_revisions(self.revision_combo, revision)
        self._on_revision()

    def revision(self) -> str:
        data = self.revision_combo.currentData()
        return str(data) if data else ""

    def mode(self) -> str:
        return BULK if self.bulk_radio.isChecked() else SINGLE

    def set_bulk_refusal(self, reason: str | None) -> None:
        """Why bulk cannot be chosen now (None: it can). A bulk choice falls back to single
        creates, and the reason stays in view."""
        self._bulk_refusal = reason
        self.bulk_radio.setEnabled(reason is None and not self._running and not self.resuming())
        if reason is not None and self.bulk_radio.isChecked() and not self.resuming():
            self.single_radio.setChecked(True)
        self.mode_reason.setText(f"{SYMBOLS[Tone.NEUTRAL]} {reason}" if reason else "")
        self.mode_reason.setVisible(bool(reason))
        self.bulk_radio.setToolTip(reason or "")
        grow_to_fit(self)

    def set_layout_note(self, note: str | None, warning: bool) -> None:
        """What the file's layout means at the chosen revision and mode (None: nothing)."""
        tone = Tone.WARNING if warning else Tone.NEUTRAL
        self.layout_note.setText(f"{SYMBOLS[tone]} {note}" if note else "")
        self.layout_note.setStyleSheet(f"color: {tone_color(tone)};" if warning else "")
        self.layout_note.setVisible(bool(note))
        grow_to_fit(self)

    def offer_resume(self, text: str | None, note: str | None, mode: str = SINGLE) -> None:
        """Offer to continue an interrupted run (``text``: what it did and what resuming
        does; ``mode``: how it was sent, which a resume keeps), or say why an unfinished run
        cannot be continued (``note``)."""
        self._resume_mode = mode
        self.resume_check.setVisible(text is not None)
        self.resume_check.setChecked(text is not None)
        self.resume_note.setText(text or note or "")
        self.resume_note.setVisible(bool(text or note))
        grow_to_fit(self)

    def resuming(self) -> bool:
        return self.resume_check.isVisible() and self.resume_check.isChecked()

    def _on_resume_toggled(self, _on: bool) -> None:
        # a resumed run keeps its own revision and the way it was sent
        resuming = self.resuming()
        if resuming:
            (self.bulk_radio if self._resume_mode == BULK else self.single_radio).setChecked(True)
        self.revision_combo.setEnabled(not resuming and not self._running)
        self.single_radio.setEnabled(not resuming and not self._running)
        self.set_bulk_refusal(self._bulk_refusal)
        self._update_start()

    def _on_revision(self, _index: int = 0) -> None:
        self.revisionChanged.emit(self.revision())

    def _on_mode(self, _button: QRadioButton, checked: bool) -> None:
        if checked:
            self.modeChanged.emit(self.mode())

    def _update_start(self) -> None:
        self.start_button.setEnabled(self.file_row.ready() and not self._running)
        if self.resuming():
            text, tip = "Resume replay", "Continue the interrupted run: nothing is sent twice"
        elif self._replayed:
            text, tip = "Replay again", "A new run: every event is sent again, as new events"
        else:
            text, tip = "Start replay", ""
        if self._production:  # the button says where the events go
            text = f"{text} to production…"
        self.start_button.setText(text)
        self.start_button.setToolTip(tip)

    # -- running -------------------------------------------------------------------------------

    def set_running(self, running: bool) -> None:
        """Lock the choices while a replay runs; Pause and Cancel replay while it does."""
        self._running = running
        for widget in (self.revision_combo, self.single_radio, self.resume_check):
            widget.setEnabled(not running)
        self.set_bulk_refusal(self._bulk_refusal)
        self._on_resume_toggled(self.resuming())
        self.progress_box.show()
        self.pause_button.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.start_button.setVisible(not running)
        self.pause_button.setChecked(False)
        self.close_button.setText("Hide" if running else "Close")
        self.close_button.setToolTip(
            "The replay goes on; File > Replay a file… shows it again" if running else ""
        )
        if running:
            self.progress_box.hide_outcome()
        self._update_start()
        grow_to_fit(self)

    def is_running(self) -> bool:
        return self._running

    def _on_pause(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pauseRequested.emit(paused)

    def show_progress(self, counts: ReplayCounts, line: str) -> None:
        self.progress_box.show_counts(counts, line, running=self._running)

    def show_cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.pause_button.setEnabled(False)
        self.progress_box.show_line("Cancelling: stopping the sends in flight…")

    def show_outcome(self, words: ReplayOutcomeText, problems: list[str]) -> None:
        """The end: the headline in its tone, what to do next, the events not accepted."""
        self.pause_button.setEnabled(True)
        self.progress_box.show_outcome(words, problems)
        self._replayed = True
        self._update_start()
        grow_to_fit(self)

    def show_failure(self, problem: str) -> None:
        """The replay could not start or broke off: say why."""
        self.progress_box.show()
        self.progress_box.show_failure(problem)
        grow_to_fit(self)

    # -- closing -------------------------------------------------------------------------------

    def reject(self) -> None:
        if self._running:
            self.hide()  # the replay goes on; the part shows the dialog again
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._running:
            event.ignore()
            self.hide()
            return
        super().closeEvent(event)
