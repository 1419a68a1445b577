"""Combo boxes, spin boxes and tab bars take the mouse wheel only when they have the keyboard
focus.

Qt's default lets a wheel passing over a combo box change it: one tick while scrolling the
form turned Target from Sandbox into Klaviyo production. One filter on the application covers
every combo box and spin box (date-time edits included) in every window and dialog, those that
exist now and those created later: the wheel over an unfocused one goes to its parent (the
form scrolls on), and since they no longer take focus from the wheel, a passing wheel cannot
focus them first either. Click or Tab into one, and the wheel steps it as usual. A tab bar
(Form / Raw JSON, the response's Body / Headers / …) switched to the next tab under a
passing wheel the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QTabBar, QWidget

GUARDED = (QComboBox, QAbstractSpinBox, QTabBar)


def _focused(widget: QWidget) -> bool:
    focus = QApplication.focusWidget()
    return widget.hasFocus() or (focus is not None and widget.isAncestorOf(focus))


class WheelGuard(QObject):
    """The application-wide event filter; :meth:`install` adds it once per application."""

    OBJECT_NAME = "wheelGuard"

    @classmethod
    def install(cls, app: QApplication) -> WheelGuard:
        """The guard of ``app``, installed on first call (later calls return the same)."""
        for child in app.children():
            if isinstance(child, WheelGuard):
                return child
        guard = cls(app)
        guard.setObjectName(cls.OBJECT_NAME)
        app.installEventFilter(guard)
        # widgets that exist already (polished before the guard) lose wheel focus now
        for widget in app.allWidgets():
            if isinstance(widget, GUARDED):
                _no_wheel_focus(widget)
        return guard

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Wheel and isinstance(obj, GUARDED) and not _focused(obj):
            # not accepted and filtered: Qt hands the wheel on to the parent (a scroll area)
            event.ignore()
            return True
        if kind == QEvent.Type.Polish and isinstance(obj, GUARDED):
            _no_wheel_focus(obj)
        return False


def _no_wheel_focus(widget: QWidget) -> None:
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
