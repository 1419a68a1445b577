"""Replay runs kept in the history, so that a replay killed at any moment (kill -9, a power cut)
resumes without recording any event twice and without losing one.

A run is recorded before its first send: its id, the file's absolute path and content hash,
the target, the account and the options that decide the bodies (revision, --force,
--no-unique-id). The unique_id filled into an event is derived from the run id and the event's
position (:meth:`Replayer.unique_id_for`), so it is known before the request leaves, and a
resumed run sends the same bytes again. Every entry of the run records its position; resuming
reads them back: events some send of which was accepted are not sent again, every other event
(never sent, no history row, or in doubt: a pending row, an unknown outcome) is sent with its
original unique_id, which Klaviyo and the sandbox de-duplicate on.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime

from composer.services.ports import RunLog
from composer.services.replay import ReplaySummary
from composer.services.replay_input import EventFile
from composer.storage.runs import ReplayRun

STDIN_PATH = "<stdin>"


class ResumeRefused(Exception):
    """``--resume`` cannot go on; the message says why and what to do instead."""


class Marks:
    """Positions of a file marked in a byte map (one byte per event, a megabyte per million
    events, instead of a record per event): ``index in marks``, ``len(marks)``."""

    def __init__(self, marks: bytearray) -> None:
        self.marks = marks

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and 0 <= index < len(self.marks) and bool(self.marks[index])

    def __len__(self) -> int:
        return self.marks.count(1)

    def count_from(self, start: int) -> int:
        """Marked positions from ``start`` on."""
        return self.marks.count(1, max(start, 0))


@dataclass(frozen=True, slots=True)
class ResumePlan:
    """What a resumed session (single creates or bulk jobs, as ``run.bulk`` says) leaves out
    (``earlier``) and sends again (``in_doubt``)."""

    run: ReplayRun
    earlier: Marks
    """Positions some send of which was accepted: not sent again."""
    in_doubt: Marks
    """Positions sent before without an accepted answer: they may have been recorded, so
    they go again with their unique_ids (held back when they have none)."""
    untouched: int = 0
    """Positions no earlier session recorded a send of."""


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id is running (never true for this process itself)."""
    if pid is None or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M")


def find_run_to_resume(runs: RunLog, path: str, content_hash: str, target: str) -> ReplayRun:
    """The run ``--resume`` continues: the latest run of the file at ``path`` (absolute) to
    ``target``, when it is unfinished and the file is unchanged. Raises ResumeRefused."""
    if path == STDIN_PATH:
        raise ResumeRefused(
            "--resume needs a file: standard input cannot be read a second time. Save the "
            "events to a file and replay that file."
        )
    all_runs = runs.of_file(path)
    if not all_runs:
        raise ResumeRefused(
            f"no replay of {path} is recorded in this history, so there is nothing to "
            "resume; start one without --resume"
        )
    to_target = [r for r in all_runs if r.target == target]
    if not to_target:
        other = all_runs[0]
        raise ResumeRefused(
            f"the last replay of {path} (run {other.id}) went to {other.target}, not to "
            f"{target}; resume it with --target {other.target}"
        )
    run = to_target[0]
    if run.state == "finished":
        raise ResumeRefused(
            f"the last replay of {path} to {target} (run {run.id}, {_when(run.started_ms)}) "
            "finished: every event got a definite answer, so there is nothing to resume; "
            "start a new run without --resume"
        )
    if run.content_hash != content_hash:
        raise ResumeRefused(
            f"{path} has changed since run {run.id} read it (its content hash was "
            f"{run.content_hash}, it is now {content_hash}): resuming would pair events with "
            "the wrong unique_ids and could record some twice. Restore the file, or start a "
            "new run without --resume"
        )
    if run.state == "running" and pid_alive(run.writer_pid):
        raise ResumeRefused(
            f"run {run.id} of {path} is still running (process {run.writer_pid}); stop it "
            "first (Ctrl-C, or kill it), then resume"
        )
    return run


def plan_resume(runs: RunLog, file: EventFile, target: str, name: str | None = None) -> ResumePlan:
    """The last unfinished run of ``file`` to ``target`` and what is left of it, read from
    the history as two byte maps (never a record per event). ``name`` is the file as the user
    gave it, for messages. Raises :class:`ResumeRefused` (the message says why and what to do)
    or HistoryError."""
    run = find_run_to_resume(runs, file.absolute, file.content_hash, target)
    if run.events != file.count:
        raise ResumeRefused(
            f"run {run.id} had {run.events} events and {name or file.path} now holds "
            f"{file.count}: start a new run without --resume"
        )
    accepted, sent = runs.marks(run.id, file.count)
    doubt = bytearray(s & (a ^ 1) for a, s in zip(accepted, sent, strict=True))
    untouched = file.count - sent.count(1)
    return ResumePlan(run, Marks(accepted), Marks(doubt), untouched)


def new_run(
    run_id: str,
    path: str,
    content_hash: str,
    events: int,
    *,
    target: str,
    account: str | None,
    revision: str,
    force: bool,
    fill_unique_id: bool,
) -> ReplayRun:
    """The record of a run about to start, owned by this process."""
    now = int(time.time() * 1000)
    return ReplayRun(
        id=run_id,
        path=path,
        content_hash=content_hash,
        events=events,
        target=target,
        account=account,
        revision=revision,
        force=force,
        fill_unique_id=fill_unique_id,
        started_ms=now,
        updated_ms=now,
        state="running",
        writer_pid=os.getpid(),
    )


def record_start(runs: RunLog, run: ReplayRun) -> str | None:
    """Record a new run, or mark an existing one (same id) running again for this session.
    Returns why the history could not record it, or None."""
    try:
        if runs.get(run.id) is None:
            runs.start(run)
        else:
            runs.set_state(run.id, "running", pid=os.getpid(), new_session=True)
    except Exception as exc:  # the replay matters more than its record
        return f"the history could not record this run ({exc})"
    return None


def end_state(summary: ReplaySummary) -> str:
    """``finished`` when every event got a definite answer, else ``stopped`` (resumable)."""
    if summary.interrupted or summary.unknown:
        return "stopped"
    return "finished"


def record_end(runs: RunLog, run_id: str, summary: ReplaySummary) -> str | None:
    """Mark the run stopped or finished; returns why the history could not, or None."""
    try:
        runs.set_state(run_id, end_state(summary), pid=None, new_session=False)
    except Exception as exc:
        return f"the history could not record the end of this run ({exc})"
    return None
