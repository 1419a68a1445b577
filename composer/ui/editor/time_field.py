"""The Form's time field: "when Klaviyo receives it", or a date and time at a UTC offset.

The date-time editor is built after the window's first paint (the first spin box Qt makes
costs ~10 ms, and the field sits below the fold): until then the field keeps the date-time
it would show, and reading :attr:`TimeField.time_edit` builds it at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer, QTimeZone, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from composer.ui.editor.form_parts import local_offset_minutes, offset_text, parse_iso, utc_offsets

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDateTimeEdit


NO_TIME = "No time is sent; Klaviyo uses the time it receives the event"
"""The note under the field while the event has no time member."""


class TimeField(QWidget):
    """Edits the event's time. ``changed`` carries the ISO 8601 text to send, or None for
    no time (Klaviyo then uses the time it receives the event)."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._showing = False
        self.time_received = QRadioButton("When Klaviyo receives it")
        self.time_received.setAccessibleName("Time: when Klaviyo receives the event")
        self.time_at = QRadioButton("At")
        self.time_at.setAccessibleName("Time: at a date and time")
        group = QButtonGroup(self)
        group.addButton(self.time_received)
        group.addButton(self.time_at)
        self._edit: QDateTimeEdit | None = None
        # what the editor shows until it is built
        self._pending_time = QDateTime()
        self._edit_enabled = True
        self.offset_combo = QComboBox()
        self.offset_combo.setAccessibleName("Time zone (UTC offset)")
        for minutes in utc_offsets():
            self.offset_combo.addItem(f"UTC{offset_text(minutes)}", minutes)
        self.note = QLabel()
        self.note.setAccessibleName("Time as sent")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.time_received.toggled.connect(self._mode_changed)
        self.offset_combo.currentIndexChanged.connect(lambda _i: self._time_changed())
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.time_received, self.time_at, self.offset_combo):
            row.addWidget(w)
        row.addStretch(1)
        self._row = row
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.note)

    # -- the date-time editor, built on first use -------------------------------------------

    @property
    def time_edit(self) -> QDateTimeEdit:
        """The date-time editor (built now if it was not yet)."""
        if self._edit is None:
            # (the spin box classes and their enums load with it)
            from PySide6.QtWidgets import QDateTimeEdit

            edit = QDateTimeEdit()
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
            edit.setAccessibleName("Event date and time")
            if self._pending_time.isValid():
                edit.setDateTime(self._pending_time)
            edit.setEnabled(self._edit_enabled)
            edit.dateTimeChanged.connect(lambda _dt: self._time_changed())
            self._row.insertWidget(2, edit)
            edit.show()  # with the field (added to a shown widget, it would wait)
            # its place in the Tab order: after the radio buttons, before the offset
            QWidget.setTabOrder(self.time_at, edit)
            QWidget.setTabOrder(edit, self.offset_combo)
            self._edit = edit
        return self._edit

    def _build_edit(self) -> None:
        self.time_edit  # noqa: B018  (reading it builds it)

    def edit_built(self) -> bool:
        """True once the date-time editor exists."""
        return self._edit is not None

    def paintEvent(self, event: QPaintEvent) -> None:
        """Painted before the editor exists (a window where the field is above the fold):
        build it right after this paint."""
        super().paintEvent(event)
        if self._edit is None:
            QTimer.singleShot(0, self, self._build_edit)

    def _date_time(self) -> QDateTime:
        return self._pending_time if self._edit is None else self._edit.dateTime()

    def _set_date_time(self, value: QDateTime) -> None:
        if self._edit is None:
            self._pending_time = value
        else:
            self._edit.setDateTime(value)

    def _set_edit_enabled(self, enabled: bool) -> None:
        self._edit_enabled = enabled
        if self._edit is not None:
            self._edit.setEnabled(enabled)

    # -- reading and showing ----------------------------------------------------------------

    def iso(self) -> str:
        """The chosen date-time in ISO 8601 with its UTC offset."""
        local = self._date_time().toString("yyyy-MM-ddTHH:mm:ss")
        return f"{local}{offset_text(int(self.offset_combo.currentData()))}"

    def _mode_changed(self, received: bool) -> None:
        self._set_edit_enabled(not received)
        self.offset_combo.setEnabled(not received)
        if self._showing:
            return
        if received:
            self.note.setText(NO_TIME)  # (it said "Sent as …" of the time just taken away)
            self.changed.emit(None)
        else:
            self._time_changed()

    def _time_changed(self) -> None:
        if self._showing or not self.time_at.isChecked():
            return
        iso = self.iso()
        self.note.setText(f"Sent as {iso}")
        self.changed.emit(iso)

    def show_time(self, time: str | None, *, other: str | None = None) -> None:
        """Show the JSON's time (None: no time member). ``other``: the JSON text of a time
        member that is no string (a number, null…), which is sent as it is."""
        self._showing = True
        try:
            if other is not None:
                self._show_other(other)
            else:
                self._show(time)
        finally:
            self._showing = False

    def _show_other(self, json_text: str) -> None:
        self.time_edit  # noqa: B018  (the editor is where a date and time is picked instead)
        self.time_at.setChecked(True)
        self._set_edit_enabled(True)
        self.offset_combo.setEnabled(True)
        shown = json_text if len(json_text) <= 40 else json_text[:39] + "…"
        self.note.setText(
            f"The JSON has time {shown}, which is no date-time text and is sent as it is; "
            "pick a date and time to replace it, or choose when Klaviyo receives it"
        )

    def _show(self, time: str | None) -> None:
        if time is None:
            self.time_received.setChecked(True)
            self._set_edit_enabled(False)
            self.offset_combo.setEnabled(False)
            if not self._date_time().isValid() or self.note.text() == "":
                self._set_date_time(QDateTime.currentDateTime())
                self._select_offset(local_offset_minutes())
            self.note.setText(NO_TIME)
            return
        self.time_edit  # noqa: B018  (a time to show: the editor is needed now)
        self.time_at.setChecked(True)
        self._set_edit_enabled(True)
        self.offset_combo.setEnabled(True)
        if time == self.iso():
            self.note.setText(f"Sent as {time}")
            return
        parsed = parse_iso(time)
        if parsed is None and "{{" in time:
            self.note.setText(
                f"The time is a variable, “{time}”: each send resolves it; pick a date and "
                "time to replace it"
            )
            return
        if parsed is None:
            self.note.setText(
                f"The JSON has time “{time}”, which this form cannot show; "
                "pick a date and time to replace it"
            )
            return
        offset = parsed.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        # The edit shows the wall-clock time at the event's own offset (UTC spec: no DST
        # gaps of this computer's zone can shift it).
        self._set_date_time(
            QDateTime(
                QDate(parsed.year, parsed.month, parsed.day),
                QTime(parsed.hour, parsed.minute, parsed.second),
                QTimeZone.utc(),
            )
        )
        self._select_offset(minutes)
        self.note.setText(f"Sent as {time}")

    def _select_offset(self, minutes: int) -> None:
        index = self.offset_combo.findData(minutes)
        if index < 0:
            self.offset_combo.addItem(f"UTC{offset_text(minutes)}", minutes)
            index = self.offset_combo.count() - 1
        self.offset_combo.setCurrentIndex(index)
