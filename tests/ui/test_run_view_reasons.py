"""The run results' reasons, cut in a narrow column, show their start (what failed) and end
in "…", with the whole reason in the tool tip; request names keep their end (the name)."""

from __future__ import annotations

from PySide6.QtWidgets import QStyleOptionViewItem, QTreeWidgetItem

from composer.domain.expectations import CheckResult
from composer.services.runner import RequestResult, RunProgress

REASON = (
    "status 202: the answer was 400 Bad Request, because metric.name is longer than the "
    "128 characters Klaviyo accepts (it has 211); shorten it"
)
KEY = "checkout/with a rather long folder name/placed order with coupon"


def _shown(view, item: QTreeWidgetItem, column: int = 0) -> str:
    """The text as painted: the delegate's options for the cell, elided to its width."""
    tree = view.results
    index = tree.indexFromItem(item, column)
    option = QStyleOptionViewItem()
    option.initFrom(tree)
    option.textElideMode = tree.textElideMode()  # as the view sets it before each paint
    tree.itemDelegateForIndex(index).initStyleOption(option, index)
    width = tree.visualRect(index).width() - 12  # the cell's margins
    return option.fontMetrics.elidedText(option.text, option.textElideMode, width)


def test_a_long_reason_shows_its_start_and_its_whole_text_in_the_tooltip(qtbot):
    from composer.ui.run_view import RunView

    view = RunView()
    qtbot.addWidget(view)
    view.resize(360, 400)
    view.show()
    qtbot.waitExposed(view)
    view.start("Run: checkout", [KEY])
    failed = RequestResult(KEY, False, checks=(CheckResult("status 202", False, REASON[12:]),))
    view.step(RunProgress(0, 1, KEY, None, failed))
    row = view.results.topLevelItem(0)
    reason = row.child(0)
    assert reason.text(0) == REASON
    shown = _shown(view, reason)
    assert shown != REASON, "the test needs a column narrower than the reason"
    assert shown.endswith("…") and REASON.startswith(shown[:-1])
    assert reason.toolTip(0) == REASON
    # the request's name is cut at its start: its end tells rows apart
    name = _shown(view, row)
    assert name.startswith("…") and KEY.endswith(name[1:])
