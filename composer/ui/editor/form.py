"""The Form tab: the event's fields for people who do not write JSON."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimeZone, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.domain.draft import COMMON_METRICS, PROFILE_FIELDS, EventDraft, new_unique_id
from composer.domain.findings import Finding, Severity, split_pointer
from composer.domain.revisions import KNOWN_CONSENT_CHANNELS
from composer.ui.editor.controller import ComposerController
from composer.ui.editor.properties_tree import Path, PropertiesTree, parse_number
from composer.ui.editor.raw_editor import is_dark

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
CONSENT_LABELS = {
    "sms": "SMS",
    "email": "Email",
    "web": "Web",
    "directmail": "Direct mail",
    "mobile": "Mobile push",
}
_REQUIRED_MEMBER = re.compile(r'required member "([^"]+)"')


def _offsets() -> list[int]:
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


def field_key(finding: Finding) -> str | None:
    """The form field a finding belongs to (see :class:`EventForm`), or None."""
    try:
        parts = split_pointer(finding.pointer)
    except ValueError:
        return None
    if parts[:2] != ["data", "attributes"]:
        return None
    rest = parts[2:]
    if not rest:
        if finding.rule == "unique-id-missing":
            return "unique_id"
        m = _REQUIRED_MEMBER.search(finding.message)
        member = m.group(1) if m else ""
        return {"profile": "$email", "metric": "metric_name", "properties": "properties"}.get(
            member
        )
    head = rest[0]
    if head == "profile":
        if len(rest) == 1:
            return "$email"
        if rest[1] in PROFILE_FIELDS:
            return rest[1]
        return "consent" if rest[1] == "$consent" else "profile_properties"
    if head == "metric":
        return "metric_service" if rest[1:2] == ["service"] else "metric_name"
    if head in ("properties", "time", "value", "unique_id"):
        return head
    return None


def tree_path(finding: Finding) -> Path:
    """Path inside properties (or custom profile properties) that a finding names."""
    parts = split_pointer(finding.pointer)[3:]
    return tuple(int(p) if p.isdigit() else p for p in parts)


class FieldRow(QWidget):
    """One field: its editor(s) and, when a finding names it, a symbol, a coloured frame and
    the finding's message under it."""

    def __init__(
        self, *widgets: QWidget, focus: QWidget | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.focus_widget = focus or widgets[0]
        self._framed = [w for w in widgets if isinstance(w, QLineEdit | QComboBox)]
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            row.addWidget(w, 1 if isinstance(w, QLineEdit | QComboBox) else 0)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        name = self.focus_widget.accessibleName() or "field"
        self.message.setAccessibleName(f"{name} problem")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self._base_description = self.focus_widget.accessibleDescription()

    def set_finding(self, severity: Severity | None, message: str = "") -> None:
        """Show (or with None clear) a finding on this field."""
        if severity is None:
            self.message.hide()
            self.message.clear()
            for w in self._framed:
                w.setStyleSheet("")
                w.setToolTip("")
            self.focus_widget.setAccessibleDescription(self._base_description)
            return
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


class _Disclosure(QToolButton):
    """A "▸ More …" toggle that shows or hides a panel."""

    def __init__(self, text: str, panel: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self._panel.setVisible(on)


def _line_edit(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    return edit


class EventForm(QScrollArea):
    """Every field of the event, bound to a :class:`ComposerController`.

    Field keys (used by :meth:`focus_finding` and :attr:`rows`): the profile keys
    (``"$email"`` …), ``"consent"``, ``"profile_properties"``, ``"metric_name"``,
    ``"metric_service"``, ``"properties"``, ``"time"``, ``"value"``, ``"unique_id"``.
    """

    goToSyntaxError = Signal()

    def __init__(self, controller: ComposerController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._refreshing = False
        self._editing = False
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Event form")
        body = QWidget()
        body.setObjectName("formBody")
        self.setWidget(body)
        outer = QVBoxLayout(body)
        outer.setContentsMargins(12, 10, 12, 12)
        outer.setSpacing(12)

        self.banner = self._make_banner()
        outer.addWidget(self.banner)
        self.fields_panel = QWidget()
        panel = QVBoxLayout(self.fields_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        panel.setSpacing(12)
        outer.addWidget(self.fields_panel)
        self.rows: dict[str, FieldRow] = {}
        self.profile_edits: dict[str, QLineEdit] = {}
        panel.addWidget(self._profile_box())
        panel.addWidget(self._metric_box())
        panel.addWidget(self._properties_box())
        panel.addWidget(self._details_box())
        panel.addStretch(1)

        controller.draftChanged.connect(self.refresh)
        controller.syntaxStateChanged.connect(self._on_syntax)
        controller.findingsChanged.connect(self.show_findings)
        self.refresh()
        self._on_syntax(controller.syntax_error())
        self.show_findings(controller.findings())

    # -- building --------------------------------------------------------------------------

    def _make_banner(self) -> QFrame:
        banner = QFrame()
        banner.setObjectName("syntaxBanner")
        banner.setFrameShape(QFrame.Shape.StyledPanel)
        banner.setAccessibleName("JSON syntax error")
        self.banner_label = QLabel(banner)
        self.banner_label.setWordWrap(True)
        self.banner_label.setAccessibleName("JSON syntax error message")
        go = QPushButton("Show in Raw JSON", banner)
        go.setAccessibleName("Show the syntax error in Raw JSON")
        go.clicked.connect(self.goToSyntaxError)
        row = QHBoxLayout(banner)
        row.addWidget(self.banner_label, 1)
        row.addWidget(go, 0, Qt.AlignmentFlag.AlignTop)
        banner.hide()
        return banner

    def _row(self, key: str, *widgets: QWidget, focus: QWidget | None = None) -> FieldRow:
        row = FieldRow(*widgets, focus=focus)
        self.rows[key] = row
        return row

    def _profile_box(self) -> QGroupBox:
        box = QGroupBox("Profile — who did it")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rare = QWidget()
        rare_form = QFormLayout(rare)
        rare_form.setContentsMargins(0, 0, 0, 0)
        for key in PROFILE_FIELDS:
            label = PROFILE_LABELS[key]
            edit = _line_edit(f"Profile {label.lower()} ({key})", PROFILE_PLACEHOLDERS.get(key, ""))
            edit.setToolTip(f"profile {key}")
            edit.textEdited.connect(
                lambda text, k=key: self._edit(lambda d: d.set_profile_field(k, text))
            )
            self.profile_edits[key] = edit
            target = rare_form if key in RARE_PROFILE_FIELDS else form
            target.addRow(f"{label}:", self._row(key, edit))
        self.more_profile = _Disclosure(
            "More profile fields (city, region, country, zip, image)", rare
        )
        form.addRow(self.more_profile)
        form.addRow(rare)

        consent = QWidget()
        consent_row = QHBoxLayout(consent)
        consent_row.setContentsMargins(0, 0, 0, 0)
        self.consent_boxes: dict[str, QCheckBox] = {}
        for channel in KNOWN_CONSENT_CHANNELS:
            check = QCheckBox(CONSENT_LABELS.get(channel, channel))
            check.setAccessibleName(f"Consent: {CONSENT_LABELS.get(channel, channel)}")
            check.setToolTip(f'adds "{channel}" to profile $consent')
            check.clicked.connect(lambda _on, c=channel: self._toggle_consent(c))
            self.consent_boxes[channel] = check
            consent_row.addWidget(check)
        consent_row.addStretch(1)
        first = self.consent_boxes[KNOWN_CONSENT_CHANNELS[0]]
        form.addRow("Consent:", self._row("consent", consent, focus=first))

        self.profile_tree = PropertiesTree(
            "Custom profile properties",
            add_label="Add property",
            empty_text="None. Add your own profile data, such as Plan: Gold.",
            fit_rows=5,
        )
        self.profile_tree.edited.connect(self._profile_tree_edited)
        form.addRow(
            "Custom:",
            self._row("profile_properties", self.profile_tree, focus=self.profile_tree.tree),
        )
        return box

    def _metric_box(self) -> QGroupBox:
        box = QGroupBox("Metric — what happened")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.metric_combo = QComboBox()
        self.metric_combo.setEditable(True)
        self.metric_combo.addItems(list(COMMON_METRICS))
        self.metric_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.metric_combo.setAccessibleName("Metric name")
        self.metric_combo.setToolTip("metric.name: the event's name in Klaviyo, e.g. Placed Order")
        line = self.metric_combo.lineEdit()
        assert line is not None
        line.setPlaceholderText("e.g. Placed Order")
        line.setAccessibleName("Metric name")
        line.textEdited.connect(self._metric_typed)
        self.metric_combo.activated.connect(
            lambda _i: self._metric_typed(self.metric_combo.currentText())
        )
        form.addRow("Name:", self._row("metric_name", self.metric_combo))

        advanced = QWidget()
        adv = QFormLayout(advanced)
        adv.setContentsMargins(0, 0, 0, 0)
        self.service_edit = _line_edit("Metric service", "api (the default)")
        self.service_edit.setToolTip(
            "metric.service: where the event comes from; leave empty for api"
        )
        self.service_edit.textEdited.connect(
            lambda text: self._edit(lambda d: setattr(d, "metric_service", text or None))
        )
        adv.addRow("Service:", self._row("metric_service", self.service_edit))
        self.more_metric = _Disclosure("Advanced", advanced)
        form.addRow(self.more_metric)
        form.addRow(advanced)
        return box

    def _properties_box(self) -> QGroupBox:
        box = QGroupBox("Properties — details of the event")
        layout = QVBoxLayout(box)
        hint = QLabel(
            "Name, type and value of each detail. Double-click a cell to change it. "
            "Put large or rarely used data under <b>$extra</b>: Klaviyo keeps it but "
            "does not offer it for segments."
        )
        hint.setWordWrap(True)
        hint.setAccessibleName("Properties hint")
        layout.addWidget(hint)
        self.properties_tree = PropertiesTree("Event properties", add_label="Add property")
        self.properties_tree.tree.setMinimumHeight(160)
        self.properties_tree.edited.connect(self._properties_edited)
        layout.addWidget(
            self._row("properties", self.properties_tree, focus=self.properties_tree.tree)
        )
        return box

    def _details_box(self) -> QGroupBox:
        box = QGroupBox("Time, value and de-duplication")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # time
        self.time_received = QRadioButton("When Klaviyo receives it")
        self.time_received.setAccessibleName("Time: when Klaviyo receives the event")
        self.time_at = QRadioButton("At")
        self.time_at.setAccessibleName("Time: at a date and time")
        group = QButtonGroup(self)
        group.addButton(self.time_received)
        group.addButton(self.time_at)
        self.time_edit = QDateTimeEdit()
        self.time_edit.setCalendarPopup(True)
        self.time_edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.time_edit.setAccessibleName("Event date and time")
        self.offset_combo = QComboBox()
        self.offset_combo.setAccessibleName("Time zone (UTC offset)")
        for minutes in _offsets():
            self.offset_combo.addItem(f"UTC{offset_text(minutes)}", minutes)
        self.time_note = QLabel()
        self.time_note.setAccessibleName("Time as sent")
        self.time_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.time_received.toggled.connect(self._time_mode_changed)
        self.time_edit.dateTimeChanged.connect(lambda _dt: self._time_changed())
        self.offset_combo.currentIndexChanged.connect(lambda _i: self._time_changed())
        time_row = QWidget()
        tr = QHBoxLayout(time_row)
        tr.setContentsMargins(0, 0, 0, 0)
        for w in (self.time_received, self.time_at, self.time_edit, self.offset_combo):
            tr.addWidget(w)
        tr.addStretch(1)
        time_box = QWidget()
        tb = QVBoxLayout(time_box)
        tb.setContentsMargins(0, 0, 0, 0)
        tb.setSpacing(2)
        tb.addWidget(time_row)
        tb.addWidget(self.time_note)
        form.addRow("Time:", self._row("time", time_box, focus=self.time_received))
        # value
        self.value_edit = _line_edit("Value", "e.g. 9.99 (optional)")
        self.value_edit.setToolTip("value: a number, such as the order total")
        self.value_edit.textEdited.connect(self._value_typed)
        self.value_edit.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        form.addRow("Value:", self._row("value", self.value_edit))
        # unique_id
        self.unique_edit = _line_edit("Unique ID", "recommended: a UUID")
        self.unique_edit.setToolTip(
            "unique_id: Klaviyo records an event with the same unique_id "
            "only once, so a retried send is not counted twice"
        )
        self.unique_edit.textEdited.connect(
            lambda text: self._edit(lambda d: d.set_attribute("unique_id", text or None))
        )
        self.generate_button = QPushButton("Generate")
        self.generate_button.setAccessibleName("Generate a new unique ID")
        self.generate_button.setToolTip("Fill in a new random UUID")
        self.generate_button.clicked.connect(self._generate_unique_id)
        form.addRow(
            "Unique ID:",
            self._row("unique_id", self.unique_edit, self.generate_button, focus=self.unique_edit),
        )
        return box

    # -- form -> draft ---------------------------------------------------------------------

    def _edit(self, change: Callable[[EventDraft], None]) -> None:
        if self._refreshing:
            return
        self._editing = True
        try:
            self.controller.update_draft(change)
        finally:
            self._editing = False

    def _metric_typed(self, text: str) -> None:
        self._edit(lambda d: d.set_metric_name(text))

    def _toggle_consent(self, channel: str) -> None:
        on = self.consent_boxes[channel].isChecked()

        def change(d: EventDraft) -> None:
            d.profile_missing = False
            current = list(d.consent or [])
            if on and channel not in current:
                current.append(channel)
            elif not on:
                current = [c for c in current if c != channel]
            d.consent = current or None  # no channel left: no $consent member

        self._edit(change)

    def _profile_tree_edited(self) -> None:
        def change(d: EventDraft) -> None:
            d.profile_missing = False
            d.profile_properties = self.profile_tree.data

        self._edit(change)

    def _properties_edited(self) -> None:
        self._edit(lambda d: setattr(d, "properties", self.properties_tree.data))

    def _value_typed(self, text: str) -> None:
        if not text.strip():
            self._local_value_problem("")
            self._edit(lambda d: d.set_attribute("value", None))
            return
        number = parse_number(text)
        if number is None:
            self._local_value_problem(
                f'value "{text}" is not a number; write it like 9.99 (the JSON keeps the last '
                "number until this is fixed)"
            )
            return
        self._local_value_problem("")
        self._edit(lambda d: d.set_attribute("value", number))

    def _local_value_problem(self, message: str) -> None:
        self._value_problem = message
        self.show_findings(self.controller.findings())

    def _generate_unique_id(self) -> None:
        new = new_unique_id()
        self.unique_edit.setText(new)
        self._edit(lambda d: d.set_attribute("unique_id", new))

    def _time_mode_changed(self, received: bool) -> None:
        self.time_edit.setEnabled(not received)
        self.offset_combo.setEnabled(not received)
        if self._refreshing:
            return
        if received:
            self._edit(lambda d: d.set_attribute("time", None))
        else:
            self._time_changed()

    def _time_changed(self) -> None:
        if self._refreshing or not self.time_at.isChecked():
            return
        iso = self.time_iso()
        self.time_note.setText(f"Sent as {iso}")
        self._edit(lambda d: d.set_attribute("time", iso))

    def time_iso(self) -> str:
        """The chosen date-time in ISO 8601 with its UTC offset."""
        local = self.time_edit.dateTime().toString("yyyy-MM-ddTHH:mm:ss")
        return f"{local}{offset_text(int(self.offset_combo.currentData()))}"

    # -- draft -> form ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the controller's draft (fields that already show the value are left alone,
        so a cursor in them does not jump)."""
        if self._editing:
            return
        draft = self.controller.draft() or EventDraft.from_payload({})
        self._refreshing = True
        try:
            for key, edit in self.profile_edits.items():
                _set_text(edit, draft.profile.get(key, ""))
            if any(draft.profile.get(k) for k in RARE_PROFILE_FIELDS):
                self.more_profile.setChecked(True)
            consent = draft.consent or []
            for channel, check in self.consent_boxes.items():
                check.setChecked(channel in consent)
            if self.profile_tree.data is not draft.profile_properties:
                self.profile_tree.set_data(draft.profile_properties)
            line = self.metric_combo.lineEdit()
            if line is not None:
                _set_text(line, draft.metric_name or "")
            _set_text(self.service_edit, draft.metric_service or "")
            if draft.metric_service:
                self.more_metric.setChecked(True)
            props = draft.properties if draft.properties is not None else {}
            if self.properties_tree.data is not props:
                self.properties_tree.set_data(props)
            self._show_time(draft.time)
            value = "" if draft.value is None else _number_text(draft.value)
            if parse_number(self.value_edit.text()) != draft.value or not self.value_edit.text():
                _set_text(self.value_edit, value)
            _set_text(self.unique_edit, draft.unique_id or "")
        finally:
            self._refreshing = False

    def _show_time(self, time: str | None) -> None:
        if time is None:
            self.time_received.setChecked(True)
            self.time_edit.setEnabled(False)
            self.offset_combo.setEnabled(False)
            if not self.time_edit.dateTime().isValid() or self.time_note.text() == "":
                self.time_edit.setDateTime(QDateTime.currentDateTime())
                self._select_offset(_local_offset_minutes())
            self.time_note.setText("No time is sent; Klaviyo uses the time it receives the event")
            return
        self.time_at.setChecked(True)
        self.time_edit.setEnabled(True)
        self.offset_combo.setEnabled(True)
        if time == self.time_iso():
            self.time_note.setText(f"Sent as {time}")
            return
        parsed = _parse_iso(time)
        if parsed is None:
            self.time_note.setText(
                f"The JSON has time “{time}”, which this form cannot show; "
                "pick a date and time to replace it"
            )
            return
        offset = parsed.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        # The edit shows the wall-clock time at the event's own offset (UTC spec: no DST
        # gaps of this computer's zone can shift it).
        self.time_edit.setDateTime(
            QDateTime(
                QDate(parsed.year, parsed.month, parsed.day),
                QTime(parsed.hour, parsed.minute, parsed.second),
                QTimeZone.utc(),
            )
        )
        self._select_offset(minutes)
        self.time_note.setText(f"Sent as {time}")

    def _select_offset(self, minutes: int) -> None:
        index = self.offset_combo.findData(minutes)
        if index < 0:
            self.offset_combo.addItem(f"UTC{offset_text(minutes)}", minutes)
            index = self.offset_combo.count() - 1
        self.offset_combo.setCurrentIndex(index)

    def _on_syntax(self, finding: Finding | None) -> None:
        if finding is None:
            self.banner.hide()
            self.fields_panel.setEnabled(True)
            return
        where = f"line {finding.line}, column {finding.column}" if finding.line else "the text"
        self.banner_label.setText(
            f"<b>✖ The JSON text has a syntax error at {where}.</b><br>"
            f"{_html(finding.message)}<br>The form is read-only until the JSON is fixed; "
            "your text is kept exactly as typed."
        )
        self.banner.setStyleSheet(
            "#syntaxBanner { border: 1px solid #c62828; border-radius: 4px; }"
        )
        self.banner.show()
        self.fields_panel.setEnabled(False)

    # -- findings --------------------------------------------------------------------------

    _value_problem = ""

    def show_findings(self, findings: list[Finding]) -> None:
        """Mark each field that a finding names (the first, most severe, finding wins)."""
        per_field: dict[str, Finding] = {}
        tree_flags: dict[str, dict[Path, tuple[Severity, str]]] = {
            "properties": {},
            "profile_properties": {},
        }
        for f in findings:
            key = field_key(f)
            if key is None:
                continue
            if key in tree_flags:
                path = tree_path(f)
                if key == "profile_properties" or path:
                    tree_flags[key].setdefault(path, (f.severity, f.message))
            if key not in per_field or (f.is_error and not per_field[key].is_error):
                per_field[key] = f
        for key, row in self.rows.items():
            shown = per_field.get(key)
            if key == "value" and self._value_problem:
                row.set_finding(Severity.ERROR, self._value_problem)
            elif shown is None:
                row.set_finding(None)
            else:
                origin = " (reported by Klaviyo)" if shown.source == "server" else ""
                row.set_finding(shown.severity, shown.message + origin)
        self.properties_tree.set_flags(tree_flags["properties"])
        self.profile_tree.set_flags(
            {p[1:]: v for p, v in tree_flags["profile_properties"].items() if p}
        )

    def focus_finding(self, finding: Finding) -> bool:
        """Focus the field a finding names; False when the form has no field for it."""
        key = field_key(finding)
        if key is None or key not in self.rows or not self.fields_panel.isEnabled():
            return False
        if key in RARE_PROFILE_FIELDS:
            self.more_profile.setChecked(True)
        if key == "metric_service":
            self.more_metric.setChecked(True)
        row = self.rows[key]
        self.ensureWidgetVisible(row)
        if key == "properties":
            self.properties_tree.select_path(tree_path(finding))
        elif key == "profile_properties":
            self.profile_tree.select_path(tree_path(finding)[1:])
        else:
            row.focus_widget.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(row.focus_widget, QLineEdit):
                row.focus_widget.selectAll()
        return True


def _set_text(edit: QLineEdit, text: str) -> None:
    if edit.text() != text:
        edit.setText(text)


def _number_text(value: float) -> str:
    return str(value)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _local_offset_minutes() -> int:
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def _parse_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


__all__ = ["EventForm", "FieldRow", "field_key", "tree_path"]
