"""Replaying a file through Bulk Create Events: up to 1,000 events per request, 40 times the
single-event ceiling. Qt-free; the CLI (``replay FILE --bulk``) and the window drive it.

Use::

    sender = open_bulk_sender(...)            # or Sender.open(..., endpoint="bulk", settings=
                                              #   ClientSettings(limits=BULK_LIMITS))
    replay = BulkReplay(sender, run_id=..., on_progress=show)   # show(progress) in events
    summary = await replay.run(EventStream(fh), total=count)    # items are read lazily
    # from any thread while it runs: replay.pause(), replay.resume(), replay.cancel()
    summary.progress.accepted, summary.delivery_counts(), summary.problems

Each event is validated at the sender's revision (a 2023-01-24-shaped event is converted first,
and what has no home there is reported), gets its run's unique_id when it has none (derived from
the run id and its position, so a resumed run sends the same one), and is packed into jobs
(:class:`composer.domain.bulk_pack.JobPacker`). A job goes through the same limiter (Bulk Create
Events' own: 10/s, 150/min), retry and delivery rules as a single send; it is retried only when
every event in it has a unique_id. Each job is one history entry, written pending before the
request leaves, listing its events (position, line, profile, metric, unique_id), so a resume
after any stop, kill -9 included, sends again only what was not accepted, with the same
unique_ids. Memory stays flat: only the job being filled and the jobs in flight are held.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import threading
import uuid
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from composer.client.timing import Clock, monotonic
from composer.domain.bulk_pack import (
    BULK_MAX_BYTES,
    BULK_MAX_EVENTS,
    BulkJob,
    JobMember,
    JobPacker,
    Source,
    SplitEvent,
    bulk_path,
    pointer_rest,
    split_event,
)
from composer.domain.convert import body_shape, convert
from composer.domain.delivery import DELIVERIES, Delivery, derive_delivery
from composer.domain.error_body import status_title
from composer.domain.findings import ValidationReport, describe_pointer
from composer.domain.jsontext import parse_json_text
from composer.domain.outcome import SendOutcome, TransportErrorKind
from composer.domain.revisions import Shape
from composer.services.attempt_text import outcome_line
from composer.services.replay_common import Observer
from composer.services.replay_common import attributes_of as _attributes
from composer.services.replay_common import describe_invalid as _describe_invalid
from composer.services.replay_input import ReplayItem
from composer.services.replay_places import event_place
from composer.services.send import Sender

__all__ = [
    "MAX_PROBLEMS_KEPT",
    "BulkProblem",
    "BulkProgress",
    "BulkReplay",
    "BulkSummary",
]

log = logging.getLogger(__name__)

MAX_PROBLEMS_KEPT = 2000
"""Problems (by line) a summary keeps; the counts cover them all."""
CONCURRENCY = 10
"""Jobs in flight at once: the burst limit; the limiter paces them."""
QUEUE_JOBS = 4
"""Jobs packed ahead of the sends (bounds memory: 4 x 5 MB at most)."""
UNREACHABLE_STREAK = 3
"""A run stops by itself after this many jobs in a row got no answer at all."""
_UNREACHABLE = (TransportErrorKind.REFUSED, TransportErrorKind.DNS, TransportErrorKind.TLS)
_YIELD_EVERY = 32
"""Events prepared between two looks at the event loop (sends, progress, pause)."""


@dataclass(slots=True)
class BulkProgress:
    """Where a bulk replay stands, in events; passed to the progress callback."""

    total: int
    """Events in the file."""
    done: int = 0
    """Events with a final word in this session: accepted, refused, unknown or not sent."""
    accepted: int = 0
    refused: int = 0
    """Definitely not recorded (their job got a 4xx, or a 5xx that was not retried)."""
    unknown: int = 0
    """May have been recorded (no answer; a resume sends them again with their unique_ids)."""
    invalid: int = 0
    """Left out: they fail validation (send them anyway with force)."""
    not_sent: int = 0
    """Left out for another reason (too large for a job, no profile, held back on resume)."""
    earlier: int = 0
    """Accepted by an earlier session of this run: not sent again."""
    jobs_sent: int = 0
    jobs_accepted: int = 0
    throttled: int = 0
    """429 answers seen, retries included."""
    no_history_row: int = 0
    """Jobs the history could not record (the send went ahead)."""
    elapsed: float = 0.0
    paused: bool = False

    @property
    def sent(self) -> int:
        """Events sent in a job that got an answer or may have arrived."""
        return self.accepted + self.refused + self.unknown

    @property
    def rate(self) -> float:
        """Events sent per second so far."""
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, or None before there is a rate."""
        rate = self.rate
        left = self.total - self.done - self.earlier
        return left / rate if rate > 0 else None


@dataclass(frozen=True, slots=True)
class BulkProblem:
    """Something to tell about one event, by its line in the file."""

    index: int
    line: int
    kind: str
    """``invalid``, ``refused``, ``unknown``, ``not_sent``, ``repeat`` (held over to a later
    job: same metric and unique_id as an event already in the job) or ``converted``."""
    text: str
    job: int | None = None
    column: int | None = None
    """Its column when other events start on its line too (see ``ReplayItem.column``)."""

    @property
    def place(self) -> str:
        """Where the event is in the file, in words (``line 12``, or ``event 3 (line 1,
        column 245)`` when its line holds other events too)."""
        return event_place(self.index, self.line, self.column)


@dataclass(frozen=True, slots=True)
class BulkSummary:
    """The end of a bulk replay session, finished or interrupted."""

    run_id: str
    progress: BulkProgress
    problems: tuple[BulkProblem, ...]
    """The first MAX_PROBLEMS_KEPT problems, by line."""
    problems_total: int
    interrupted: bool
    stopped_reason: str | None = None
    conversions: int = 0
    """Events converted from the 2023-01-24 shape."""
    homeless: tuple[tuple[str, int, int, str], ...] = ()
    """Converted members with no home at the revision: (pointer and note, events, the first
    one's line, and its place in words)."""

    def delivery_counts(self) -> dict[str, int]:
        """How many events of this session are in each delivery state (earlier ones apart)."""
        p = self.progress
        counts = dict.fromkeys(DELIVERIES, 0)
        counts[Delivery.ACCEPTED.value] = p.accepted
        counts[Delivery.NOT_ACCEPTED.value] = p.refused
        counts[Delivery.UNKNOWN.value] = p.unknown
        counts[Delivery.NOT_SENT.value] = p.invalid + p.not_sent
        return counts

    @property
    def left(self) -> int:
        """Events of the file this session did not reach (a resume sends them)."""
        p = self.progress
        return max(0, p.total - p.done - p.earlier)

    @property
    def all_accepted(self) -> bool:
        p = self.progress
        return not self.interrupted and p.accepted + p.earlier == p.total


_HELD_BACK = (
    "unknown: an earlier session may have delivered it, and it has no unique_id, so it is "
    "not sent again (a second send could record it twice); check the target"
)


class BulkReplay:
    """Sends the events of a file in Bulk Create Events jobs through one :class:`Sender`
    (opened with ``endpoint="bulk"`` and :data:`composer.client.BULK_LIMITS`).

    ``on_progress(progress)`` is called on the event loop's thread after every job and while
    events are read (in events, not jobs); ``on_problem(problem)`` for each event left out,
    refused or in doubt. :meth:`pause`, :meth:`resume` and :meth:`cancel` may be called from any
    thread. Run one :meth:`run` per instance.
    """

    def __init__(
        self,
        sender: Sender,
        *,
        run_id: str | None = None,
        force: bool = False,
        fill_unique_id: bool = True,
        concurrency: int = CONCURRENCY,
        max_events: int = BULK_MAX_EVENTS,
        max_bytes: int = BULK_MAX_BYTES,
        on_progress: Callable[[BulkProgress], None] | None = None,
        on_problem: Callable[[BulkProblem], None] | None = None,
        clock: Clock = monotonic,
    ) -> None:
        revision = sender.client.revision
        if not revision.bulk_create:
            raise ValueError(
                f"Bulk Create Events exists from revision 2024-05-15; {revision.name} is older"
            )
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.sender = sender
        self.revision = revision
        self.path = bulk_path(revision)
        self.run_id = str(uuid.UUID(run_id)) if run_id else str(uuid.uuid4())
        self._namespace = uuid.UUID(self.run_id)
        self.force = force
        self.fill_unique_id = fill_unique_id
        self.concurrency = concurrency
        self._on_progress = Observer(on_progress, "the progress display")
        self._on_problem = Observer(on_problem, "listing a problem")
        self._clock = clock
        numbers = itertools.count(1)
        self._packer = JobPacker(
            max_events=max_events, max_bytes=max_bytes, on_repeat=self._repeat, numbers=numbers
        )
        # Events sent invalid with ``force`` go in jobs of their own: a job holding one is
        # refused whole, and the valid events must not be refused with it.
        self._forced = JobPacker(
            max_events=max_events, max_bytes=max_bytes, on_repeat=self._repeat, numbers=numbers
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._running = asyncio.Event()
        self._running.set()
        self._stopping = False
        self._stopped_reason: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._problems: list[BulkProblem] = []
        self._problems_total = 0
        self._unreachable = 0
        self._homeless: dict[str, tuple[list[int], ReplayItem]] = {}
        """What converted events had no home for: text -> ([events], the first event)."""
        self._conversions = 0
        self.progress = BulkProgress(total=0)
        self._started = 0.0

    # -- control, from any thread ---------------------------------------------------------

    @property
    def max_events(self) -> int:
        """The most events one job carries (``--job-size``; recorded with the run)."""
        return self._packer.max_events

    def unique_id_for(self, index: int) -> str:
        """The unique_id this run fills into event ``index`` when it lacks one (the same as a
        single replay of the same run would: the two can resume each other)."""
        return str(uuid.uuid5(self._namespace, str(index)))

    def pause(self) -> None:
        """Send no new job until :meth:`resume` (jobs in flight finish)."""
        self._call(self._set_paused, True)

    def resume(self) -> None:
        """Go on after :meth:`pause`."""
        self._call(self._set_paused, False)

    def cancel(self) -> None:
        """Stop: no new job; jobs in flight are cancelled (their events become ``unknown``,
        and a resume sends them again with the same unique_ids)."""
        self._call(self._stop)

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or threading.get_ident() == self._thread:
            fn(*args)
        else:
            with contextlib.suppress(RuntimeError):  # the loop has ended: nothing to do
                loop.call_soon_threadsafe(fn, *args)

    def _set_paused(self, paused: bool) -> None:
        if paused:
            self._running.clear()
        else:
            self._running.set()
        self.progress.paused = paused
        self._emit()

    def _stop(self) -> None:
        self._stopping = True
        self._running.set()  # a paused run wakes up to stop
        for task in list(self._tasks):
            task.cancel()

    # -- the run ----------------------------------------------------------------------------

    async def run(
        self,
        items: Iterable[ReplayItem],
        *,
        total: int,
        earlier: Container[int] = frozenset(),
        in_doubt: Container[int] = frozenset(),
    ) -> BulkSummary:
        """Send ``items`` (read lazily, in file order), except the positions in ``earlier``
        (accepted by an earlier session of this run: counted, not sent again). Positions in
        ``in_doubt`` may have been delivered before: sent again with their unique_id, held
        back (reported unknown) when they have none. ``total`` is the file's event count."""
        with heap_frozen():
            return await self._run(items, total, earlier, in_doubt)

    async def _run(
        self,
        items: Iterable[ReplayItem],
        total: int,
        earlier: Container[int],
        in_doubt: Container[int],
    ) -> BulkSummary:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._running = asyncio.Event()
        if not self.progress.paused:
            self._running.set()
        self.progress.total = total
        self._started = self._clock()
        queue: asyncio.Queue[BulkJob | None] = asyncio.Queue(maxsize=QUEUE_JOBS)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.concurrency)]
        cancelled_from_outside = False
        try:
            await self._produce(items, queue, earlier, in_doubt)
        except asyncio.CancelledError:
            cancelled_from_outside = True
            self._stop()
        for _ in workers:  # the workers drain the queue once stopping, so each put completes
            while True:
                try:
                    await queue.put(None)
                    break
                except asyncio.CancelledError:
                    cancelled_from_outside = True
                    self._stop()
        while True:
            try:
                results = await asyncio.gather(*workers, return_exceptions=True)
                break
            except asyncio.CancelledError:
                cancelled_from_outside = True
                self._stop()
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("bulk replay: a sender failed: %r", result)
                if self._stopped_reason is None:
                    self._stopped_reason = f"of an error inside the app ({result!r})"
                self._stopping = True
        self._emit()
        summary = BulkSummary(
            run_id=self.run_id,
            progress=self.progress,
            problems=tuple(sorted(self._problems, key=lambda p: (p.index, p.kind))),
            problems_total=self._problems_total,
            interrupted=self._stopping,
            stopped_reason=self._stopped_reason,
            conversions=self._conversions,
            homeless=tuple(
                (k, n[0], first.line, first.place) for k, (n, first) in self._homeless.items()
            ),
        )
        if cancelled_from_outside:
            raise asyncio.CancelledError
        return summary

    async def _produce(
        self,
        items: Iterable[ReplayItem],
        queue: asyncio.Queue[BulkJob | None],
        earlier: Container[int],
        in_doubt: Container[int],
    ) -> None:
        progress = self.progress
        n = 0
        for item in items:
            n += 1
            if n % _YIELD_EVERY == 0:
                self._emit()
                await asyncio.sleep(0)  # let answers, Ctrl-C and the progress line through
            if self._stopping:
                return
            if item.index in earlier:
                progress.earlier += 1
                continue
            prepared = self._prepare(item, item.index in in_doubt)
            if prepared is None:
                continue
            split, valid = prepared
            packer = self._packer if valid else self._forced
            for job in packer.add(item.index, item.line, split, item.column):
                await self._enqueue(queue, job)
                if self._stopping:
                    return
        for job in [*self._packer.finish(), *self._forced.finish()]:
            await self._enqueue(queue, job)
            if self._stopping:
                return

    async def _enqueue(self, queue: asyncio.Queue[BulkJob | None], job: BulkJob) -> None:
        await queue.put(job)

    def _prepare(self, item: ReplayItem, doubtful: bool) -> tuple[SplitEvent, bool] | None:
        """The event ready to pack and whether it is valid, or None (and a problem reported)
        when it is left out."""
        validator = self.sender.validator()
        parsed = parse_json_text(item.raw)
        if parsed.finding is not None:
            report = ValidationReport((parsed.finding,), None)
        else:
            # The email and phone spelling checks only warn, and cost half of a validation:
            # a replay lists what is refused, so they are left out.
            report = validator.validate_payload(
                parsed.value, text_bytes=parsed.size_bytes, formats=False
            )
        payload = report.payload
        flat = payload is not None and body_shape(payload) is Shape.FLAT
        if flat and self.revision.shape is Shape.RELATIONSHIP:
            conversion = convert(payload, self.revision.name, "2023-01-24")
            self._conversions += 1
            for entry in conversion.report.homeless:
                key = f"{entry.source}: {entry.note}; kept at {entry.target}"
                seen = self._homeless.get(key)
                if seen is not None:
                    seen[0][0] += 1
                elif len(self._homeless) < 100:
                    self._homeless[key] = ([1], ReplayItem(item.index, item.line, b"", item.column))
            payload = conversion.body
            report = validator.validate_payload(payload, formats=False)
        if not report.valid and not self.force:
            self.progress.invalid += 1
            self.progress.done += 1
            self._problem(item, "invalid", "not sent: " + _describe_invalid(item, report))
            return None
        if payload is None:  # not JSON at all, forced: nothing to pack
            self.progress.not_sent += 1
            self.progress.done += 1
            self._problem(item, "not_sent", "not sent: " + _describe_invalid(item, report))
            return None
        attributes = _attributes(payload)
        own = attributes.get("unique_id") if attributes is not None else None
        has_own = isinstance(own, str) and bool(own)
        if doubtful and not has_own and not self.fill_unique_id:
            self.progress.unknown += 1
            self.progress.done += 1
            self._problem(item, "unknown", _HELD_BACK)
            return None
        if attributes is not None and self.fill_unique_id and own is None:
            attributes["unique_id"] = self.unique_id_for(item.index)
        split = split_event(payload)
        if isinstance(split, str):
            self.progress.not_sent += 1
            self.progress.done += 1
            self._problem(item, "not_sent", f"not sent: {split}")
            return None
        if not self._packer.fits_alone(split):
            self.progress.not_sent += 1
            self.progress.done += 1
            self._problem(
                item,
                "not_sent",
                f"not sent: larger than a Bulk Create Events request may be "
                f"({self._packer.max_bytes:,} bytes); send it alone with `send`",
            )
            return None
        return split, report.valid

    async def _worker(self, queue: asyncio.Queue[BulkJob | None]) -> None:
        while True:
            job = await queue.get()
            if job is None:
                return
            if self._stopping:
                continue  # drain: the events of jobs never sent are left for a resume
            await self._running.wait()
            if self._stopping:
                continue
            task = asyncio.ensure_future(self._send(job))
            self._tasks.add(task)
            try:
                outcome, history_problem = await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.done():
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                if task.cancelled() or task.exception() is not None:
                    self._finish_cancelled(job)
                    continue
                outcome, history_problem = task.result()
            finally:
                self._tasks.discard(task)
            self._finish(job, outcome, history_problem)

    async def _send(self, job: BulkJob) -> tuple[SendOutcome, str | None]:
        members = job.members
        metrics = {m.metric for m in members}
        first = members[0].profile if members else None
        profiles = len({m.profile for m in members})
        label = first if profiles <= 1 else f"{first} and {profiles - 1} more profiles"
        return await self.sender.send_job(
            job.body,
            path=self.path,
            metric=metrics.pop() if len(metrics) == 1 else None,
            profile=label,
            run_id=self.run_id,
            job_events=members,
        )

    def _finish_cancelled(self, job: BulkJob) -> None:
        self.progress.unknown += job.events
        self.progress.done += job.events
        for m in job.members:
            self._member_problem(
                m,
                "unknown",
                f"unknown: job {job.number} was cancelled by the stop before an answer came; it "
                "may or may not have been recorded (a resume sends it again with the same "
                "unique_id)",
                job.number,
            )
        self._emit()

    def _finish(self, job: BulkJob, outcome: SendOutcome, history_problem: str | None) -> None:
        p = self.progress
        p.jobs_sent += 1
        p.done += job.events
        p.throttled += int(outcome.extra.get("throttled", 0))
        if history_problem is not None:
            p.no_history_row += 1
        delivery = derive_delivery(outcome.attempts, status=outcome.status, error=outcome.error)
        self._watch_reachability(outcome)
        if delivery is Delivery.ACCEPTED:
            p.accepted += job.events
            p.jobs_accepted += 1
        elif delivery is Delivery.UNKNOWN:
            p.unknown += job.events
            text = _describe_outcome(outcome)
            for m in job.members:
                self._member_problem(m, "unknown", text, job.number)
        else:
            p.refused += job.events
            self._refused(job, outcome)
        self._emit()

    def _refused(self, job: BulkJob, outcome: SendOutcome) -> None:
        """Name the events a refused job's errors point at (by line), and the others as
        refused with their job (nothing of a refused job is recorded)."""
        named: dict[int, list[str]] = {}
        members = {m.index: m for m in job.members}
        general: list[str] = []
        for finding in outcome.findings:
            if not finding.pointer:
                general.append(finding.message)
                continue
            hit = job.members_at(finding.pointer)
            if len(hit) == len(job.members) and len(job.members) > 1:
                general.append(f"{finding.pointer}: {finding.message}")
                continue
            where = pointer_rest(finding.pointer)
            for m in hit:
                named.setdefault(m.index, []).append(
                    f"{describe_pointer(where)}: {finding.message}" if where else finding.message
                )
        head = _describe_outcome(outcome)
        for index, texts in named.items():
            more = f" (and {len(texts) - 1} more)" if len(texts) > 1 else ""
            self._member_problem(members[index], "refused", f"{head}: {texts[0]}{more}", job.number)
        why = f": {general[0]}" if general else ""
        others = (
            f"{head}{why}"
            if not named
            else f"{head}: refused with job {job.number}, whose "
            "errors name other events of it (nothing in a refused job is recorded)"
        )
        for m in job.members:
            if m.index not in named:
                self._member_problem(m, "refused", others, job.number)

    def _watch_reachability(self, outcome: SendOutcome) -> None:
        error = outcome.error
        if outcome.status is not None or error is None or error.kind not in _UNREACHABLE:
            self._unreachable = 0
            return
        self._unreachable += 1
        if self._unreachable >= UNREACHABLE_STREAK and self._stopped_reason is None:
            self._stopped_reason = (
                f"the target did not answer {self._unreachable} jobs in a row "
                f"({error.kind.value}: {error.advice})"
            )
            self._stop()

    # -- reporting --------------------------------------------------------------------------

    def _repeat(self, source: Source, first: Source) -> None:
        self._problem(
            ReplayItem(source[0], source[1], b"", source[2]),
            "repeat",
            f"same metric and unique_id as {event_place(*first)}: sent in a later job (one "
            "request never holds both; Klaviyo records such a repeat at most once)",
        )

    def _problem(self, item: ReplayItem, kind: str, text: str, job: int | None = None) -> None:
        self._report(BulkProblem(item.index, item.line, kind, text, job, item.column))

    def _member_problem(self, m: JobMember, kind: str, text: str, job: int) -> None:
        self._report(BulkProblem(m.index, m.line, kind, text, job, m.column))

    def _report(self, problem: BulkProblem) -> None:
        self._problems_total += 1
        if len(self._problems) < MAX_PROBLEMS_KEPT:
            self._problems.append(problem)
        self._on_problem(problem)

    def _emit(self) -> None:
        self.progress.elapsed = self._clock() - self._started
        self._on_progress(self.progress)


@contextlib.contextmanager
def heap_frozen() -> Iterator[None]:
    """Leave what is alive now (the app's modules, settings, open history) out of the garbage
    collector's full collections until the block ends.

    A full collection walks every object of the process: in the CLI that is tens of
    milliseconds, several times a run, and each one holds up the packing of the next job. The
    jobs of the first second set the pace of every later second (the limiter lets a request go
    a window after the one it replaces), so a pause there costs in every window. The objects of
    the run itself are collected as usual; what was frozen is collected again afterwards."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _describe_outcome(outcome: SendOutcome) -> str:
    """A job's outcome in a line (the shared wording of every send)."""
    return outcome_line(outcome, detail=False) or (
        f"{outcome.status} {status_title(outcome.status or 0)}"
    )
