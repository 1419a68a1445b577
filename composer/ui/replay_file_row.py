"""The Replay dialog's File row: the file's name, then how far reading it has got, what it
holds once read, or why it cannot be replayed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from composer.services.replay_session import SHAPE_WORDS, ReadProgress, ReplayFile
from composer.services.tones import SYMBOLS, Tone
from composer.ui import theme


def size_text(size: int) -> str:
    """A file's size in the unit that reads best (bytes, KB, MB)."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size / (1024 * 1024):,.1f} MB"


class ReplayFileRow(QWidget):
    """The file being replayed; ``ready()`` once it has been read and can be replayed."""

    def __init__(self, path_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ready = False
        self.file_name = QLabel(path_name)
        bold = self.file_name.font()
        bold.setWeight(QFont.Weight.DemiBold)
        self.file_name.setFont(bold)
        self.file_details = QLabel("Reading the file…")
        self.file_details.setObjectName("replayFileDetails")
        self.file_details.setWordWrap(True)
        self.file_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.file_name)
        layout.addWidget(self.file_details)

    def ready(self) -> bool:
        return self._ready

    def show_reading(self, progress: ReadProgress) -> None:
        """How far counting the file has got (nothing once it has been read)."""
        if self._ready:
            return
        self.file_details.setText(
            f"Reading the file… {progress.fraction:.0%} of {size_text(progress.size)} · "
            f"{progress.events:,} events so far"
        )

    def show_file(self, file: ReplayFile) -> None:
        """What the file holds."""
        n = file.count
        layout = f" · written in {SHAPE_WORDS[file.shape]}" if file.shape is not None else ""
        self.file_details.setText(
            f"{n:,} event{'s' * (n != 1)} · {size_text(file.size)}{layout} · {file.path}"
        )
        self._ready = True

    def show_unreadable(self, problem: str) -> None:
        """Why the file cannot be replayed."""
        self.file_details.setText(f"{SYMBOLS[Tone.ERROR]} {problem}")
        self.file_details.setStyleSheet(f"color: {theme.colors().error};")
        self._ready = False
