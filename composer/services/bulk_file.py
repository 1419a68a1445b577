"""A file replayed in bulk, start to end: counted and hashed (streamed), recorded as a replay
run before the first send, resumed from the history, its end recorded. The CLI and the window
share it; the window calls, on a worker thread with an event loop::

    file = BulkFile.scan(path)                         # raises ReplayInputError / OSError
    plan = plan_bulk_resume(history.runs, file, sender.target.label)   # only to resume
    replay = BulkReplay(sender, run_id=plan.run.id if plan else None, on_progress=...)
    summary = await run_bulk_file(replay, file, runs=history.runs, plan=plan)

and ``replay.pause()``, ``replay.resume()``, ``replay.cancel()`` from the GUI thread.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from composer.services.bulk import BulkReplay, BulkSummary
from composer.services.ports import RunLog
from composer.services.replay_input import EventStream, scan_events
from composer.services.replay_runs import ResumeRefused, find_run_to_resume, new_run, record_start
from composer.storage.runs import ReplayRun


@dataclass(frozen=True, slots=True)
class BulkFile:
    """A file of events as it was counted: its path, number of events and content hash."""

    path: Path
    count: int
    content_hash: str

    @property
    def absolute(self) -> str:
        """The absolute path a run records."""
        return str(self.path.resolve())

    @classmethod
    def scan(cls, path: Path | str) -> BulkFile:
        """Read the file once, keeping nothing (memory stays flat). Raises
        :class:`composer.services.replay_input.ReplayInputError` (with the line) or OSError."""
        with open(path, "rb") as fh:
            count, digest = scan_events(fh)
        return cls(Path(path), count, digest)


class Marks:
    """Positions of a file marked in a byte map (one byte per event): ``index in marks``."""

    def __init__(self, marks: bytearray) -> None:
        self.marks = marks

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and 0 <= index < len(self.marks) and bool(self.marks[index])

    def __len__(self) -> int:
        return self.marks.count(1)


@dataclass(frozen=True, slots=True)
class BulkResumePlan:
    """What a resumed session leaves out (``earlier``) and sends again (``in_doubt``)."""

    run: ReplayRun
    earlier: Marks
    """Positions some send of which was accepted: not sent again."""
    in_doubt: Marks
    """Positions sent before without an accepted answer: sent again with their unique_ids."""
    untouched: int = field(default=0)
    """Positions never sent."""


def plan_bulk_resume(runs: RunLog, file: BulkFile, target: str) -> BulkResumePlan:
    """The last unfinished run of ``file`` to ``target`` and what is left of it. Raises
    :class:`ResumeRefused` (the message says why and what to do) or HistoryError."""
    run = find_run_to_resume(runs, file.absolute, file.content_hash, target)
    if run.events != file.count:
        raise ResumeRefused(
            f"run {run.id} had {run.events} events and {file.path} now holds {file.count}: "
            "start a new run without resuming"
        )
    accepted, sent = runs.marks(run.id, file.count)
    doubt = bytearray(s & (a ^ 1) for a, s in zip(accepted, sent, strict=True))
    untouched = file.count - sent.count(1)
    return BulkResumePlan(run, Marks(accepted), Marks(doubt), untouched)


async def run_bulk_file(
    replay: BulkReplay,
    file: BulkFile,
    *,
    runs: RunLog | None,
    plan: BulkResumePlan | None = None,
    notes: list[str] | None = None,
) -> BulkSummary:
    """Record the run (a new one, or the resumed one running again), send the file's events
    read lazily, and record the end: ``finished`` when every event got a definite answer,
    else ``stopped`` (resumable). What the history could not record goes to ``notes``."""
    notes = notes if notes is not None else []
    sender = replay.sender
    if runs is not None:
        record = new_run(
            replay.run_id,
            file.absolute,
            file.content_hash,
            file.count,
            target=sender.target.label,
            account=sender.account,
            revision=sender.client.revision.name,
            force=replay.force,
            fill_unique_id=replay.fill_unique_id,
        )
        problem = record_start(runs, dataclasses.replace(record, bulk=True))
        if problem is not None:
            notes.append(problem)
            runs = None
    with open(file.path, "rb") as fh:
        stream = EventStream(fh)
        summary = await replay.run(
            stream,
            total=file.count,
            earlier=plan.earlier if plan else frozenset(),
            in_doubt=plan.in_doubt if plan else frozenset(),
        )
    if not summary.interrupted and stream.content_hash not in (None, file.content_hash):
        notes.append(
            f"{file.path} changed while it was replayed (its content hash is now "
            f"{stream.content_hash}): the events sent are those read during the replay"
        )
    if runs is not None:
        state = "stopped" if summary.interrupted or summary.progress.unknown else "finished"
        try:
            runs.set_state(replay.run_id, state, pid=None, new_session=False)
        except Exception as exc:  # the replay matters more than its record
            notes.append(f"the history could not record the end of this run ({exc})")
    return summary
