"""The window's status bar: a passing message longer than its room ends in "…" and is whole
in the bar's tool tip. Qt's own bar cuts such a message off at the first permanent widget
without a sign, so in a narrow window the end of a message ("...; no equivalent for Plan
(kept, see Raw JSON)") was lost."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QStatusBar, QWidget

_LEFT = 6
"""Where Qt's bar starts a message, and how far before a permanent widget it stops (2) or
before the bar's right edge when there is none (12)."""


class MessageStatusBar(QStatusBar):
    """A QStatusBar whose passing message is cut with "…" to the room it has, and whole in the
    tool tip; :meth:`currentMessage` is the whole message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._whole = ""
        self._until: float | None = None  # time.monotonic() when the message goes
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(self._message_changed)

    def showMessage(self, text: str, /, timeout: int | None = 0) -> None:
        """Show ``text`` for ``timeout`` ms (0: until another message replaces it)."""
        self._whole = text
        self._until = time.monotonic() + timeout / 1000 if timeout and timeout > 0 else None
        self._show_fitted()

    def currentMessage(self) -> str:
        """The whole passing message ("" when none is shown)."""
        return self._whole if super().currentMessage() else ""

    def shown_message(self) -> str:
        """The passing message as the bar shows it: cut to its room with "…"."""
        return super().currentMessage()

    def addPermanentWidget(self, widget: QWidget, /, stretch: int | None = 0) -> None:
        super().addPermanentWidget(widget, stretch or 0)
        self._permanent.append(widget)
        widget.installEventFilter(self)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # a permanent widget that moves, grows or shows changes the message's room
        if event.type() in (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show):
            self._refit()
        return False

    def _room(self) -> int:
        right = self.width() - 12
        visible = [w for w in self._permanent if w.isVisible()]
        if visible:
            right = min(w.x() for w in visible) - 2
        return max(0, right - _LEFT)

    def _show_fitted(self) -> None:
        left_ms = 0
        if self._until is not None:
            left_ms = round((self._until - time.monotonic()) * 1000)
            if left_ms <= 0:
                self.clearMessage()
                return
        shown = self.fontMetrics().elidedText(
            self._whole, Qt.TextElideMode.ElideRight, self._room()
        )
        if self._whole and not shown:  # no room at all: at least the sign that there is more
            shown = "…"
        super().showMessage(shown, left_ms)
        self.setToolTip(self._whole if shown != self._whole else "")

    def _refit(self) -> None:
        if self._whole and super().currentMessage():
            self._show_fitted()

    def _message_changed(self, shown: str) -> None:
        if not shown:  # its time is up, or cleared: nothing to say in the tool tip either
            self._whole = ""
            self._until = None
            self.setToolTip("")
