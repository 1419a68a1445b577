"""Replaying a file of events (NDJSON or a JSON array) as fast as the rate limits allow.

Resuming is safe: the unique_id filled into an event that lacks one is derived from the run id
and the event's position, so an event that went out before an interruption carries the same
unique_id when a resumed run (same ``run_id``) sends it again, and Klaviyo records it once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Container, Iterable, Sized
from dataclasses import dataclass, field

from composer.client import SendCancelled
from composer.client.timing import Clock, monotonic
from composer.domain.delivery import DELIVERIES, Delivery, derive_delivery
from composer.domain.findings import ValidationReport
from composer.domain.outcome import SendOutcome, StatusClass, TransportErrorKind
from composer.services.attempt_text import outcome_line
from composer.services.replay_common import Observer, attributes_of, describe_invalid
from composer.services.replay_input import ReplayInputError, ReplayItem, read_events
from composer.services.replay_places import event_place
from composer.services.send import Sender, SendResult, finished

__all__ = [
    "DELIVERY_STATES",
    "ReplayEvent",
    "ReplayInputError",
    "ReplayItem",
    "ReplayProgress",
    "ReplaySummary",
    "Replayer",
    "delivery_state",
    "read_events",
]

log = logging.getLogger(__name__)

MAX_CONCURRENCY = 256
VALIDATION_CHUNK = 256
"""Events validated between two looks at the event loop, at most."""
LOOK_EVERY = 0.012
"""Seconds of validation at most between two looks at the event loop (a window shares it)."""
QUEUE_EVENTS = 64
"""Events read and checked ahead of the sends, at most (with the sends in flight, all the
events a replay holds at once, whatever the size of the file)."""
UNREACHABLE_STREAK = 10
"""A run stops by itself after this many sends in a row got no answer at all."""
_UNREACHABLE = (TransportErrorKind.REFUSED, TransportErrorKind.DNS, TransportErrorKind.TLS)


STATUS_CLASSES = tuple(
    c.value for c in (StatusClass.S2XX, StatusClass.S4XX, StatusClass.S5XX, StatusClass.ERROR)
)
"""The classes a replay counts (see :class:`composer.domain.outcome.StatusClass`)."""

DELIVERY_STATES = DELIVERIES
"""What became of one event: ``accepted`` (a 2xx came back), ``not_accepted`` (definitely not
recorded), ``unknown`` (it may have been recorded), ``not_sent``."""


def delivery_state(outcome: SendOutcome | None) -> str:
    """One of :data:`DELIVERY_STATES` for a send's outcome (None: the event was not sent), by
    the project's one rule (:func:`composer.domain.delivery.derive_delivery`): read from every
    attempt, so a first attempt that timed out and a retry answered 500 leave it ``unknown``."""
    if outcome is None:
        return Delivery.NOT_SENT.value
    return derive_delivery(outcome.attempts, status=outcome.status, error=outcome.error).value


@dataclass(slots=True)
class ReplayProgress:
    """Where a replay stands; passed to the progress callback after every event."""

    total: int | None
    """Events this session has to deal with; None while unknown (input read as it comes, such
    as standard input)."""
    done: int = 0
    sent: int = 0
    invalid: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_CLASSES, 0))
    throttled: int = 0
    """429 answers seen, retries included."""
    unknown: int = 0
    """Sends whose outcome is unknown: the event may have been recorded (see delivery_state)."""
    no_history_row: int = 0
    """Sends the history could not record at all (its write failed; the send went ahead)."""
    history_incomplete: int = 0
    """Sends whose history row could not be completed (it stays "unknown outcome")."""
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        """Events sent per second so far."""
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, or None before there is a rate (or a total)."""
        rate = self.rate
        if self.total is None or rate <= 0:
            return None
        return (self.total - self.done) / rate


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
    delivery: str = "not_sent"
    """One of DELIVERY_STATES."""
    earlier: bool = False
    """Accepted by an earlier session of this run (before an interruption); not sent again."""
    column: int | None = None
    """Its column, when another event starts on its line (see ``ReplayItem.column``)."""

    @property
    def place(self) -> str:
        """Where it is in the file, in words: ``line 12``, or ``event 3 (line 1, column 245)``
        when its line holds other events too."""
        return event_place(self.index, self.line, self.column)

    @property
    def accepted(self) -> bool:
        return self.delivery == "accepted"

    @property
    def unknown(self) -> bool:
        return self.delivery == "unknown"


MAX_EVENTS_KEPT = 10_000
"""Events not accepted that a summary lists by line; its counts cover every event."""


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    """The end of a replay, finished or interrupted. Accepted events are counted, not kept
    (memory stays flat whatever the file's size); the others are kept by line, the first
    :data:`MAX_EVENTS_KEPT` of them."""

    run_id: str
    total_in_file: int
    skipped: int
    progress: ReplayProgress
    events: tuple[ReplayEvent, ...]
    """The events not accepted (refused, unknown, not sent), in file order, at most
    :data:`MAX_EVENTS_KEPT`; see ``counts`` for all of them."""
    interrupted: bool
    resume_skip: int | None
    """Pass this as ``skip`` (with the same run id) to resume; None when nothing is left."""
    in_flight_cancelled: int = 0
    stopped_reason: str | None = None
    """Why the run stopped by itself (the target stopped answering, the input stopped being
    readable); None otherwise."""
    earlier_accepted: int = 0
    """Events accepted by earlier sessions of a resumed run (not sent again)."""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DELIVERY_STATES, 0))
    """Every event dealt with by its delivery state (the accepted ones of earlier sessions
    included)."""
    refused_by_status: dict[int, int] = field(default_factory=dict)
    """Events not accepted (and not in doubt) by the HTTP status of their answer, all of them
    (beyond the events kept)."""

    @property
    def failures(self) -> tuple[ReplayEvent, ...]:
        """The events not accepted that are kept: refused, unknown or not sent."""
        return tuple(e for e in self.events if not e.accepted)

    @property
    def unknown(self) -> tuple[ReplayEvent, ...]:
        """Events kept that may have been recorded although no 202 came back."""
        return tuple(e for e in self.events if e.unknown)

    def delivery_counts(self) -> dict[str, int]:
        """How many events of this run are in each of DELIVERY_STATES."""
        return dict(self.counts)

    @property
    def all_accepted(self) -> bool:
        return not self.interrupted and not any(
            n for state, n in self.counts.items() if state != "accepted"
        )


def _describe_invalid(item: ReplayItem, report: ValidationReport) -> str:
    return f"not sent: {describe_invalid(item, report)}"


def _describe_result(result: SendResult) -> str | None:
    outcome = result.outcome
    if outcome is None:
        return _describe_invalid(ReplayItem(0, 1, b""), result.report)
    return _describe_outcome(outcome)


def _describe_outcome(outcome: SendOutcome) -> str | None:
    return outcome_line(outcome)


_CANCELLED = (
    "unknown: the stop cancelled this send before an answer came; it may or may not have "
    "been recorded (a resume sends it again with the same unique_id)"
)
_HELD_BACK = (
    "unknown: an earlier session may have delivered it, and it has no unique_id, so it is "
    "not sent again (a second send could record it twice); check the target"
)


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
        on_sent: Callable[[ReplayItem, SendResult], None] | None = None,
        on_event: Callable[[ReplayEvent], None] | None = None,
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
        self._on_progress = Observer(on_progress, "the progress display")
        self._on_invalid = Observer(on_invalid, "listing an invalid event")
        self._on_sent = on_sent
        """Called with each event sent and its result (e.g. to read accepted ones back)."""
        # ``on_event``: called with what became of each event (accepted ones included, which
        # the summary only counts), e.g. for a caller that wants every unique_id.
        self._clock = clock
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = False
        self._going = asyncio.Event()
        """Clear while paused: no new send starts (sends in flight finish)."""
        self._going.set()
        self._paused_at: float | None = None
        self._paused_total = 0.0
        self.max_unreachable = max_unreachable
        self._unreachable: list[int] = []  # indices of the current run of unanswered sends
        self._stopped_reason: str | None = None
        self._on_event = Observer(on_event, "the observer of the events")
        self._space = asyncio.Event()
        """Set when a sender took an event from the queue: room for the next."""
        self._producer: asyncio.Task[None] | None = None
        self._counts: dict[str, int] = dict.fromkeys(DELIVERY_STATES, 0)
        self._statuses: dict[int, int] = {}
        self._kept: list[ReplayEvent] = []
        self._earlier_seen = 0

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
            self._halt()

    def _halt(self) -> None:
        """Take no new event (the sends in flight finish); wake whatever waits to go on."""
        self._stopping = True
        self._going.set()
        self._space.set()

    def stop(self) -> None:
        """Stop now: no new sends; sends in flight are cancelled (and recorded as such)."""
        self._stopping = True
        self._going.set()  # a paused run wakes up to stop
        self._space.set()
        for task in self._workers:
            task.cancel()
        if self._producer is not None:
            self._producer.cancel()  # it may wait for input that never comes (a pipe)

    def pause(self) -> None:
        """Start no new send until :meth:`resume`; the sends in flight finish and are
        counted. The time spent paused does not count in the rate."""
        if self._going.is_set() and not self._stopping:
            self._going.clear()
            self._paused_at = self._clock()

    def resume(self) -> None:
        """Go on after :meth:`pause`."""
        if self._paused_at is not None:
            self._paused_total += self._clock() - self._paused_at
            self._paused_at = None
        self._going.set()

    @property
    def paused(self) -> bool:
        """Whether the run is paused (no new sends start)."""
        return not self._going.is_set()

    async def run(
        self,
        items: Iterable[ReplayItem] | AsyncIterable[ReplayItem],
        *,
        total: int | None = None,
        skip: int = 0,
        earlier: Container[int] = frozenset(),
        in_doubt: Container[int] = frozenset(),
    ) -> ReplaySummary:
        """Replay the events of ``items`` (read as a stream: a list, an
        :class:`~composer.services.replay_input.EventStream`, or an async iterable such as
        :class:`~composer.services.replay_input.ThreadedItems`) from position ``skip`` on,
        except those in ``earlier`` (events an earlier session of this run got accepted:
        counted, not sent again). ``in_doubt`` are events an earlier session may have
        delivered: they are sent again with their unique_id, and held back (reported unknown)
        when they have none, as a second send could record them twice. ``total`` is the number
        of events in the file when known (a list's length by default): the progress counts
        down from it.

        Events are read, validated and sent as they come: at most a few per send in flight
        are held at once, whatever the file's size. Returns when all are done or :meth:`stop`
        was called; if the task itself is cancelled, in-flight sends are completed as
        cancelled first."""
        if total is None and isinstance(items, Sized):
            total = len(items)
        skip = max(0, skip)
        earlier_here = _count_from(earlier, skip) if total is not None else None
        todo = None if total is None else max(total - skip, 0) - (earlier_here or 0)
        progress = ReplayProgress(total=todo)
        self._counts = dict.fromkeys(DELIVERY_STATES, 0)
        self._statuses = {}
        self._kept = []
        self._earlier_seen = 0
        started = self._clock()
        # Unbounded for the end marks; the producer keeps at most QUEUE_EVENTS events in it.
        queue: asyncio.Queue[ReplayItem | None] = asyncio.Queue()
        in_flight: dict[int, ReplayItem] = {}
        reader = _Reader()

        async def worker() -> None:
            while True:
                await self._going.wait()  # paused: wait before taking the next event
                if self._stopping:
                    return
                item = await queue.get()
                self._space.set()
                if item is None:
                    return
                in_flight[item.index] = item
                try:
                    result = await self.sender.send(
                        item.raw,
                        force=self.force,
                        fill_unique_id=self.fill_unique_id,
                        unique_id=self.unique_id_for(item.index),
                        run_id=self.run_id,
                        run_index=item.index,
                    )
                except SendCancelled as stop:
                    if not finished(stop.outcome):
                        raise  # cut short: in flight, in doubt (below)
                    # the stop came after the answer, while it was being recorded: counted
                    # by that answer, as the history has it
                    del in_flight[item.index]
                    answer = stop.outcome
                    event = ReplayEvent(
                        item.index,
                        item.line,
                        answer.status,
                        _describe_outcome(answer),
                        None,
                        attempts=len(answer.attempts),
                        delivery=delivery_state(answer),
                        column=item.column,
                    )
                    self._record(event)
                    self._count(progress, answer, event)
                    self._emit(progress, started)
                    raise
                except Exception as exc:  # never lose an event to a fault inside the app
                    log.exception("replay: sending event %d failed", item.index)
                    del in_flight[item.index]
                    self._record(
                        ReplayEvent(
                            item.index,
                            item.line,
                            None,
                            f"unknown: the app failed while sending it ({exc}); it may or may "
                            "not have left (a resume sends it again with the same unique_id)",
                            None,
                            delivery="unknown",
                            column=item.column,
                        )
                    )
                    progress.unknown += 1
                    progress.done += 1
                    self._emit(progress, started)
                    continue
                del in_flight[item.index]
                event = self._event(item, result)
                self._record(event)
                if self._on_sent is not None:
                    try:
                        self._on_sent(item, result)
                    except Exception:  # an observer's fault must not stop the run
                        log.exception("replay: the observer of event %d failed", item.index)
                outcome = result.outcome
                assert outcome is not None
                self._watch_reachability(item.index, outcome)
                self._count(progress, outcome, event)
                if result.history_problem is not None:
                    if result.history_id is None:
                        progress.no_history_row += 1
                    else:
                        progress.history_incomplete += 1
                self._emit(progress, started)

        self._workers = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
        producer = asyncio.create_task(
            self._produce(
                items,
                queue,
                reader,
                progress,
                started=started,
                skip=skip,
                earlier=earlier,
                in_doubt=in_doubt,
            )
        )
        self._producer = producer
        cancelled_from_outside = False
        while not producer.done():
            try:
                await asyncio.wait({producer})
            except asyncio.CancelledError:
                cancelled_from_outside = True
                self.stop()  # cancels the producer too
        fault = None if producer.cancelled() else producer.exception()
        if fault is not None and self._stopped_reason is None:
            log.error("replay: reading the events failed: %r", fault)
            self._stopped_reason = f"of an error inside the app ({fault!r})"
            self.stop()
        for _ in self._workers:  # one end mark per sender, after the events queued
            queue.put_nowait(None)
        while True:
            try:
                results = await asyncio.gather(*self._workers, return_exceptions=True)
                break
            except asyncio.CancelledError:
                cancelled_from_outside = True
                self.stop()
        crashed = [
            r
            for r in results
            if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)
        ]
        if crashed and self._stopped_reason is None:
            # a worker that died took its events with it: the run is not finished
            self._stopped_reason = f"of an error inside the app ({crashed[0]!r})"
            self._halt()
        # A send cut short by the stop may or may not have reached the server.
        for index, item in in_flight.items():
            self._record(
                ReplayEvent(
                    index, item.line, None, _CANCELLED, None, delivery="unknown", column=item.column
                )
            )
            progress.unknown += 1
        self._emit(progress, started)
        interrupted = self._stopping or cancelled_from_outside or reader.error is not None
        # What a resume starts from: the first event read but not dealt with (still queued),
        # else the first one not read; and any event cut short or left unanswered.
        left = [item.index for item in _drain(queue)]
        if interrupted and reader.unread is not None:
            left.append(reader.unread)
        if total is not None:
            left = [i for i in left if i < total]
        left.extend(in_flight)
        if self._stopped_reason is not None:
            # the unanswered ones go again too: their unique_ids make a repeat harmless
            left.extend(self._unreachable)
        if reader.error is not None and self._stopped_reason is None:
            self._stopped_reason = f"the input stopped being readable: {reader.error}"
        if total is None:
            total = reader.count
        earlier_accepted = self._earlier_seen if earlier_here is None else earlier_here
        self._counts["accepted"] += earlier_accepted
        summary = ReplaySummary(
            run_id=self.run_id,
            total_in_file=total,
            skipped=min(skip, total),
            progress=progress,
            events=tuple(sorted(self._kept, key=lambda e: e.index)),
            interrupted=interrupted,
            resume_skip=min(left) if left else None,
            in_flight_cancelled=len(in_flight),
            stopped_reason=self._stopped_reason,
            earlier_accepted=earlier_accepted,
            counts=self._counts,
            refused_by_status=self._statuses,
        )
        if cancelled_from_outside:
            raise asyncio.CancelledError
        return summary

    async def _produce(
        self,
        items: Iterable[ReplayItem] | AsyncIterable[ReplayItem],
        queue: asyncio.Queue[ReplayItem | None],
        reader: _Reader,
        progress: ReplayProgress,
        *,
        started: float,
        skip: int,
        earlier: Container[int],
        in_doubt: Container[int],
    ) -> None:
        """Read the events one by one, validate them and hand the valid ones to the senders
        through a short queue: reading waits while the queue is full, so only the events
        queued and in flight are held. Only the verdict of a validation is kept, never the
        report (a report holds the parsed body); senders validate again (cheap)."""
        looked = time.perf_counter()
        n = 0
        each = _each(items)
        try:
            async for item in each:
                reader.read(item)
                n += 1
                if n % VALIDATION_CHUNK == 0 or time.perf_counter() - looked > LOOK_EVERY:
                    self._emit(progress, started)
                    await asyncio.sleep(0)  # let Ctrl-C (stop()), the progress, a window through
                    looked = time.perf_counter()
                await self._going.wait()
                if self._stopping:
                    return  # ``item`` is the first one not dealt with
                if item.index < skip:
                    reader.done(item)
                    continue
                if item.index in earlier:
                    self._earlier_seen += 1
                    reader.done(item)
                    continue
                report = self.sender.validate(item.raw)
                if report.valid or self.force:
                    if item.index in in_doubt and not self._will_carry_unique_id(report):
                        self._record(
                            ReplayEvent(
                                item.index,
                                item.line,
                                None,
                                _HELD_BACK,
                                None,
                                delivery="unknown",
                                column=item.column,
                            )
                        )
                        progress.unknown += 1
                        progress.done += 1
                    else:
                        while queue.qsize() >= QUEUE_EVENTS and not self._stopping:
                            self._space.clear()
                            await self._space.wait()  # a sender takes one: room for the next
                        if self._stopping:
                            return
                        queue.put_nowait(item)
                    reader.done(item)
                    continue
                invalid = ReplayEvent(
                    item.index,
                    item.line,
                    None,
                    _describe_invalid(item, report),
                    None,
                    column=item.column,
                )
                self._record(invalid)
                self._on_invalid(invalid)
                progress.invalid += 1
                progress.done += 1
                reader.done(item)
        except ReplayInputError as exc:
            # the events read before go out; the run then stops, resumable from here
            reader.error = str(exc)
            return
        finally:
            await each.aclose()
        reader.finished()

    def _record(self, event: ReplayEvent) -> None:
        """Count an event by its delivery state; keep it (by line) unless accepted."""
        self._counts[event.delivery] += 1
        if event.status and not event.accepted and not event.unknown:
            self._statuses[event.status] = self._statuses.get(event.status, 0) + 1
        if not event.accepted and len(self._kept) < MAX_EVENTS_KEPT:
            self._kept.append(event)
        self._on_event(event)

    @staticmethod
    def _count(progress: ReplayProgress, outcome: SendOutcome, event: ReplayEvent) -> None:
        """Count one event sent, by its outcome."""
        progress.sent += 1
        progress.done += 1
        status_class = outcome.status_class if outcome.status_class in progress.counts else "error"
        progress.counts[status_class] += 1
        progress.throttled += int(outcome.extra.get("throttled", 0))
        progress.unknown += event.unknown

    def _will_carry_unique_id(self, report: ValidationReport) -> bool:
        """Whether this event goes out with a unique_id (its own, or one this run fills)."""
        attributes = attributes_of(report.payload)
        if attributes is None:
            return False
        own = attributes.get("unique_id")
        return (isinstance(own, str) and bool(own)) or self.fill_unique_id

    def _event(self, item: ReplayItem, result: SendResult) -> ReplayEvent:
        outcome = result.outcome
        return ReplayEvent(
            index=item.index,
            line=item.line,
            status=outcome.status if outcome else None,
            problem=_describe_result(result),
            unique_id=result.unique_id,
            attempts=len(outcome.attempts) if outcome else 0,
            delivery=result.delivery.value,
            column=item.column,
        )

    def _emit(self, progress: ReplayProgress, started: float) -> None:
        now = self._clock()
        paused = self._paused_total + (now - self._paused_at if self._paused_at is not None else 0)
        progress.elapsed = max(now - started - paused, 0.0)
        self._on_progress(progress)


def _count_from(marks: Container[int], start: int) -> int:
    """How many positions from ``start`` on ``marks`` holds (a byte map, a set or a dict)."""
    count_from = getattr(marks, "count_from", None)
    if count_from is not None:
        return int(count_from(start))
    if isinstance(marks, Iterable):
        return sum(1 for i in marks if isinstance(i, int) and i >= start)
    return 0


def _drain(queue: asyncio.Queue[ReplayItem | None]) -> list[ReplayItem]:
    """The events still queued (not taken by a sender), in file order."""
    items: list[ReplayItem] = []
    while not queue.empty():
        item = queue.get_nowait()
        if item is not None:
            items.append(item)
    return items


async def _each(
    items: Iterable[ReplayItem] | AsyncIterable[ReplayItem],
) -> AsyncGenerator[ReplayItem, None]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


class _Reader:
    """Where reading the input stands: the first event not dealt with (None once the input
    ended), how many were read, and why it stopped being readable."""

    def __init__(self) -> None:
        self.unread: int | None = 0
        self.count = 0
        self.error: str | None = None

    def read(self, item: ReplayItem) -> None:
        self.unread = item.index
        self.count = item.index + 1

    def done(self, item: ReplayItem) -> None:
        self.unread = item.index + 1  # the next one, if there is one

    def finished(self) -> None:
        self.unread = None
