"""The collections panel's tree view: Enter opens, Delete deletes (F2 renames: Qt's edit key),
a sentence while it is empty, and each request's expectation drawn as a small badge."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from composer.ui import theme
from composer.ui.collection_model import BADGE_ROLE

EMPTY_TEXT = (
    "No collection open.\n\nA collection is a folder of requests (NAME.event.json) that a "
    "team keeps in git. Open one with File ▸ Open collection…, or start one with "
    "Save to collection."
)
NO_MATCH_TEXT = "No request or folder matches the filter."

_Index = QModelIndex | QPersistentModelIndex


class BadgeDelegate(QStyledItemDelegate):
    """Draws a request's expectation (``expects 202``) as a small rounded badge at the right
    of its row (the last run's verdict, ✓ or ✗, is the row's icon: the model's)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        badge = index.data(BADGE_ROLE)
        if not badge:
            super().paint(painter, option, index)
            return
        metrics = option.fontMetrics
        rect: QRect = option.rect
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        # a narrow panel: the badge gives way ("expects 202" -> "202") before the name does
        room = rect.width() - option.decorationSize.width() - 12
        if metrics.horizontalAdvance(f"{name} {badge}") + 24 > room:
            badge = badge.removeprefix("expects ")
        badge_w = metrics.horizontalAdvance(badge) + 12
        text_option = QStyleOptionViewItem(option)
        text_option.rect = rect.adjusted(0, 0, -(badge_w + 4), 0)
        super().paint(painter, text_option, index)
        painter.save()
        box = QRect(rect.right() - badge_w, rect.top() + 2, badge_w - 2, rect.height() - 4)
        palette: QPalette = option.palette
        fg = QColor(_badge_color(badge, theme.colors()))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(fg)
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(box, 4, 4)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), badge)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        size = super().sizeHint(option, index)
        badge = index.data(BADGE_ROLE)
        if badge:
            size.setWidth(size.width() + option.fontMetrics.horizontalAdvance(badge) + 24)
        return size


def _badge_color(badge: str, colors: theme.StatusColors) -> str:
    status = badge.removeprefix("expects ").strip()
    if status.startswith("2") or status == "valid":
        return colors.ok
    if status[:1] in ("4", "5") or status == "invalid":
        return colors.warning
    return colors.neutral


class CollectionTree(QTreeView):
    """The tree; Enter opens the current request, F2 renames, Ctrl+D duplicates, Delete
    deletes; while empty it says what a collection is and how to open one."""

    activatedByKey = Signal(QModelIndex)
    deleteByKey = Signal(QModelIndex)
    duplicateByKey = Signal(QModelIndex)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._placeholder = EMPTY_TEXT

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.viewport().update()

    def placeholder_text(self) -> str:
        model = self.model()
        return self._placeholder if model is None or model.rowCount() == 0 else ""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        if self.state() != QAbstractItemView.State.EditingState and index.isValid():
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.activatedByKey.emit(index)
                return
            if event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Delete:
                self.deleteByKey.emit(index)
                return
            if (
                event.key() == Qt.Key.Key_D
                and event.modifiers() == Qt.KeyboardModifier.ControlModifier
            ):
                self.duplicateByKey.emit(index)
                return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        text = self.placeholder_text()
        if not text:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        area = self.viewport().rect().adjusted(10, 10, -10, -10)
        flags = Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
        painter.drawText(area, int(flags), text)
        painter.end()
