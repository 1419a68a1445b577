"""The Problems list: every finding, errors first, with a symbol as well as a colour."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from composer.domain.findings import Finding, Severity, describe_pointer
from composer.ui.theme import is_dark_palette as is_dark

_FINDING = Qt.ItemDataRole.UserRole
QWIDGETSIZE_MAX = (1 << 24) - 1


def finding_text(f: Finding) -> str:
    """One line for the list: symbol, message, and who reported it."""
    symbol = "✖" if f.is_error else "⚠"
    where = ""
    if f.line is not None:
        where = f" (line {f.line}, column {f.column})"
    origin = "  — reported by Klaviyo" if f.source == "server" else ""
    return f"{symbol} {f.message}{where}{origin}"


class ProblemsView(QWidget):
    """Lists findings; a click or Enter on one emits :attr:`activated`."""

    activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel(self)
        self.header.setAccessibleName("Problems summary")
        self.list = QListWidget(self)
        self.list.setAccessibleName("Problems")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.itemClicked.connect(self._emit)
        self.list.itemActivated.connect(self._emit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.list)
        self._busy = False
        self.set_findings([])

    def set_busy(self, busy: bool) -> None:
        """Say that a check of a large text is running."""
        self._busy = busy
        self._update_header()

    def set_findings(self, findings: list[Finding]) -> None:
        """Show these findings (in the order given)."""
        self._findings = list(findings)
        self.list.clear()
        dark = is_dark(self.palette())
        for f in findings:
            item = QListWidgetItem(finding_text(f))
            item.setData(_FINDING, f)
            color = (
                ("#ef9a9a" if dark else "#b71c1c")
                if f.is_error
                else ("#ffcc80" if dark else "#8a5300")
            )
            item.setForeground(QBrush(QColor(color)))
            kind = "Error" if f.severity is Severity.ERROR else "Warning"
            item.setToolTip(
                f"{kind} in {describe_pointer(f.pointer)} ({f.rule}); click to go there"
            )
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{kind}: {f.message}")
            self.list.addItem(item)
        # No problems: one line says so, and the Form gets the room of the empty list.
        self.list.setVisible(bool(findings))
        if findings:
            self.setMaximumHeight(QWIDGETSIZE_MAX)
        else:
            layout = self.layout()
            assert layout is not None
            margins = layout.contentsMargins()
            self.setMaximumHeight(
                self.header.sizeHint().height() + margins.top() + margins.bottom()
            )
        self._update_header()

    def _update_header(self) -> None:
        findings = self._findings
        if findings:
            from composer.editing.analysis import count_words  # with the first check

            text = f"<b>Problems</b> — {count_words(findings)}"
            if any(f.source == "server" for f in findings):
                text += " (some reported by Klaviyo)"
        elif self._busy:  # not known yet: never "valid" before a check said so
            text = "<b>Problems</b> — checking…"
        else:
            text = "<b>Problems</b> — none: this event is valid ✓"
        if self._busy and findings:
            text += " · checking…"
        self.header.setText(text)

    def _emit(self, item: QListWidgetItem) -> None:
        finding = item.data(_FINDING)
        if isinstance(finding, Finding):
            self.activated.emit(finding)
