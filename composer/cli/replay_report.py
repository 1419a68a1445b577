"""What `event-composer replay` prints: the progress line, the summary (words or --json) and the
command that resumes a stopped run."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from composer.services.replay import ReplayEvent, ReplayProgress, ReplaySummary
    from composer.services.send import Sender

MAX_LISTED = 20


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What the summary says about the run besides the events: the file and its record."""

    path: str
    """The file's absolute path (``<stdin>`` for standard input)."""
    content_hash: str
    recorded: bool
    """The run is in the history, so ``--resume`` finds it."""
    resumed: bool = False
    history_notes: tuple[str, ...] = ()
    """Why the history could not record the run or its end."""


def say(text: str) -> None:
    """Print a line on stderr; nothing when stderr is gone (a closed terminal after SIGHUP
    answers EIO), since the run's outcome is in the history and the exit status anyway."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr)


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
        fmt: Any = None,
    ) -> None:
        self.fmt = fmt or format_progress
        """Turns a progress into the line's text (``replay --bulk`` has its own)."""
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.every = every if not self.tty else redraw
        self.clock = clock
        self._last = -1e9
        self._width = 0

    def update(self, progress: Any, *, final: bool = False) -> None:
        now = self.clock()
        if not final and now - self._last < self.every:
            return
        self._last = now
        text = self.fmt(progress)
        if self.tty:
            pad = max(0, self._width - len(text))
            self._width = len(text)
            self._write("\r" + text + " " * pad + ("\n" if final else ""))
        else:
            self._write(text + "\n")

    def interrupt_line(self) -> None:
        """End a half-drawn line before printing something else."""
        if self.tty and self._width:
            self._write("\n")
            self._width = 0

    def _write(self, text: str) -> None:
        # A closed terminal (EIO after SIGHUP) or pipe must not stop the sends.
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(text)
            self.stream.flush()


class StopSignals:
    """Ctrl-C, SIGTERM (a service manager, ``kill``) and SIGHUP (the terminal closed) stop a
    replay cleanly: ``stop()`` first (after SIGHUP the terminal may be gone and printing fail),
    then the progress line ends and one sentence says what happens to the ``what`` in flight.
    The same signal again interrupts for real. Each signal received is appended to
    ``received`` (the exit status is 128 + the first). Not available off the main thread or on
    Windows: there a signal simply interrupts (the run stays resumable)."""

    def __init__(
        self, received: list[int], stop: Callable[[], None], line: ProgressLine, what: str
    ) -> None:
        self.received = received
        self.stop = stop
        self.line = line
        self.what = what
        self.signals = tuple(
            getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)
        )
        self._loop: Any = None

    def install(self) -> None:
        """Handle the signals from now on (call it in the running event loop)."""
        import asyncio

        self._loop = asyncio.get_running_loop()
        for signum in self.signals:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                self._loop.add_signal_handler(signum, self._on_signal, signum)

    def remove(self) -> None:
        """Leave the signals to their default handling again."""
        for signum in self.signals:
            self._forget(signum)

    def _forget(self, signum: int) -> None:
        if self._loop is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                self._loop.remove_signal_handler(signum)

    def _on_signal(self, signum: int) -> None:
        first = not self.received
        self.received.append(signum)
        self.stop()
        self.line.interrupt_line()
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        if first:
            say(
                f"Stopping ({name}): cancelling the {self.what} in flight ({name} again to "
                "quit at once)..."
            )
        self._forget(signum)  # the same signal again interrupts for real


def format_progress(p: ReplayProgress) -> str:
    """``120/1000 events · 48.2/s · 2xx 118 · 4xx 2 · 5xx 0 · no response 0 · ETA 18 s``"""
    eta = p.eta
    parts = [
        f"{p.done}/{p.total} events" if p.total is not None else f"{p.done} events",
        f"{p.rate:.1f}/s",
        f"2xx {p.counts['2xx']}",
        f"4xx {p.counts['4xx']}",
        f"5xx {p.counts['5xx']}",
    ]
    if p.counts["error"]:
        parts.append(f"no response {p.counts['error']}")
    if p.unknown:
        parts.append(f"unknown {p.unknown}")
    if p.invalid:
        parts.append(f"invalid {p.invalid}")
    if p.total is not None and p.done < p.total:
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


def _options(args: argparse.Namespace, *, with_body_options: bool) -> list[str]:
    """The options that must be given again to send the same way."""
    from composer.domain.revisions import DEFAULT_REVISION

    command: list[str] = []
    pairs: list[tuple[str, str | None, str | None]] = [
        ("--target", args.target, "sandbox"),
        ("--account", args.account, None),
    ]
    if with_body_options:
        pairs.append(("--revision", args.revision, DEFAULT_REVISION))
    pairs += [
        ("--concurrency", str(args.concurrency), "16"),
        ("--attempts", None if args.attempts is None else str(args.attempts), None),
        ("--timeout", None if args.timeout is None else f"{args.timeout:g}", None),
        ("--burst-limit", None if args.burst_limit is None else str(args.burst_limit), None),
        ("--steady-limit", None if args.steady_limit is None else str(args.steady_limit), None),
    ]
    for flag, value, default in pairs:
        if value is not None and value != default:
            command += [flag, value]
    # --as-is says yes to sending to Klaviyo at a retired revision: the resume must say it too
    flags = [("--as-is", bool(getattr(args, "as_is", False))), ("--no-history", not args.history)]
    if with_body_options:
        flags = [("--force", args.force), ("--no-unique-id", not args.fill_unique_id), *flags]
    command += [flag for flag, on in flags if on]
    return command


def resume_command(
    summary: ReplaySummary, args: argparse.Namespace, facts: RunFacts | None = None
) -> str:
    """The command that resumes this run: ``--resume`` when the history holds the run, else
    ``--skip N --run-id ID`` (same unique_ids, from the first event not finished)."""
    head = ["event-composer"]
    if args.data_dir:
        head += ["--data-dir", str(args.data_dir)]
    if facts is not None and facts.recorded:
        return shlex.join(
            [*head, "replay", facts.path, "--resume", *_options(args, with_body_options=False)]
        )
    skip = summary.resume_skip or 0
    return shlex.join(
        [
            *head,
            "replay",
            args.path,
            "--skip",
            str(skip),
            "--run-id",
            summary.run_id,
            *_options(args, with_body_options=True),
        ]
    )


def resume_hint(
    summary: ReplaySummary, args: argparse.Namespace, facts: RunFacts | None = None
) -> str:
    """The sentence and command that resume a stopped run (``facts``: the run's record, if
    the history holds it)."""
    progress = summary.progress
    cancelled = summary.in_flight_cancelled
    head = (
        f"Stopped after {progress.done}"
        + (f" of {progress.total}" if progress.total is not None else "")
        + " events"
        + (
            f"; {cancelled} send(s) in flight were cancelled and may or may not have arrived"
            if cancelled
            else ""
        )
        + "."
    )
    if summary.resume_skip is None and not summary.delivery_counts()["unknown"]:
        return head + " Nothing is left to send."
    note = (
        ""
        if args.fill_unique_id
        else " This run fills no unique_id (--no-unique-id): events without their own that "
        "may have arrived are not sent again on resume."
    )
    return f"{head} To resume:\n  {resume_command(summary, args, facts)}{note}"


def _event_line(name: str, event: ReplayEvent) -> str:
    from composer.services.replay_places import file_place

    return f"  {file_place(name, event.index, event.line, event.column)}: {event.problem}"


def _listed(lines: list[str], title: str, events: list[ReplayEvent], name: str, total: int) -> None:
    """The first events of a kind by line, under a title with how many there are in all
    (the summary keeps the first ones only)."""
    if not total:
        return
    lines.append(f"{title} ({total}):")
    lines.extend(_event_line(name, e) for e in events[:MAX_LISTED])
    shown = min(len(events), MAX_LISTED)
    if total > shown:
        lines.append(f"  ... and {total - shown} more")


def history_problems(p: ReplayProgress) -> str | None:
    """The sentence about sends the history could not record, or None."""
    parts = []
    if p.no_history_row:
        parts.append(f"{p.no_history_row} send(s) have no history row")
    if p.history_incomplete:
        parts.append(f"{p.history_incomplete} history row(s) lack their outcome")
    if not parts:
        return None
    return "history: " + " and ".join(parts) + " (the history could not be written)"


def render_summary(
    summary: ReplaySummary, name: str, sender: Sender, facts: RunFacts | None = None
) -> str:
    from composer.domain.error_body import status_title

    p = summary.progress
    counts = summary.delivery_counts()
    lines = [
        f"{'Stopped' if summary.interrupted else 'Replayed'} {name}: {p.sent} sent of "
        f"{summary.total_in_file} events in {p.elapsed:.1f} s ({p.rate:.1f} events/s) "
        f"to {sender.target.label}",
        f"  run {summary.run_id}" + (" (resumed)" if facts is not None and facts.resumed else ""),
    ]
    if summary.skipped:
        lines.append(f"  skipped the first {summary.skipped} (--skip)")
    if summary.earlier_accepted:
        lines.append(
            f"  {summary.earlier_accepted} accepted before the interruption, not sent again"
        )
    lines.append(
        f"  accepted {counts['accepted']} · not accepted {counts['not_accepted']} · "
        f"unknown {counts['unknown']} · not sent (invalid) {counts['not_sent']}"
    )
    lines.append(
        f"  answers: 2xx {p.counts['2xx']} · 4xx {p.counts['4xx']} · 5xx {p.counts['5xx']} · "
        f"no response {p.counts['error']}"
    )
    if p.throttled:
        lines.append(
            f"  the server answered 429 {p.throttled} time(s); those sends were "
            "retried after the wait it asked for"
        )
    unknown = list(summary.unknown)
    title = "Unknown: may have been recorded, no 202 came back"
    _listed(lines, title, unknown, name, counts["unknown"])
    refused = [e for e in summary.failures if not e.unknown]
    _listed(lines, "Problems", refused, name, counts["not_accepted"] + counts["not_sent"])
    for status, count in sorted(summary.refused_by_status.items()):
        lines.append(f"  {count} x {status} {status_title(status)}")
    problem = history_problems(p)
    if problem:
        lines.append(problem)
    if facts is not None:
        lines.extend(f"warning: {note}" for note in facts.history_notes)
    return "\n".join(lines)


def _event_json(e: ReplayEvent) -> dict[str, Any]:
    return {
        "index": e.index,
        "line": e.line,
        "column": e.column,
        "status": e.status,
        "delivery": e.delivery,
        "problem": e.problem,
        "unique_id": e.unique_id,
    }


def summary_to_json(
    summary: ReplaySummary, name: str, facts: RunFacts | None = None
) -> dict[str, Any]:
    p = summary.progress
    doc: dict[str, Any] = {
        "path": name,
        "run_id": summary.run_id,
        "events_in_file": summary.total_in_file,
        "skipped": summary.skipped,
        "earlier_accepted": summary.earlier_accepted,
        "sent": p.sent,
        "invalid": p.invalid,
        "delivery": summary.delivery_counts(),
        "counts": dict(p.counts),
        "throttled": p.throttled,
        "elapsed_s": round(p.elapsed, 3),
        "rate_per_s": round(p.rate, 2),
        "interrupted": summary.interrupted,
        "stopped_reason": summary.stopped_reason,
        "resume_skip": summary.resume_skip,
        "all_accepted": summary.all_accepted,
        "unknown": [_event_json(e) for e in summary.unknown],
        "failures": [_event_json(e) for e in summary.failures],
        "history": {
            "no_history_row": p.no_history_row,
            "rows_without_outcome": p.history_incomplete,
        },
    }
    if facts is not None:
        doc["absolute_path"] = facts.path
        doc["content_hash"] = facts.content_hash
        doc["resumed"] = facts.resumed
        doc["history"]["run_recorded"] = facts.recorded
        doc["history"]["problems"] = list(facts.history_notes)
    return doc
