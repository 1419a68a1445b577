"""The window's layout follows the Form as it grows (parts of it are built after the first paint);
a call queued for a Form that is closed before it runs is dropped, never run on deleted widgets."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from composer.ui.window_layout import _LayoutWatch


def test_a_layout_change_is_followed_and_dropped_once_the_widget_is_gone(qtbot) -> None:
    calls: list[str] = []
    body = QWidget()
    _LayoutWatch(body, lambda: calls.append("followed"))

    QCoreApplication.sendEvent(body, QEvent(QEvent.Type.LayoutRequest))
    qtbot.waitUntil(lambda: calls == ["followed"], timeout=2000)

    # a layout request, then the window closes before the queued call runs
    QVBoxLayout(body).addWidget(QWidget())
    QCoreApplication.sendEvent(body, QEvent(QEvent.Type.LayoutRequest))
    shiboken6.delete(body)
    qtbot.wait(50)
    assert calls == ["followed"]
