"""Replaying a file of events (NDJSON or a JSON array) as fast as the rate limits allow.

Resuming is safe: the unique_id filled into an event that lacks one is derived from the run id
and the event's position, so an event that went out before an interruption carries the same
unique_id when a resumed run (same ``run_id``) sends it again, and Klaviyo records it once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from composer.client.timing import Clock, monotonic
from composer.domain.error_body import status_title
from composer.domain.findings import ValidationReport, describe_pointer
from composer.domain.jsontext import value_end
from composer.domain.outcome import SendOutcome, TransportErrorKind
from composer.services.send import Sender, SendResult, first_error

MAX_CONCURRENCY = 256
VALIDATION_CHUNK = 256
UNREACHABLE_STREAK = 10
"""A run stops by itself after this many sends in a row got no answer at all."""
_UNREACHABLE = (TransportErrorKind.REFUSED, TransportErrorKind.DNS, TransportErrorKind.TLS)
"""Events validated between two looks at the event loop (about 40 ms of work)."""


class ReplayInputError(ValueError):
    """The file cannot be read as events; the message names the line and what is wrong."""


@dataclass(frozen=True, slots=True)
class ReplayItem:
    """One event of the file: its position, the line it starts on, and its exact bytes."""

    index: int
    line: int
    raw: bytes


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_events(data: bytes) -> list[ReplayItem]:
    """Split a file into events: a JSON array, NDJSON (one event per non-blank line), or a
    single JSON object spread over several lines."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReplayInputError(
            f"line {line}: the file is not UTF-8 text (byte {exc.start} cannot be decoded); "
            "save it as UTF-8"
        ) from None
    stripped = text.lstrip()
    if not stripped:
        raise ReplayInputError("the file is empty: give one event per line, or a JSON array")
    start = len(text) - len(stripped)
    if stripped.startswith("["):
        return _read_array(text, start)
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    items = [ReplayItem(i, n, line.encode("utf-8")) for i, (n, line) in enumerate(lines)]
    if stripped.startswith("{") and len(items) > 1 and not _parses(items[0].raw):
        # Not NDJSON after all: one pretty-printed object.
        return [ReplayItem(0, _line_of(text, start), stripped.rstrip().encode("utf-8"))]
    return items


def _parses(raw: bytes) -> bool:
    text = raw.decode("utf-8")
    try:
        return value_end(text) == len(text)
    except ValueError:
        return False


def _read_array(text: str, start: int) -> list[ReplayItem]:
    items: list[ReplayItem] = []
    i = start + 1
    n = len(text)
    # Line numbers are counted forward from the previous element, never from the start of
    # the text again: a 100,000-element array must not cost 100,000 scans of the file.
    counted = [0, 1]  # offset up to which newlines are counted, line number at that offset

    def line_at(pos: int) -> int:
        offset, line = counted
        if pos < offset:
            return _line_of(text, pos)
        line += text.count("\n", offset, pos)
        counted[:] = [pos, line]
        return line

    def skip_ws(pos: int) -> int:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        return pos

    i = skip_ws(i)
    if i < n and text[i] == "]":
        return items
    while True:
        i = skip_ws(i)
        try:
            end = value_end(text, i)
        except json.JSONDecodeError as exc:
            raise ReplayInputError(
                f"line {exc.lineno}, column {exc.colno}: element {len(items) + 1} of the JSON "
                f"array is not valid JSON ({exc.msg})"
            ) from None
        items.append(ReplayItem(len(items), line_at(i), text[i:end].encode("utf-8")))
        i = skip_ws(end)
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "]":
            if skip_ws(i + 1) != n:
                raise ReplayInputError(
                    f"line {line_at(i + 1)}: text after the end of the JSON array"
                )
            return items
        raise ReplayInputError(
            f"line {line_at(i)}: expected ',' or ']' after element {len(items)} of the JSON array"
        )


STATUS_CLASSES = ("2xx", "4xx", "5xx", "error")


@dataclass(slots=True)
class ReplayProgress:
    """Where a replay stands; passed to the progress callback after every event."""

    total: int
    done: int = 0
    sent: int = 0
    invalid: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_CLASSES, 0))
    throttled: int = 0
    """429 answers seen, retries included."""
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        """Events sent per second so far."""
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, or None before there is a rate."""
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None


@dataclass(frozen=True, slots=True)
class ReplayEvent:
    """What happened to one event of the file."""

    index: int
    line: int
    status: int | None
    """HTTP status, or None (not sent, or no response)."""
    problem: str | None
    """Why it is not accepted, in words; None when accepted."""
    unique_id: str | None
    attempts: int = 0

    @property
    def accepted(self) -> bool:
        return self.status == 202


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    """The end of a replay, finished or interrupted."""

    run_id: str
    total_in_file: int
    skipped: int
    progress: ReplayProgress
    events: tuple[ReplayEvent, ...]
    interrupted: bool
    resume_skip: int | None
    """Pass this as ``skip`` (with the same run id) to resume; None when nothing is left."""
    in_flight_cancelled: int = 0
    stopped_reason: str | None = None
    """Why the run stopped by itself (the target stopped answering); None otherwise."""

    @property
    def failures(self) -> tuple[ReplayEvent, ...]:
        return tuple(e for e in self.events if not e.accepted)

    @property
    def all_accepted(self) -> bool:
        return not self.interrupted and not self.failures


def _describe_invalid(item: ReplayItem, report: ValidationReport) -> str:
    finding = first_error(report)
    if finding is None:
        return "not sent: invalid"
    where = f"{describe_pointer(finding.pointer)}: " if finding.pointer else ""
    if finding.line is not None:
        where = f"line {item.line + finding.line - 1}, column {finding.column}: "
    more = len(report.errors) - 1
    extra = f" (and {more} more error{'s' * (more != 1)})" if more > 0 else ""
    return f"not sent: {where}{finding.message}{extra}"


def _describe_result(result: SendResult) -> str | None:
    outcome = result.outcome
    if outcome is None:
        return _describe_invalid(ReplayItem(0, 1, b""), result.report)
    if outcome.accepted:
        return None
    if outcome.status is None:
        error = outcome.error
        return f"no response: {error.message} ({error.advice})" if error else "no response"
    detail = outcome.findings[0].message if outcome.findings else ""
    text = f"{outcome.status} {status_title(outcome.status)}"
    return f"{text}: {detail}" if detail else text


class Replayer:
    """Sends many events through one :class:`Sender` with bounded concurrency."""

    def __init__(
        self,
        sender: Sender,
        *,
        concurrency: int = 16,
        force: bool = False,
        fill_unique_id: bool = True,
        run_id: str | None = None,
        on_progress: Callable[[ReplayProgress], None] | None = None,
        on_invalid: Callable[[ReplayEvent], None] | None = None,
        clock: Clock = monotonic,
        max_unreachable: int = UNREACHABLE_STREAK,
    ) -> None:
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be between 1 and {MAX_CONCURRENCY}")
        self.sender = sender
        self.concurrency = concurrency
        self.force = force
        self.fill_unique_id = fill_unique_id
        self.run_id = str(uuid.UUID(run_id)) if run_id else str(uuid.uuid4())
        self._namespace = uuid.UUID(self.run_id)
        self._on_progress = on_progress
        self._on_invalid = on_invalid
        self._clock = clock
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = False
        self.max_unreachable = max_unreachable
        self._unreachable: list[int] = []  # indices of the current run of unanswered sends
        self._stopped_reason: str | None = None

    def unique_id_for(self, index: int) -> str:
        """The unique_id this run fills into event ``index`` when it lacks one."""
        return str(uuid.uuid5(self._namespace, str(index)))

    def _watch_reachability(self, index: int, outcome: SendOutcome) -> None:
        """Stop taking new events once the target has not answered ``max_unreachable`` sends
        in a row (refused, unresolvable, TLS failure): the rest would only fail the same way."""
        error = outcome.error
        if outcome.status is not None or error is None or error.kind not in _UNREACHABLE:
            self._unreachable.clear()
            return
        self._unreachable.append(index)
        if self.max_unreachable and len(self._unreachable) >= self.max_unreachable:
            if self._stopped_reason is None:
                self._stopped_reason = (
                    f"the target did not answer {len(self._unreachable)} sends in a row "
                    f"({error.kind.value}: {error.advice})"
                )
            self._stopping = True

    def stop(self) -> None:
        """Stop now: no new sends; sends in flight are cancelled (and recorded as such)."""
        self._stopping = True
        for task in self._workers:
            task.cancel()

    async def run(self, items: Sequence[ReplayItem], *, skip: int = 0) -> ReplaySummary:
        """Replay ``items[skip:]``. Returns when all are done or :meth:`stop` was called; if
        the task itself is cancelled, in-flight sends are completed as cancelled first."""
        skip = max(0, min(skip, len(items)))
        todo = list(items[skip:])
        progress = ReplayProgress(total=len(todo))
        events: dict[int, ReplayEvent] = {}
        started = self._clock()
        # Only the verdict is kept, not the report: reports hold the parsed bodies, and a
        # 100,000-event file would keep gigabytes alive. Senders validate again (cheap).
        pending: list[ReplayItem] = []
        for n, item in enumerate(todo):
            if n and n % VALIDATION_CHUNK == 0:
                self._emit(progress, started)
                await asyncio.sleep(0)  # let Ctrl-C (stop()) and the progress line through
                if self._stopping:
                    break
            report = self.sender.validate(item.raw)
            if report.valid or self.force:
                pending.append(item)
                continue
            invalid = ReplayEvent(
                item.index, item.line, None, _describe_invalid(item, report), None
            )
            events[item.index] = invalid
            if self._on_invalid is not None:
                self._on_invalid(invalid)
            progress.invalid += 1
            progress.done += 1
        self._emit(progress, started)
        queue = iter(pending)
        in_flight: set[int] = set()

        async def worker() -> None:
            for item in queue:
                if self._stopping:
                    return
                in_flight.add(item.index)
                result = await self.sender.send(
                    item.raw,
                    force=self.force,
                    fill_unique_id=self.fill_unique_id,
                    unique_id=self.unique_id_for(item.index),
                )
                in_flight.discard(item.index)
                events[item.index] = self._event(item, result)
                outcome = result.outcome
                assert outcome is not None
                self._watch_reachability(item.index, outcome)
                progress.sent += 1
                progress.done += 1
                progress.counts[
                    outcome.status_class if outcome.status_class in progress.counts else "error"
                ] += 1
                progress.throttled += int(outcome.extra.get("throttled", 0))
                self._emit(progress, started)

        self._workers = [
            asyncio.create_task(worker()) for _ in range(min(self.concurrency, len(pending)))
        ]
        cancelled_from_outside = False
        try:
            await asyncio.gather(*self._workers, return_exceptions=True)
        except asyncio.CancelledError:
            cancelled_from_outside = True
            self.stop()
            await asyncio.gather(*self._workers, return_exceptions=True)
        self._emit(progress, started)
        interrupted = self._stopping or cancelled_from_outside
        resume = next((it.index for it in todo if it.index not in events), None)
        if self._stopped_reason is not None and self._unreachable:
            # the unanswered ones go again too: their unique_ids make a repeat harmless
            first = min(self._unreachable)
            resume = first if resume is None else min(resume, first)
        summary = ReplaySummary(
            run_id=self.run_id,
            total_in_file=len(items),
            skipped=skip,
            progress=progress,
            events=tuple(events[i] for i in sorted(events)),
            interrupted=interrupted,
            resume_skip=resume,
            in_flight_cancelled=len(in_flight),
            stopped_reason=self._stopped_reason,
        )
        if cancelled_from_outside:
            raise asyncio.CancelledError
        return summary

    def _event(self, item: ReplayItem, result: SendResult) -> ReplayEvent:
        outcome = result.outcome
        report = result.report
        unique_id = result.unique_id_filled
        if unique_id is None and isinstance(report.payload, dict):
            attributes = (report.payload.get("data") or {}).get("attributes")
            if isinstance(attributes, dict) and isinstance(attributes.get("unique_id"), str):
                unique_id = attributes["unique_id"]
        return ReplayEvent(
            index=item.index,
            line=item.line,
            status=outcome.status if outcome else None,
            problem=_describe_result(result),
            unique_id=unique_id,
            attempts=len(outcome.attempts) if outcome else 0,
        )

    def _emit(self, progress: ReplayProgress, started: float) -> None:
        progress.elapsed = self._clock() - started
        if self._on_progress is not None:
            self._on_progress(progress)
