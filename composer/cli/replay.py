"""`event-composer replay PATH [--target ...] [--concurrency N] [--resume]`

Sends every event of an NDJSON file (or a JSON array) as fast as the rate limits allow, with a
progress line on stderr. The run id is printed at the start and recorded in the history with
the file's absolute path and content hash. Ctrl-C, SIGTERM and SIGHUP stop cleanly and print the
command that resumes the run; after kill -9, `replay PATH --resume` (same target) continues the
last unfinished run of the file: events accepted before are not sent again, the others go with
their original unique_ids, so none is recorded twice and none is lost.

Exit 0 when every event was accepted (and recorded in the history); 1 when any was not: refused,
unknown (may have been recorded) or not sent (invalid); 3 when every event was accepted but some
sends have no history row (the history could not be written); 2 on bad input (unreadable file,
bad options, no key, a refused --resume) or when the target stops answering (the run stops by
itself after 10 unanswered sends in a row and says how to resume); 128 + the signal's number
when stopped by a signal (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composer.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, print_out
from composer.cli.replay_report import (
    MAX_LISTED,
    ProgressLine,
    RunFacts,
    StopSignals,
    format_progress,
    render_summary,
    resume_command,
    resume_hint,
    say,
    summary_to_json,
)
from composer.cli.replay_verify import (
    AcceptedLog,
    add_replay_verify_options,
    render_verify,
    start_pool,
    verify_run,
    wants_verify,
)
from composer.cli.send import (
    add_common_options,
    check_common,
    client_settings,
    err,
    open_sender,
    open_storage,
    target_line,
)

if TYPE_CHECKING:
    from composer.services.ports import RunLog
    from composer.services.replay import ReplayEvent, ReplaySummary
    from composer.services.replay_input import EventFile
    from composer.services.replay_runs import ResumePlan
    from composer.services.replay_verify import VerifySummary
    from composer.services.send import Sender

__all__ = ["ProgressLine", "add_parser", "format_progress", "run"]

EXIT_HISTORY_INCOMPLETE = 3
"""Every event was accepted, but the history could not record some sends."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="send every event of an NDJSON file or JSON array",
        description="Send every event of a file (one JSON event per line, or a JSON array) at "
        "the highest rate the limits allow. Events that fail validation are reported by line "
        "and not sent (unless --force). Ctrl-C, SIGTERM and SIGHUP stop cleanly and print how "
        "to resume; after any stop, even kill -9, `replay PATH --resume` continues the run.",
    )
    p.add_argument("path", metavar="PATH", help="an NDJSON file or a JSON array; - for stdin")
    add_common_options(p)
    p.set_defaults(revision=None)  # the default depends on --bulk (see run)
    p.add_argument(
        "--bulk",
        action="store_true",
        help="send through Bulk Create Events (revision 2024-05-15 on): up to 1,000 events "
        "per request, 10 requests/s, 150/min, i.e. up to 150,000 events a minute. Events in "
        "the 2023-01-24 shape are converted on the fly",
    )
    p.add_argument(
        "--job-size",
        type=int,
        default=None,
        metavar="N",
        help="with --bulk: at most N events per job (default and most 1000; jobs also stay "
        "under 5 MB). --resume packs by the size the run was started with unless given",
    )
    p.add_argument(
        "--as-is",
        action="store_true",
        help="to Klaviyo with a retired revision (such as 2023-01-24): send the events "
        "unchanged anyway (Klaviyo most likely answers 400 to each)",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="sends in flight at once (default 16, at most 256; with --bulk: jobs, default 10)",
    )
    p.add_argument(
        "--skip",
        type=int,
        default=0,
        metavar="N",
        help="skip the first N events (to resume a stopped run)",
    )
    p.add_argument(
        "--run-id",
        metavar="ID",
        help="the run id printed by a stopped run: resumed events get the same "
        "unique_ids, so none is recorded twice (--resume finds it by itself)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the last unfinished run of this file to this target, as recorded in "
        "the history (also after kill -9 or a power cut): events accepted before are not "
        "sent again, the others go with their original unique_ids. Refused when the file "
        "changed since",
    )
    p.add_argument(
        "--burst-limit",
        type=int,
        default=None,
        metavar="N",
        help="requests per second this client allows itself (default 350, "
        "Klaviyo's burst limit for this endpoint)",
    )
    p.add_argument(
        "--steady-limit",
        type=int,
        default=None,
        metavar="N",
        help="requests per minute this client allows itself (default 3500)",
    )
    p.add_argument(
        "--json", action="store_true", help="print the summary as one JSON object on stdout"
    )
    add_replay_verify_options(p)
    p.set_defaults(handler=run)


def _check(args: argparse.Namespace) -> str | None:
    problem = check_common(args)
    if problem:
        return problem
    if not 1 <= args.concurrency <= 256:
        return "--concurrency: give a number from 1 to 256"
    if args.skip < 0:
        return "--skip: give 0 or more events to skip"
    for name in ("burst_limit", "steady_limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return f"--{name.replace('_', '-')}: give a number of requests of 1 or more"
    if args.resume:
        if args.path == "-":
            return "--resume needs a file: standard input cannot be read a second time"
        if args.skip or args.run_id:
            return (
                "--resume finds the run and what is left of it in the history: leave out "
                "--skip and --run-id"
            )
        if not args.history:
            return "--resume reads the run from the history: leave out --no-history"
    if args.run_id:
        import uuid

        try:
            uuid.UUID(args.run_id)
        except ValueError:
            return "--run-id: give the id a stopped run printed (a UUID)"
    return None


def _limits(args: argparse.Namespace) -> dict[str, Any]:
    from composer.client import RateLimits, Window

    if args.burst_limit is None and args.steady_limit is None:
        return {}
    default = RateLimits()
    return {
        "limits": RateLimits(
            burst=Window(args.burst_limit or default.burst.limit, 1.0),
            steady=Window(args.steady_limit or default.steady.limit, 60.0),
        )
    }


@dataclass(slots=True)
class _Session:
    """One `replay` process's part of a run."""

    name: str
    """The path as given, for messages (``<stdin>`` for standard input)."""
    path: str
    """The absolute path recorded with the run."""
    file: EventFile | None
    """The file as counted before the first send; None for input read once, as it comes
    (standard input, a pipe): its events are counted and hashed on the way."""
    runs: RunLog | None
    plan: ResumePlan | None = None
    stop_signal: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recorded: bool = False
    verify: VerifySummary | None = None
    """What the read-back found (--verify, --verify-sample); None without it."""
    verify_task: Any = None
    streamed: Any = None
    """The reader of input read once (its count and content hash once read to the end)."""

    @property
    def content_hash(self) -> str:
        if self.file is not None:
            return self.file.content_hash
        digest = getattr(self.streamed, "content_hash", None)
        return digest or "(not read to the end)"


def _retired_refusal(sender: Any, args: argparse.Namespace) -> str | None:
    """Why nothing is sent: a replay to Klaviyo with a retired revision, without --as-is."""
    from composer.domain.revisions import NEWEST_REVISION
    from composer.services.retired import needs_choice, question

    revision = sender.client.revision.name
    if getattr(args, "as_is", False) or not needs_choice(sender.target, revision):
        return None
    return (
        f"{question(revision)}\nNothing was sent. Convert the events first (`event-composer "
        f"convert --to {NEWEST_REVISION} FILE`, one event per file) and replay them with "
        f"--revision {NEWEST_REVISION}, or give --as-is to send them unchanged (Klaviyo most "
        "likely answers 400 to each)."
    )


def _open_input(args: argparse.Namespace, name: str) -> tuple[_Session | None, str | None]:
    """The session's input: a regular file is counted and hashed first (streamed, keeping
    nothing), so the run is recorded with both before the first send; standard input and
    pipes are read once, as they come. Or why the input cannot be read."""
    from composer.cli.replay_resume import scan_file, unreadable
    from composer.services.replay_runs import STDIN_PATH

    if args.path == "-":
        return _Session(name, STDIN_PATH, None, None), None
    try:
        info = os.stat(args.path)
    except OSError as exc:
        return None, unreadable(name, exc)
    if stat.S_ISDIR(info.st_mode):
        return None, f"{name}: is a folder, not a file"
    path = str(Path(args.path).resolve())
    if not stat.S_ISREG(info.st_mode):
        if args.resume:
            return None, (
                f"--resume needs a regular file: {name} is a pipe or a device and cannot be "
                "read a second time. Save the events to a file and replay that file."
            )
        return _Session(name, path, None, None), None
    file, problem = scan_file(args.path, name)
    if file is None:
        return None, problem
    if args.skip > file.count:
        return None, f"--skip {args.skip}: {name} holds only {file.count} events"
    return _Session(name, path, file, None), None


def run(args: argparse.Namespace) -> int:
    import asyncio

    from composer.cli.replay_resume import plan_cli_resume
    from composer.domain.revisions import DEFAULT_REVISION

    named = args.revision is not None
    if args.revision is None:
        args.revision = DEFAULT_REVISION
    if args.concurrency is None:
        args.concurrency = 10 if args.bulk else 16
    problem = _check(args)
    if problem:
        err("replay", problem)
        return EXIT_BAD_INPUT
    if args.bulk:
        from composer.cli.replay_bulk import run as run_bulk

        return run_bulk(args)
    name = "<stdin>" if args.path == "-" else args.path
    session, unreadable = _open_input(args, name)
    if session is None:
        err("replay", unreadable or "the input cannot be read")
        return EXIT_BAD_INPUT
    if not named and not args.resume:  # a resumed run goes at its own revision
        _follow_layout(args, session)
    storage = open_storage(args, "replay")
    try:
        session.runs = storage.history.runs if (storage is not None and args.history) else None
        if args.resume:
            assert session.file is not None  # refused for pipes above
            session.plan, code = plan_cli_resume(args, session.runs, session.file, name, bulk=False)
            if code is not None:
                return code
        sender, code = open_sender(args, storage, "replay", client_settings(args, **_limits(args)))
        if sender is None:
            return code
        refusal = _retired_refusal(sender, args)
        if refusal is not None:
            asyncio.run(sender.aclose())
            err("replay", refusal)
            return EXIT_BAD_INPUT
        plan = session.plan
        if plan is not None and sender.account != plan.run.account:
            err(
                "replay",
                f"--resume: run {plan.run.id} sent with "
                + (f"account {plan.run.account!r}" if plan.run.account else "no named account")
                + f", this one would use {sender.account or 'no named account'}: give the same "
                "--account, so that Klaviyo de-duplicates on the same account",
            )
            return EXIT_BAD_INPUT
        say(target_line(sender))
        summary = asyncio.run(_replay(sender, session, args))
    finally:
        if storage is not None:
            storage.close()
    if session.file is None and not summary.total_in_file and summary.stopped_reason:
        # nothing readable came at all: bad input, as for a file (nothing to resume)
        err("replay", f"{name}: {summary.stopped_reason}")
        return EXIT_BAD_INPUT
    if session.file is None and args.skip > summary.total_in_file:
        err("replay", f"--skip {args.skip}: {name} holds only {summary.total_in_file} events")
        return EXIT_BAD_INPUT
    facts = RunFacts(
        path=session.path,
        content_hash=session.content_hash,
        recorded=session.recorded,
        resumed=session.plan is not None,
        history_notes=tuple(session.notes),
    )
    if args.json:
        doc = summary_to_json(summary, name, facts)
        if wants_verify(args):
            doc["verification"] = None if session.verify is None else session.verify.to_json()
        print_out(json.dumps(doc, ensure_ascii=False))
    else:
        text = render_summary(summary, name, sender, facts)
        if session.verify is not None:
            text += "\n" + "\n".join(render_verify(session.verify, name))
        print_out(text)
    return _exit(summary, session, args, facts)


def _follow_layout(args: argparse.Namespace, session: _Session) -> None:
    """No revision named: an input whose first events are in the flat layout of 2023-01-24
    goes at 2023-01-24, as it always has (single creates send events unchanged, and the
    default revision would refuse them). Looks at the first events only: of a regular file,
    or of standard input what has already arrived (peeked, not consumed); a named pipe cannot
    be looked into without consuming it, so it goes at the default revision."""
    import io

    from composer.cli.env_option import layout_note
    from composer.domain.revisions import FLAT_REVISION, Shape
    from composer.services.replay_input import EventStream, ReplayInputError
    from composer.services.replay_session import item_shape

    def first_shape(fh: Any) -> Shape | None:
        try:
            for looked, item in enumerate(EventStream(fh)):
                shape = item_shape(item)
                if shape is not None or looked >= 20:
                    return shape
        except (ReplayInputError, RecursionError):
            pass  # what is cut or broken is the replay's to report
        return None

    shape = None
    try:
        if session.file is not None:
            with open(session.file.path, "rb") as fh:
                shape = first_shape(fh)
        elif args.path == "-":
            peek = getattr(getattr(sys.stdin, "buffer", None), "peek", None)
            if peek is not None:
                shape = first_shape(io.BytesIO(peek(64 * 1024)))
    except (OSError, ValueError):
        return
    if shape is Shape.FLAT:
        args.revision = FLAT_REVISION
        say(f"replay: {layout_note(FLAT_REVISION, 'the events are')}")


def _exit(
    summary: ReplaySummary, session: _Session, args: argparse.Namespace, facts: RunFacts
) -> int:
    if summary.interrupted:
        if summary.stopped_reason:
            say(f"replay: stopped because {summary.stopped_reason}.")
        say(resume_hint(summary, args, facts))
        if summary.stopped_reason:
            return EXIT_BAD_INPUT
        return 128 + (session.stop_signal[0] if session.stop_signal else 2)
    if session.stop_signal:  # stopped during the read-back: the sends were all done
        return 128 + session.stop_signal[0]
    unknown = summary.delivery_counts()["unknown"]
    if unknown:
        say(
            f"{unknown} event(s) may or may not have been recorded. To send them "
            f"again with the same unique_ids:\n  {resume_command(summary, args, facts)}"
        )
    if not summary.all_accepted:
        return EXIT_INVALID
    p = summary.progress
    if p.no_history_row or p.history_incomplete:
        return EXIT_HISTORY_INCOMPLETE
    return EXIT_OK


def _announce(session: _Session, run_id: str) -> None:
    plan, file = session.plan, session.file
    if file is None:
        say(f"Run {run_id}: {session.path} (read as it comes: its events are counted on the way)")
        return
    if plan is None:
        size = f"{file.count} event{'s' * (file.count != 1)}"
        say(f"Run {run_id}: {session.path} ({size}, {file.content_hash})")
        return
    say(
        f"Resuming run {run_id} of {session.path}: {len(plan.earlier)} of {plan.run.events} "
        f"events were accepted before and are not sent again; {len(plan.in_doubt)} sent "
        f"before without an accepted answer (in doubt or refused) and {plan.untouched} not "
        "yet sent go now, with their original unique_ids"
    )


def _events(session: _Session, path: str) -> Any:
    """The events of the session's input, read as a stream: a regular file in the event loop
    (its reads are short); standard input or a pipe on a thread of its own, so that the sends
    and their answers go on while the next lines are still to come."""
    from composer.services.replay_input import EventStream, ThreadedItems

    if session.file is not None:
        fh = open(session.file.path, "rb")  # noqa: SIM115 (closed at the end of the run)
        stream = EventStream(fh)
        return stream, fh

    stdin = _stdin_reader() if path == "-" else None

    def from_source() -> Any:
        # opened on the reading thread: opening a pipe waits for its writer
        with stdin or open(path, "rb") as fh:
            stream = EventStream(fh)
            session.streamed = stream
            yield from stream

    return ThreadedItems(from_source()), None


class _Prefixed(io.RawIOBase):
    """``prefix``, then the bytes of the file descriptor ``fd`` (closed with it)."""

    def __init__(self, prefix: bytes, fd: int) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._fd = fd

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = os.read(self._fd, len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def _stdin_reader() -> io.BufferedReader:
    """Standard input through a reader of its own: what ``sys.stdin`` already holds (a look
    at the first events may have read ahead), then a copy of its descriptor. The reading
    thread never takes sys.stdin's lock, which the interpreter takes at exit: a read that is
    still waiting for lines must not hold up (or abort) the exit after Ctrl-C."""
    buffered = b""
    try:
        fd = sys.stdin.fileno()
        blocking = os.get_blocking(fd)
    except (AttributeError, OSError, ValueError):  # no standard input at all: nothing to read
        return io.BufferedReader(io.BytesIO(b""))
    try:
        os.set_blocking(fd, False)  # take only what is there already: never wait here
        buffered = getattr(sys.stdin.buffer, "read1", lambda _n: b"")(1 << 20) or b""
    except (BlockingIOError, OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            os.set_blocking(fd, blocking)
    return io.BufferedReader(_Prefixed(buffered, os.dup(fd)))


async def _replay(sender: Sender, session: _Session, args: argparse.Namespace) -> ReplaySummary:

    from composer.services.replay import Replayer
    from composer.services.replay_runs import new_run, record_end, record_start

    line = ProgressLine(sys.stderr)
    listed = [0]
    name = session.name

    from composer.services.replay_places import file_place

    def on_invalid(event: ReplayEvent) -> None:
        listed[0] += 1
        if listed[0] <= MAX_LISTED:
            say(f"{file_place(name, event.index, event.line, event.column)}: {event.problem}")

    accepted = AcceptedLog(args.verify_sample) if wants_verify(args) else None
    replayer: Replayer = Replayer(
        sender,
        concurrency=args.concurrency,
        force=args.force,
        fill_unique_id=args.fill_unique_id,
        run_id=args.run_id,
        on_progress=line.update,
        on_invalid=on_invalid,
        on_sent=accepted,
    )

    def stop() -> None:
        replayer.stop()
        if session.verify_task is not None:
            session.verify_task.cancel()  # verdicts reached so far are kept

    # Handlers first, then the record: a stop from here on is clean.
    signals = StopSignals(session.stop_signal, stop, line, "sends")
    signals.install()
    _announce(session, replayer.run_id)
    file = session.file
    if session.runs is not None:
        record = new_run(
            replayer.run_id,
            session.path,
            file.content_hash if file is not None else "",
            file.count if file is not None else 0,
            target=sender.target.label,
            account=sender.account,
            revision=sender.client.revision.name,
            force=args.force,
            fill_unique_id=args.fill_unique_id,
        )
        problem = record_start(session.runs, record)
        session.recorded = problem is None and file is not None  # a pipe cannot be resumed
        if problem is not None:
            session.notes.append(problem)
            err("replay", f"warning: {problem}; --resume will not find this run")
    plan = session.plan
    events, fh = _events(session, args.path)
    try:
        async with sender:
            if accepted is not None:
                session.verify = start_pool(sender, accepted, args)
            summary = await replayer.run(
                events,
                total=file.count if file is not None else None,
                skip=args.skip,
                earlier=plan.earlier if plan else frozenset(),
                in_doubt=plan.in_doubt if plan else frozenset(),
            )
            if accepted is not None:
                line.update(summary.progress, final=True)
                await _read_back(sender, accepted, session, args, summary)
    finally:
        if fh is not None:
            fh.close()
        signals.remove()
    _check_unchanged(session, events, replayer.run_id)
    if session.runs is not None and session.recorded:
        problem = record_end(session.runs, replayer.run_id, summary)
        if problem is not None:
            session.notes.append(problem)
    if listed[0] > MAX_LISTED:
        say(f"... and {listed[0] - MAX_LISTED} more invalid events")
    if accepted is None:
        line.update(summary.progress, final=True)
    return summary


async def _read_back(
    sender: Sender,
    accepted: AcceptedLog,
    session: _Session,
    args: argparse.Namespace,
    summary: ReplaySummary,
) -> None:
    """Read the accepted events back, unless the run was stopped (a stop means stop)."""
    import asyncio

    from composer.services.replay_verify import VerifySummary

    pool = accepted.pool
    if session.verify is not None:
        session.verify.accepted = accepted.count
    if summary.interrupted or session.stop_signal:
        if pool is not None:
            await pool.cancel()  # the verdicts reached stay in the history and the summary
        say("replay: the read-back stopped with the run: not every accepted event was checked.")
        return
    if pool is not None and session.verify is not None:
        left = accepted.count - session.verify.checked
        if left:
            say(f"Reading back the last {left} accepted event{'s' * (left != 1)}...")
        session.verify_task = asyncio.ensure_future(pool.finish())
    else:
        result = VerifySummary(accepted=accepted.count, sample=args.verify_sample)
        session.verify = result
        count = min(accepted.count, args.verify_sample or accepted.count)
        if count:
            say(f"Reading back {count} accepted event{'s' * (count != 1)}...")
        session.verify_task = asyncio.ensure_future(verify_run(sender, accepted, args, result))
    try:
        await session.verify_task
    except asyncio.CancelledError:
        if not session.stop_signal:
            raise  # cancelled from outside, not by a stop signal
    finally:
        session.verify_task = None


def _check_unchanged(session: _Session, events: Any, run_id: str) -> None:
    """A file changed while it was replayed is said so (the events sent are those read); input
    read once gets its count and content hash recorded with the run, once read to the end."""
    digest = getattr(events, "content_hash", None)
    file = session.file
    if file is not None and digest is not None and digest != file.content_hash:
        session.notes.append(
            f"{session.name} changed while it was replayed (its content hash is now {digest}): "
            "the events sent are those read during the replay"
        )
    streamed, runs = session.streamed, session.runs
    if file is None and runs is not None and getattr(streamed, "content_hash", None):
        try:
            runs.set_file(run_id, streamed.count, streamed.content_hash)
        except Exception as exc:  # the replay matters more than its record
            session.notes.append(f"the history could not record the input's size ({exc})")
