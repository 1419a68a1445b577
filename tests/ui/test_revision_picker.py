"""The revision picker: all 20 revisions, grouped by their state on the day, each marked."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from composer.domain.revisions import REVISIONS
from composer.ui.revision_picker import fill_revisions


def rows(combo: QComboBox) -> list[tuple[str, object, bool]]:
    model = combo.model()
    out = []
    for i in range(combo.count()):
        if combo.itemData(i, Qt.ItemDataRole.AccessibleDescriptionRole) == "separator":
            continue
        enabled = bool(model.flags(model.index(i, 0)) & Qt.ItemFlag.ItemIsEnabled)
        out.append((combo.itemText(i), combo.itemData(i), enabled))
    return out


def test_grouped_current_deprecated_retired_with_each_state_marked(qtbot) -> None:
    combo = QComboBox()
    qtbot.addWidget(combo)
    fill_revisions(combo, "2023-01-24", today=date(2026, 11, 30))
    listed = rows(combo)
    names = [data for _t, data, _e in listed if data]
    assert sorted(names) == sorted(REVISIONS)  # all 20, once each
    headings = [text for text, data, enabled in listed if data is None]
    assert [h.split(" ")[0] for h in headings] == ["Current", "Deprecated", "Retired"]
    assert all(not enabled for _t, data, enabled in listed if data is None)
    texts = {data: text for text, data, _e in listed if data}
    assert texts["2026-07-15"] == "2026-07-15"
    assert texts["2025-04-15"] == "2025-04-15 (deprecated)"
    assert texts["2023-01-24"] == "2023-01-24 (retired)"
    assert names[:3] == ["2026-07-15", "2026-04-15", "2026-01-15"]
    assert combo.currentData() == "2023-01-24"


def test_the_groups_follow_the_date(qtbot) -> None:
    combo = QComboBox()
    qtbot.addWidget(combo)
    fill_revisions(combo, "2023-01-24", today=date(2023, 6, 1))
    listed = rows(combo)
    texts = {data: text for text, data, _e in listed if data}
    assert texts["2023-01-24"] == "2023-01-24"  # current in mid-2023
    assert [t for t, d, _e in listed if d is None] == ["Current"]


def test_settings_choose_what_the_built_in_sandbox_does_with_retired_revisions(
    qtbot, make_window
) -> None:
    from composer.ui.settings_dialog import SettingsDialog

    window = make_window()
    window.open_settings()
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    combo = dialog.sandbox_retired
    assert [combo.itemData(i) for i in range(combo.count())] == ["serve", "fall-forward", "gone"]
    assert combo.currentData() == "serve"
    combo.setCurrentIndex(combo.findData("gone"))
    dialog.accept()
    qtbot.waitUntil(
        lambda: window.storage.settings.settings.sandbox_retired_revisions == "gone",
        timeout=3000,
    )
