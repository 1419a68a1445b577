"""The runner view: a collection run as it goes (progress, Cancel) and when done, one row per
request with its verdict (✓ passed, ✗ failed with each failed check's reason below it). A row
opens its request in the composer and its send's history entry (Enter or double-click)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.ui import theme

if TYPE_CHECKING:
    from composer.services.runner import RequestResult, RunProgress, RunReport

RESULT_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Request", "Result", "Time")
NARROW_PX = 340
"""Below this width the results leave out the Time column (the details below say it)."""
VERDICT_ROLE = Qt.ItemDataRole.UserRole + 2
"""The row's verdict in words: waiting, running, passed, failed, cancelled, not run."""

IDLE_TEXT = (
    "No run yet. Right-click a folder or a collection in the Collections panel and choose "
    "Run (or press Run there): every request is sent with the current environment and "
    "checked against its NAME.expect.json."
)


class ResultDelegate(QStyledItemDelegate):
    """Cuts each text where it matters least: a request's name at its start (its own name,
    at the end of ``folder/name``, is what tells rows apart), a reason at its end (what
    failed comes first; the tool tip and the details below have it whole)."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        reason = index.parent().isValid()
        option.textElideMode = Qt.TextElideMode.ElideRight if reason else Qt.TextElideMode.ElideLeft


class RunView(QWidget):
    """Shows one run. ``cancelRequested`` when Cancel is pressed; ``rerunRequested`` for
    Run again; ``resultActivated(RequestResult)`` when a row is opened;
    ``historyRequested(RequestResult)`` for Show in the history only."""

    cancelRequested = Signal()
    rerunRequested = Signal()
    resultActivated = Signal(object)
    historyRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runView")
        self.setAccessibleName("Run results")
        self.title = QLabel("Run")
        self.title.setObjectName("paneTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # a long collection or folder name wraps: it never widens the window
        self.title.setWordWrap(True)
        self.summary = QLabel(IDLE_TEXT)
        self.summary.setObjectName("runSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Run summary")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Run progress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v of %m")
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel run")
        self.cancel_button.setObjectName("cancelRunButton")
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        self.cancel_button.hide()
        self.rerun_button = QPushButton("Run again")
        self.rerun_button.setObjectName("rerunButton")
        self.rerun_button.clicked.connect(self.rerunRequested.emit)
        self.rerun_button.hide()

        self.results = QTreeWidget()
        self.results.setObjectName("runResults")
        self.results.setAccessibleName("Results per request")
        self.results.setColumnCount(len(COLUMNS))
        self.results.setHeaderLabels(list(COLUMNS))
        self.results.setRootIsDecorated(True)
        self.results.setUniformRowHeights(False)
        self.results.setWordWrap(False)  # cut texts end in …; the details show all
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setItemDelegate(ResultDelegate(self.results))
        header = self.results.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.results.itemActivated.connect(self._activated)
        self.results.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.results.customContextMenuRequested.connect(self._context_menu)
        self._rows: dict[int, QTreeWidgetItem] = {}
        self.details = QLabel()
        self.details.setObjectName("runDetails")
        self.details.setAccessibleName("The chosen result")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        self.results.currentItemChanged.connect(lambda item, _old: self._show_details(item))

        bar = QHBoxLayout()
        bar.addWidget(self.progress, 1)
        bar.addStretch(0)  # Run again stays compact at the right when the bar is hidden
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.rerun_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.details)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # narrow (a small window with the collections shown): the time is in the details
        self.results.setColumnHidden(2, self.width() < NARROW_PX)

    # -- a run ---------------------------------------------------------------------------------

    def start(self, title: str, plan: list[str]) -> None:
        """A run of the requests ``plan`` (their keys, in order) begins."""
        self.title.setText(title)
        self.results.clear()
        self._rows = {}
        for i, key in enumerate(plan):
            item = QTreeWidgetItem([key, "", ""])
            self._set_verdict(item, "waiting", "…", theme.colors().neutral)
            self.results.addTopLevelItem(item)
            self._rows[i] = item
        self.progress.setRange(0, max(len(plan), 1))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.rerun_button.hide()
        self.summary.setText(f"Running {len(plan)} request{'s' * (len(plan) != 1)}…")

    def step(self, progress: RunProgress) -> None:
        """One request started (``result`` None) or finished."""
        item = self._rows.get(progress.index)
        if item is None:
            item = QTreeWidgetItem([progress.key, "", ""])
            self.results.addTopLevelItem(item)
            self._rows[progress.index] = item
        result = progress.result
        if result is None:
            self._set_verdict(item, "running", "▶ sending", theme.colors().neutral)
            self.results.scrollToItem(item)
            return
        self._fill(item, result)
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.index + 1)

    def _fill(self, item: QTreeWidgetItem, result: RequestResult) -> None:
        colors = theme.colors()
        status = str(result.status) if result.status is not None else "not sent"
        if result.cancelled:
            self._set_verdict(item, "cancelled", "■ cancelled", colors.neutral)
        elif result.passed:
            self._set_verdict(item, "passed", f"✓ {status}", colors.ok)
        else:
            self._set_verdict(item, "failed", f"✗ {status}", colors.error)
        item.setData(0, RESULT_ROLE, result)
        item.setText(2, f"{result.duration_ms:,.0f} ms")
        answer = f"the answer was {result.status}" if result.status is not None else "not sent"
        tip = f"{item.data(0, VERDICT_ROLE).capitalize()}: {answer}."
        tip += (
            " Enter or double-click opens the request and its history entry."
            if result.history_id is not None
            else " Enter or double-click opens the request."
        )
        for column in range(len(COLUMNS)):
            item.setToolTip(column, tip)
        item.takeChildren()
        for reason in result.reasons():
            child = QTreeWidgetItem([reason])
            child.setData(0, RESULT_ROLE, result)
            child.setToolTip(0, reason)
            item.addChild(child)
            child.setFirstColumnSpanned(True)
        item.setExpanded(not result.passed)

    @staticmethod
    def _set_verdict(item: QTreeWidgetItem, verdict: str, text: str, color: str) -> None:
        item.setData(0, VERDICT_ROLE, verdict)
        item.setText(1, text)
        item.setForeground(1, QColor(color))
        item.setData(1, Qt.ItemDataRole.AccessibleTextRole, f"{verdict} {text}")

    def _show_details(self, item: QTreeWidgetItem | None) -> None:
        """The chosen result in full below the list (names and reasons are cut in a narrow
        column)."""
        if item is not None and item.parent() is not None:
            item = item.parent()
        result = self._result_of(item)
        if item is None or result is None:
            self.details.hide()
            return
        lines = [f"{result.key}: {item.data(0, VERDICT_ROLE)}"]
        if result.status is not None:
            lines[0] += f", the answer was {result.status}"
        lines[0] += f" ({result.duration_ms:,.0f} ms)"
        lines += [f"• {reason}" for reason in result.reasons()]
        if result.history_id is not None:
            lines.append(f"History entry #{result.history_id} (Enter opens it with the request)")
        self.details.setText("\n".join(lines))
        self.details.show()

    def finish(self, report: RunReport) -> None:
        """The run ended (done, cancelled or stopped)."""
        self.progress.hide()
        self.cancel_button.hide()
        self.rerun_button.show()
        for i in range(len(report.results), len(self._rows)):
            self._set_verdict(self._rows[i], "not run", "– not run", theme.colors().neutral)
        self.summary.setText(summary_text(report))
        failed = next((r for r in self._rows.values() if r.data(0, VERDICT_ROLE) == "failed"), None)
        if failed is not None:  # the first failure is what a tester looks at first
            self.results.setCurrentItem(failed)

    def show_problem(self, text: str) -> None:
        """The run could not start (or stopped): say why."""
        self.progress.hide()
        self.cancel_button.hide()
        self.rerun_button.show()
        self.summary.setText(text)

    def set_cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.summary.setText("Cancelling: the request under way is stopped…")

    # -- reading the rows ------------------------------------------------------------------------

    def result_rows(self) -> list[tuple[str, str, str, list[str]]]:
        """(verdict, request key, result column, reasons) of every row, as shown."""
        out = []
        for i in range(self.results.topLevelItemCount()):
            item = self.results.topLevelItem(i)
            assert item is not None
            children = (item.child(j) for j in range(item.childCount()))
            reasons = [c.text(0) for c in children if c is not None]
            out.append((item.data(0, VERDICT_ROLE), item.text(0), item.text(1), reasons))
        return out

    def select_row(self, index: int) -> None:
        item = self.results.topLevelItem(index)
        if item is not None:
            self.results.setCurrentItem(item)

    def _result_of(self, item: QTreeWidgetItem | None) -> RequestResult | None:
        if item is None:
            return None
        result: RequestResult | None = item.data(0, RESULT_ROLE)
        return result

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        result = self._result_of(item)
        if result is not None:
            self.resultActivated.emit(result)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.results.itemAt(pos)
        result = self._result_of(item)
        if result is None:
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction("Open the request and its history entry").triggered.connect(
            lambda _c=False: self.resultActivated.emit(result)
        )
        history = menu.addAction("Show in the history")
        history.setEnabled(result.history_id is not None)
        history.triggered.connect(lambda _c=False: self.historyRequested.emit(result))
        reasons = result.reasons()
        copy = menu.addAction("Copy the reasons")
        copy.setEnabled(bool(reasons))
        copy.triggered.connect(
            lambda _c=False: QGuiApplication.clipboard().setText(
                f"{result.key}\n" + "\n".join(reasons)
            )
        )
        menu.popup(self.results.viewport().mapToGlobal(pos))


def summary_text(report: RunReport) -> str:
    """The run in one sentence: how many passed and failed, and whether it stopped early."""
    parts = [f"{report.passed} passed", f"{report.failed} failed"]
    if report.skipped:
        parts.append(f"{report.skipped} not run")
    seconds = report.duration_ms / 1000
    head = "✓ Every expectation held" if report.ok else "✗ Not every expectation held"
    if report.cancelled:
        head = "■ Cancelled"
    elif report.bailed:
        head = "✗ Stopped at the first failure"
    return f"{head}: {', '.join(parts)} ({seconds:,.1f} s)."
