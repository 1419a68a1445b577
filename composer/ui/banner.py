"""Dismissible strips above the composer: the retired-revision warning, and the notice that the
settings file could not be used as it was."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from composer.services.retired import notice
from composer.storage.settings import SettingsStore
from composer.ui import theme


def retired_revision_text(revision: str) -> str | None:
    """The banner text for ``revision``, or None when it is not retired (the words are
    composer.services.retired's, shared with the send question)."""
    return notice(revision)


def settings_notice_text(store: SettingsStore) -> str | None:
    """The notice for a settings file that could not be used as it was, or None."""
    if store.unreadable is not None:
        return (
            f"⚠ Your settings could not be loaded: {store.path} — {store.unreadable}. "
            "Event Composer is using the default settings and leaves that file as it is; "
            "changes you make now are kept until you quit. Repair the file (or move it away) "
            "and restart to get your accounts and settings back."
        )
    if store.problem is not None:
        return f"⚠ Some settings were replaced by their defaults: {store.problem}"
    return None


class Banner(QWidget):
    """One line of text with a close button; closed banners stay closed for the session."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAccessibleName("Notice")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setAccessibleName("Dismiss notice")
        self.close_button.setToolTip("Hide this notice for this session")
        self.close_button.clicked.connect(self._dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._dismissed: set[str] = set()
        self._key = ""
        self.refresh_colors()
        self.hide()

    def show_message(self, key: str, text: str | None) -> None:
        """Show ``text`` unless it is None or the user dismissed ``key`` this session."""
        self._key = key
        if text is None or key in self._dismissed:
            self.hide()
            return
        self.label.setText(text)
        self.show()

    def _dismiss(self) -> None:
        self._dismissed.add(self._key)
        self.hide()
        self.dismissed.emit()

    def refresh_colors(self) -> None:
        c = theme.colors()
        self.setStyleSheet(
            f"QWidget#banner {{ background: {c.banner_bg}; border-bottom: 1px solid "
            f"{c.warning}; }} QWidget#banner QLabel {{ color: {c.banner_fg}; }}"
            f" QWidget#banner QToolButton {{ color: {c.banner_fg}; }}"
        )
