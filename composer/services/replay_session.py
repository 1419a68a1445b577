"""A replay as the window drives it: count a file of events off the UI thread, as a stream
with its progress (memory flat whatever the file's size; a clear sentence for a file that
cannot be read), find an interrupted run of it to resume, run the
replay with pause, resume and cancel, and count its events by delivery state while it runs and
at the end.

Qt-free: the window (composer/ui/replay_part.py) shows what this module computes. The sends
go through :class:`~composer.services.replay.Replayer` and are recorded as a replay run
(composer/services/replay_runs.py), so a replay from the window resumes like one from the CLI.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from composer.domain.convert import body_shape
from composer.domain.jsontext import loads
from composer.domain.revisions import Shape, get_revision
from composer.services.bulk import BulkProgress
from composer.services.ports import RunLog
from composer.services.replay import (
    Replayer,
    ReplayInputError,
    ReplayItem,
    ReplayProgress,
    ReplaySummary,
)
from composer.services.replay_input import EventFile, EventStream, scan_events
from composer.services.replay_runs import (
    ResumePlan,
    ResumeRefused,
    find_run_to_resume,
    new_run,
    plan_resume,
    record_end,
    record_start,
)
from composer.services.send import Sender

log = logging.getLogger(__name__)

BULK_FIRST_REVISION = "2024-05-15"
"""Klaviyo's Bulk Create Events exists from this revision on."""


class ReplayFileError(Exception):
    """The file cannot be replayed; the message names the file and says what would be right."""


@dataclass(frozen=True, slots=True)
class ReplayFile:
    """A file of events as it was counted (read once as a stream, keeping no event): its
    absolute path, number of events, content hash and size. The replay reads it again, as a
    stream, to send it."""

    path: Path
    count: int
    content_hash: str
    size: int
    shape: Shape | None = None
    """The layout its events are written in (by the first events that parse), if any."""
    mtime_ns: int = 0
    """When it was last changed, as it was counted (a file changed since is counted again)."""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def events(self) -> EventFile:
        """The file as a replay run records it (path, count, content hash)."""
        return EventFile(self.path, self.count, self.content_hash)


class ReadProgress:
    """How far reading a file has got, written by the reading thread and read by the window's
    (plain attributes, each assignment whole); ``cancel()`` from any thread stops the read."""

    def __init__(self) -> None:
        self.size = 0
        """The file's size in bytes (0 until known)."""
        self.read = 0
        """Bytes read so far."""
        self.events = 0
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def fraction(self) -> float:
        """How much of the file has been read, 0.0 to 1.0."""
        return min(self.read / self.size, 1.0) if self.size else 0.0


SHAPE_WORDS = {
    Shape.FLAT: "the 2023-01-24 layout (flat profile and metric)",
    Shape.RELATIONSHIP: "the layout of 2023-07-15 and later (profile and metric as data)",
}
"""How the dialog names the layout a file is written in."""


def item_shape(item: ReplayItem) -> Shape | None:
    """The layout of one event, when it is a Create Event body that parses."""
    try:
        return body_shape(loads(item.raw.decode("utf-8")))
    except (ValueError, UnicodeDecodeError):
        return None


def layout_note(shape: Shape | None, revision: str, bulk: bool) -> str | None:
    """What the layout of the file means at ``revision``: a warning when its events would fail
    validation as they are (single creates send them unchanged; bulk jobs convert them)."""
    try:
        wanted = get_revision(revision).shape
    except ValueError:
        return None
    if shape is None or shape is wanted:
        return None
    if bulk and shape is Shape.FLAT:
        return f"The events are in {SHAPE_WORDS[shape]}: bulk jobs convert each one to {revision}."
    return (
        f"The events are in {SHAPE_WORDS[shape]}, and revision {revision} expects "
        f"{SHAPE_WORDS[wanted]}: sent as they are, they fail validation. Choose a revision of "
        "their layout" + (", or bulk jobs, which convert them." if shape is Shape.FLAT else ".")
    )


SHAPE_LOOKS = 20
"""Events looked at for the file's layout (the first that are Create Event bodies)."""
PROGRESS_EVERY = 256
"""Events read between two updates of the reading progress (and looks at a cancel)."""


class _Cancelled(Exception):
    pass


def read_replay_file(path: Path, progress: ReadProgress | None = None) -> ReplayFile:
    """Count the events of ``path`` (NDJSON, a JSON array or one object) and hash it, reading
    it once as a stream: memory stays flat whatever the file's size, and ``progress`` says how
    far it has got. Blocks: call it off the UI thread. Raises :class:`ReplayFileError` with a
    sentence for people, never another exception, whatever the file holds (binary data, a
    device, a pipe, a huge file), and when ``progress`` was cancelled."""
    name = str(path)
    progress = progress if progress is not None else ReadProgress()
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ReplayFileError(f"{name}: no such file") from None
    except PermissionError:
        raise ReplayFileError(f"{name}: permission denied; check the file's permissions") from None
    except (OSError, ValueError) as exc:
        raise ReplayFileError(f"{name}: cannot be read ({_reason(exc)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ReplayFileError(f"{name}: is a folder; choose a file of events in it")
    if not stat.S_ISREG(info.st_mode):
        # a pipe would block the read forever, a device never ends
        raise ReplayFileError(
            f"{name}: is not a regular file (a device, pipe or socket); save the events to a "
            "file and choose that"
        )
    progress.size = info.st_size
    shapes: list[Shape] = []
    looked = [0]

    def look(item: ReplayItem, fh: BinaryIO) -> None:
        nul = item.raw.find(b"\x00")
        if nul >= 0:
            line = item.line + item.raw.count(b"\n", 0, nul)
            raise ReplayFileError(
                f"{name}: line {line} holds a NUL byte: this is not a text file of events. "
                "Give one JSON event per line (NDJSON) or a JSON array of events"
            )
        if not shapes and looked[0] < SHAPE_LOOKS:
            looked[0] += 1
            shape = item_shape(item)
            if shape is not None:
                shapes.append(shape)
        if item.index % PROGRESS_EVERY == 0:
            progress.events = item.index
            progress.read = fh.tell()
            if progress.cancelled:
                raise _Cancelled

    try:
        with open(path, "rb") as fh:
            count, digest = scan_events(fh, lambda item: look(item, fh))
            progress.read = fh.tell()
    except _Cancelled:
        raise ReplayFileError(f"{name}: reading it was cancelled") from None
    except ReplayInputError as exc:
        raise ReplayFileError(f"{name}: {exc}") from None
    except RecursionError:
        raise ReplayFileError(f"{name}: the JSON is nested too deeply to read") from None
    except PermissionError:
        raise ReplayFileError(f"{name}: permission denied; check the file's permissions") from None
    except MemoryError:
        raise ReplayFileError(f"{name}: an event is too large to read into memory") from None
    except (OSError, ValueError) as exc:
        raise ReplayFileError(f"{name}: cannot be read ({_reason(exc)})") from None
    progress.events = count
    if not count:
        raise ReplayFileError(f"{name}: the JSON array is empty: there are no events to replay")
    return ReplayFile(
        Path(os.path.abspath(path)),
        count,
        digest,
        progress.read,
        shapes[0] if shapes else None,
        info.st_mtime_ns,
    )


def unchanged(file: ReplayFile) -> bool:
    """Whether the file still has the size and modification time it had when counted."""
    try:
        info = os.stat(file.path)
    except OSError:
        return False
    return (info.st_size, info.st_mtime_ns) == (file.size, file.mtime_ns)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def bulk_refusal(revision: str) -> str | None:
    """Why a replay at ``revision`` cannot use Bulk Create Events, or None when it can."""
    try:
        name = get_revision(revision).name
    except ValueError:
        return f"Bulk jobs need a known revision; {revision!r} is not one"
    if name < BULK_FIRST_REVISION:
        return (
            f"Bulk jobs exist from revision {BULK_FIRST_REVISION} on; {name} is older. Choose "
            f"revision {BULK_FIRST_REVISION} or later to send in bulk, or send one request "
            "per event"
        )
    return None


def find_resumable(
    runs: RunLog, file: ReplayFile, target: str, account: str | None
) -> tuple[ResumePlan | None, str | None]:
    """The interrupted run of ``file`` to ``target`` that a replay can continue (a bulk run,
    ``plan.run.bulk``, continues in bulk), and when there is an unfinished run that cannot be
    continued, why. Blocks (reads the history: two bytes per event of the run)."""
    to_target = [r for r in runs.of_file(str(file.path)) if r.target == target]
    if not to_target or to_target[0].state == "finished":
        return None, None  # nothing was interrupted: a new run
    try:
        run = find_run_to_resume(runs, str(file.path), file.content_hash, target)
    except ResumeRefused as exc:  # the file changed, or another process is on the run
        return None, str(exc)
    if run.events != file.count:
        return None, (
            f"run {run.id} had {run.events} events and the file now holds {file.count}; "
            "a new run starts"
        )
    if run.account != account:
        return None, (
            f"run {run.id} sent with "
            + (f"account “{run.account}”" if run.account else "no account")
            + "; choose the same account to resume it"
        )
    return plan_resume(runs, file.events, target), None


@dataclass(frozen=True, slots=True)
class ReplayCounts:
    """The events of a file by what became of them."""

    total: int
    accepted: int = 0
    """A 2xx came back (now or, for a resumed run, before: see ``earlier``)."""
    not_accepted: int = 0
    """Definitely not recorded (refused, or no request left)."""
    unknown: int = 0
    """May have been recorded: no definite answer came."""
    invalid: int = 0
    """Not sent: the validator found errors in the line."""
    earlier: int = 0
    """Accepted by an earlier session of a resumed run (not sent again)."""

    @property
    def not_sent(self) -> int:
        """Valid events not sent (yet): the rest of a stopped run."""
        dealt = self.accepted + self.not_accepted + self.unknown + self.invalid
        return max(self.total - dealt, 0)

    @property
    def done(self) -> int:
        return self.total - self.not_sent

    @classmethod
    def of_progress(cls, total: int, progress: ReplayProgress | None, earlier: int) -> ReplayCounts:
        """The counts while a run goes on (``total``: events in the file)."""
        if progress is None:
            return cls(total, accepted=earlier, earlier=earlier)
        accepted = progress.counts.get("2xx", 0)
        refused = progress.done - accepted - progress.unknown - progress.invalid
        return cls(
            total,
            accepted=earlier + accepted,
            not_accepted=max(refused, 0),
            unknown=progress.unknown,
            invalid=progress.invalid,
            earlier=earlier,
        )

    @classmethod
    def of_bulk(cls, progress: BulkProgress) -> ReplayCounts:
        """The counts of a bulk replay (while it runs and at the end)."""
        return cls(
            progress.total,
            accepted=progress.earlier + progress.accepted,
            not_accepted=progress.refused,
            unknown=progress.unknown,
            invalid=progress.invalid,
            earlier=progress.earlier,
        )

    @classmethod
    def of_summary(cls, summary: ReplaySummary) -> ReplayCounts:
        """The counts at the end of a run, from every event's delivery state."""
        by_state = summary.delivery_counts()
        return cls(
            summary.total_in_file - summary.skipped,
            accepted=by_state["accepted"],
            not_accepted=by_state["not_accepted"],
            unknown=by_state["unknown"],
            invalid=summary.progress.invalid,
            earlier=summary.earlier_accepted,
        )


class ReplaySession:
    """One replay of ``file`` through ``sender`` (a sender of its own, closed at the end),
    recorded as a run in ``runs`` (None: not recorded, so not resumable). With ``resume``, the
    run's earlier sessions are continued: what they got accepted is not sent again."""

    def __init__(
        self,
        sender: Sender,
        file: ReplayFile,
        *,
        runs: RunLog | None,
        resume: ResumePlan | None = None,
        concurrency: int = 16,
        force: bool = False,
        fill_unique_id: bool = True,
    ) -> None:
        self.sender = sender
        self.file = file
        self.runs = runs
        self.resume_plan = resume
        if resume is not None:  # the run's own options decide the bodies again
            force, fill_unique_id = resume.run.force, resume.run.fill_unique_id
        self.force = force
        self.fill_unique_id = fill_unique_id
        self.replayer = Replayer(
            sender,
            concurrency=concurrency,
            force=force,
            fill_unique_id=fill_unique_id,
            run_id=resume.run.id if resume is not None else None,
            on_progress=self._on_progress,
        )
        self.progress: ReplayProgress | None = None
        self.summary: ReplaySummary | None = None
        self.recorded = False
        self.notes: list[str] = []
        """What the history could not record, in words."""
        self.cancelled = False

    @property
    def run_id(self) -> str:
        return self.replayer.run_id

    @property
    def paused(self) -> bool:
        return self.replayer.paused

    def _on_progress(self, progress: ReplayProgress) -> None:
        self.progress = progress

    def counts(self) -> ReplayCounts:
        """The events by what became of them so far (exact once the run has ended)."""
        if self.summary is not None:
            return ReplayCounts.of_summary(self.summary)
        earlier = len(self.resume_plan.earlier) if self.resume_plan is not None else 0
        return ReplayCounts.of_progress(self.file.count, self.progress, earlier)

    def pause(self) -> None:
        """No new send starts; the sends in flight finish."""
        self.replayer.pause()

    def resume(self) -> None:
        self.replayer.resume()

    def cancel(self) -> None:
        """Stop: no new sends, the ones in flight are cancelled (and recorded as in doubt);
        the run stays resumable."""
        self.cancelled = True
        self.replayer.stop()

    async def run(self) -> ReplaySummary:
        """Record the run, replay the file (read again as a stream), record how it ended; the
        summary. The sender is closed afterwards. Raises :class:`ReplayFileError` when the file
        changed since it was counted (what is replayed must be what the dialog showed)."""
        sender = self.sender
        try:
            if not unchanged(self.file):
                raise ReplayFileError(
                    f"{self.file.path} changed since it was read: choose it again (File > "
                    "Replay a file…) so that what is replayed is what the dialog shows"
                )
            if self.runs is not None:
                record = new_run(
                    self.run_id,
                    str(self.file.path),
                    self.file.content_hash,
                    self.file.count,
                    target=sender.target.label,
                    account=sender.account,
                    revision=sender.client.revision.name,
                    force=self.force,
                    fill_unique_id=self.fill_unique_id,
                )
                problem = await asyncio.to_thread(record_start, self.runs, record)
                self.recorded = problem is None
                if problem is not None:
                    self.notes.append(problem)
            plan = self.resume_plan
            summary = await self._send_file(plan)
            self.summary = summary
            if self.runs is not None and self.recorded:
                problem = await asyncio.to_thread(record_end, self.runs, self.run_id, summary)
                if problem is not None:
                    self.notes.append(problem)
            return summary
        finally:
            await sender.aclose()

    async def _send_file(self, plan: ResumePlan | None) -> ReplaySummary:
        """The file's events read as they are sent (at most a few dozen held at once)."""
        with open(self.file.path, "rb") as fh:
            stream = EventStream(fh)
            summary = await self.replayer.run(
                stream,
                total=self.file.count,
                earlier=plan.earlier if plan is not None else frozenset(),
                in_doubt=plan.in_doubt if plan is not None else frozenset(),
            )
        if stream.content_hash not in (None, self.file.content_hash):
            self.notes.append(
                f"{self.file.path} changed while it was replayed (its content hash is now "
                f"{stream.content_hash}): the events sent are those read during the replay"
            )
        return summary


def resume_words(file: ReplayFile, target: str) -> str:
    """How to continue an interrupted replay, in the window and from a terminal."""
    flag = "" if target == "sandbox" else f" --target {target}"
    return (
        f"To resume: Resume replay (here, or later with File > Replay a file… and the same "
        f"file, {file.name}, to the same target). Events already accepted are not sent again; "
        f"the others go with their original unique_ids, so none is recorded twice.\n"
        f"From a terminal: event-composer replay '{file.path}'{flag} --resume"
    )
