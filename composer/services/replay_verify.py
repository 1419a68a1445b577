"""Reading a replay's accepted events back (``replay --verify`` / ``--verify-sample N``).

With ``--verify`` every accepted event is checked while the replay goes on (a
:class:`VerifyPool` takes each as its 202 arrives), so the read-back mostly overlaps the sends;
a sample is chosen once every event's fate is known, then checked.

One :class:`~composer.services.verify.Verifier` serves the whole run: it keeps the account's
metric ids, and its per-endpoint limiters pace every read of every check within Klaviyo's read
limits (profiles 75/s, metrics 10/s, events 350/s ...) on top of the account's limiter the
client shares with sends. The checks share their reads (composer.services.verify_shared: one
events listing per metric and time window serves every event waiting); each verdict goes into
the history entry of the send it checked as soon as it is known, so a stop loses none reached.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from composer.domain.revisions import Revision
from composer.services.verdicts import record_verdicts
from composer.services.verify import Verification, Verifier, VerifyOutcome
from composer.services.verify_shared import SharedChecks

NOT_JSON = "Not checked: the body sent is not JSON."
MAX_LISTED = 20
"""Events not seen listed by name in a summary."""


@dataclass(frozen=True, slots=True)
class AcceptedSend:
    """An event of the run that was accepted: what is needed to find it again."""

    index: int
    line: int
    body: bytes
    """The body as sent (with the unique_id the run filled in)."""
    sent_at: float
    """Epoch seconds when it left."""
    history_id: int | None
    unique_id: str | None
    column: int | None = None
    """Its column when other events start on its line too (see ``ReplayItem.column``)."""


def choose_sample(accepted: Sequence[AcceptedSend], size: int | None) -> list[AcceptedSend]:
    """All of ``accepted`` (in file order) when ``size`` is None or covers them, else ``size``
    of them spread evenly over the file: the middle of each of ``size`` equal slices, so the
    same run always checks the same events and both ends and the middle are represented."""
    ordered = sorted(accepted, key=lambda a: a.index)
    if size is None or size >= len(ordered):
        return ordered
    if size <= 0:
        return []
    step = len(ordered) / size
    return [ordered[min(len(ordered) - 1, math.floor((k + 0.5) * step))] for k in range(size)]


class SampleKeeper:
    """Keeps what ``--verify-sample N`` needs out of a stream of accepted sends, in memory
    bounded by N whatever the length of the run: every ``stride``-th send as they arrive,
    the stride doubling (and every other one kept dropped) whenever more than
    ``max(2N, 1024)`` are kept. At the end :meth:`chosen` spreads N over those evenly
    (:func:`choose_sample`); while the run has no more accepted sends than that, it is
    exactly the sample of all of them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.limit = max(2 * size, 1024)
        self.stride = 1
        self.seen = 0
        self.kept: list[AcceptedSend] = []

    def add(self, sent: AcceptedSend) -> None:
        if self.size <= 0:
            return
        if self.seen % self.stride == 0:
            self.kept.append(sent)
        self.seen += 1
        if len(self.kept) > self.limit:
            # kept[i] arrived as send i * stride: every other one is every 2 * stride-th
            self.kept = self.kept[::2]
            self.stride *= 2

    def chosen(self) -> list[AcceptedSend]:
        return choose_sample(self.kept, self.size)


MAX_KEPT = 10_000
"""Events not landed a summary keeps with their verdict (the counts cover every event)."""


@dataclass(slots=True)
class VerifySummary:
    """What the read-back of a run found. Every verdict is counted; only the events not
    landed are kept (the first :data:`MAX_KEPT`), so reading back a whole large run does not
    hold every event it checked."""

    accepted: int
    """Accepted events of this session (the pool the checks were chosen from)."""
    sample: int | None
    """``--verify-sample N``; None for every accepted event."""
    chosen: int = 0
    """Events chosen to be checked (every accepted one, or the sample)."""
    outcomes: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in VerifyOutcome})
    """How many checked events got each verdict."""
    missed: list[tuple[AcceptedSend, Verification]] = field(default_factory=list)
    """The events checked and not landed, with their verdicts (the first MAX_KEPT)."""
    interrupted: bool = False
    """Stopped before every chosen event was checked."""
    history_problems: list[str] = field(default_factory=list)
    reads: int = 0

    def add(self, item: AcceptedSend, verdict: Verification) -> None:
        """Count the verdict of one event; keep the event when it did not land."""
        self.outcomes[verdict.outcome.value] += 1
        if verdict.outcome is not VerifyOutcome.LANDED and len(self.missed) < MAX_KEPT:
            self.missed.append((item, verdict))

    def counts(self) -> dict[str, int]:
        """How many checked events got each verdict."""
        return dict(self.outcomes)

    @property
    def checked(self) -> int:
        return sum(self.outcomes.values())

    def not_seen(self) -> list[tuple[AcceptedSend, Verification]]:
        """The chosen events not seen (or that could not be checked), in file order."""
        return sorted(self.missed, key=lambda pair: pair[0].index)

    def to_json(self) -> dict[str, Any]:
        """The ``"verification"`` object of ``replay --json``."""
        doc: dict[str, Any] = {
            "sample": self.sample,
            "accepted": self.accepted,
            "chosen": self.chosen,
            "checked": self.checked,
            **self.counts(),
            "unchecked": self.accepted - self.checked,
            "interrupted": self.interrupted,
            "reads": self.reads,
            "events": [
                {
                    "index": a.index,
                    "line": a.line,
                    "column": a.column,
                    "unique_id": a.unique_id,
                    **v.to_json(),
                }
                for a, v in self.not_seen()
            ],
        }
        if self.history_problems:
            doc["history_problems"] = self.history_problems[:MAX_LISTED]
        return doc


class VerifyPool:
    """Checks accepted sends as they are submitted, many per read (a replay's read-back runs
    alongside its sends: :class:`~composer.services.verify_shared.SharedChecks`); each verdict
    goes into ``summary`` and the history entry."""

    def __init__(
        self,
        verifier: Verifier,
        revision: Revision,
        summary: VerifySummary,
        *,
        timeout: float,
        history: object = None,
        on_verdict: Callable[[VerifySummary], None] | None = None,
    ) -> None:
        self.verifier = verifier
        self.summary = summary
        self.history = history
        self.on_verdict = on_verdict
        self._reads_before = verifier.reads
        self._unsaved: list[tuple[int | None, Verification]] = []
        self._checks = SharedChecks(verifier, revision, timeout=timeout, on_verdict=self._got)
        self._task = asyncio.ensure_future(self._checks.run())

    def submit(self, item: AcceptedSend) -> None:
        """Look for ``item`` from the next sweep on."""
        self.summary.chosen += 1
        try:
            payload: Any = json.loads(item.body)
        except ValueError:
            self._got(item, Verification(VerifyOutcome.SKIPPED, NOT_JSON))
            return
        self._checks.submit(item, payload, item.sent_at)

    async def finish(self) -> VerifySummary:
        """Wait for every submitted check. Cancelling stops them; the verdicts reached so far
        stay in the summary (``interrupted`` says some chosen events were not checked)."""
        self._checks.close()
        try:
            await asyncio.shield(self._task)
        except asyncio.CancelledError:
            await self.cancel()
            raise
        self._save()
        self.summary.reads = self.verifier.reads - self._reads_before
        return self.summary

    async def cancel(self) -> None:
        """Stop the checks now, keeping the verdicts reached."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._save()
        self.summary.interrupted = self.summary.checked < self.summary.chosen
        self.summary.reads = self.verifier.reads - self._reads_before

    def _got(self, token: object, verdict: Verification) -> None:
        item = token if isinstance(token, AcceptedSend) else None
        if item is None:
            return
        self.summary.add(item, verdict)
        if not self._unsaved:
            # the verdicts one sweep decides go into the history together, in one write,
            # as soon as the sweep lets the loop run
            asyncio.get_running_loop().call_soon(self._save)
        self._unsaved.append((item.history_id, verdict))
        self.summary.reads = self.verifier.reads - self._reads_before
        if self.on_verdict is not None:
            self.on_verdict(self.summary)

    def _save(self) -> None:
        batch, self._unsaved = self._unsaved, []
        self.summary.history_problems.extend(record_verdicts(self.history, batch))


async def verify_accepted(
    verifier: Verifier,
    revision: Revision,
    chosen: Sequence[AcceptedSend],
    summary: VerifySummary,
    *,
    timeout: float,
    history: object = None,
    on_verdict: Callable[[VerifySummary], None] | None = None,
) -> VerifySummary:
    """Check each of ``chosen`` (sharing their reads), keep each verdict in its history entry and
    in ``summary``. Cancelling stops the checks; the verdicts reached so far are kept."""
    pool = VerifyPool(
        verifier,
        revision,
        summary,
        timeout=timeout,
        history=history,
        on_verdict=on_verdict,
    )
    for item in chosen:
        pool.submit(item)
    return await pool.finish()
