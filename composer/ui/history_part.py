"""The window's side of the history: load an entry into the composer, send it again, and
notice entries another process (a CLI replay) added."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from composer.domain.bulk_pack import is_job_url
from composer.services.verify_text import request_for_entry
from composer.storage.history import HistoryStore
from composer.storage.records import HistoryEntry, HistoryQuery
from composer.ui.dialogs import dispose, run_dialog
from composer.ui.document import DocumentPart
from composer.ui.history_pane import HistoryPane
from composer.ui.response_view import ResponseView
from composer.ui.send_flow import SendPart
from composer.ui.tasks import TaskRunner, off_thread

if TYPE_CHECKING:
    from composer.services.runner import RequestResult
    from composer.storage.collections import Collection

DATA_VERSION_POLL_MS = 3000


class HistoryPart(QObject):
    """Binds ``pane`` (the history table) to the composer (through ``document``), the send
    flow and the response view; polls ``store`` for rows written elsewhere."""

    message = Signal(str, int)
    responseShown = Signal()
    """A run's result put its recorded answer in the response view."""

    def __init__(
        self,
        parent: QObject,
        *,
        store: HistoryStore,
        pane: HistoryPane,
        document: DocumentPart,
        sender: SendPart,
        response_view: ResponseView,
        tasks: TaskRunner,
        poll_ms: int = DATA_VERSION_POLL_MS,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._store = store
        self.pane = pane
        self._document = document
        self._sender = sender
        self._response_view = response_view
        self._data_version: int | None = None
        self._polling = False
        pane.entryActivated.connect(self.load_entry)
        pane.resendRequested.connect(self.resend_entry)
        self._resend_tip = pane.resend_action.toolTip()
        sender.sendingChanged.connect(self._follow_sending)
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self._poll_once)

    def start(self) -> None:
        """Load the first page and start watching for rows written by other processes."""
        self.pane.refresh()
        self._poll.start()

    def stop(self) -> None:
        self._poll.stop()

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait (at most ``timeout`` seconds) for a history page being read on a worker thread:
        the store must not be closed under a read (SQLite would crash the process)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.pane.model.is_loading() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)

    def refresh(self) -> None:
        self.pane.refresh()

    def load_entry(self, entry: HistoryEntry) -> None:
        """Put a recorded request back into the composer (asking first when the composer
        holds unsaved changes), and its response in the view. A Bulk Create Events job lists
        its events instead, one of which is loaded."""
        if is_job_url(entry.request.url):
            self._tasks.spawn(self._job_flow(entry), "Loading the job's event")
            return
        self._tasks.spawn(self._load_entry_flow(entry), "Loading the entry")

    async def _job_flow(self, entry: HistoryEntry) -> bool:
        """The job's events (filtered by the history's search), and the one chosen loaded into
        the composer as the Create Event body that sends it alone."""
        from composer.ui.job_events_dialog import JobEventsDialog

        dialog = JobEventsDialog(
            self._store,
            entry,
            self._tasks,
            search=self.pane.search.text().strip(),
            parent=self.pane.window(),
        )
        try:
            await run_dialog(dialog)
            chosen = dialog.chosen()
        finally:
            dispose(dialog)
        if chosen is None:
            return False
        body = await off_thread(self._store.job_event_body, entry.id, chosen.position)
        if body is None:
            self.message.emit(f"History entry #{entry.id} holds no event {chosen.position}.", 8000)
            return False
        from composer.services.replay_places import recorded_places

        index = chosen.run_index if chosen.run_index is not None else chosen.position
        where = recorded_places([(index, chosen.line)])[0]
        if not await self._document.may_replace_composer(f"loading {where} of job #{entry.id}"):
            return False
        self._document.load_unsaved(body.decode("utf-8", "replace"), entry.row.revision)
        self.message.emit(
            f"Loaded {where} of bulk job #{entry.id} into the composer: the event as the job "
            "sent it, as a Create Event body (with its unique_id).",
            10000,
        )
        return True

    async def _load_entry_flow(self, entry: HistoryEntry) -> bool:
        if not await self._document.may_replace_composer(f"loading history entry #{entry.id}"):
            return False
        # an event sent with variables comes back as its template (Send resolves it anew);
        # Resend exactly sends the recorded resolved bytes
        text = entry.template
        self._document.load_unsaved(
            text or pretty_request_text(entry.request.body), entry.row.revision
        )
        outcome = entry.to_outcome()
        if outcome is not None:
            self._response_view.show_outcome(outcome, unique_id=entry.row.unique_id)
            request = request_for_entry(entry.row, entry.request.body)
            if request is not None:  # an accepted send: offer to read it back
                self._sender.verify.offer(request)
        what = " as its template, with its variables" if entry.template is not None else ""
        self.message.emit(
            f"Loaded history entry #{entry.id} ({entry.row.status_text}) into the composer{what}.",
            8000,
        )
        return True

    def _follow_sending(self, sending: bool) -> None:
        # Resend stays enabled (its shortcut too) so that trying it says why it waits
        tip = self._resend_tip
        if sending:
            tip += ". Not while a send is under way: wait for its answer, or press Esc to cancel it"
        self.pane.resend_action.setToolTip(tip)

    def resend_entry(self, entry: HistoryEntry) -> None:
        """Resend exactly: the recorded bytes again, as they were, with their unique_id (no
        re-validation). While a send is under way nothing happens but a sentence saying so:
        one send at a time, never one queued behind another's answer."""
        refusal = self._sender.refusal(f"Not resent: history entry #{entry.id}")
        if refusal is not None:
            self.message.emit(refusal, 10000)
            return
        if is_job_url(entry.request.url):
            self.message.emit(
                f"History entry #{entry.id} is a bulk job: resend it by resuming its replay "
                "(File > Replay a file…), or open it and load one of its events to send alone.",
                15000,
            )
            return
        self._tasks.spawn(self._resend_flow(entry), "Send")

    async def _resend_flow(self, entry: HistoryEntry) -> None:
        if await self._load_entry_flow(entry):
            self._sender.send_recorded(
                entry.request.body, entry_id=entry.id, template=entry.template
            )

    # -- a collection run's results ------------------------------------------------------------

    def open_run_result(self, collection: Collection, result: RequestResult) -> None:
        """Open a run's result: its request in the composer (saving back to its file), its
        recorded answer in the response view, and its entry selected in the history."""
        self._tasks.spawn(self.open_run_result_flow(collection, result), "Opening the result")

    async def open_run_result_flow(self, collection: Collection, result: RequestResult) -> None:
        await self._document.open_request_flow(collection, result.key)
        if result.history_id is None:
            self.message.emit(
                f"{result.key} was not sent in that run, so it has no history entry.", 8000
            )
            return
        entry = await off_thread(self._store.get, result.history_id)
        outcome = entry.to_outcome() if entry is not None else None
        if entry is not None and outcome is not None:
            self._response_view.show_outcome(outcome, unique_id=entry.row.unique_id)
            self.responseShown.emit()
        await self.reveal_flow(result.history_id)

    def reveal(self, entry_id: int | None) -> None:
        """Select history entry ``entry_id`` in the history pane (opening it, clearing a
        search that hides the entry)."""
        if entry_id is not None:
            self._tasks.spawn(self.reveal_flow(entry_id), "Showing the history entry")

    async def reveal_flow(self, entry_id: int) -> bool:
        pane, model = self.pane, self.pane.model
        pane.set_collapsed(False)
        if pane.current_query() != HistoryQuery():
            pane.search.clear()
            pane.status_filter.setCurrentIndex(0)
            pane.apply_filters()
        for _attempt in range(2):
            await self.settle()
            row = model.row_of(entry_id)
            while row < 0 and model.canFetchMore():
                model.fetchMore()
                await self.settle()
                row = model.row_of(entry_id)
            if row >= 0:
                pane.select_row(row)
                pane.table.scrollTo(model.index(row, 0))
                return True
            pane.refresh()  # written after the last page was read
        self.message.emit(f"History entry #{entry_id} is no longer in the history.", 8000)
        return False

    def _poll_once(self) -> None:
        # one poll at a time: a slow disk must not pile them up
        if not self._polling:
            self._tasks.spawn(self._poll_history(), "Checking the history")

    async def _poll_history(self) -> None:
        self._polling = True
        try:
            version = await off_thread(self._store.data_version)
        finally:
            self._polling = False
        if self._data_version is not None and version != self._data_version:
            self.pane.refresh()
        self._data_version = version


def pretty_request_text(body: bytes) -> str:
    """A recorded body as the composer shows it: indented when it is JSON, else as sent."""
    text = body.decode("utf-8", "replace")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
