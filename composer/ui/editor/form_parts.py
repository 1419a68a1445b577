"""Building blocks of the Form tab: a field row that shows its finding, a disclosure toggle,
and the small text helpers the form uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.domain.findings import Severity
from composer.ui.theme import is_dark_palette as is_dark

PROFILE_LABELS = {
    "$email": "Email",
    "$phone_number": "Phone",
    "$first_name": "First name",
    "$last_name": "Last name",
    "$city": "City",
    "$region": "Region",
    "$country": "Country",
    "$zip": "Zip / postal code",
    "$image": "Image URL",
}
PROFILE_PLACEHOLDERS = {
    "$email": "ann@example.com",
    "$phone_number": "+15005550006 (E.164)",
    "$image": "https://…",
}
RARE_PROFILE_FIELDS = ("$city", "$region", "$country", "$zip", "$image")
# The later (profile.data) shape, from 2023-07-15 on: location members as "location.<name>".
PROFILE_LABELS.update(
    {
        "email": "Email",
        "phone_number": "Phone",
        "first_name": "First name",
        "last_name": "Last name",
        "external_id": "External ID",
        "anonymous_id": "Anonymous ID",
        "_kx": "Exchange ID (_kx)",
        "organization": "Organization",
        "title": "Job title",
        "image": "Image URL",
        "locale": "Locale",
        "location.address1": "Address line 1",
        "location.address2": "Address line 2",
        "location.city": "City",
        "location.region": "Region",
        "location.country": "Country",
        "location.zip": "Zip / postal code",
        "location.timezone": "Time zone",
        "location.latitude": "Latitude",
        "location.longitude": "Longitude",
        "location.ip": "IP address",
    }
)
PROFILE_PLACEHOLDERS.update(
    {
        "email": "ann@example.com",
        "phone_number": "+15005550006 (E.164)",
        "image": "https://…",
        "locale": "en-US (BCP 47)",
        "location.timezone": "America/New_York",
    }
)
COMMON_PROFILE_FIELDS = (
    "$email",
    "$phone_number",
    "$first_name",
    "$last_name",
    "email",
    "phone_number",
    "first_name",
    "last_name",
)
"""Shown at once; the other profile fields are behind "More profile fields"."""
CONSENT_LABELS = {
    "sms": "SMS",
    "email": "Email",
    "web": "Web",
    "directmail": "Direct mail",
    "mobile": "Mobile push",
}


def utc_offsets() -> list[int]:
    """UTC offsets in minutes that time zones use, from -12:00 to +14:00."""
    minutes = set(range(-12 * 60, 14 * 60 + 1, 60))
    minutes |= {
        -9 * 60 - 30,
        -3 * 60 - 30,
        3 * 60 + 30,
        4 * 60 + 30,
        5 * 60 + 30,
        5 * 60 + 45,
        6 * 60 + 30,
        9 * 60 + 30,
        10 * 60 + 30,
        12 * 60 + 45,
    }
    return sorted(minutes)


def offset_text(minutes: int) -> str:
    """'+05:30' for 330."""
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}"


class FieldRow(QWidget):
    """One field: its editor(s) and, when a finding names it, a symbol, a coloured frame and
    the finding's message under it."""

    def __init__(
        self, *widgets: QWidget, focus: QWidget | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.focus_widget = focus or widgets[0]
        self._framed = [w for w in widgets if isinstance(w, QLineEdit | QComboBox)]
        # what each editor's tooltip says when no finding replaces it
        self._tips = [w.toolTip() for w in self._framed]
        self._marked = False
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            row.addWidget(w, 1 if isinstance(w, QLineEdit | QComboBox) else 0)
        self._name = self.focus_widget.accessibleName() or "field"
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._layout.addLayout(row)
        # the finding's and the resolved value's labels are built when first needed: most
        # fields never show either, and a form has dozens of fields
        self._message: QLabel | None = None
        self._hint: QLabel | None = None
        self._base_description = self.focus_widget.accessibleDescription()

    @property
    def message(self) -> QLabel:
        """The line under the field that says what a finding found."""
        if self._message is None:
            label = QLabel(self)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.hide()
            label.setAccessibleName(f"{self._name} problem")
            self._layout.insertWidget(1, label)  # under the editors, above the hint
            self._message = label
        return self._message

    @property
    def hint(self) -> QLabel:
        """The grey line under the field with the value its variables resolve to."""
        if self._hint is None:
            label = QLabel(self)
            label.setObjectName("variableHint")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(f"{self._name} resolved value")
            label.hide()
            self._layout.addWidget(label)
            self._hint = label
        return self._hint

    def set_hint(self, text: str | None, tooltip: str = "") -> None:
        """Show (or with None hide) the resolved value of the field's variables, in grey
        under the field."""
        if not text:
            if self._hint is not None:
                self._hint.hide()
                self._hint.clear()
            return
        metrics = self.hint.fontMetrics()
        room = max(self.width() - 8, 200)
        self.hint.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, room))
        self.hint.setToolTip(tooltip or text)
        color = "#9e9e9e" if is_dark(self.palette()) else "#616161"
        self.hint.setStyleSheet(f"color: {color};")
        self.hint.show()

    def set_finding(self, severity: Severity | None, message: str = "") -> None:
        """Show (or with None clear) a finding on this field."""
        if severity is None:
            if not self._marked:
                return  # nothing to clear (restyling every field on each check is slow)
            self._marked = False
            self.message.hide()
            self.message.clear()
            for w, tip in zip(self._framed, self._tips, strict=True):
                w.setStyleSheet("")
                w.setToolTip(tip)
            self.focus_widget.setAccessibleDescription(self._base_description)
            return
        self._marked = True
        dark = is_dark(self.palette())
        if severity is Severity.ERROR:
            color, symbol, word = ("#ef9a9a" if dark else "#c62828"), "✖", "Error"
        else:
            color, symbol, word = ("#ffcc80" if dark else "#9a5b00"), "⚠", "Warning"
        self.message.setText(f"{symbol} {message}")
        self.message.setStyleSheet(f"color: {color};")
        self.message.show()
        for w in self._framed:
            kind = type(w).__name__
            w.setStyleSheet(
                f"{kind} {{ border: 1px solid {color}; border-radius: 3px; padding: 2px; }}"
            )
            w.setToolTip(f"{word}: {message}")
        self.focus_widget.setAccessibleDescription(f"{word}: {message}")


class Disclosure(QToolButton):
    """A "▸ More …" toggle that shows or hides a panel; ``fill`` (when given) runs each time
    before the panel is shown (to build its contents the first time)."""

    def __init__(
        self,
        text: str,
        panel: QWidget,
        parent: QWidget | None = None,
        *,
        fill: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self._fill = fill
        self.setText(text)
        self.setAccessibleName(text)
        self.setCheckable(True)
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setArrowType(Qt.ArrowType.RightArrow)
        self._panel = panel
        panel.hide()
        self.toggled.connect(self._on_toggled)

    def _on_toggled(self, on: bool) -> None:
        self.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        if on and self._fill is not None:
            self._fill()
        self._panel.setVisible(on)


LONGEST_TEXT = (1 << 31) - 1
"""What a Form field holds at most: as much as a JSON string can (Qt's default of 32,767
characters cut a longer value on show, and the next keystroke sent the cut value)."""


def line_edit(name: str, placeholder: str = "") -> QLineEdit:
    """A line edit with an accessible name, a placeholder and a clear button, that shows a
    value of any length whole."""
    edit = QLineEdit()
    edit.setMaxLength(LONGEST_TEXT)
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    return edit


def set_text(edit: QLineEdit, text: str) -> None:
    """Show ``text`` (left alone when it already shows it, so the cursor does not jump)."""
    if edit.text() != text:
        edit.setText(text)


def html(text: str) -> str:
    """``text`` safe inside rich text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def local_offset_minutes() -> int:
    """This computer's UTC offset now, in minutes."""
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 date-time (UTC when it names no offset), or None."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
