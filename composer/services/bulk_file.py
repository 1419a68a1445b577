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

from composer.domain.bulk_pack import BULK_MAX_EVENTS
from composer.services.bulk import BulkReplay, BulkSummary
from composer.services.ports import RunLog
from composer.services.replay_input import EventFile, EventStream
from composer.services.replay_runs import ResumePlan, new_run, plan_resume, record_start

BulkFile = EventFile
"""A file of events as it was counted (streamed): path, number of events, content hash."""
BulkResumePlan = ResumePlan
"""What a resumed bulk session leaves out and sends again (the same as a single replay's)."""


def plan_bulk_resume(runs: RunLog, file: EventFile, target: str) -> ResumePlan:
    """The last unfinished run of ``file`` to ``target`` and what is left of it (see
    :func:`composer.services.replay_runs.plan_resume`)."""
    return plan_resume(runs, file, target)


def resumed_job_size(plan: ResumePlan | None, given: int | None) -> tuple[int, str | None]:
    """The most events per job of a session: ``given`` (``--job-size``) when the user gave
    one; else, resuming, the size the run was started with, so the events left go in jobs
    like the ones before; else the most a job may hold. With it, a note when a resumed run
    recorded no size (recorded by an earlier version), or None."""
    if given is not None:
        return given, None
    if plan is None:
        return BULK_MAX_EVENTS, None
    if plan.run.job_size is None:
        return BULK_MAX_EVENTS, (
            f"run {plan.run.id} was recorded without its job size (by an earlier version): "
            f"the events left go in jobs of up to {BULK_MAX_EVENTS:,}; give --job-size N to "
            "choose"
        )
    return plan.run.job_size, None


async def run_bulk_file(
    replay: BulkReplay,
    file: EventFile,
    *,
    runs: RunLog | None,
    plan: ResumePlan | None = None,
    notes: list[str] | None = None,
) -> BulkSummary:
    """Record the run (a new one, with its job size; or the resumed one running again, as it
    was recorded), send the file's events read lazily, and record the end: ``finished`` when
    every event got a definite answer, else ``stopped`` (resumable). What the history could
    not record goes to ``notes``."""
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
        record = dataclasses.replace(record, bulk=True, job_size=replay.max_events)
        problem = record_start(runs, record)
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
