"""`event-composer replay PATH --bulk`: the file through Bulk Create Events (revision
2024-05-15 on), up to 1,000 events per request at 10 requests/s burst and 150/min steady.

The file is read twice, lazily, never whole: once to count its events and hash it (the run is
recorded with both before the first send), once to send. Events of a 2023-01-24-shaped file are
converted to the revision on the fly (the summary lists what had no home). Invalid events are
reported by line and left out (sent anyway with --force); a job refused with 400 names the
events its errors point at, by line. Two events with the same metric and unique_id never share
a job: the later one goes in a later job (at 2025-01-15 on such a job would fail as a whole; up
to 2024-10-15 only the first would be recorded) and is listed, since Klaviyo records it at most
once. Ctrl-C, SIGTERM and SIGHUP stop cleanly; after any stop, kill -9 included,
`replay PATH --bulk --resume` sends only what was not accepted, with the same unique_ids.

Exit codes as for `replay`: 0 every event accepted, 1 some not, 2 bad input or the target
stopped answering, 3 accepted but the history is incomplete, 128 + signal when stopped."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composer.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, print_out
from composer.cli.replay_report import MAX_LISTED, ProgressLine, StopSignals, _duration, say
from composer.cli.replay_resume import FIRST_BULK_REVISION, plan_cli_resume, unreadable
from composer.cli.send import client_settings, err, open_sender, open_storage, target_line
from composer.services.replay_runs import STDIN_PATH

if TYPE_CHECKING:
    from composer.services.bulk import BulkProblem, BulkProgress, BulkSummary
    from composer.services.bulk_file import BulkFile
    from composer.services.ports import RunLog
    from composer.services.replay_runs import ResumePlan
    from composer.services.send import Sender

EXIT_HISTORY_INCOMPLETE = 3


def check(args: argparse.Namespace) -> str | None:
    """A sentence about options --bulk cannot take, or None."""
    if args.revision < FIRST_BULK_REVISION:
        return (
            f"--bulk: Bulk Create Events exists from revision {FIRST_BULK_REVISION}; "
            f"{args.revision} is older. Leave out --revision (--bulk uses the newest) or give "
            f"{FIRST_BULK_REVISION} or later: events written in the 2023-01-24 shape are "
            "converted on the fly"
        )
    if args.skip:
        return "--bulk resumes with --resume (from the history), not --skip"
    if getattr(args, "as_is", False):
        return "--bulk sends at a current revision: leave out --as-is"
    if getattr(args, "verify", False) or getattr(args, "verify_sample", None):
        return (
            "--verify is not available with --bulk yet (bulk jobs are not read back): leave "
            "out --verify, or replay without --bulk to have the accepted events read back"
        )
    if args.job_size is not None and not 1 <= args.job_size <= 1000:
        return "--job-size: give 1 to 1000 events per job"
    if not 1 <= args.concurrency <= 64:
        return "--concurrency: give 1 to 64 jobs in flight with --bulk"
    return None


@dataclass(slots=True)
class _Session:
    name: str
    """The path as given, for messages (``<stdin>`` for standard input)."""
    file: BulkFile
    runs: RunLog | None
    once: bool = False
    """The input can be read only once (standard input, a pipe): it was spooled to a private
    temporary file, which is neither recorded nor resumable."""
    plan: ResumePlan | None = None
    stop_signal: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recorded: bool = False
    listed: int = 0

    @property
    def path(self) -> str:
        """The absolute path recorded with the run (``<stdin>`` for standard input)."""
        if self.name == "<stdin>":
            return STDIN_PATH
        return str(Path(self.name).resolve()) if self.once else self.file.absolute


def run(args: argparse.Namespace) -> int:
    """The `replay --bulk` command."""
    import asyncio

    from composer.services.bulk_file import BulkFile, resumed_job_size
    from composer.services.replay_input import ReplayInputError

    problem = check(args)
    if problem:
        err("replay", problem)
        return EXIT_BAD_INPUT
    spool: Path | None = None
    name = "<stdin>" if args.path == "-" else args.path
    once = _read_once(args.path)
    if once and args.resume and args.path != "-":
        err("replay", (
            f"--resume needs a regular file: {name} is a pipe or a device and cannot be read a "
            "second time. Save the events to a file and replay that file."
        ))  # fmt: skip
        return EXIT_BAD_INPUT
    try:
        try:
            spool = _spool(args.path) if once else None
            scanned = BulkFile.scan(spool or Path(args.path))
        except ReplayInputError as exc:
            err("replay", f"{name}: {exc}")
            return EXIT_BAD_INPUT
        except OSError as exc:
            err("replay", unreadable(name, exc))
            return EXIT_BAD_INPUT
        storage = open_storage(args, "replay")
        try:
            runs = storage.history.runs if (storage is not None and args.history) else None
            session = _Session(name, scanned, runs, once=once)
            if args.resume:
                session.plan, code = plan_cli_resume(args, runs, scanned, name, bulk=True)
                if code is not None:
                    return code
            args.job_size, note = resumed_job_size(session.plan, args.job_size)
            if note is not None:
                session.notes.append(note)
            sender, code = open_sender(
                args, storage, "replay", client_settings(args, **_limits(args)), endpoint="bulk"
            )
            if sender is None:
                return code
            say(target_line(sender))
            summary = asyncio.run(_replay(sender, session, args))
        finally:
            if storage is not None:
                storage.close()
    finally:
        if spool is not None:
            with contextlib.suppress(OSError):
                spool.unlink()
    if args.json:
        print_out(json.dumps(summary_to_json(summary, session), ensure_ascii=False))
    else:
        print_out(render_summary(summary, session, sender))
    return _exit(summary, session, args)


def _read_once(path: str) -> bool:
    """Whether PATH can be read only once: standard input, a named pipe, a device."""
    if path == "-":
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # BulkFile.scan names what is wrong with it
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _spool(path: str) -> Path:
    """Standard input, a pipe or a device copied to a private temporary file (the events are
    read twice), chunk by chunk. Unless the input is a JSON array, a line longer than one
    event may be is refused as soon as it is seen, so an endless device is not copied to the
    end."""
    from composer.services.replay_input import MAX_EVENT_BYTES, ReplayInputError

    fd, name = tempfile.mkstemp(prefix="event-composer-replay-", suffix=".ndjson")
    try:
        with os.fdopen(fd, "wb") as out, contextlib.ExitStack() as stack:
            source = sys.stdin.buffer if path == "-" else stack.enter_context(open(path, "rb"))
            array: bool | None = None  # not known before the first byte that is not blank
            line, run = 1, 0  # the line being read, and its length so far
            while chunk := source.read(1 << 20):
                out.write(chunk)
                if array is None and (start := chunk.lstrip(b" \t\r\n\xef\xbb\xbf")):
                    array = start.startswith(b"[")
                if array:
                    continue
                for n, piece in enumerate(chunk.split(b"\n")):
                    run = run + len(piece) if n == 0 else len(piece)
                    line += n > 0
                    if run > MAX_EVENT_BYTES:
                        raise ReplayInputError(
                            f"line {line}: longer than {MAX_EVENT_BYTES // (1024 * 1024)} MB, "
                            "too large to be one event (give one event per line)"
                        )
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _limits(args: argparse.Namespace) -> dict[str, Any]:
    from composer.client import BULK_LIMITS, RateLimits, Window

    if args.burst_limit is None and args.steady_limit is None:
        return {"limits": BULK_LIMITS}
    return {
        "limits": RateLimits(
            burst=Window(args.burst_limit or BULK_LIMITS.burst.limit, 1.0),
            steady=Window(args.steady_limit or BULK_LIMITS.steady.limit, 60.0),
        )
    }


def format_progress(p: BulkProgress) -> str:
    """``12000/100000 events · 2400.0/s · accepted 12000 · jobs 12 · ETA 37 s``"""
    parts = [
        f"{p.done + p.earlier}/{p.total} events",
        f"{p.rate:.1f}/s",
        f"accepted {p.accepted + p.earlier}",
    ]
    for label, value in (
        ("refused", p.refused),
        ("unknown", p.unknown),
        ("invalid", p.invalid),
        ("not sent", p.not_sent),
    ):
        if value:
            parts.append(f"{label} {value}")
    parts.append(f"jobs {p.jobs_sent}")
    if p.paused:
        parts.append("paused")
    elif p.done + p.earlier < p.total:
        eta = p.eta
        parts.append(f"ETA {_duration(eta)}" if eta is not None else "ETA --")
    return " · ".join(parts)


class JobLines:
    """The lines of one job that share one fate, said once: ``141-150`` when they follow each
    other in the file, else each line (``1, 4, 7``), or the span and how many lines of it
    (``12-980: 40 lines``) when there are many: a job groups events by profile, so its lines
    need not be neighbours, and a range must never name lines that are not in it. Events that
    share their line with others (a JSON array on one line) are named by number instead
    (``events 3-9``), after the place of the first: a line number would not find them."""

    SHOWN = 5

    def __init__(self) -> None:
        self._problem: BulkProblem | None = None
        self._units: list[int] = []
        self._count = 0

    @staticmethod
    def _unit(problem: BulkProblem) -> int:
        return problem.line if problem.column is None else problem.index + 1

    def start(self, problem: BulkProblem) -> None:
        """Begin a new group with ``problem``."""
        self._problem, self._units, self._count = problem, [self._unit(problem)], 1

    def join(self, problem: BulkProblem) -> bool:
        """Add ``problem`` to the group when it is the same job's, with the same text."""
        held = self._problem
        if held is None or problem.job is None or held.job != problem.job:
            return False
        unit = self._unit(problem)
        if held.text != problem.text or (held.column is None) != (problem.column is None):
            return False
        if unit <= self._units[-1]:
            return False
        if len(self._units) < self.SHOWN:
            self._units.append(unit)
        else:
            self._units[-1] = unit  # the last one, for the span
        self._count += 1
        return True

    def flush(self, name: str) -> tuple[str, BulkProblem] | None:
        """``(where, problem)`` of the group (then empty), or None when there is none:
        ``where`` starts with the file's ``name``, as a terminal line names a place."""
        from composer.services.replay_places import file_place

        problem, units, count = self._problem, self._units, self._count
        self._problem, self._units, self._count = None, [], 0
        if problem is None:
            return None
        if count == 1:
            return file_place(name, problem.index, problem.line, problem.column), problem
        first, last = units[0], units[-1]
        if last - first + 1 == count:
            span = f"{first}-{last}"
        elif count <= self.SHOWN:
            span = ", ".join(map(str, units))
        else:
            span = f"{first}-{last}: {count} {'lines' if problem.column is None else 'events'}"
        if problem.column is None:
            return f"{name}:{span}", problem
        return f"{name}:{problem.line}:{problem.column}: events {span}", problem


async def _replay(sender: Sender, session: _Session, args: argparse.Namespace) -> BulkSummary:
    from composer.services.bulk import BulkReplay
    from composer.services.bulk_file import run_bulk_file

    line = ProgressLine(sys.stderr, fmt=format_progress)

    lines_of = JobLines()

    def flush() -> None:
        said = lines_of.flush(session.name)
        if said is not None:
            where, problem = said
            session.listed += 1
            if session.listed <= MAX_LISTED:
                line.interrupt_line()
                say(f"{where}: {problem.text}")

    def on_problem(problem: BulkProblem) -> None:
        if not lines_of.join(problem):
            flush()
            lines_of.start(problem)

    replay = BulkReplay(
        sender,
        run_id=args.run_id,
        force=args.force,
        fill_unique_id=args.fill_unique_id,
        concurrency=args.concurrency,
        max_events=args.job_size,
        on_progress=line.update,
        on_problem=on_problem,
    )
    signals = StopSignals(session.stop_signal, replay.cancel, line, "jobs")
    signals.install()
    _announce(session, replay.run_id, replay.max_events)
    runs = session.runs if not session.once else None
    try:
        async with sender:
            summary = await run_bulk_file(
                replay, session.file, runs=runs, plan=session.plan, notes=session.notes
            )
        session.recorded = runs is not None and not any(
            "could not record this run" in n for n in session.notes
        )
    finally:
        signals.remove()
    flush()
    line.update(summary.progress, final=True)
    if session.listed > MAX_LISTED:
        say(f"... and {session.listed - MAX_LISTED} more (see --json for the first ones)")
    return summary


def _announce(session: _Session, run_id: str, job_size: int) -> None:
    file, plan = session.file, session.plan
    jobs = f"in bulk jobs of up to {job_size:,} event{'s' * (job_size != 1)}"
    if plan is None:
        size = f"{file.count} event{'s' * (file.count != 1)}"
        say(f"Run {run_id}: {session.path} ({size}, {file.content_hash}), {jobs}")
        return
    say(
        f"Resuming run {run_id} of {session.path} {jobs}: {len(plan.earlier)} of "
        f"{file.count} events were accepted before and are not sent again; "
        f"{len(plan.in_doubt)} sent before without an accepted answer and {plan.untouched} "
        "not yet sent go now, with their original unique_ids"
    )


def _sent_of(sent: int, total: int) -> str:
    """``30 events`` when all were sent, else ``10 of 13 events`` (never read as a job's size)."""
    return f"{sent} of {total} events" if sent != total else f"{sent} event{'s' * (sent != 1)}"


def render_summary(summary: BulkSummary, session: _Session, sender: Sender) -> str:
    """The summary for people."""
    p = summary.progress
    counts = summary.delivery_counts()
    lines = [
        f"{'Stopped' if summary.interrupted else 'Replayed'} {session.name} in bulk: "
        f"{_sent_of(p.sent, p.total)} sent in {p.jobs_sent} job{'s' * (p.jobs_sent != 1)} "
        f"in {p.elapsed:.1f} s "
        f"({p.rate:.1f} events/s) to {sender.target.label} at {sender.client.revision.name}",
        f"  run {summary.run_id}" + (" (resumed)" if session.plan is not None else ""),
        f"  accepted {counts['accepted']} · refused {counts['not_accepted']} · unknown "
        f"{counts['unknown']} · not sent {counts['not_sent']} (invalid {p.invalid})",
    ]
    if p.earlier:
        lines.append(f"  {p.earlier} accepted by earlier sessions of this run (not sent again)")
    if summary.left:
        lines.append(f"  {summary.left} not reached (a resume sends them)")
    if p.throttled:
        lines.append(f"  {p.throttled} answers were 429 (rate limited) and retried")
    if summary.conversions:
        lines.append(
            f"  {summary.conversions} events converted from the 2023-01-24 shape to "
            f"{sender.client.revision.name}"
            + ("; every member found a home" if not summary.homeless else "; with no home there:")
        )
        for text, events, _line, place in summary.homeless:
            lines.append(f"    {text} ({events} events, first at {place})")
    if p.no_history_row:
        lines.append(f"  {p.no_history_row} jobs could not be recorded in the history")
    lines.extend(f"  note: {n}" for n in session.notes)
    return "\n".join(lines)


def summary_to_json(summary: BulkSummary, session: _Session) -> dict[str, Any]:
    p = summary.progress
    return {
        "path": session.name,
        "run_id": summary.run_id,
        "bulk": True,
        "events_in_file": p.total,
        "earlier_accepted": p.earlier,
        "sent": p.sent,
        "jobs": p.jobs_sent,
        "jobs_accepted": p.jobs_accepted,
        "invalid": p.invalid,
        "not_reached": summary.left,
        "delivery": summary.delivery_counts(),
        "throttled": p.throttled,
        "elapsed_s": round(p.elapsed, 3),
        "events_per_s": round(p.rate, 1),
        "interrupted": summary.interrupted,
        "stopped_reason": summary.stopped_reason,
        "converted": summary.conversions,
        "no_equivalent": [
            {"member": t, "events": n, "first_line": f, "first_place": w}
            for t, n, f, w in summary.homeless
        ],
        "problems_total": summary.problems_total,
        "problems": [
            {
                "line": x.line,
                "column": x.column,
                "index": x.index,
                "kind": x.kind,
                "job": x.job,
                "problem": x.text,
            }
            for x in summary.problems
        ],
        "recorded": session.recorded,
        "history_notes": session.notes,
    }


def _exit(summary: BulkSummary, session: _Session, args: argparse.Namespace) -> int:
    p = summary.progress
    if summary.interrupted:
        if summary.stopped_reason:
            say(f"replay: stopped because {summary.stopped_reason}.")
        say(_resume_hint(summary, session, args))
        if summary.stopped_reason:
            return EXIT_BAD_INPUT
        return 128 + (session.stop_signal[0] if session.stop_signal else 2)
    if p.unknown:
        say(
            f"{p.unknown} event(s) may or may not have been recorded. To send them again with "
            f"the same unique_ids:\n  {_resume_command(session, args)}"
        )
    if not summary.all_accepted:
        return EXIT_INVALID
    if p.no_history_row:
        return EXIT_HISTORY_INCOMPLETE
    return EXIT_OK


def _resume_command(session: _Session, args: argparse.Namespace) -> str:
    import shlex

    head = ["event-composer"]
    if args.data_dir:
        head += ["--data-dir", str(args.data_dir)]
    if not session.recorded:
        return "(not resumable: the run is not in the history; replay the file again)"
    extra = ["--target", args.target] if args.target != "sandbox" else []
    if args.account:
        extra += ["--account", args.account]
    return shlex.join([*head, "replay", session.path, "--bulk", "--resume", *extra])


def _resume_hint(summary: BulkSummary, session: _Session, args: argparse.Namespace) -> str:
    p = summary.progress
    return (
        f"Stopped after {p.done + p.earlier} of {p.total} events. To resume:\n  "
        f"{_resume_command(session, args)}"
    )
