"""A bulk replay as the window drives it: the file's events go through Bulk Create Events
(:mod:`composer.services.bulk`) on a worker thread with an event loop of its own, so that
packing and checking up to 2,500 events a second never holds up the window. Pause, resume and
cancel may be called from the window's thread; the progress is read from it on a timer.

Qt-free; the window (composer/ui/replay_part.py) shows what this module computes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from composer.services.bulk import BulkProgress, BulkReplay, BulkSummary
from composer.services.bulk_file import (
    BulkFile,
    BulkResumePlan,
    resumed_job_size,
    run_bulk_file,
)
from composer.services.ports import RunLog
from composer.services.replay_input import ReplayInputError
from composer.services.replay_session import (
    ReplayCounts,
    ReplayFile,
    ReplayFileError,
    unchanged,
)
from composer.services.send import Sender

T = TypeVar("T")


def _run_in_own_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end on a new event loop of this thread: the platform's standard
    loop, never one from the installed policy (under the window, qasync's policy makes Qt
    loops, which can run on the main thread only)."""
    with asyncio.Runner(loop_factory=asyncio.DefaultEventLoopPolicy().new_event_loop) as runner:
        return runner.run(coro)


class BulkSession:
    """One bulk replay of the file at ``path`` through ``sender`` (opened for the bulk
    endpoint; closed at the end), recorded as a run in ``runs``. With ``plan``, the run's
    earlier sessions are continued: what they got accepted is not sent again."""

    def __init__(
        self,
        sender: Sender,
        path: Path,
        *,
        runs: RunLog | None,
        plan: BulkResumePlan | None = None,
        counted: ReplayFile | None = None,
    ) -> None:
        self.sender = sender
        self.path = path
        self.runs = runs
        self.plan = plan
        self.counted = counted
        """The file as the window counted it (events, content hash, size and time of the
        last change): it is not counted again, and a file changed since is not replayed."""
        force = plan.run.force if plan is not None else False
        fill = plan.run.fill_unique_id if plan is not None else True
        job_size, note = resumed_job_size(plan, None)
        self.replay = BulkReplay(
            sender,
            run_id=plan.run.id if plan is not None else None,
            force=force,
            fill_unique_id=fill,
            max_events=job_size,
            on_progress=self._on_progress,
        )
        self.progress: BulkProgress | None = None
        self.summary: BulkSummary | None = None
        self.notes: list[str] = [note] if note else []
        """What the history could not record, in words."""
        self.recorded = False
        self.cancelled = False
        self.total = counted.count if counted is not None else 0

    @property
    def run_id(self) -> str:
        return self.replay.run_id

    @property
    def paused(self) -> bool:
        return self.replay.paused

    def _on_progress(self, progress: BulkProgress) -> None:
        self.progress = progress  # read by the window's thread: a reference, swapped whole

    def counts(self) -> ReplayCounts:
        """The events by what became of them so far (exact once the run has ended)."""
        progress = self.summary.progress if self.summary is not None else self.progress
        if progress is None:
            earlier = len(self.plan.earlier) if self.plan is not None else 0
            return ReplayCounts(self.total, accepted=earlier, earlier=earlier)
        return ReplayCounts.of_bulk(progress)

    def pause(self) -> None:
        self.replay.pause()

    def resume(self) -> None:
        self.replay.resume()

    def cancel(self) -> None:
        """Stop: no new job; jobs in flight are cancelled (their events are in doubt and a
        resume sends them again with the same unique_ids)."""
        self.cancelled = True
        self.replay.cancel()

    async def run(self) -> BulkSummary:
        """Replay the file on a worker thread (read once more, as a stream, to send it; counted
        first only when the window did not count it), record how it ended; the summary.
        Raises :class:`ReplayFileError` when the file cannot be read or changed since the
        window read it."""
        try:
            summary = await asyncio.to_thread(self._run_in_thread)
        finally:
            self.progress = self.summary.progress if self.summary is not None else self.progress
        return summary

    def _file(self) -> BulkFile:
        """The file as it was counted. What the window counted is used as it is while the
        file keeps its size and time of last change (as a single replay does): counting a
        file of hundreds of megabytes again would cost as long as reading it to send."""
        counted = self.counted
        if counted is not None:
            if not unchanged(counted):
                raise ReplayFileError(
                    f"{self.path} changed since it was read: choose it again (File > Replay a "
                    "file…) so that what is replayed is what the dialog shows"
                )
            return counted.events
        try:
            return BulkFile.scan(self.path)
        except ReplayInputError as exc:
            raise ReplayFileError(f"{self.path}: {exc}") from None
        except OSError as exc:
            raise ReplayFileError(f"{self.path}: cannot be read ({exc})") from None

    def _run_in_thread(self) -> BulkSummary:
        try:
            file = self._file()
            self.total = file.count
            summary = _run_in_own_loop(self._main(file))
        except BaseException:
            with contextlib.suppress(Exception):  # closed already when the run got going
                _run_in_own_loop(self.sender.aclose())
            raise
        self.summary = summary
        if self.runs is not None:
            try:
                self.recorded = self.runs.get(self.run_id) is not None
            except Exception as exc:  # the history cannot be read: say so, keep the summary
                self.notes.append(f"the history cannot be read ({exc})")
        return summary

    async def _main(self, file: BulkFile) -> BulkSummary:
        async with self.sender:
            return await run_bulk_file(
                self.replay, file, runs=self.runs, plan=self.plan, notes=self.notes
            )
