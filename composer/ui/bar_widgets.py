"""The target bar's own widgets: a badge that shortens its words before it cuts them, and
pickers that a narrow window may shrink (the environment picker also says when its list is
about to open)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent, QShowEvent, QWheelEvent
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QWidget

MANAGE_ENVIRONMENTS = "\x00environments"
"""The environment picker's last item: the environments folder (no environment of its own)."""

ACTION_MARK = "\x00"
"""Item data starting with this marks an action ("Custom URL…", the environments folder),
not a choice."""

_STEP_KEYS = (
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
    Qt.Key.Key_Home,
    Qt.Key.Key_End,
)


class ElidingBadge(QLabel):
    """A one-line label that shows its whole text when it fits, else its short text (whole
    words, no "…"), and gives way when the window is narrow; the whole text is its tooltip
    and accessible description."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._short = ""
        self._compact = False
        # margins, not style-sheet padding: QLabel then paints the text inside its margins
        self.setContentsMargins(8, 3, 8, 3)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str, short: str = "") -> None:
        self._full = text
        self._short = short or text
        self.setToolTip(text)
        self.setAccessibleDescription(text)
        self.updateGeometry()
        self._elide()

    def full_text(self) -> str:
        return self._full

    def _chrome(self) -> int:
        """Width around the text (+2 px each side for rounding and hinting, so a text that
        fits is never clipped)."""
        margins = self.contentsMargins()
        return margins.left() + margins.right() + 4

    def _text_width(self, text: str) -> int:
        metrics = self.fontMetrics()
        return max(metrics.horizontalAdvance(text), metrics.boundingRect(text).width())

    def set_compact(self, compact: bool) -> None:
        """Ask for no more room than the short words (the bar has none to spare), so that
        the pickers beside it keep their whole texts."""
        if compact != self._compact:
            self._compact = compact
            self.updateGeometry()

    def width_for(self, *, whole: bool) -> int:
        """The width the whole text (or the short words) needs."""
        return self._text_width(self._full if whole else self._short) + self._chrome()

    def sizeHint(self) -> QSize:
        return QSize(self.width_for(whole=not self._compact), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        # the symbol and the kind stay whole ("⚠ PRODUCTION", "● Sandbox")
        width = self._text_width(self._short) + self._chrome()
        return QSize(min(width, self.sizeHint().width()), super().minimumSizeHint().height())

    def _elide(self) -> None:
        if not self.isVisible():  # placed when shown (resizeEvent, showEvent)
            self.setText(self._full)
            return
        room = self.width() - self._chrome()
        for text in (self._full, self._short):
            if self._text_width(text) <= room:
                self.setText(text)
                # short words sit in the middle of the room they were given
                centre = text != self._full
                self.setAlignment(
                    (Qt.AlignmentFlag.AlignHCenter if centre else Qt.AlignmentFlag.AlignLeft)
                    | Qt.AlignmentFlag.AlignVCenter
                )
                return
        elided = self.fontMetrics().elidedText(self._short, Qt.TextElideMode.ElideRight, room)
        self.setText(elided)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._elide()


class ShrinkingCombo(QComboBox):
    """A combo box as wide as its longest item when there is room, that a narrow window may
    shrink to about ``min_chars`` characters (the current item is then elided)."""

    def __init__(self, min_chars: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._min_chars = min_chars
        # the items' text widths, measured again only when the items or the font change
        # (the bar asks for its size hints many times while it lays out)
        self._widths: list[int] | None = None
        model = self.model()
        for changed in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            changed.connect(self._forget_widths)
        model.dataChanged.connect(self._forget_widths)

    def _forget_widths(self, *_args: object) -> None:
        self._widths = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """The arrow, Page and Home/End keys on the closed picker step through its choices
        only: one Down on the environment picker (the first control of the window) opened
        the environments folder in the file manager, End on the target the Custom URL
        dialog. The open list still offers the actions."""
        key = event.key()
        alt = event.modifiers() & Qt.KeyboardModifier.AltModifier
        if key not in _STEP_KEYS or alt or self.view().isVisible():
            super().keyPressEvent(event)
            return
        event.accept()
        self._step(key)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """The wheel on the focused picker (the only one it turns) steps through its choices
        only, as the arrow keys do."""
        turn = event.angleDelta().y()
        if not turn or self.view().isVisible():
            super().wheelEvent(event)
            return
        event.accept()
        self._step(Qt.Key.Key_Down if turn < 0 else Qt.Key.Key_Up)

    def _step(self, key: int) -> None:
        choices = [i for i in range(self.count()) if self._is_choice(i)]
        if not choices:
            return
        current = self.currentIndex()
        if key in (Qt.Key.Key_Home, Qt.Key.Key_PageUp):
            target = choices[0]
        elif key in (Qt.Key.Key_End, Qt.Key.Key_PageDown):
            target = choices[-1]
        elif key == Qt.Key.Key_Down:
            target = next((i for i in choices if i > current), current)
        else:
            target = next((i for i in reversed(choices) if i < current), current)
        if target != current:
            self.setCurrentIndex(target)
            self.activated.emit(target)

    def _is_choice(self, index: int) -> bool:
        data = self.itemData(index)
        if isinstance(data, str) and data.startswith(ACTION_MARK):
            return False
        item = self.model().index(index, 0)
        return bool(item.flags() & Qt.ItemFlag.ItemIsEnabled) and bool(self.itemText(index))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._widths = None
        super().changeEvent(event)

    def item_widths(self) -> list[int]:
        """The width of each item's text."""
        if self._widths is None:
            metrics = self.fontMetrics()
            self._widths = [
                metrics.horizontalAdvance(self.itemText(i)) for i in range(self.count())
            ]
        return self._widths

    def minimumSizeHint(self) -> QSize:
        full = self.sizeHint()
        metrics = self.fontMetrics()
        widest = max(self.item_widths(), default=0)
        chrome = max(full.width() - widest, 0)
        least = chrome + metrics.horizontalAdvance("x" * self._min_chars)
        return QSize(min(full.width(), least), full.height())


class EnvironmentCombo(ShrinkingCombo):
    """The environment picker: says when its list is about to open (the files are read
    again then, so an environment added in the folder shows up)."""

    popupAboutToShow = Signal()

    def sizeHint(self) -> QSize:
        """As wide as the longest environment (not the folder item at the end of the list,
        which has room in the open list)."""
        full = super().sizeHint()
        widths = self.item_widths()
        names = [w for i, w in enumerate(widths) if self.itemData(i) != MANAGE_ENVIRONMENTS]
        chrome = max(full.width() - max(widths, default=0), 0)
        return QSize(chrome + max(names, default=0), full.height())

    def minimumSizeHint(self) -> QSize:
        full = QComboBox.sizeHint(self)
        metrics = self.fontMetrics()
        widest = max(self.item_widths(), default=0)
        least = max(full.width() - widest, 0) + metrics.horizontalAdvance("x" * self._min_chars)
        return QSize(min(least, self.sizeHint().width()), full.height())

    def showPopup(self) -> None:
        self.popupAboutToShow.emit()
        super().showPopup()
