"""File > Replay a file…: choose a file, read it off the UI thread, show the Replay dialog,
and run the replay beside the composer (pause, resume, cancel), recorded as a replay run so
an interrupted one resumes without recording an event twice."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from composer.client.targets import Target
from composer.services.ports import RunLog, SendGateway
from composer.ui.dialogs import ask, ask_open_path, dispose, question, run_dialog
from composer.ui.replay_pacing import responsive_window, switching_often
from composer.ui.target_bar import TargetBar
from composer.ui.tasks import TaskRunner, off_thread

if TYPE_CHECKING:  # the replay's services load with the first replay (httpx among them)
    from composer.services.bulk import BulkSummary
    from composer.services.replay import ReplaySummary
    from composer.services.replay_bulk_session import BulkSession
    from composer.services.replay_runs import ResumePlan
    from composer.services.replay_session import ReplayFile, ReplaySession
    from composer.services.replay_text import RunEnd
    from composer.ui.replay_dialog import ReplayDialog

log = logging.getLogger(__name__)

PROGRESS_MS = 100
"""How often the dialog shows the progress (not per event: a fast replay would flood Qt)."""
FILE_FILTERS = "Events (*.ndjson *.jsonl *.json);;All files (*)"


class ReplayPart(QObject):
    """Replays a file of events from the window ``parent``. ``finished`` carries each
    :class:`ReplaySummary`; ``historyChanged`` fires when the replay wrote entries."""

    message = Signal(str, int)
    finished = Signal(object)
    historyChanged = Signal()

    def __init__(
        self,
        parent: QWidget,
        *,
        gateway: SendGateway,
        runs: RunLog,
        target_bar: TargetBar,
        tasks: TaskRunner,
    ) -> None:
        super().__init__(parent)
        self._window = parent
        self._gateway = gateway
        self._runs = runs
        self._bar = target_bar
        self._tasks = tasks
        self.dialog: ReplayDialog | None = None
        self.session: ReplaySession | BulkSession | None = None
        self._file: ReplayFile | None = None
        self._plan: ResumePlan | None = None
        self._target: Target = target_bar.target()
        self._account: str | None = target_bar.account()
        self._task: asyncio.Task[None] | None = None
        self.closing = False
        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_MS)
        self._timer.timeout.connect(self._show_progress)
        target_bar.targetChanged.connect(lambda _t: self._follow_target())
        target_bar.accountChanged.connect(lambda _a: self._follow_target())

    # -- opening -------------------------------------------------------------------------------

    def replay_file(self) -> None:
        """File > Replay a file…: the dialog of the replay that is open, else a new one."""
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.show()
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        self._tasks.spawn(self._choose_and_open(), "Replay")

    def replay_path(self, path: Path) -> None:
        """Open the Replay dialog on ``path`` (as if chosen in File > Replay a file…)."""
        if self.dialog is None and not self.closing:
            self._tasks.spawn(self._open(path), "Replay")

    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _choose_and_open(self) -> None:
        path = await ask_open_path(
            self._window, "Replay a file of events", FILE_FILTERS, name="replayFileDialog"
        )
        if path is not None and self.dialog is None and not self.closing:
            await self._open(path)

    async def _open(self, path: Path) -> None:
        from composer.services.replay_session import (
            ReadProgress,
            ReplayFileError,
            read_replay_file,
        )
        from composer.ui.replay_dialog import ReplayDialog

        dialog = ReplayDialog(path.name, self._window)
        self.dialog = dialog
        self._file = None
        self._plan = None
        dialog.revisionChanged.connect(self._on_revision)
        dialog.modeChanged.connect(lambda _mode: self._show_layout())
        dialog.startRequested.connect(self._start)
        dialog.pauseRequested.connect(self._pause)
        dialog.cancelRequested.connect(self.cancel)
        dialog.set_target(self._bar.target(), self._bar.account())
        dialog.set_revision(self._bar.revision())
        self._target, self._account = self._bar.target(), self._bar.account()
        shown = asyncio.ensure_future(run_dialog(dialog, modal=False))
        # The file is counted on a worker thread as a stream (memory flat whatever its size);
        # the dialog shows how far it has got, and closing it stops the reading.
        reading = ReadProgress()
        shown.add_done_callback(lambda _f: reading.cancel())
        ticker = QTimer(self)
        ticker.setInterval(PROGRESS_MS)

        def tick() -> None:
            if shiboken6.isValid(dialog) and self._file is None:
                dialog.show_reading(reading)

        ticker.timeout.connect(tick)
        ticker.start()
        try:
            try:
                with switching_often():
                    file = await off_thread(read_replay_file, path, reading)
            except ReplayFileError as exc:
                if shiboken6.isValid(dialog) and not reading.cancelled:
                    dialog.set_unreadable(str(exc))
            else:
                if shiboken6.isValid(dialog):
                    self._file = file
                    dialog.set_file(file)
                    await self._find_resumable()
            finally:
                ticker.stop()
                ticker.deleteLater()
            await shown
        finally:
            reading.cancel()
            shown.cancel()
            self.dialog = None
            dispose(dialog)

    async def _find_resumable(self) -> None:
        """Offer to continue an interrupted run of the file to the target, if there is one."""
        from composer.services.replay_session import find_resumable
        from composer.services.replay_start import resume_offer
        from composer.ui.replay_dialog import BULK, SINGLE

        file, dialog = self._file, self.dialog
        if file is None or dialog is None:
            return
        target, account = self._target.label, self._account
        try:
            plan, note = await off_thread(find_resumable, self._runs, file, target, account)
        except Exception as exc:  # the history cannot be read: a new run is still possible
            plan, note = None, f"The history cannot be read ({exc}): a new run starts."
        if self.dialog is not dialog or self._file is not file or dialog.is_running():
            return
        self._plan = plan
        text = None
        if plan is not None:
            text = resume_offer(plan)
            if dialog.revision() != plan.run.revision:
                dialog.set_revision(plan.run.revision)
        mode = BULK if plan is not None and plan.run.bulk else SINGLE
        dialog.offer_resume(text, f"Not resumable: {note}" if note else None, mode)
        self._on_revision(dialog.revision())

    def _follow_target(self) -> None:
        """The toolbar's target or account changed: a replay not started yet follows."""
        dialog = self.dialog
        if dialog is None or self.is_running():
            return
        self._target, self._account = self._bar.target(), self._bar.account()
        dialog.set_target(self._target, self._account)
        self._tasks.spawn(self._find_resumable(), "Replay")

    def _on_revision(self, revision: str) -> None:
        from composer.services.replay_session import bulk_refusal

        if self.dialog is not None:
            self.dialog.set_bulk_refusal(bulk_refusal(revision))
            self._show_layout()

    def _show_layout(self) -> None:
        """Say what the file's layout means at the chosen revision and way of sending."""
        from composer.services.replay_session import layout_note
        from composer.ui.replay_dialog import BULK

        dialog, file = self.dialog, self._file
        if dialog is None or file is None:
            return
        bulk = dialog.mode() == BULK
        note = layout_note(file.shape, dialog.revision(), bulk)
        dialog.set_layout_note(note, warning=note is not None and not bulk)

    # -- running -------------------------------------------------------------------------------

    def _start(self) -> None:
        if not self.is_running() and not self.closing:
            self._task = self._tasks.spawn(self._run(), "Replay")

    def _pause(self, paused: bool) -> None:
        session = self.session
        if session is None:
            return
        if paused:
            session.pause()
        else:
            session.resume()
        self._show_progress()

    def cancel(self) -> None:
        """Cancel replay: stop the sends; the run stays resumable."""
        if self.session is not None and self.is_running():
            self.session.cancel()
            if self.dialog is not None:
                self.dialog.show_cancelling()

    async def _refusal(self, revision: str, bulk: bool) -> str | None:
        """Why this replay cannot start, after asking what must be asked; None: go."""
        from composer.services.replay_start import replay_refusal

        target, account, dialog = self._target, self._account, self.dialog
        refusal = replay_refusal(target, account, revision, bulk)
        if refusal is not None:
            return refusal
        if (
            target.is_klaviyo
            and dialog is not None
            and not await self._confirm_production(dialog, account)
        ):
            return "Not sent: you chose not to replay to production."
        return None

    async def _confirm_production(self, dialog: ReplayDialog, account: str | None) -> bool:
        """Every replay to production asks (a file is many events at once)."""
        file = self._file
        count = file.count if file is not None else 0
        who = f"with the key of account “{account}”" if account else ""
        box = question(
            dialog,
            "confirmReplayProduction",
            "Replay to Klaviyo production?",
            f"This sends {count:,} events to your live Klaviyo account {who}. They will show "
            "on real profiles and may trigger flows (emails, SMS).",
            QMessageBox.Icon.Warning,
        )
        go = box.addButton(f"&Replay {count:,} events to production", box.ButtonRole.AcceptRole)
        stay = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        return await ask(box) is go

    async def _run(self) -> None:
        from composer.services.replay_bulk_session import BulkSession
        from composer.services.replay_session import ReplayFileError, ReplaySession
        from composer.services.replay_text import RunEnd, outcome_text
        from composer.ui.replay_dialog import BULK

        dialog, file = self.dialog, self._file
        if dialog is None or file is None:
            return
        plan = self._plan if dialog.resuming() else None
        revision = plan.run.revision if plan is not None else dialog.revision()
        bulk = plan.run.bulk if plan is not None else dialog.mode() == BULK
        refusal = await self._refusal(revision, bulk)
        if refusal is not None:
            dialog.show_failure(refusal)
            return
        try:
            sender = await self._gateway.open_replay_sender(
                target=self._target, account=self._account, revision=revision, bulk=bulk
            )
        except Exception as exc:  # no key, or the key may not go there: in words
            dialog.show_failure(str(exc) or type(exc).__name__)
            return
        session: ReplaySession | BulkSession
        if bulk:
            session = BulkSession(
                sender,
                file.path,
                runs=self._runs,
                plan=plan,
                counted=file,
            )
        else:
            session = ReplaySession(sender, file, runs=self._runs, resume=plan)
        self.session = session
        dialog.set_running(True)
        self._show_progress()
        self._timer.start()
        end: RunEnd | None = None
        summary: ReplaySummary | BulkSummary | None = None
        try:
            with responsive_window(worker_thread=bulk):
                if isinstance(session, BulkSession):
                    summary = await session.run()
                    end = RunEnd.of_bulk(summary)
                else:
                    summary = await session.run()
                    end = RunEnd.of_single(summary)
        except ReplayFileError as exc:
            dialog.show_failure(str(exc))
        except Exception as exc:
            log.exception("replay from the window failed")
            dialog.show_failure(f"The replay broke off: {exc}")
        finally:
            self._timer.stop()
            if shiboken6.isValid(dialog):
                dialog.set_running(False)
                self._show_progress()
            self.historyChanged.emit()
        if end is None or not shiboken6.isValid(dialog):
            return
        words = outcome_text(
            end,
            file,
            self._target.label,
            cancelled=session.cancelled,
            recorded=session.recorded,
            notes=tuple(session.notes),
        )
        dialog.show_outcome(words, end.problem_lines())
        self.message.emit(f"Replay of {file.name}: {words.headline}.", 15000)
        self.finished.emit(summary)
        if end.interrupted or end.counts.unknown:
            await self._find_resumable()  # Start again resumes it

    def _show_progress(self) -> None:
        from composer.services.replay_text import progress_line

        session, dialog = self.session, self.dialog
        if session is None or dialog is None or not shiboken6.isValid(dialog):
            return
        counts = session.counts()
        line = progress_line(
            counts, session.progress, paused=session.paused, running=dialog.is_running()
        )
        dialog.show_progress(counts, line)

    # -- closing -------------------------------------------------------------------------------

    async def stop(self, timeout: float = 10.0) -> None:
        """The window closes: cancel a running replay and wait (at most ``timeout`` seconds)
        until its run is recorded as stopped, so it resumes later."""
        self.closing = True
        task = self._task
        if task is not None and not task.done():
            if self.dialog is not None and self.dialog.is_running():
                self.cancel()
            else:
                task.cancel()  # still asking (production) or opening the sender: nothing sent
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
            except Exception as exc:  # already reported by the task runner
                log.warning("replay: %s", exc)
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.done(0)
