"""The Form tab: the event's fields for people who do not write JSON.

Each field is bound to a JSON pointer by a :class:`FormShape` table (composer.editing.fields);
typing in a field makes one minimal edit of the text at that pointer, and the field shows what
the text holds there. A body of another shape is another table.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QLocale,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from composer.domain.draft import COMMON_METRICS, new_unique_id
from composer.domain.findings import Finding, Severity
from composer.domain.revisions import KNOWN_CONSENT_CHANNELS
from composer.editing.fields import FieldKind, FormShape, event_shape_2023_01_24, read_number
from composer.ui.editor.controller import ComposerController
from composer.ui.editor.form_parts import (
    COMMON_PROFILE_FIELDS,
    CONSENT_LABELS,
    PROFILE_LABELS,
    PROFILE_PLACEHOLDERS,
    Disclosure,
    FieldRow,
    html,
    line_edit,
    set_text,
)
from composer.ui.editor.property_editor import PropertyEditor
from composer.ui.editor.time_field import TimeField
from composer.ui.editor.tree_model import Path

PROFILE_KEYS = tuple(k for k in PROFILE_LABELS if k.startswith("$"))
_PROFILE_BASE = "/data/attributes/profile"


class EventForm(QWidget):
    """Every field of the event, bound to a :class:`ComposerController` through a
    :class:`FormShape` (field key -> JSON pointer).

    Field keys (used by :meth:`focus_finding` and :attr:`rows`): the profile keys
    (``"$email"`` …), ``"consent"``, ``"profile_properties"``, ``"metric_name"``,
    ``"metric_service"``, ``"properties"``, ``"time"``, ``"value"``, ``"unique_id"``.
    """

    goToSyntaxError = Signal()

    def __init__(
        self,
        controller: ComposerController,
        parent: QWidget | None = None,
        *,
        shape: FormShape | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.shape = shape or event_shape_2023_01_24()
        self._refreshing = False
        self._editing = False
        self.setAccessibleName("Event form")
        self.banner = self._make_banner()
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("formBody")
        self.scroll_area.setWidget(body)
        outer = QVBoxLayout(body)
        outer.setContentsMargins(12, 10, 12, 12)
        outer.setSpacing(12)
        self.fields_panel = QWidget()
        panel = QVBoxLayout(self.fields_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        panel.setSpacing(12)
        outer.addWidget(self.fields_panel)
        outer.addStretch(1)
        self._panel = panel
        self._build_fields()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)  # above the scroll area: seen whatever the scroll
        layout.addWidget(self.scroll_area, 1)
        self._filler = QWidget()  # keeps the banner at the top while the fields are hidden
        self._filler.hide()
        layout.addWidget(self._filler, 1)

        controller.draftChanged.connect(self.refresh)
        controller.syntaxStateChanged.connect(self._on_syntax)
        controller.findingsChanged.connect(self.show_findings)
        self.refresh()
        self._on_syntax(controller.syntax_error())
        self.show_findings(controller.findings())

    # -- building --------------------------------------------------------------------------

    def _build_fields(self) -> None:
        """The four boxes for the current shape (profile, metric, properties, details)."""
        self.rows: dict[str, FieldRow] = {}
        self.profile_edits: dict[str, QLineEdit] = {}
        self.consent_boxes: dict[str, QCheckBox] = {}
        self._boxes = [
            self._profile_box(),
            self._metric_box(),
            self._properties_box(),
            self._details_box(),
        ]
        for box in self._boxes:
            self._panel.addWidget(box)
        for edit in self.fields_panel.findChildren(QLineEdit):
            edit.installEventFilter(self)

    def set_shape(self, shape: FormShape) -> None:
        """Show the fields of another body shape (another revision's table)."""
        if shape == self.shape:
            return
        self.shape = shape
        for box in self._boxes:
            self._panel.removeWidget(box)
            box.hide()
            box.deleteLater()
        self._build_fields()
        self.refresh()
        self.show_findings(self.controller.findings())

    def _profile_keys(self) -> list[str]:
        """The profile's text fields of this shape, in table order."""
        return [
            b.key
            for b in self.shape.fields
            if b.kind is FieldKind.TEXT and b.pointer.startswith(_PROFILE_BASE + "/")
        ]

    def _rare_keys(self) -> list[str]:
        return [k for k in self._profile_keys() if k not in COMMON_PROFILE_FIELDS]

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
        row.setContentsMargins(12, 10, 12, 10)
        banner.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
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
        rare_keys = self._rare_keys()
        for key in self._profile_keys():
            label = PROFILE_LABELS.get(key, key)
            edit = line_edit(f"Profile {label.lower()} ({key})", PROFILE_PLACEHOLDERS.get(key, ""))
            edit.setToolTip(f"profile {key}")
            edit.textEdited.connect(lambda text, k=key: self._set_text_field(k, text))
            self.profile_edits[key] = edit
            target = rare_form if key in rare_keys else form
            target.addRow(f"{label}:", self._row(key, edit))
        shape_keys = self.shape.keys()
        flat = "consent" in shape_keys
        more = (
            "More profile fields (city, region, country, zip, image)"
            if flat
            else "More profile fields (IDs, organization, locale, location)"
        )
        self.more_profile = Disclosure(more, rare)
        form.addRow(self.more_profile)
        form.addRow(rare)
        if flat:
            self._consent_row(form)

        custom = self.shape.binding("profile_properties")
        self.profile_tree = PropertyEditor(
            self.controller,
            custom.pointer,
            "Custom profile properties",
            hidden=custom.hidden,
            add_label="Add property",
            empty_text="None. Add your own profile data, such as Plan: Gold.",
            fit_rows=5,
        )
        form.addRow(
            "Custom:",
            self._row("profile_properties", self.profile_tree, focus=self.profile_tree.tree),
        )
        return box

    def _consent_row(self, form: QFormLayout) -> None:
        consent = QWidget()
        consent_row = QHBoxLayout(consent)
        consent_row.setContentsMargins(0, 0, 0, 0)
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
        line.textEdited.connect(lambda text: self._set_text_field("metric_name", text, keep=True))
        self.metric_combo.activated.connect(
            lambda _i: self._set_text_field("metric_name", self.metric_combo.currentText(), True)
        )
        form.addRow("Name:", self._row("metric_name", self.metric_combo))

        advanced = QWidget()
        adv = QFormLayout(advanced)
        adv.setContentsMargins(0, 0, 0, 0)
        self.service_edit = line_edit("Metric service", "api (the default)")
        self.service_edit.setToolTip(
            "metric.service: where the event comes from; leave empty for api"
        )
        self.service_edit.textEdited.connect(
            lambda text: self._set_text_field("metric_service", text)
        )
        adv.addRow("Service:", self._row("metric_service", self.service_edit))
        self.more_metric = Disclosure("Advanced", advanced)
        form.addRow(self.more_metric)
        form.addRow(advanced)
        return box

    def _properties_box(self) -> QGroupBox:
        box = QGroupBox("Properties — details of the event")
        layout = QVBoxLayout(box)
        hint = QLabel(
            "Name, type and value of each detail. Double-click a cell (or press F2) to "
            "change it; right-click for more. "
            "Put large or rarely used data under <b>$extra</b>: Klaviyo keeps it but "
            "does not offer it for segments."
        )
        hint.setWordWrap(True)
        hint.setAccessibleName("Properties hint")
        layout.addWidget(hint)
        self.properties_tree = PropertyEditor(
            self.controller,
            self.shape.binding("properties").pointer,
            "Event properties",
            add_label="Add property",
        )
        self.properties_tree.tree.setMinimumHeight(200)
        layout.addWidget(
            self._row("properties", self.properties_tree, focus=self.properties_tree.tree)
        )
        return box

    def _details_box(self) -> QGroupBox:
        box = QGroupBox("Time, value and de-duplication")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.time_field = TimeField()
        self.time_field.changed.connect(lambda iso: self._set("time", iso))
        tf = self.time_field
        self.time_received, self.time_at = tf.time_received, tf.time_at
        self.time_edit, self.offset_combo, self.time_note = tf.time_edit, tf.offset_combo, tf.note
        form.addRow("Time:", self._row("time", tf, focus=tf.time_received))
        self.value_edit = line_edit("Value", "e.g. 9.99 (optional)")
        self.value_edit.setToolTip("value: a number, such as the order total")
        self.value_edit.textEdited.connect(self._value_typed)
        self.value_edit.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        form.addRow("Value:", self._row("value", self.value_edit))
        keys = self.shape.keys()
        self.currency_edit: QLineEdit | None = None
        if "value_currency" in keys:
            self.currency_edit = line_edit("Value currency", "USD (ISO 4217)")
            self.currency_edit.setToolTip("value_currency: the currency of value, e.g. USD")
            self.currency_edit.textEdited.connect(
                lambda text: self._set_text_field("value_currency", text.strip().upper() or "")
            )
            form.addRow("Currency:", self._row("value_currency", self.currency_edit))
        self.backfill_check: QCheckBox | None = None
        if "backfill" in keys:
            self.backfill_check = QCheckBox("Historical event: record it without starting flows")
            self.backfill_check.setAccessibleName("Backfill")
            self.backfill_check.setToolTip(
                "backfill: true records the event without triggering flows (for imports)"
            )
            self.backfill_check.clicked.connect(
                lambda on: self._set("backfill", True if on else None)
            )
            form.addRow("Backfill:", self._row("backfill", self.backfill_check))
        self.unique_edit = line_edit("Unique ID", "recommended: a UUID")
        self.unique_edit.setToolTip(
            "unique_id: Klaviyo records an event with the same unique_id "
            "only once, so a retried send is not counted twice"
        )
        self.unique_edit.textEdited.connect(lambda text: self._set_text_field("unique_id", text))
        self.generate_button = QPushButton("Generate")
        self.generate_button.setAccessibleName("Generate a new unique ID")
        self.generate_button.setToolTip("Fill in a new random UUID")
        self.generate_button.clicked.connect(self._generate_unique_id)
        form.addRow(
            "Unique ID:",
            self._row("unique_id", self.unique_edit, self.generate_button, focus=self.unique_edit),
        )
        return box

    # -- form -> text ----------------------------------------------------------------------

    def _pointer(self, key: str) -> str:
        return self.shape.binding(key).pointer

    def _run(self, operation: str, *args: Any) -> None:
        if self._refreshing:
            return
        self._editing = True
        try:
            # typing in one field is one undo step
            self.controller.edit(operation, *args, group=f"field:{args[0]}")
        finally:
            self._editing = False

    def _set(self, key: str, value: Any) -> None:
        """Set the field's member (None removes it)."""
        if value is None:
            self._run("remove", self._pointer(key))
        else:
            self._run("set_value", self._pointer(key), value)

    def _set_text_field(self, key: str, text: str, keep: bool = False) -> None:
        """A text field: empty removes its member (``keep``: an empty string stays)."""
        self._set(key, text if text or keep else None)

    def _toggle_consent(self, channel: str) -> None:
        found, current = self.controller.state.value_at(self._pointer("consent"))
        channels = [c for c in current if isinstance(c, str)] if found and current else []
        if not isinstance(current, list):
            channels = []
        on = self.consent_boxes[channel].isChecked()
        if on and channel not in channels:
            channels.append(channel)
        elif not on:
            channels = [c for c in channels if c != channel]
        self._set("consent", channels or None)  # no channel left: no $consent member

    def _value_typed(self, text: str) -> None:
        """What the field shows is what the JSON holds: a number as typed (the locale's
        decimal comma accepted where it is unambiguous), or else the text itself as a
        string, which the check reports as an error until it is a number."""
        if not text.strip():
            self._set("value", None)
            return
        locale = QLocale()
        number = read_number(text, locale.decimalPoint(), locale.groupSeparator())
        if number.json_text is not None:
            self._run("set_json", self._pointer("value"), number.json_text)
        else:
            self._set("value", text)

    def _generate_unique_id(self) -> None:
        new = new_unique_id()
        self.unique_edit.setText(new)
        self._set("unique_id", new)

    def time_iso(self) -> str:
        """The chosen date-time in ISO 8601 with its UTC offset."""
        return self.time_field.iso()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Ctrl+Z / Ctrl+Shift+Z in a field undo the composer's last change (one history
        with the Raw JSON text and the property trees), not the field's own typing."""
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(
            event, QKeyEvent
        ):
            for seq, action in (
                (QKeySequence.StandardKey.Undo, self.controller.undo),
                (QKeySequence.StandardKey.Redo, self.controller.redo),
            ):
                if event.matches(seq):
                    if event.type() == QEvent.Type.KeyPress:
                        action()
                    event.accept()
                    return True
        return super().eventFilter(watched, event)

    # -- text -> form ----------------------------------------------------------------------

    _stale = False

    def showEvent(self, event: QShowEvent) -> None:
        """Catch up with edits made while the form was hidden."""
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _value(self, key: str) -> tuple[bool, Any]:
        return self.controller.state.value_at(self._pointer(key))

    def _text_of(self, key: str) -> str:
        found, value = self._value(key)
        if not found or value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    def refresh(self) -> None:
        """Show what the text holds (fields that already show it are left alone, so a cursor
        in them does not jump)."""
        state = self.controller.state
        # A long text just loaded is read on a worker thread; the form fills when it is done.
        if self._editing or not state.is_read() or not state.parses():
            return
        if self.window().isVisible() and not self.isVisible():
            self._stale = True  # the Raw JSON tab is showing: fill in when shown
            return
        self._stale = False
        self._refreshing = True
        try:
            for key, edit in self.profile_edits.items():
                set_text(edit, self._text_of(key))
            if any(self._text_of(k) for k in self._rare_keys()):
                self.more_profile.setChecked(True)
            if self.consent_boxes:
                found, consent = self._value("consent")
                consent = consent if found and isinstance(consent, list) else []
                for channel, check in self.consent_boxes.items():
                    check.setChecked(channel in consent)
            line = self.metric_combo.lineEdit()
            if line is not None:
                set_text(line, self._text_of("metric_name"))
            set_text(self.service_edit, self._text_of("metric_service"))
            if self._text_of("metric_service"):
                self.more_metric.setChecked(True)
            found, time = self._value("time")
            self.time_field.show_time(time if found and isinstance(time, str) else None)
            if not self._shows_value(self.value_edit.text()):
                set_text(self.value_edit, self._value_text())
            set_text(self.unique_edit, self._text_of("unique_id"))
            if self.currency_edit is not None:
                set_text(self.currency_edit, self._text_of("value_currency"))
            if self.backfill_check is not None:
                found, backfill = self._value("backfill")
                self.backfill_check.setChecked(found and backfill is True)
        finally:
            self._refreshing = False

    def _shows_value(self, typed: str) -> bool:
        """True when the field already shows the value (``59,90`` for 59.90 stays)."""
        found, value = self._value("value")
        if not found or value is None:
            return not typed.strip()
        if isinstance(value, str):
            return typed == value
        locale = QLocale()
        number = read_number(typed, locale.decimalPoint(), locale.groupSeparator())
        return number.json_text is not None and json.loads(number.json_text) == value

    def _value_text(self) -> str:
        found, value = self._value("value")
        if not found or value is None:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.controller.state.source_at(self._pointer("value")) or str(value)
        return value if isinstance(value, str) else json.dumps(value)

    def _on_syntax(self, finding: Finding | None) -> None:
        """While the text does not parse the fields are hidden (they would show an older
        event) and the banner at the top says where the text breaks."""
        if finding is None:
            self.banner.hide()
            self._filler.hide()
            self.scroll_area.show()
            self.fields_panel.setEnabled(True)
            self.refresh()
            return
        where = f"line {finding.line}, column {finding.column}" if finding.line else "the text"
        self.banner_label.setText(
            f"<b>✖ The JSON text does not parse: syntax error at {where}.</b><br>"
            f"{html(finding.message)}<br>The form shows the event again once the JSON is "
            "fixed; your text is kept exactly as typed."
        )
        self.banner.setStyleSheet(
            "#syntaxBanner { border: 1px solid #c62828; border-radius: 4px; }"
        )
        self.banner.show()
        self.fields_panel.setEnabled(False)
        self.scroll_area.hide()
        self._filler.show()

    # -- findings --------------------------------------------------------------------------

    def show_findings(self, findings: list[Finding]) -> None:
        """Mark each field that a finding names (the first, most severe, finding wins)."""
        per_field: dict[str, Finding] = {}
        tree_flags: dict[str, dict[Path, tuple[Severity, str]]] = {
            "properties": {},
            "profile_properties": {},
        }
        for f in findings:
            place = self.shape.field_for(f)
            if place is None:
                continue
            key, sub = place
            if key in tree_flags and sub:
                tree_flags[key].setdefault(_tree_path(sub), (f.severity, f.message))
            if key not in per_field or (f.is_error and not per_field[key].is_error):
                per_field[key] = f
        for key, row in self.rows.items():
            shown = per_field.get(key)
            if shown is None:
                row.set_finding(None)
            else:
                origin = " (reported by Klaviyo)" if shown.source == "server" else ""
                row.set_finding(shown.severity, shown.message + origin)
        self.properties_tree.set_flags(tree_flags["properties"])
        self.profile_tree.set_flags(tree_flags["profile_properties"])

    def focus_finding(self, finding: Finding) -> bool:
        """Focus the field a finding names; False when the form has no field for it."""
        place = self.shape.field_for(finding)
        if place is None or place[0] not in self.rows or not self.fields_panel.isEnabled():
            return False
        key, sub = place
        if key in self._rare_keys():
            self.more_profile.setChecked(True)
        if key == "metric_service":
            self.more_metric.setChecked(True)
        row = self.rows[key]
        self.scroll_area.ensureWidgetVisible(row)
        if key == "properties":
            self.properties_tree.select_path(_tree_path(sub))
        elif key == "profile_properties":
            self.profile_tree.select_path(_tree_path(sub))
        else:
            row.focus_widget.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(row.focus_widget, QLineEdit):
                row.focus_widget.selectAll()
        return True


def _tree_path(tokens: tuple[str, ...]) -> Path:
    return tuple(int(p) if p.isdigit() else p for p in tokens)


__all__ = ["EventForm", "FieldRow"]
