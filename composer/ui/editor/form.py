"""The Form tab: the event's fields for people who do not write JSON.

Each field is bound to a JSON pointer by a :class:`FormShape` table (composer.editing.fields);
typing in a field makes one minimal edit of the text at that pointer, and the field shows what
the text holds there. A body of another shape is another table. Which field sits where is in
:mod:`composer.ui.editor.form_boxes`; this module holds what they do, the syntax-error banner
and the findings shown beside the fields.
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
from PySide6.QtGui import QContextMenuEvent, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from composer.domain.draft import new_unique_id
from composer.domain.findings import Finding, describe_pointer
from composer.editing.field_findings import field_hint, finding_text, place_findings, tree_path
from composer.editing.fields import FormShape, event_shape_2023_01_24, read_number
from composer.editing.unshown import unshown_members
from composer.editing.values import type_of
from composer.ui.editor.controller import ComposerController
from composer.ui.editor.form_boxes import FormBoxes
from composer.ui.editor.form_parts import (
    PROFILE_LABELS,
    FieldRow,
    html,
    set_text,
)
from composer.ui.editor.history_menu import open_history_menu

PROFILE_KEYS = tuple(k for k in PROFILE_LABELS if k.startswith("$"))


class EventForm(FormBoxes):
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
        self._rest_built = False
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
        self._outer = outer
        self._unshown: QLabel | None = None  # made when the body has members with no field
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
        if self._rest_built:
            self.build_rest()
        self.refresh()
        self.show_findings(self.controller.findings())

    def build_rest(self) -> None:
        """Build what the form leaves for after the window's first paint: the fields behind
        "More profile fields" and the time field's date-time editor (below the fold)."""
        self._rest_built = True
        self.build_rare_fields()
        self.time_field.time_edit  # noqa: B018  (reading it builds it)

    def _rare_fields_built(self) -> None:
        for key in self._rare_keys():
            self.profile_edits[key].installEventFilter(self)
        self.refresh()
        self.show_findings(self.controller.findings())

    def _make_banner(self) -> QFrame:
        banner = QFrame()
        banner.setObjectName("syntaxBanner")
        banner.setFrameShape(QFrame.Shape.StyledPanel)
        banner.setAccessibleName("JSON syntax error")
        self.banner_label = QLabel(banner)
        self.banner_label.setWordWrap(True)
        self.banner_label.setAccessibleName("JSON syntax error message")
        go = QPushButton("Show in Raw JSON", banner)
        self.banner_button = go
        go.setAccessibleName("Show the syntax error in Raw JSON")
        go.clicked.connect(self.goToSyntaxError)
        row = QHBoxLayout(banner)
        row.setContentsMargins(12, 10, 12, 10)
        banner.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        row.addWidget(self.banner_label, 1)
        row.addWidget(go, 0, Qt.AlignmentFlag.AlignTop)
        banner.hide()
        return banner

    # -- form -> text ----------------------------------------------------------------------

    def _pointer(self, key: str) -> str:
        return self.shape.binding(key).pointer

    def _run(self, operation: str, *args: Any, **kwargs: Any) -> None:
        if self._refreshing:
            return
        self._editing = True
        try:
            # typing in one field is one undo step
            self.controller.edit(operation, *args, group=f"field:{args[0]}", **kwargs)
        finally:
            self._editing = False

    def _set(self, key: str, value: Any) -> None:
        """Set the field's member (None removes it, and the objects that only held it)."""
        if value is None:
            binding = self.shape.binding(key)
            self._run("remove", binding.pointer, holders=binding.holders)
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

    def _currency_typed(self, text: str) -> None:
        """A currency code is written in capitals without blanks, and the field shows it so
        as it is typed ("usd " showed while "USD" was sent)."""
        code = text.strip().upper()
        edit = self.currency_edit
        if edit is not None and edit.text() != code:
            at = edit.cursorPosition()
            edit.setText(code)
            edit.setCursorPosition(min(at, len(code)))
        self._set_text_field("value_currency", code)

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
        """Ctrl+Z / Ctrl+Shift+Z in a field, and Undo / Redo in its right-click menu, undo
        the composer's last change (one history with the Raw JSON text and the property
        trees), not the field's own typing."""
        if (
            event.type() == QEvent.Type.ContextMenu
            and isinstance(event, QContextMenuEvent)
            and isinstance(watched, QLineEdit)
        ):
            open_history_menu(watched, self.controller, event.globalPos())
            return True
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
        if not isinstance(state.value(), dict):
            self._not_an_object(state.value())
            return
        if self._banner_kind == "shape":
            self._show_fields()
        if any(self._text_of(k) for k in self._rare_keys()):
            self.more_profile.setChecked(True)  # builds those fields, which fill themselves
        self._refreshing = True
        try:
            for key, edit in self.profile_edits.items():
                set_text(edit, self._text_of(key))
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
            if found and not isinstance(time, str):  # sent as it is: say so, never "no time"
                self.time_field.show_time(None, other=json.dumps(time, ensure_ascii=False))
            else:
                self.time_field.show_time(time if found else None)
            if not self._shows_value(self.value_edit.text()):
                set_text(self.value_edit, self._value_text())
            set_text(self.unique_edit, self._text_of("unique_id"))
            if self.currency_edit is not None:
                set_text(self.currency_edit, self._text_of("value_currency"))
            if self.backfill_check is not None:
                found, backfill = self._value("backfill")
                self.backfill_check.setChecked(found and backfill is True)
            self._show_unshown(unshown_members(self.shape, state.value()))
        finally:
            self._refreshing = False

    def _show_unshown(self, pointers: list[str]) -> None:
        """Name, above the fields, the members that are sent but that no field shows."""
        if not pointers:
            if self._unshown is not None:
                self._unshown.hide()
            return
        if self._unshown is None:
            label = QLabel()
            label.setObjectName("unshownMembers")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName("Members sent with no field in the form")
            self._outer.insertWidget(0, label)
            self._unshown = label
        names = [describe_pointer(p) for p in pointers]
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        plural = len(names) > 1
        self._unshown.setText(
            f"<b>Also sent</b>, with no field in this form: {html(shown)}. "
            f"{'They are' if plural else 'It is'} in the Raw JSON tab."
        )
        self._unshown.setToolTip("\n".join(names))
        self._unshown.show()

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
            if self._banner_kind == "syntax":
                self._show_fields()
            self.refresh()  # (a text that parses but is no object keeps its own banner)
            return
        where = f"line {finding.line}, column {finding.column}" if finding.line else "the text"
        self._hide_fields(
            "syntax",
            f"<b>✖ The JSON text does not parse: syntax error at {where}.</b><br>"
            f"{html(finding.message)}<br>The form shows the event again once the JSON is "
            "fixed; your text is kept exactly as typed.",
        )

    def _not_an_object(self, value: object) -> None:
        """A body that is no JSON object (a list of events, a bare value) has no fields:
        typed into, they changed nothing in the text while showing what was typed."""
        kind = type_of(value)
        article = "an" if kind[0] in "aeiou" else "a"
        self._hide_fields(
            "shape",
            f"<b>✖ The JSON is {article} {kind}, not one event: the form edits one event "
            'object ({"data": ...}).</b><br>Edit the text in Raw JSON; to send a list of '
            "events one by one, use File › Replay a file…",
        )

    _banner_kind: str | None = None
    """What the banner says while the fields are hidden: "syntax", "shape" or None."""

    def _hide_fields(self, kind: str, text: str) -> None:
        self._banner_kind = kind
        self.banner_label.setText(text)
        self.banner.setStyleSheet(
            "#syntaxBanner { border: 1px solid #c62828; border-radius: 4px; }"
        )
        self.banner.show()
        focus = QApplication.focusWidget()
        if focus is not None and self.scroll_area.isAncestorOf(focus):
            # the field with the focus is about to hide: the banner's button takes it (the
            # next widget in the chain is the toolbar's first picker, where a key would
            # change the environment or the target)
            self.banner_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.fields_panel.setEnabled(False)
        self.scroll_area.hide()
        self._filler.show()

    def _show_fields(self) -> None:
        self._banner_kind = None
        self.banner.hide()
        self._filler.hide()
        self.scroll_area.show()
        self.fields_panel.setEnabled(True)

    # -- findings --------------------------------------------------------------------------

    def show_findings(self, findings: list[Finding]) -> None:
        """Mark each field that a finding names (the first, most severe, finding wins)."""
        placed = place_findings(self.shape, findings)
        for key, row in self.rows.items():
            shown = placed.per_field.get(key)
            if shown is None:
                row.set_finding(None)
            else:
                row.set_finding(shown.severity, finding_text(shown))
        self.properties_tree.set_flags(placed.in_trees["properties"])
        self.profile_tree.set_flags(placed.in_trees["profile_properties"])
        self.show_resolution()

    _next_unique_id: str | None = None
    """The unique_id the next Send carries instead of the field's (None: the field's own)."""

    def show_next_unique_id(self, unique_id: str | None) -> None:
        """Say under the Unique ID field that the next Send carries ``unique_id`` instead of
        the one the field shows (the setting that gives each Send a new one); None: the
        field's own is sent."""
        self._next_unique_id = unique_id
        self.show_resolution()

    def show_resolution(self) -> None:
        """Under each field whose text holds variables, its value as the next send would
        resolve it (grey), with every variable's source in the tooltip; under the Unique ID
        field the unique_id Send puts in its place."""
        resolution = self.controller.resolution()
        environment = None
        if resolution is not None:  # (no variables: the scope is not built for nothing)
            environment = self.controller.variables().environment_name
        for key, row in self.rows.items():
            if key == "unique_id" and self._next_unique_id is not None:
                # Send writes it over whatever the field holds, variables included
                row.set_hint(*_next_unique_id_hint(self._next_unique_id))
                continue
            hint = None
            if resolution is not None:
                hint = field_hint(self.shape, key, resolution, environment)
            if hint is None:
                row.set_hint(None)
            else:
                row.set_hint(hint.text, hint.sources)

    def focus_finding(self, finding: Finding) -> bool:
        """Focus the field a finding names; False when the form has no field for it."""
        place = self.shape.field_for(finding)
        if place is not None and place[0] in self._rare_keys() and self.fields_panel.isEnabled():
            self.more_profile.setChecked(True)  # (built when first shown)
        if place is None or place[0] not in self.rows or not self.fields_panel.isEnabled():
            return False
        key, sub = place
        if key == "metric_service":
            self.more_metric.setChecked(True)
        row = self.rows[key]
        self.scroll_area.ensureWidgetVisible(row)
        if key == "properties":
            self.properties_tree.select_path(tree_path(sub))
        elif key == "profile_properties":
            self.profile_tree.select_path(tree_path(sub))
        else:
            row.focus_widget.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(row.focus_widget, QLineEdit):
                row.focus_widget.selectAll()
        return True


def _next_unique_id_hint(unique_id: str) -> tuple[str, str]:
    """The grey line under the Unique ID field while each Send gets a new unique_id, and its
    tooltip: what is sent is never other than what the form says."""
    return (
        f"→ Each Send uses a new one instead; the next: {unique_id[:8]}…",
        f"The next Send carries unique_id {unique_id} in place of this one, so that sending "
        "again records a new event (Klaviyo drops a repeated unique_id without a word). "
        "Settings ▸ General turns this off; Resend exactly (History) keeps an entry's.",
    )


__all__ = ["EventForm", "FieldRow"]
