"""The Form's fields for one :class:`FormShape`: the four boxes (profile, metric, properties,
time/value/unique_id), which widget sits where, with its label, tooltip and accessible name.
:class:`~composer.ui.editor.form.EventForm` builds on it: what typing in them does to the text,
and how they show the text and its findings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from composer.domain.draft import COMMON_METRICS
from composer.domain.revisions import KNOWN_CONSENT_CHANNELS
from composer.editing.fields import FieldKind, FormShape
from composer.ui.editor.controller import ComposerController
from composer.ui.editor.form_parts import (
    COMMON_PROFILE_FIELDS,
    CONSENT_LABELS,
    LONGEST_TEXT,
    PROFILE_LABELS,
    PROFILE_PLACEHOLDERS,
    Disclosure,
    FieldRow,
    line_edit,
)
from composer.ui.editor.property_editor import PropertyEditor
from composer.ui.editor.time_field import TimeField

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDateTimeEdit

PROFILE_BASE = "/data/attributes/profile"


class FormBoxes(QWidget):
    """The fields of ``shape`` over ``controller``, built into ``fields_panel`` by
    :meth:`_build_fields`. The edit methods (``_set``, ``_set_text_field``,
    ``_toggle_consent``, ``_value_typed``, ``_generate_unique_id``) are the subclass's."""

    controller: ComposerController
    shape: FormShape
    fields_panel: QWidget
    time_field: TimeField
    more_profile: Disclosure
    _panel: QVBoxLayout
    _rare_form: QFormLayout
    _rare_built: bool

    # -- what the fields do (EventForm) ---------------------------------------------------

    def _set(self, key: str, value: Any) -> None:
        raise NotImplementedError

    def _set_text_field(self, key: str, text: str, keep: bool = False) -> None:
        raise NotImplementedError

    def _toggle_consent(self, channel: str) -> None:
        raise NotImplementedError

    def _value_typed(self, text: str) -> None:
        raise NotImplementedError

    def _currency_typed(self, text: str) -> None:
        raise NotImplementedError

    def _generate_unique_id(self) -> None:
        raise NotImplementedError

    @property
    def time_edit(self) -> QDateTimeEdit:
        """The time field's date-time editor (built on first use: see TimeField)."""
        return self.time_field.time_edit

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

    def _profile_keys(self) -> list[str]:
        """The profile's text fields of this shape, in table order."""
        return [
            b.key
            for b in self.shape.fields
            if b.kind is FieldKind.TEXT and b.pointer.startswith(PROFILE_BASE + "/")
        ]

    def _rare_keys(self) -> list[str]:
        return [k for k in self._profile_keys() if k not in COMMON_PROFILE_FIELDS]

    def _row(self, key: str, *widgets: QWidget, focus: QWidget | None = None) -> FieldRow:
        row = FieldRow(*widgets, focus=focus)
        self.rows[key] = row
        return row

    def _profile_row(self, key: str) -> FieldRow:
        label = PROFILE_LABELS.get(key, key)
        edit = line_edit(f"Profile {label.lower()} ({key})", PROFILE_PLACEHOLDERS.get(key, ""))
        edit.setToolTip(f"profile {key}")
        edit.textEdited.connect(lambda text, k=key: self._set_text_field(k, text))
        self.profile_edits[key] = edit
        return self._row(key, edit)

    def build_rare_fields(self) -> bool:
        """Build the fields behind "More profile fields" if they are not yet, in the focus
        order after the toggle; False when they were built already."""
        if self._rare_built:
            return False
        self._rare_built = True
        previous: QWidget = self.more_profile
        for key in self._rare_keys():
            self._rare_form.addRow(f"{PROFILE_LABELS.get(key, key)}:", self._profile_row(key))
            edit = self.profile_edits[key]
            QWidget.setTabOrder(previous, edit)
            previous = edit
        self._rare_fields_built()
        return True

    def _rare_fields_built(self) -> None:
        """What the subclass does once the rare fields exist (show the text and findings)."""

    def _profile_box(self) -> QGroupBox:
        box = QGroupBox("Profile — who did it")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rare = QWidget()
        self._rare_form = QFormLayout(rare)
        self._rare_form.setContentsMargins(0, 0, 0, 0)
        # the fields behind "More profile fields" are built when first shown (or right
        # after the window's first paint): a third of the form's widgets, none of them seen
        self._rare_built = False
        rare_keys = self._rare_keys()
        for key in self._profile_keys():
            if key not in rare_keys:
                form.addRow(f"{PROFILE_LABELS.get(key, key)}:", self._profile_row(key))
        shape_keys = self.shape.keys()
        flat = "consent" in shape_keys
        more = (
            "More profile fields (city, region, country, zip, image)"
            if flat
            else "More profile fields (IDs, organization, locale, location)"
        )
        self.more_profile = Disclosure(more, rare, fill=self.build_rare_fields)
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
        line.setMaxLength(LONGEST_TEXT)
        completer = self.metric_combo.completer()
        if completer is not None:
            # metric names are case-sensitive in Klaviyo: Enter on "placed order" must not
            # pick the list's "Placed Order" (the combo matches items as its completer does)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseSensitive)
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
        self.offset_combo, self.time_note = tf.offset_combo, tf.note
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
            self.currency_edit.textEdited.connect(self._currency_typed)
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
