"""The status-bar line that says which unique_id the next Send from the composer carries."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget


class NextUniqueIdLabel(QLabel):
    """``Next Send: unique_id 3f2a1c9e…`` (the whole id in the tooltip and selectable), or that
    the event's own unique_id is sent when the setting for a new one per Send is off."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nextUniqueId")
        self.setAccessibleName("unique_id of the next Send")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._unique_id: str | None = None
        self.set_next(None)

    def minimumSizeHint(self) -> QSize:
        # a narrow window clips this detail rather than grow for it
        return QSize(0, super().minimumSizeHint().height())

    def unique_id(self) -> str | None:
        """The id shown (None: the event's own)."""
        return self._unique_id

    def set_next(self, unique_id: str | None) -> None:
        """Show the id the next Send uses: a new one, or None for the event's own."""
        self._unique_id = unique_id
        if unique_id is None:
            self.setText("Next Send: the event's own unique_id")
            self.setToolTip(
                "Send uses the event's unique_id (or fills one in when it has none). Klaviyo "
                "records an event with the same unique_id only once, so sending the same "
                "event again is not recorded again. Settings ▸ General changes this."
            )
            return
        self.setText(f"Next Send: unique_id {unique_id[:8]}…")
        self.setToolTip(
            f"The next Send carries unique_id {unique_id}, a new one for each Send: pressing "
            "Send again records a new event, never a duplicate that Klaviyo would drop without "
            "a word. Resend exactly (History) keeps an entry's unique_id. Settings ▸ General "
            "changes this."
        )
