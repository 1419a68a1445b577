"""A mouse wheel passing over a combo box or a spin box changes nothing unless that control has
the keyboard focus (one tick used to turn Target from Sandbox into Klaviyo production).

The wheel events go to the widget under the pointer and on to its parents while none accepts
them, the way Qt delivers a wheel from the mouse."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

pytestmark = pytest.mark.usefixtures("qloop")


def wheel_over(widget: QWidget, ticks: int = -1) -> QWidget | None:
    """Turn the wheel ``ticks`` notches (negative: towards the user) over the middle of
    ``widget``, delivered as Qt delivers a wheel from the mouse: to the widget under the
    pointer, then to each parent in turn until one accepts it. Returns the one that did."""
    from PySide6.QtGui import QWheelEvent

    top = widget.window()
    middle = widget.mapTo(top, widget.rect().center())
    under = top.childAt(middle) or top
    assert under is widget or widget.isAncestorOf(under), f"{widget} is covered by {under}"
    receiver: QWidget | None = under
    while receiver is not None:
        local = receiver.mapFrom(top, middle)
        event = QWheelEvent(
            QPointF(local),
            QPointF(receiver.mapToGlobal(local)),
            QPoint(0, 0),
            QPoint(0, 120 * ticks),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(receiver, event)
        if event.isAccepted():
            return receiver
        receiver = None if receiver.isWindow() else receiver.parentWidget()
    return None


def focus(qtbot: Any, widget: QWidget) -> None:
    widget.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=3000)
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=3000)


def test_the_wheel_over_an_unfocused_target_or_metric_changes_nothing(qtbot, make_window):
    window = make_window()
    bar = window.target_bar
    assert not bar.target_combo.hasFocus()
    wheel_over(bar.target_combo, -1)  # Sandbox is first, Klaviyo production next
    assert bar.target().label == "sandbox"
    assert bar.target_combo.currentText() == "Sandbox"

    revision = bar.revision()
    wheel_over(bar.revision_combo, -1)
    assert bar.revision() == revision

    metric = window.composer.form.metric_combo
    window.composer.show_form()
    before = metric.currentText()
    wheel_over(metric, -1)  # lands on its line edit first, then on the combo box
    assert metric.currentText() == before
    assert "Viewed Product" in window.controller.text()


def test_the_wheel_over_an_unfocused_combo_box_scrolls_the_form_instead(qtbot, make_window):
    window = make_window()
    window.resize(760, 520)
    form = window.composer.form
    window.composer.show_form()
    area = form.scroll_area
    bar = area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=3000)
    bar.setValue(0)
    metric = form.metric_combo
    area.ensureWidgetVisible(metric)
    start = bar.value()
    assert start < bar.maximum()
    before = metric.currentText()
    wheel_over(metric, -1)
    assert metric.currentText() == before
    assert bar.value() > start


def test_a_focused_combo_box_still_takes_the_wheel(qtbot, make_window):
    window = make_window()
    combo = window.target_bar.revision_combo
    focus(qtbot, combo)
    before = combo.currentIndex()
    wheel_over(combo, -1 if before + 1 < combo.count() else 1)
    assert combo.currentIndex() != before


def test_no_combo_or_spin_box_takes_focus_from_the_wheel(qtbot, make_window):
    # a real wheel (spontaneous) would first focus a control whose policy is WheelFocus
    window = make_window()
    window.open_settings()
    from composer.ui.settings_dialog import SettingsDialog

    dialog = window.findChild(SettingsDialog, "settingsDialog")
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    for top in (window, dialog):
        controls = top.findChildren(QComboBox) + top.findChildren(QAbstractSpinBox)
        assert controls
        wheel_focus = [
            c.accessibleName() or type(c).__name__
            for c in controls
            if c.focusPolicy() == Qt.FocusPolicy.WheelFocus
        ]
        assert wheel_focus == []
    dialog.reject()


def test_the_wheel_over_a_spin_box_in_a_dialog_changes_nothing_unless_focused(qtbot, make_window):
    window = make_window()
    window.open_settings()
    from composer.ui.settings_dialog import SettingsDialog

    dialog = window.findChild(SettingsDialog, "settingsDialog")
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    spin = dialog.keep_last
    dialog.tabs.setCurrentWidget(spin.parentWidget())
    qtbot.waitUntil(spin.isVisible, timeout=3000)
    before = spin.value()
    wheel_over(spin, 1)
    assert spin.value() == before
    focus(qtbot, spin)
    wheel_over(spin, 1)
    assert spin.value() != before
    dialog.reject()


def test_the_wheel_on_a_focused_picker_never_runs_its_actions(qtbot, make_window):
    """A focused picker takes the wheel: on the environment picker one notch opened the
    environments folder in the file manager."""
    window = make_window()
    bar = window.target_bar
    asked: list[str] = []
    bar.manageEnvironmentsRequested.connect(lambda: asked.append("environments folder"))
    bar.customTargetRequested.connect(lambda: asked.append("custom URL"))
    focus(qtbot, bar.environment_combo)
    wheel_over(bar.environment_combo, -1)
    focus(qtbot, bar.target_combo)
    for _ in range(3):
        wheel_over(bar.target_combo, -1)
    assert asked == []
    assert bar.target().label == "production"


def test_the_wheel_over_an_unfocused_tab_bar_switches_no_tab(qtbot, make_window):
    """A wheel passing over the Form / Raw JSON tabs (or the response's Body / Headers /
    Request / Attempts) used to switch to the next tab."""
    from PySide6.QtWidgets import QTabBar

    window = make_window()
    composer_tabs = window.composer.tabs
    assert composer_tabs.currentIndex() == 0
    wheel_over(composer_tabs.tabBar(), -1)
    assert composer_tabs.currentIndex() == 0
    with qtbot.waitSignal(window.sendFinished, timeout=10_000):
        window.request_send()  # the response's tabs show
    bars = [b for b in window.findChildren(QTabBar) if b.isVisible() and b.count() > 1]
    assert len(bars) >= 2
    for bar in bars:
        before = bar.currentIndex()
        wheel_over(bar, -1 if before + 1 < bar.count() else 1)
        assert bar.currentIndex() == before, bar.tabText(0)
    # a focused tab bar still takes it
    focus(qtbot, composer_tabs.tabBar())
    wheel_over(composer_tabs.tabBar(), -1)
    assert composer_tabs.currentIndex() == 1
