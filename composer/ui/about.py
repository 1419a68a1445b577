"""The About dialog: versions of the app, Qt, PySide6, Python and the API revision."""

from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from composer import __version__
from composer.domain.revisions import DEFAULT_REVISION, REVISIONS


def about_lines() -> list[tuple[str, str]]:
    """(what, version) pairs shown in the dialog, also handy for bug reports."""
    return [
        ("Event Composer", __version__),
        (
            "Klaviyo API revision",
            f"{DEFAULT_REVISION} by default (POST {REVISIONS[DEFAULT_REVISION].path}); "
            f"{len(REVISIONS)} revisions from {next(iter(REVISIONS))}",
        ),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("Python", platform.python_version()),
        ("Platform", platform.platform(terse=True)),
    ]


class AboutDialog(QDialog):
    """Names the app, what it is for, and every version a bug report needs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Event Composer")
        self.setAccessibleName("About Event Composer")
        rows = "".join(
            f"<tr><td style='padding-right:12px'><b>{what}</b></td><td>{ver}</td></tr>"
            for what, ver in about_lines()
        )
        text = QLabel(
            "<h3>Event Composer</h3>"
            "<p>Compose, validate and send Klaviyo Create Event requests. The built-in "
            "sandbox answers like Klaviyo without anything leaving this computer.</p>"
            f"<table>{rows}</table>"
        )
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setWordWrap(True)
        text.setAccessibleName("Versions")
        self.versions_label = text
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
