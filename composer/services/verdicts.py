"""Keeping read-back verdicts: each verdict goes into the history entry of the send it checked
(``HistoryStore.record_verification``), so `history --json`, `history show` and the GUI's
history say whether an accepted event was found afterwards."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from composer.services.verify import Verification

log = logging.getLogger(__name__)


@runtime_checkable
class VerdictSink(Protocol):
    """A history that keeps verdicts (``HistoryStore``)."""

    def record_verification(
        self, entry_id: int, outcome: str, evidence: Mapping[str, Any] | None = None
    ) -> bool:
        """Record the verdict of an entry; False when the entry no longer exists."""
        ...


def verdict_sink(history: object) -> VerdictSink | None:
    """The sink under a sender's history (the CLI's ``InlineHistory`` wraps the store), or
    None when this history keeps no verdicts."""
    for candidate in (history, getattr(history, "sink", None)):
        if isinstance(candidate, VerdictSink):
            return candidate
    return None


def record_verdict(history: object, entry_id: int | None, verdict: Verification) -> str | None:
    """Store ``verdict`` in the entry ``entry_id``; returns why it could not be (the verdict
    itself is still reported), or None when stored or when there is no history to store in."""
    sink = verdict_sink(history)
    if sink is None or entry_id is None:
        return None
    try:
        if not sink.record_verification(entry_id, verdict.outcome.value, verdict.to_json()):
            return f"the history entry {entry_id} no longer exists; the verdict was not kept"
    except Exception as exc:
        log.warning("history: could not record the verdict of entry %s: %s", entry_id, exc)
        return f"the history could not record the verdict: {exc}"
    return None


@runtime_checkable
class BatchVerdictSink(Protocol):
    """A history that keeps many verdicts in one write (``HistoryStore``)."""

    def record_verifications(
        self, verdicts: Sequence[tuple[int, str, Mapping[str, Any] | None]]
    ) -> list[int]:
        """Record (entry id, outcome, evidence) triples; the ids of entries that are gone."""
        ...


def record_verdicts(
    history: object, verdicts: Sequence[tuple[int | None, Verification]]
) -> list[str]:
    """Store many verdicts (entry id, verdict) at once, in one transaction when the history
    can; returns why some could not be stored (empty when all were, or there is no history)."""
    sink = verdict_sink(history)
    items = [(entry_id, v) for entry_id, v in verdicts if entry_id is not None]
    if sink is None or not items:
        return []
    if not isinstance(sink, BatchVerdictSink):
        found = (record_verdict(history, entry_id, v) for entry_id, v in items)
        return [p for p in found if p is not None]
    try:
        gone = sink.record_verifications(
            [(entry_id, v.outcome.value, v.to_json()) for entry_id, v in items]
        )
    except Exception as exc:
        log.warning("history: could not record %d verdicts: %s", len(items), exc)
        return [f"the history could not record {len(items)} verdicts: {exc}"]
    return [
        f"the history entry {entry_id} no longer exists; the verdict was not kept"
        for entry_id in gone
    ]
