"""What the main window says about itself: the status bar (where events go, the keyring, the
rate limit left, the next unique_id), a failed task in words, the sending state of Send and
Cancel, and the colours that follow the theme."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from composer.client.targets import TargetKind
from composer.ui import theme
from composer.ui.banner import retired_revision_text
from composer.ui.target_bar import target_headline
from composer.ui.unique_id_label import NextUniqueIdLabel

if TYPE_CHECKING:
    from composer.domain.outcome import SendOutcome
    from composer.ui.main_window import MainWindow


APP_TITLE = "Event Composer"
UNTITLED = "Untitled event"


class WindowStatus(QObject):
    """The status of ``window``, shown in its status bar and its widgets."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.layout = window.layout_parts
        self.next_id_label = NextUniqueIdLabel()
        self.next_id_label.hide()  # until the send flow says which id the next Send carries
        window.statusBar().addPermanentWidget(self.next_id_label)
        self.last_error: str | None = None

    def show_message(self, text: str, ms: int = 0) -> None:
        self.window.statusBar().showMessage(text, ms)

    def refresh_colors(self) -> None:
        lay = self.layout
        for widget in (lay.target_bar, lay.banner, lay.settings_notice, lay.response_view):
            widget.refresh_colors()
        lay.history_pane.refresh_colors()
        self.refresh_target()

    def refresh_target(self) -> None:
        """Say where events go now, in the colour of the risk."""
        target = self.layout.target_bar.target()
        c = theme.colors()
        color = {
            TargetKind.SANDBOX: c.ok,
            TargetKind.LOOPBACK: c.ok,
            TargetKind.PRODUCTION: c.error,
        }.get(target.kind, c.warning)
        label = self.layout.status_target
        label.setText(target_headline(target))
        label.setStyleSheet(f"color: {color}; font-weight: 600;")

    def send_finished(self, outcome: SendOutcome) -> None:
        info = outcome.rate_limit
        if info is not None and info.remaining is not None:
            self.layout.status_rate.setText(f"{info.remaining:,} sends left this minute")
        elif outcome.status == 429:
            self.layout.status_rate.setText("Rate limited")
        self.window.history_part.refresh()
        self.window.sendFinished.emit(outcome)

    def set_sending(self, sending: bool) -> None:
        self.layout.target_bar.set_sending(sending)
        self.window.send_action.setEnabled(not sending)
        self.window.cancel_action.setEnabled(sending)

    def report_error(self, what: str, exc: BaseException) -> None:
        """Show a failed task in words, never as a traceback."""
        text = str(exc) or type(exc).__name__
        self.last_error = f"{what}: {text}"
        self.window.statusBar().showMessage(f"{what} failed: {text}", 15000)
        if what.startswith("Send"):
            self.layout.response_view.show_failure(f"{what} failed", text)
            self.set_sending(False)

    def update_title(self) -> None:
        """The title bar: the document (until the parts are built, a new event), and a dot
        while it has unsaved changes."""
        window = self.window
        modified = bool(getattr(window.controller, "is_modified", False))
        if window.startup_done:
            title = window.document.title()
        else:  # the parts come after the first paint
            first = window.file_read_first
            title = first.name if first is not None else UNTITLED
        window.setWindowTitle(f"{'• ' if modified else ''}{title} — {APP_TITLE}")

    def revision_chosen(self, revision: str) -> None:
        """The picker changed: the open event is rewritten in that revision's shape (one undo
        step), the status bar says what moved, the banner whether the revision is retired."""
        controller = self.window.controller
        before = controller.revision()
        report = controller.convert_to_revision(revision)
        if report is not None:
            from composer.ui.retired_dialog import conversion_summary

            words = conversion_summary(report, before, revision, controller.conversion_repeats)
            self.show_message(words, 30000)
        self.layout.banner.show_message(f"retired:{revision}", retired_revision_text(revision))

    def follow_revision(self, revision: str) -> None:
        """Undo or redo of a conversion changed the revision: the picker follows."""
        bar = self.layout.target_bar
        if bar.revision() != revision:
            bar.set_revision(revision)
