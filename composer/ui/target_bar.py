"""The top bar: where the event goes (target), whose key (account), which API revision, and
Send / Cancel. The target is shown as a coloured label with words, so the sandbox and
production can never be confused at a glance."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from composer.client.targets import Target, TargetKind, parse_target
from composer.services.target_words import target_headline, target_kind_words
from composer.ui import theme
from composer.ui.bar_widgets import (
    MANAGE_ENVIRONMENTS,
    ElidingBadge,
    EnvironmentCombo,
    ShrinkingCombo,
)
from composer.ui.revision_picker import fill_revisions
from composer.ui.target_style import badge_colors, badge_symbol, paint_send_button

MANAGE_KEYS = "\x00manage"
NEW_CUSTOM = "\x00custom"


class TargetBar(QWidget):
    """Target, account and revision pickers, the target badge, and Send / Cancel."""

    environmentChosen = Signal(object)  # str | None: the environment's name
    targetChanged = Signal(object)  # Target
    accountChanged = Signal(object)  # str | None
    revisionChanged = Signal(str)
    manageKeysRequested = Signal()
    manageEnvironmentsRequested = Signal()
    customTargetRequested = Signal()
    sendRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._target = parse_target("sandbox")
        self._custom_urls: list[str] = []

        self.environment_combo = EnvironmentCombo(5)
        self.environment_combo.setObjectName("environmentCombo")
        self.environment_combo.setAccessibleName("Environment")
        self.environment_combo.setToolTip(
            "An environment sets the target, account, revision and {{variables}} at once"
        )
        self._environments: list[tuple[str, bool]] = []
        self._environment: str | None = None

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
        self._labels: list[QLabel] = []
        self._shortcuts: list[QShortcut] = []
        for caption, combo in (
            # Alt+N, Alt+T, Alt+C, Alt+R reach them from anywhere in the window
            ("E&nvironment", self.environment_combo),
            ("&Target", self.target_combo),
            ("A&ccount", self.account_combo),
            ("&Revision", self.revision_combo),
        ):
            label = QLabel(caption)
            label.setBuddy(combo)
            layout.addWidget(label)
            layout.addWidget(combo)
            layout.addSpacing(6)
            self._labels.append(label)
            # the same key while the label is hidden (a narrow window): a label's mnemonic
            # only works while it is shown
            key = QKeySequence(QKeySequence.mnemonic(caption))
            shortcut = QShortcut(key, self, context=Qt.ShortcutContext.WindowShortcut)
            shortcut.setEnabled(False)
            shortcut.activated.connect(
                lambda c=combo: c.setFocus(Qt.FocusReason.ShortcutFocusReason)
            )
            self._shortcuts.append(shortcut)
        layout.addWidget(self.badge)
        layout.addStretch(1)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.send_button)

        self._fill_targets()
        self.set_accounts([], None)
        self.set_environments([], None)
        self.environment_combo.activated.connect(self._on_environment_activated)
        self.target_combo.activated.connect(self._on_target_activated)
        self.account_combo.activated.connect(self._on_account_activated)
        self.revision_combo.currentIndexChanged.connect(
            lambda _i: self.revisionChanged.emit(self.revision())
        )
        self.send_button.clicked.connect(self.sendRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self._refresh_badge()

    # -- width -------------------------------------------------------------------------------

    def _need(self, labels: frozenset[int], full_badge: bool, *, least: bool = False) -> int:
        """The width everything wants with the labels at the indexes ``labels`` shown (the
        others hidden) and the badge whole or in its short words; ``least``: the pickers at
        their narrowest."""
        layout = self.layout()
        assert layout is not None
        margins = layout.contentsMargins()
        total = margins.left() + margins.right()
        count = 0
        for i in range(layout.count()):
            item = layout.itemAt(i)
            if item is None:
                continue
            widget = item.widget()
            if widget is None:
                total += item.sizeHint().width()
            elif widget in self._labels:
                if self._labels.index(widget) not in labels:
                    continue
                total += widget.sizeHint().width()
            elif widget.isHidden():
                continue
            elif widget is self.badge:
                total += self.badge.width_for(whole=full_badge and not least)
            elif least:
                total += widget.minimumSizeHint().width()
            else:
                total += widget.sizeHint().width()
            count += 1
        return total + layout.spacing() * max(count - 1, 0)

    def _fit_labels(self, width: int) -> None:
        """Show as many labels as fit: all of them, all but Environment's, or none (the
        pickers keep their accessible names, tooltips and Alt keys). A whole badge counts
        first, then the labels."""
        # Environment's label goes first, then the others
        every = frozenset(range(len(self._labels)))
        tiers: tuple[frozenset[int], ...] = (every, every - {0}, frozenset())
        shown = next((t for t in tiers if self._need(t, True) <= width), None)
        self.badge.set_compact(shown is None)
        if shown is None:
            shown = next((t for t in tiers if self._need(t, False) <= width), frozenset())
        for i, label in enumerate(self._labels):
            label.setVisible(i in shown)
            self._shortcuts[i].setEnabled(i not in shown)

    def minimumSizeHint(self) -> QSize:
        """The least width: every label hidden, the badge in its short words."""
        return QSize(self._need(frozenset(), False, least=True), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_labels(event.size().width())
        super().resizeEvent(event)

    def event(self, e: QEvent) -> bool:
        # a picker's or the badge's text changed (another target, environment, account):
        # fit the labels again before the layout places everything
        if e.type() == QEvent.Type.LayoutRequest and self.isVisible():
            self._fit_labels(self.width())
        return super().event(e)

    # -- environment -------------------------------------------------------------------------

    def set_environments(self, environments: list[tuple[str, bool]], current: str | None) -> None:
        """Offer ``(name, is_production)`` environments plus "No environment" and "Manage
        environments…"; production ones carry a warning sign and the word."""
        self._environments = list(environments)
        combo = self.environment_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("No environment", None)
        for name, production in environments:
            combo.addItem(f"⚠ {name} (PRODUCTION)" if production else name, name)
        combo.insertSeparator(combo.count())
        combo.addItem("Open the environments folder…", MANAGE_ENVIRONMENTS)
        combo.blockSignals(False)
        self.show_environment(current)

    def show_environment(self, name: str | None) -> None:
        """Show ``name`` as chosen (without announcing it)."""
        combo = self.environment_combo
        index = combo.findData(name) if name else 0
        self._environment = name if index > 0 else None
        combo.blockSignals(True)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
        production = dict(self._environments).get(self._environment or "", False)
        c = theme.colors()
        combo.setProperty("production", production)
        combo.setStyleSheet(
            f"QComboBox#environmentCombo {{ color: {c.production_fg}; background: "
            f"{c.production_bg}; font-weight: 700; }}"
            if production
            else ""
        )
        self._relayout()

    def environment(self) -> str | None:
        """The chosen environment's name (None: no environment)."""
        return self._environment

    def _on_environment_activated(self, index: int) -> None:
        data = self.environment_combo.itemData(index)
        if data == MANAGE_ENVIRONMENTS:
            self.show_environment(self._environment)  # back to the current choice
            self.manageEnvironmentsRequested.emit()
            return
        name = data if isinstance(data, str) else None
        self.show_environment(name)
        self.environmentChosen.emit(name)

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
        kind = self._target.kind
        bg, fg = badge_colors(kind)
        symbol = badge_symbol(kind)
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
        paint_send_button(self.send_button, kind is TargetKind.PRODUCTION, focus_ring=True)
        self.send_button.setText(
            "Send to production  Ctrl+⏎" if kind is TargetKind.PRODUCTION else "Send  Ctrl+⏎"
        )
        self._relayout()

    def _relayout(self) -> None:
        """Place everything for the new texts now, so the badge never shows a cut word
        (waiting for the next layout pass would). Until the bar is shown its size means
        nothing: showing it fits the labels to its first size (resizeEvent)."""
        if not self.isVisible():
            return
        self._fit_labels(self.width())
        layout = self.layout()
        if layout is not None:
            layout.activate()

    def refresh_colors(self) -> None:
        self._refresh_badge()
        self.show_environment(self._environment)

    # -- account -----------------------------------------------------------------------------

    def set_accounts(self, names: list[str], current: str | None) -> None:
        """Offer ``names`` (labels only, never keys) plus "Manage keys…"."""
        combo = self.account_combo
        combo.blockSignals(True)
        combo.clear()
        # says what it is when a narrow window hides the picker's label
        combo.addItem("No account", None)
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
        for combo in (
            self.environment_combo,
            self.target_combo,
            self.account_combo,
            self.revision_combo,
        ):
            combo.setEnabled(not sending)
        self.setProperty("sending", sending)
        self.send_button.setCursor(Qt.CursorShape.ArrowCursor)
