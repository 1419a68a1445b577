"""The start-up figures' baseline: a bare PySide6 QMainWindow that prints
``window-shown <unix time>`` on its first paint and quits. Run by its path
(``python tests/benchmarks/programs/bare_window.py``) it imports nothing but PySide6, as a
window of its own would; :func:`quit_on_first_paint` serves the other windows the benchmarks
measure the same way."""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


class _FirstPaint(QObject):
    def __init__(self, app: QApplication, window: QMainWindow) -> None:
        super().__init__(window)
        self._app = app
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            print(f"window-shown {time.time():.6f}", flush=True)
            QTimer.singleShot(0, self._app.quit)
        return False


def quit_on_first_paint(app: QApplication, window: QMainWindow) -> None:
    """Show ``window``; print when it is first painted and quit ``app`` then."""
    window.installEventFilter(_FirstPaint(app, window))
    window.show()


def main() -> None:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1280, 860)
    quit_on_first_paint(app, window)
    app.exec()


if __name__ == "__main__":
    main()
