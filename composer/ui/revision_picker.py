"""The revision choice in the target bar and in Settings: every revision, grouped as current,
deprecated and retired on today's date, each marked with its state."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox

from composer.domain.revisions import DEFAULT_REVISION, revisions_by_state, state_label

# Short: the combo is as wide as its longest item, and the target bar has little room.
_HEADINGS = {"current": "Current", "deprecated": "Deprecated", "retired": "Retired"}


def fill_revisions(
    combo: QComboBox, selected: str = DEFAULT_REVISION, today: date | None = None
) -> None:
    """Fill ``combo``: a heading per state (not selectable), revisions newest first below it;
    item data is the revision name (None for headings)."""
    combo.blockSignals(True)
    try:
        combo.clear()
        model = combo.model()
        for state, revisions in revisions_by_state(today).items():
            if not revisions:
                continue
            if combo.count():
                combo.insertSeparator(combo.count())
            combo.addItem(_HEADINGS[state.value], None)
            if isinstance(model, QStandardItemModel):
                heading = model.item(combo.count() - 1)
                heading.setFlags(
                    heading.flags() & ~Qt.ItemFlag.ItemIsSelectable & ~Qt.ItemFlag.ItemIsEnabled
                )
            for rev in revisions:
                combo.addItem(state_label(rev, today), rev.name)
                combo.setItemData(
                    combo.count() - 1,
                    f"{rev.name}: {state.value}; {rev.path}, {rev.content_type}",
                    Qt.ItemDataRole.ToolTipRole,
                )
        index = combo.findData(selected)
        combo.setCurrentIndex(index if index >= 0 else combo.findData(DEFAULT_REVISION))
    finally:
        combo.blockSignals(False)
