"""Reading a replay's accepted events back (``replay --verify`` / ``--verify-sample N``).

One :class:`~composer.services.verify.Verifier` serves the whole run: it keeps the account's
metric ids, and its per-endpoint limiters pace every read of every check within Klaviyo's read
limits (profiles 75/s, metrics 10/s, events 350/s ...) on top of the account's limiter the
client shares with sends. Checks run a few at a time; each verdict goes into the history entry
of the send it checked as soon as it is known, so a stop loses none already reached.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from composer.domain.revisions import Revision
from composer.services.verdicts import record_verdict
from composer.services.verify import Verification, Verifier, VerifyOutcome

VERIFY_CONCURRENCY = 8
"""Checks in flight at once (each polls; the limiters keep the reads within the limits)."""
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


@dataclass(slots=True)
class VerifySummary:
    """What the read-back of a run found."""

    accepted: int
    """Accepted events of this session (the pool the checks were chosen from)."""
    sample: int | None
    """``--verify-sample N``; None for every accepted event."""
    verdicts: dict[int, Verification] = field(default_factory=dict)
    """Event index -> verdict, for every event checked."""
    chosen: list[AcceptedSend] = field(default_factory=list)
    interrupted: bool = False
    """Stopped before every chosen event was checked."""
    history_problems: list[str] = field(default_factory=list)
    reads: int = 0

    def counts(self) -> dict[str, int]:
        """How many checked events got each verdict."""
        out = {o.value: 0 for o in VerifyOutcome}
        for verdict in self.verdicts.values():
            out[verdict.outcome.value] += 1
        return out

    @property
    def checked(self) -> int:
        return len(self.verdicts)

    def not_seen(self) -> list[tuple[AcceptedSend, Verification]]:
        """The chosen events not seen (or that could not be checked), in file order."""
        return [
            (a, self.verdicts[a.index])
            for a in self.chosen
            if a.index in self.verdicts
            and self.verdicts[a.index].outcome is not VerifyOutcome.LANDED
        ]

    def to_json(self) -> dict[str, Any]:
        """The ``"verification"`` object of ``replay --json``."""
        doc: dict[str, Any] = {
            "sample": self.sample,
            "accepted": self.accepted,
            "chosen": len(self.chosen),
            "checked": self.checked,
            **self.counts(),
            "unchecked": self.accepted - self.checked,
            "interrupted": self.interrupted,
            "reads": self.reads,
            "events": [
                {"index": a.index, "line": a.line, "unique_id": a.unique_id, **v.to_json()}
                for a, v in self.not_seen()
            ],
        }
        if self.history_problems:
            doc["history_problems"] = self.history_problems[:MAX_LISTED]
        return doc


async def verify_accepted(
    verifier: Verifier,
    revision: Revision,
    chosen: Sequence[AcceptedSend],
    summary: VerifySummary,
    *,
    timeout: float,
    history: object = None,
    concurrency: int = VERIFY_CONCURRENCY,
    on_verdict: Callable[[VerifySummary], None] | None = None,
) -> VerifySummary:
    """Check each of ``chosen`` (a few at a time), keep each verdict in its history entry and
    in ``summary``. Cancelling stops the checks; the verdicts reached so far are kept."""
    summary.chosen = list(chosen)
    queue = iter(summary.chosen)
    reads_before = verifier.reads

    async def worker() -> None:
        for item in queue:
            verdict = await _check(verifier, revision, item, timeout)
            summary.verdicts[item.index] = verdict
            problem = record_verdict(history, item.history_id, verdict)
            if problem is not None:
                summary.history_problems.append(problem)
            summary.reads = verifier.reads - reads_before
            if on_verdict is not None:
                on_verdict(summary)

    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(chosen)))]
    try:
        await asyncio.gather(*workers)
    except asyncio.CancelledError:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        summary.interrupted = summary.checked < len(summary.chosen)
        summary.reads = verifier.reads - reads_before
        raise
    summary.reads = verifier.reads - reads_before
    return summary


async def _check(
    verifier: Verifier, revision: Revision, item: AcceptedSend, timeout: float
) -> Verification:
    try:
        payload: Any = json.loads(item.body)
    except ValueError:
        return Verification(VerifyOutcome.SKIPPED, "Not checked: the body sent is not JSON.")
    return await verifier.verify(payload, revision, item.sent_at, timeout=timeout)
