"""The top bar: where the event goes (target), whose key (account), which API revision, and
Send / Cancel. The target is shown as a coloured label with words, so the sandbox and
production can never be confused at a glance."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from composer.client.targets import Target, TargetKind, parse_target
from composer.ui import theme
from composer.ui.revision_picker import fill_revisions

MANAGE_KEYS = "\x00manage"
NEW_CUSTOM = "\x00custom"


def target_headline(target: Target) -> str:
    """The words shown beside the target, always visible."""
    if target.kind is TargetKind.SANDBOX:
        return "Sandbox: nothing leaves this computer"
    if target.kind is TargetKind.PRODUCTION:
        return "PRODUCTION: events go to your live Klaviyo account"
    if target.kind is TargetKind.LOOPBACK:
        return f"Local server {target.base_url}: nothing leaves this computer"
    return f"Custom server {target.base_url} (not Klaviyo)"


def target_kind_words(target: Target) -> str:
    """The headline's first words, all a narrow window has room for ("Sandbox")."""
    return target_headline(target).split(":", 1)[0].split(" http", 1)[0]


class ElidingBadge(QLabel):
    """A one-line label that shows its whole text when it fits, else its short text (whole
    words, no "…"), and gives way when the window is narrow; the whole text is its tooltip
    and accessible description."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._short = ""
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

    def sizeHint(self) -> QSize:
        return QSize(self._text_width(self._full) + self._chrome(), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        # the symbol and the kind stay whole ("⚠ PRODUCTION", "● Sandbox")
        width = self._text_width(self._short) + self._chrome()
        return QSize(min(width, self.sizeHint().width()), super().minimumSizeHint().height())

    def _elide(self) -> None:
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


class ShrinkingCombo(QComboBox):
    """A combo box as wide as its longest item when there is room, that a narrow window may
    shrink to about ``min_chars`` characters (the current item is then elided)."""

    def __init__(self, min_chars: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._min_chars = min_chars

    def minimumSizeHint(self) -> QSize:
        full = self.sizeHint()
        metrics = self.fontMetrics()
        widest = max(
            (metrics.horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0
        )
        chrome = max(full.width() - widest, 0)
        least = chrome + metrics.horizontalAdvance("x" * self._min_chars)
        return QSize(min(full.width(), least), full.height())


class TargetBar(QWidget):
    """Target, account and revision pickers, the target badge, and Send / Cancel."""

    targetChanged = Signal(object)  # Target
    accountChanged = Signal(object)  # str | None
    revisionChanged = Signal(str)
    manageKeysRequested = Signal()
    customTargetRequested = Signal()
    sendRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._target = parse_target("sandbox")
        self._custom_urls: list[str] = []

        self.target_combo = ShrinkingCombo(12)
        self.target_combo.setAccessibleName("Target")
        self.target_combo.setToolTip("Where Send delivers the event")

        self.account_combo = ShrinkingCombo(8)
        self.account_combo.setAccessibleName("Account")
        self.account_combo.setToolTip("Whose private API key signs the request")

        self.revision_combo = ShrinkingCombo(10)
        self.revision_combo.setAccessibleName("API revision")
        self.revision_combo.setToolTip("The revision header sent with the request")
        fill_revisions(self.revision_combo)

        self.badge = ElidingBadge()
        self.badge.setObjectName("targetBadge")
        self.badge.setAccessibleName("Where events go")

        self.send_button = QPushButton("Send  Ctrl+⏎")
        self.send_button.setObjectName("sendButton")
        self.send_button.setAccessibleName("Send")
        self.send_button.setToolTip("Validate and send the event (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel  Esc")
        self.cancel_button.setAccessibleName("Cancel send")
        self.cancel_button.setToolTip("Stop the send that is running (Esc)")
        self.cancel_button.hide()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)
        for caption, combo in (
            # Alt+T, Alt+C, Alt+R reach them from anywhere in the window
            ("&Target", self.target_combo),
            ("A&ccount", self.account_combo),
            ("&Revision", self.revision_combo),
        ):
            label = QLabel(caption)
            label.setBuddy(combo)
            layout.addWidget(label)
            layout.addWidget(combo)
            layout.addSpacing(6)
        layout.addWidget(self.badge)
        layout.addStretch(1)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.send_button)

        self._fill_targets()
        self.set_accounts([], None)
        self.target_combo.activated.connect(self._on_target_activated)
        self.account_combo.activated.connect(self._on_account_activated)
        self.revision_combo.currentIndexChanged.connect(
            lambda _i: self.revisionChanged.emit(self.revision())
        )
        self.send_button.clicked.connect(self.sendRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self._refresh_badge()

    # -- target ------------------------------------------------------------------------------

    def _fill_targets(self) -> None:
        combo = self.target_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("Sandbox", "sandbox")
        combo.addItem("Klaviyo production", "production")
        for url in self._custom_urls:
            combo.addItem(url, url)
        combo.addItem("Custom URL…", NEW_CUSTOM)
        index = combo.findData(self._target.label)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    def _on_target_activated(self, index: int) -> None:
        data = self.target_combo.itemData(index)
        if data == NEW_CUSTOM:
            self._fill_targets()  # back to the current choice until a URL is given
            self.customTargetRequested.emit()
            return
        self.set_target(parse_target(str(data)))

    def set_custom_urls(self, urls: list[str]) -> None:
        self._custom_urls = list(dict.fromkeys(urls))
        self._fill_targets()

    def custom_urls(self) -> list[str]:
        return list(self._custom_urls)

    def set_target(self, choice: Target) -> None:
        """Select ``choice`` (adding a URL to the list) and announce it when it changed."""
        if choice.label not in ("sandbox", "production") and choice.label not in (
            self._custom_urls
        ):
            self._custom_urls.append(choice.label)
        changed = choice != self._target
        self._target = choice
        self._fill_targets()
        self._refresh_badge()
        if changed:
            self.targetChanged.emit(choice)

    def target(self) -> Target:
        return self._target

    def _refresh_badge(self) -> None:
        c = theme.colors()
        kind = self._target.kind
        bg, fg = {
            TargetKind.SANDBOX: (c.sandbox_bg, c.sandbox_fg),
            TargetKind.LOOPBACK: (c.sandbox_bg, c.sandbox_fg),
            TargetKind.PRODUCTION: (c.production_bg, c.production_fg),
        }.get(kind, (c.custom_bg, c.custom_fg))
        symbol = {TargetKind.PRODUCTION: "⚠", TargetKind.CUSTOM: "↗"}.get(kind, "●")
        # the weight is set on the font, not in the style sheet, so the badge measures its
        # text with the font it paints with
        font = self.badge.font()
        font.setWeight(
            QFont.Weight.Bold if kind is TargetKind.PRODUCTION else QFont.Weight.DemiBold
        )
        self.badge.setFont(font)
        self.badge.set_full_text(
            f"{symbol} {target_headline(self._target)}",
            f"{symbol} {target_kind_words(self._target)}",
        )
        self.badge.setProperty("targetKind", kind.value)
        self.badge.setStyleSheet(
            f"QLabel#targetBadge {{ background: {bg}; color: {fg}; border-radius: 4px; }}"
        )
        # Send is the one accent-coloured control; red when it goes to production.
        accent = c.production_bg if kind is TargetKind.PRODUCTION else c.accent
        self.send_button.setStyleSheet(
            f"QPushButton#sendButton {{ background: {accent}; color: #ffffff; border: none;"
            " border-radius: 4px; font-weight: 700; padding: 5px 14px; }"
            " QPushButton#sendButton:disabled { background: #9e9e9e; color: #eeeeee; }"
            f" QPushButton#sendButton:focus {{ border: 2px solid {c.accent_focus}; }}"
        )
        self.send_button.setText(
            "Send to production  Ctrl+⏎" if kind is TargetKind.PRODUCTION else "Send  Ctrl+⏎"
        )

    def refresh_colors(self) -> None:
        self._refresh_badge()

    # -- account -----------------------------------------------------------------------------

    def set_accounts(self, names: list[str], current: str | None) -> None:
        """Offer ``names`` (labels only, never keys) plus "Manage keys…"."""
        combo = self.account_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("— (none)", None)
        for name in names:
            combo.addItem(name, name)
        combo.insertSeparator(combo.count())
        combo.addItem("Manage keys…", MANAGE_KEYS)
        index = combo.findData(current) if current else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    def account(self) -> str | None:
        data = self.account_combo.currentData()
        return data if isinstance(data, str) and data != MANAGE_KEYS else None

    def set_account(self, name: str | None) -> None:
        index = self.account_combo.findData(name) if name else 0
        self.account_combo.setCurrentIndex(max(index, 0))

    def _on_account_activated(self, index: int) -> None:
        data = self.account_combo.itemData(index)
        if data == MANAGE_KEYS:
            self.account_combo.blockSignals(True)
            self.account_combo.setCurrentIndex(0)
            self.account_combo.blockSignals(False)
            self.manageKeysRequested.emit()
            return
        self.accountChanged.emit(data if isinstance(data, str) else None)

    # -- revision ----------------------------------------------------------------------------

    def revision(self) -> str:
        return str(self.revision_combo.currentData())

    def set_revision(self, name: str) -> None:
        index = self.revision_combo.findData(name)
        if index >= 0:
            self.revision_combo.setCurrentIndex(index)

    # -- send state --------------------------------------------------------------------------

    def set_sending(self, sending: bool) -> None:
        """While a send runs, Send is disabled and Cancel shown."""
        self.send_button.setEnabled(not sending)
        self.cancel_button.setVisible(sending)
        for combo in (self.target_combo, self.account_combo, self.revision_combo):
            combo.setEnabled(not sending)
        self.setProperty("sending", sending)
        self.send_button.setCursor(Qt.CursorShape.ArrowCursor)
