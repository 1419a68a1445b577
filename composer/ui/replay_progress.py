"""The lower half of the Replay dialog: the progress bar and line, the counts by delivery
state, and at the end the outcome in its tone with the events not accepted, by line."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from composer.services.replay_session import ReplayCounts
from composer.services.replay_text import ReplayOutcomeText, count_texts
from composer.services.tones import SYMBOLS, Tone
from composer.ui import theme


def tone_color(tone: Tone) -> str:
    """The theme's colour of ``tone`` (the neutral one for a neutral tone)."""
    c = theme.colors()
    return {Tone.OK: c.ok, Tone.WARNING: c.warning, Tone.ERROR: c.error}.get(tone, c.neutral)


class ReplayProgress(QWidget):
    """Progress in events while a replay runs, then its outcome."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar()
        self.bar.setObjectName("replayProgress")
        self.bar.setTextVisible(True)
        self.bar.setFormat("%p%")
        self.progress_label = QLabel()
        self.progress_label.setObjectName("replayProgressLine")
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        self.count_labels: dict[str, tuple[QLabel, QLabel]] = {}
        for column, text in enumerate(count_texts(ReplayCounts(0))):
            name = QLabel(f"{text.symbol} {text.label}")
            value = QLabel("0")
            value.setObjectName(f"replayCount_{text.key}")
            value.setAccessibleName(text.label)
            font = value.font()
            font.setPointSizeF(font.pointSizeF() * 1.3)
            font.setWeight(QFont.Weight.DemiBold)
            value.setFont(font)
            grid.addWidget(value, 0, column)
            grid.addWidget(name, 1, column)
            self.count_labels[text.key] = (name, value)
        grid.setColumnStretch(len(self.count_labels), 1)
        self.outcome_headline = QLabel()
        self.outcome_headline.setObjectName("replayOutcome")
        self.outcome_headline.setWordWrap(True)
        font = self.outcome_headline.font()
        font.setWeight(QFont.Weight.Bold)
        self.outcome_headline.setFont(font)
        self.outcome_headline.hide()
        self.outcome_detail = QLabel()
        self.outcome_detail.setObjectName("replayOutcomeDetail")
        self.outcome_detail.setWordWrap(True)
        self.outcome_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome_detail.hide()
        self.problems = QPlainTextEdit()
        self.problems.setObjectName("replayProblems")
        self.problems.setAccessibleName("Events not accepted, by line")
        self.problems.setReadOnly(True)
        self.problems.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.problems.setMinimumHeight(80)
        self.problems.hide()
        layout.addWidget(self.bar)
        layout.addWidget(self.progress_label)
        layout.addLayout(grid)
        layout.addSpacing(6)
        layout.addWidget(self.outcome_headline)
        layout.addWidget(self.outcome_detail)
        layout.addWidget(self.problems, 1)

    def hide_outcome(self) -> None:
        """A new run starts: the last one's outcome goes."""
        self.outcome_headline.hide()
        self.outcome_detail.hide()
        self.problems.hide()

    def show_counts(self, counts: ReplayCounts, line: str, *, running: bool) -> None:
        """How far the replay has got, and each delivery state's count in its tone."""
        self.bar.setMaximum(max(counts.total, 1))
        self.bar.setValue(counts.done)
        self.progress_label.setText(line)
        for text in count_texts(counts, running=running):
            name, value = self.count_labels[text.key]
            name.setText(f"{text.symbol} {text.label}")
            value.setText(f"{text.value:,}")
            color = tone_color(text.tone) if text.value else theme.colors().neutral
            name.setStyleSheet(f"color: {color};")

    def show_line(self, line: str) -> None:
        """A word on the progress line (Cancelling…) without new counts."""
        self.progress_label.setText(line)

    def show_outcome(self, words: ReplayOutcomeText, problems: list[str]) -> None:
        """The end: the headline in its tone, what to do next, the events not accepted."""
        self._show_headline(words.tone, words.headline, words.detail)
        self.problems.setPlainText("\n".join(problems))
        self.problems.setVisible(bool(problems))

    def show_failure(self, problem: str) -> None:
        """The replay could not start or broke off: say why."""
        self._show_headline(Tone.ERROR, "Not replayed", problem)

    def _show_headline(self, tone: Tone, headline: str, detail: str) -> None:
        self.outcome_headline.setText(f"{SYMBOLS[tone]} {headline}")
        self.outcome_headline.setStyleSheet(f"color: {tone_color(tone)};")
        self.outcome_detail.setText(detail)
        self.outcome_headline.show()
        self.outcome_detail.show()
