"""The window's layout as a marketer meets it: at 1280x800 the profile, the metric and the
properties are all in view without scrolling; at 1024x700 nothing scrolls sideways and no
toolbar text is cut; Tab starts at the toolbar; the history folds to a strip and stays folded
or open across restarts."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QWidget

pytestmark = pytest.mark.usefixtures("qloop")

PROPERTIES_VISIBLE_PX = 120


def sized(qtbot: Any, window: Any, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (width, height), timeout=3000)
    QApplication.processEvents()


def visible_in(viewport: QWidget, widget: QWidget) -> QRect:
    """The part of ``widget`` that shows inside ``viewport`` (empty when scrolled away)."""
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    return QRect(top_left, widget.size()).intersected(viewport.rect())


def test_at_1280x800_profile_metric_and_properties_show_without_scrolling(qtbot, make_window):
    window = make_window()
    sized(qtbot, window, 1280, 800)
    form = window.composer.form
    area = form.scroll_area
    area.verticalScrollBar().setValue(0)
    viewport = area.viewport()
    email = form.profile_edits["email"]  # a fresh start: the newest layout
    assert visible_in(viewport, email).height() == email.height()
    metric = form.metric_combo
    assert visible_in(viewport, metric).height() == metric.height()
    tree = form.properties_tree.tree
    shown = visible_in(viewport, tree).height()
    assert shown >= PROPERTIES_VISIBLE_PX, f"only {shown} px of the properties show"


def test_at_1024x700_nothing_scrolls_sideways_and_toolbar_texts_are_whole(qtbot, make_window):
    window = make_window()
    sized(qtbot, window, 1024, 700)
    area = window.composer.form.scroll_area
    assert not area.horizontalScrollBar().isVisible()
    body = area.widget()
    assert body.minimumSizeHint().width() <= area.viewport().width(), "the form is cut"
    assert body.width() <= area.viewport().width()

    bar = window.target_bar
    for widget in bar.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            text = widget.text()
        elif isinstance(widget, QComboBox):
            text = widget.currentText()
        else:
            continue
        assert not text.endswith("…"), f"{widget.accessibleName() or text!r} is cut: {text!r}"
        room = widget.contentsRect().width()
        need = widget.fontMetrics().horizontalAdvance(text.replace("&", ""))
        assert need <= room, f"{text!r} needs {need} px, has {room}"
    assert "Sandbox" in bar.badge.text()
    assert "nothing leaves this computer" in bar.badge.toolTip()
    # a picker whose label gave way still says what it picks
    assert "account" in bar.account_combo.currentText().lower()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1024, 700)])
def test_a_valid_event_leaves_no_empty_band_under_the_problems_line(
    qtbot, make_window, width, height
):
    # "Problems — none" is one line: the room under it goes to the form, not to a blank band
    # between it and the history.
    window = make_window()
    sized(qtbot, window, width, height)
    composer = window.composer
    qtbot.waitUntil(lambda: not composer.controller.findings(), timeout=3000)
    assert not composer.problems.list.isVisible()
    _tabs_px, problems_px = composer.splitter.sizes()
    assert problems_px <= composer.problems.maximumHeight() + composer.splitter.handleWidth()
    assert composer.problems.geometry().bottom() >= composer.splitter.height() - 3


def test_tab_starts_at_the_toolbar_then_the_composer_then_the_history(qtbot, make_window):
    window = make_window()
    chain: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not window and len(chain) < 500:
        policy = widget.focusPolicy()
        if policy & Qt.FocusPolicy.TabFocus and widget.isVisible() and widget.isEnabled():
            chain.append(widget)
        widget = widget.nextInFocusChain()
    bar = window.target_bar
    assert chain[:4] == [
        bar.environment_combo,
        bar.target_combo,
        bar.account_combo,
        bar.revision_combo,
    ]
    in_composer = [i for i, w in enumerate(chain) if window.composer.isAncestorOf(w)]
    in_history = [i for i, w in enumerate(chain) if window.history_pane.isAncestorOf(w)]
    assert chain.index(bar.send_button) < min(in_composer)
    assert max(in_composer) < min(in_history)


def test_the_toolbar_is_a_few_keys_away_from_where_typing_starts(qtbot, make_window):
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    bar = window.target_bar
    start = QApplication.focusWidget()
    assert start is window.composer.form.profile_edits["email"]  # the newest layout
    # Alt+T, Alt+C, Alt+R go straight to the pickers
    for key, combo in (
        (Qt.Key.Key_T, bar.target_combo),
        (Qt.Key.Key_C, bar.account_combo),
        (Qt.Key.Key_R, bar.revision_combo),
    ):
        qtbot.keyClick(QApplication.focusWidget(), key, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(combo.hasFocus, timeout=3000)
    assert bar.target().label == "sandbox"  # reaching it changes nothing
    # and Shift+Tab from the first field of the form reaches Send within a few presses
    start.setFocus()
    for _ in range(5):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
        if bar.send_button.hasFocus():
            break
    assert bar.send_button.hasFocus()


def test_the_history_folds_to_a_strip_and_stays_as_left(qtbot, make_window):
    window = make_window()
    pane = window.history_pane
    sized(qtbot, window, 1280, 800)
    pane.set_collapsed(False)
    qtbot.waitUntil(pane.table.isVisible, timeout=3000)
    open_height = pane.height()
    form_height = window.composer.height()
    pane.toggle.click()  # fold, as a user does
    qtbot.waitUntil(lambda: pane.height() <= 48, timeout=3000)
    assert not pane.table.isVisible()
    assert window.composer.height() >= form_height + open_height - 60
    assert pane.count_label.isVisible()

    with qtbot.waitSignal(window.closed, timeout=5000):
        window.close()
    again = make_window()
    assert again.history_pane.is_collapsed()
    again.history_pane.toggle.click()
    qtbot.waitUntil(again.history_pane.table.isVisible, timeout=3000)
    assert again.history_pane.height() >= 100


def test_a_long_finding_shows_whole_in_the_problems_list(qtbot, make_window, tmp_path):
    """A finding that wraps onto a second line was cut in half: the list was sized for one
    line per finding."""
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "data": {\n    "attributes": {\n      "properties": {"a": 1,}\n}}}\n')
    window = make_window(file=broken)
    sized(qtbot, window, 1024, 700)
    listing = window.composer.problems.list
    qtbot.waitUntil(lambda: listing.count() == 1, timeout=3000)
    QApplication.processEvents()
    item = listing.visualItemRect(listing.item(0))
    assert item.height() > listing.fontMetrics().height() * 3 // 2  # it wraps at this width
    assert listing.viewport().height() >= item.bottom()


def test_tab_goes_on_from_the_composer_s_last_control(qtbot, make_window):
    """Tab stopped on Generate (the composer's last control): the response area's hidden
    tab bar took it."""
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    generate = window.composer.form.generate_button
    generate.setFocus()
    qtbot.keyClick(generate, Qt.Key.Key_Tab)
    landed = QApplication.focusWidget()
    assert landed is not generate
    assert not window.composer.isAncestorOf(landed)
    assert window.history_pane.isAncestorOf(landed) or window.results_tabs.isAncestorOf(landed)


def test_after_a_send_tab_reaches_the_response_before_the_history(qtbot, make_window):
    """The response's tabs are built with the first answer: they came last in the Tab
    order, after the history."""
    window = make_window()
    with qtbot.waitSignal(window.sendFinished, timeout=10_000):
        window.request_send()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    generate = window.composer.form.generate_button
    generate.setFocus()
    qtbot.keyClick(generate, Qt.Key.Key_Tab)
    assert window.response_view.isAncestorOf(QApplication.focusWidget())


def test_the_form_scrolls_to_the_row_being_edited_in_the_properties(qtbot, make_window, tmp_path):
    """At 1024x700 the properties table starts below the fold: moving through it with the
    keyboard edited rows the form did not show."""
    import json

    from composer.domain.convert import sample_event_in

    event = sample_event_in("2026-07-15")
    event["data"]["attributes"]["properties"].update({f"Extra {i}": i for i in range(12)})
    file = tmp_path / "many.json"
    file.write_text(json.dumps(event, indent=2))
    window = make_window(file=file)
    sized(qtbot, window, 1024, 700)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    form = window.composer.form
    area = form.scroll_area
    area.verticalScrollBar().setValue(0)
    tree = form.properties_tree.tree
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_End)
    qtbot.keyClick(tree, Qt.Key.Key_Up)
    row = tree.visualRect(tree.currentIndex())
    top_left = tree.viewport().mapTo(area.viewport(), row.topLeft())
    shown = QRect(top_left, row.size()).intersected(area.viewport().rect())
    assert shown.height() == row.height(), "the current row is out of view"
