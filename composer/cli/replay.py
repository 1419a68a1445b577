"""`event-composer replay PATH [--target ...] [--concurrency N] [--skip N --run-id ID]`

Sends every event of an NDJSON file (or a JSON array) as fast as the rate limits allow, with a
progress line on stderr. Ctrl-C stops cleanly and prints the command that resumes the run.
Exit 0 when every event was accepted, 1 when any was rejected, failed or not sent (invalid),
2 on bad input (unreadable file, bad options, no key) or when the target stops answering (the
run stops by itself after 10 unanswered sends in a row and says how to resume), 130 when
interrupted."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from composer.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, print_out
from composer.cli.send import (
    EXIT_INTERRUPTED,
    add_common_options,
    check_common,
    client_settings,
    err,
    open_sender,
    open_storage,
    target_line,
)

if TYPE_CHECKING:
    from composer.services.replay import (
        Replayer,
        ReplayEvent,
        ReplayItem,
        ReplayProgress,
        ReplaySummary,
    )
    from composer.services.send import Sender

MAX_LISTED = 20


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="send every event of an NDJSON file or JSON array",
        description="Send every event of a file (one JSON event per line, or a JSON array) at "
        "the highest rate the limits allow. Events that fail validation are reported by line "
        "and not sent (unless --force). Ctrl-C stops cleanly and prints how to resume.",
    )
    p.add_argument("path", metavar="PATH", help="an NDJSON file or a JSON array; - for stdin")
    add_common_options(p)
    p.add_argument(
        "--concurrency",
        type=int,
        default=16,
        metavar="N",
        help="sends in flight at once (default 16, at most 256)",
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
        "unique_ids, so none is recorded twice",
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
    p.set_defaults(handler=run)


class ProgressLine:
    """The progress line on stderr: redrawn in place on a terminal, else a plain line every
    ``every`` seconds (so logs of CI jobs stay readable)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        tty: bool | None = None,
        every: float = 5.0,
        redraw: float = 0.1,
        clock: Any = time.monotonic,
    ) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.every = every if not self.tty else redraw
        self.clock = clock
        self._last = -1e9
        self._width = 0

    def update(self, progress: ReplayProgress, *, final: bool = False) -> None:
        now = self.clock()
        if not final and now - self._last < self.every:
            return
        self._last = now
        text = format_progress(progress)
        if self.tty:
            pad = max(0, self._width - len(text))
            self._width = len(text)
            self.stream.write("\r" + text + " " * pad + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def interrupt_line(self) -> None:
        """End a half-drawn line before printing something else."""
        if self.tty and self._width:
            self.stream.write("\n")
            self._width = 0


def format_progress(p: ReplayProgress) -> str:
    """``120/1000 events · 48.2/s · 2xx 118 · 4xx 2 · 5xx 0 · no response 0 · ETA 18 s``"""
    eta = p.eta
    parts = [
        f"{p.done}/{p.total} events",
        f"{p.rate:.1f}/s",
        f"2xx {p.counts['2xx']}",
        f"4xx {p.counts['4xx']}",
        f"5xx {p.counts['5xx']}",
    ]
    if p.counts["error"]:
        parts.append(f"no response {p.counts['error']}")
    if p.invalid:
        parts.append(f"invalid {p.invalid}")
    if p.done < p.total:
        parts.append(f"ETA {_duration(eta)}" if eta is not None else "ETA --")
    return " · ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


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


def run(args: argparse.Namespace) -> int:
    import asyncio

    from composer.cli.validate import read_input
    from composer.services.replay import ReplayInputError, read_events

    problem = _check(args)
    if problem:
        err("replay", problem)
        return EXIT_BAD_INPUT
    raw, unreadable = read_input(
        args.path, 512 * 1024 * 1024, "split the events into smaller files"
    )
    if raw is None:
        err("replay", unreadable or "the input cannot be read")
        return EXIT_BAD_INPUT
    name = "<stdin>" if args.path == "-" else args.path
    try:
        items = read_events(raw)
    except ReplayInputError as exc:
        err("replay", f"{name}: {exc}")
        return EXIT_BAD_INPUT
    if args.skip > len(items):
        err("replay", f"--skip {args.skip}: {name} holds only {len(items)} events")
        return EXIT_BAD_INPUT
    storage = open_storage(args, "replay")
    try:
        sender, code = open_sender(args, storage, "replay", client_settings(args, **_limits(args)))
        if sender is None:
            return code
        print(target_line(sender), file=sys.stderr)
        summary = asyncio.run(_replay(sender, items, args, name))
    finally:
        if storage is not None:
            storage.close()
    if args.json:
        print_out(json.dumps(summary_to_json(summary, name), ensure_ascii=False))
    else:
        print_out(render_summary(summary, name, sender))
    if summary.interrupted:
        if summary.stopped_reason:
            print(f"replay: stopped because {summary.stopped_reason}.", file=sys.stderr)
        print(resume_hint(summary, args), file=sys.stderr)
        return EXIT_BAD_INPUT if summary.stopped_reason else EXIT_INTERRUPTED
    return EXIT_OK if summary.all_accepted else EXIT_INVALID


async def _replay(
    sender: Sender, items: list[ReplayItem], args: argparse.Namespace, name: str
) -> ReplaySummary:
    import asyncio
    import contextlib
    import signal

    from composer.services.replay import Replayer

    line = ProgressLine(sys.stderr)
    listed = [0]

    def on_invalid(event: ReplayEvent) -> None:
        listed[0] += 1
        if listed[0] <= MAX_LISTED:
            print(f"{name}:{event.line}: {event.problem}", file=sys.stderr)

    replayer: Replayer = Replayer(
        sender,
        concurrency=args.concurrency,
        force=args.force,
        fill_unique_id=args.fill_unique_id,
        run_id=args.run_id,
        on_progress=line.update,
        on_invalid=on_invalid,
    )
    loop = asyncio.get_running_loop()

    def on_sigint() -> None:
        line.interrupt_line()
        print(
            "Stopping: cancelling the sends in flight (Ctrl-C again to quit at once)...",
            file=sys.stderr,
        )
        replayer.stop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)  # a second Ctrl-C interrupts for real

    # Not available off the main thread or on Windows: there Ctrl-C simply interrupts.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        async with sender:
            summary = await replayer.run(items, skip=args.skip)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
    if listed[0] > MAX_LISTED:
        print(f"... and {listed[0] - MAX_LISTED} more invalid events", file=sys.stderr)
    line.update(summary.progress, final=True)
    return summary


def resume_hint(summary: ReplaySummary, args: argparse.Namespace) -> str:
    """The sentence and command that resume a stopped run."""
    from composer.domain.revisions import DEFAULT_REVISION

    progress = summary.progress
    cancelled = summary.in_flight_cancelled
    head = (
        f"Stopped after {progress.done} of {progress.total} events"
        + (
            f"; {cancelled} send(s) in flight were cancelled and may or may not have arrived"
            if cancelled
            else ""
        )
        + "."
    )
    if summary.resume_skip is None:
        return head + " Nothing is left to send."
    command = [
        "event-composer",
        "replay",
        args.path,
        "--skip",
        str(summary.resume_skip),
        "--run-id",
        summary.run_id,
    ]
    if args.data_dir:
        command[1:1] = ["--data-dir", str(args.data_dir)]
    for flag, value, default in (
        ("--target", args.target, "sandbox"),
        ("--account", args.account, None),
        ("--revision", args.revision, DEFAULT_REVISION),
        ("--concurrency", str(args.concurrency), "16"),
        ("--attempts", None if args.attempts is None else str(args.attempts), None),
        ("--timeout", None if args.timeout is None else f"{args.timeout:g}", None),
        ("--burst-limit", None if args.burst_limit is None else str(args.burst_limit), None),
        ("--steady-limit", None if args.steady_limit is None else str(args.steady_limit), None),
    ):
        if value is not None and value != default:
            command += [flag, value]
    for flag, on in (
        ("--force", args.force),
        ("--no-unique-id", not args.fill_unique_id),
        ("--no-history", not args.history),
    ):
        if on:
            command.append(flag)
    note = (
        ""
        if args.fill_unique_id
        else " Without --no-unique-id, resumed events would keep their unique_ids; with it, "
        "events sent just before the stop may be recorded twice."
    )
    return f"{head} To resume:\n  {shlex.join(command)}{note}"


def render_summary(summary: ReplaySummary, name: str, sender: Sender) -> str:
    from composer.domain.error_body import status_title

    p = summary.progress
    lines = [
        f"{'Stopped' if summary.interrupted else 'Replayed'} {name}: {p.sent} sent of "
        f"{summary.total_in_file} events in {p.elapsed:.1f} s ({p.rate:.1f} events/s) "
        f"to {sender.target.label}",
    ]
    if summary.skipped:
        lines.append(f"  skipped the first {summary.skipped} (--skip)")
    accepted = sum(1 for e in summary.events if e.accepted)
    lines.append(
        f"  accepted {accepted} · 4xx {p.counts['4xx']} · 5xx {p.counts['5xx']} · "
        f"no response {p.counts['error']} · not sent (invalid) {p.invalid}"
    )
    if p.throttled:
        lines.append(
            f"  the server answered 429 {p.throttled} time(s); those sends were "
            "retried after the wait it asked for"
        )
    failures = summary.failures
    if failures:
        lines.append(f"Problems ({len(failures)}):")
        for event in failures[:MAX_LISTED]:
            lines.append(f"  {name}:{event.line}: {event.problem}")
        if len(failures) > MAX_LISTED:
            lines.append(f"  ... and {len(failures) - MAX_LISTED} more")
        by_status: dict[int, int] = {}
        for event in failures:
            if event.status:
                by_status[event.status] = by_status.get(event.status, 0) + 1
        for status, count in sorted(by_status.items()):
            lines.append(f"  {count} x {status} {status_title(status)}")
    return "\n".join(lines)


def summary_to_json(summary: ReplaySummary, name: str) -> dict[str, Any]:
    p = summary.progress
    return {
        "path": name,
        "run_id": summary.run_id,
        "events_in_file": summary.total_in_file,
        "skipped": summary.skipped,
        "sent": p.sent,
        "invalid": p.invalid,
        "counts": dict(p.counts),
        "throttled": p.throttled,
        "elapsed_s": round(p.elapsed, 3),
        "rate_per_s": round(p.rate, 2),
        "interrupted": summary.interrupted,
        "stopped_reason": summary.stopped_reason,
        "resume_skip": summary.resume_skip,
        "failures": [
            {"index": e.index, "line": e.line, "status": e.status, "problem": e.problem}
            for e in summary.failures
        ],
    }
