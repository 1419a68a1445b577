"""The words the window uses for a replay: the counts by delivery state, the line under the
progress bar, the outcome at the end and the events that need a look. Qt-free, beside
:mod:`composer.services.outcome_text` (whose delivery words and symbols it reuses)."""

from __future__ import annotations

from dataclasses import dataclass

from composer.domain.delivery import Delivery
from composer.services.bulk import BulkProgress, BulkSummary
from composer.services.outcome_text import SYMBOLS, Tone, delivery_text
from composer.services.replay import ReplayProgress, ReplaySummary
from composer.services.replay_session import ReplayCounts, ReplayFile, resume_words

MAX_LISTED = 500
"""Events listed by line at the end (the rest are counted)."""


@dataclass(frozen=True, slots=True)
class CountText:
    """One count as the window shows it: ``✓ Accepted`` and ``1,234``."""

    key: str
    tone: Tone
    label: str
    value: int

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.tone]


def count_texts(counts: ReplayCounts, *, running: bool = False) -> tuple[CountText, ...]:
    """Accepted, not accepted, unknown, not sent (``Not sent yet`` while ``running``) and
    invalid events, in that order."""

    def of(delivery: Delivery, value: int, label: str = "") -> CountText:
        words = delivery_text(delivery)
        return CountText(delivery.value, words.tone, label or words.label.capitalize(), value)

    return (
        of(Delivery.ACCEPTED, counts.accepted),
        of(Delivery.NOT_ACCEPTED, counts.not_accepted),
        of(Delivery.UNKNOWN, counts.unknown),
        of(Delivery.NOT_SENT, counts.not_sent, "Not sent yet" if running else ""),
        CountText("invalid", Tone.ERROR, "Invalid events", counts.invalid),
    )


def progress_line(
    counts: ReplayCounts,
    progress: ReplayProgress | BulkProgress | None,
    *,
    paused: bool,
    running: bool = True,
) -> str:
    """``620 of 1,234 events · 41 a second · about 15 s left`` (``Paused`` while paused;
    without the rate once the run has ended)."""
    text = f"{counts.done:,} of {counts.total:,} events"
    if counts.earlier:
        text += f" ({counts.earlier:,} accepted before)"
    if not running:
        return text
    if paused:
        return f"{text} · Paused: no new send starts until you resume"
    if progress is None:
        return f"{text} · starting…"
    left = progress.total is None or progress.done < progress.total
    if progress.sent == 0 and left:
        return f"{text} · checking the events…"
    if progress.rate > 0:
        text += f" · {progress.rate:,.0f} a second"
    eta = progress.eta
    if eta is not None and left:
        text += f" · about {_duration(eta)} left"
    return text


def _duration(seconds: float) -> str:
    seconds = max(round(seconds), 1)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


@dataclass(frozen=True, slots=True)
class ReplayOutcomeText:
    """The end of a replay in words: a headline with its tone, and what to do next."""

    tone: Tone
    headline: str
    detail: str


@dataclass(frozen=True, slots=True)
class RunEnd:
    """The end of a replay session, single creates or bulk, as the words need it."""

    run_id: str
    counts: ReplayCounts
    interrupted: bool
    stopped_reason: str | None = None
    in_flight: int = 0
    """Sends cut short by the stop (events for single creates)."""
    bulk: bool = False
    conversions: int = 0
    homeless: tuple[tuple[str, int, int, str], ...] = ()
    problems: tuple[str, ...] = ()
    """``line N: …`` (or ``event N (line L, column C): …`` where a line holds several events)
    for the events that need a look (the first MAX_LISTED)."""
    problems_total: int = 0

    @classmethod
    def of_single(cls, summary: ReplaySummary, limit: int = MAX_LISTED) -> RunEnd:
        failures = [e for e in summary.events if not e.accepted]
        return cls(
            summary.run_id,
            ReplayCounts.of_summary(summary),
            summary.interrupted,
            summary.stopped_reason,
            summary.in_flight_cancelled,
            problems=tuple(
                f"{e.place}: {e.problem or delivery_text(e.delivery).label}"
                for e in failures[:limit]
            ),
            problems_total=len(failures),
        )

    @classmethod
    def of_bulk(cls, summary: BulkSummary, limit: int = MAX_LISTED) -> RunEnd:
        return cls(
            summary.run_id,
            ReplayCounts.of_bulk(summary.progress),
            summary.interrupted,
            summary.stopped_reason,
            bulk=True,
            conversions=summary.conversions,
            homeless=summary.homeless,
            problems=tuple(f"{p.place}: {p.text}" for p in summary.problems[:limit]),
            problems_total=summary.problems_total,
        )

    def problem_lines(self) -> list[str]:
        """The events to look at, by line, and how many more there are."""
        lines = list(self.problems)
        if self.problems_total > len(self.problems):
            lines.append(f"…and {self.problems_total - len(self.problems):,} more")
        return lines


def outcome_text(
    end: RunEnd,
    file: ReplayFile,
    target: str,
    *,
    cancelled: bool,
    recorded: bool,
    notes: tuple[str, ...] = (),
) -> ReplayOutcomeText:
    """What the replay of ``file`` to ``target`` came to, and how to go on."""
    counts = end.counts
    parts: list[str] = []
    if end.interrupted:
        why = (
            "you cancelled it"
            if cancelled
            else f"{end.stopped_reason}"
            if end.stopped_reason
            else "it was interrupted"
        )
        headline = f"Stopped after {counts.done:,} of {counts.total:,} events: {why}"
        tone = Tone.WARNING
        if end.in_flight:
            parts.append(
                f"{end.in_flight:,} sends were in flight when it stopped: they may or may not "
                "have been recorded."
            )
        elif end.bulk and counts.unknown:
            parts.append(
                f"{counts.unknown:,} events were in jobs in flight when it stopped: they may "
                "or may not have been recorded."
            )
        parts.append(
            resume_words(file, target)
            if recorded
            else "The history could not record this run, so it cannot be resumed."
        )
    elif counts.accepted == counts.total:
        headline = f"All {counts.total:,} events accepted"
        tone = Tone.OK
        parts.append("A 202 means Klaviyo queued each event; it records them shortly.")
    else:
        left = counts.total - counts.accepted
        headline = f"{counts.accepted:,} of {counts.total:,} events accepted, {left:,} not"
        tone = Tone.ERROR if counts.accepted == 0 else Tone.WARNING
        if counts.invalid:
            one = counts.invalid == 1
            parts.append(
                f"{counts.invalid:,} {'event is' if one else 'events are'} invalid and "
                f"{'was' if one else 'were'} not sent: fix {'it' if one else 'them'} (listed "
                "below by place in the file) and replay the file again."
            )
        if counts.unknown:
            parts.append(
                f"{counts.unknown:,} events may or may not have been recorded. "
                + (resume_words(file, target) if recorded else "")
            )
    if end.bulk:
        parts.append(
            "Sent in Bulk Create Events jobs: each job is one history entry listing its events."
        )
    if end.conversions:
        parts.append(
            f"{end.conversions:,} events were in the 2023-01-24 layout and were converted."
        )
    for what, events, _line, place in end.homeless[:3]:
        parts.append(f"No place at this revision for {what} ({events:,} events, first at {place}).")
    if counts.earlier:
        parts.append(f"{counts.earlier:,} were accepted by an earlier session and not sent again.")
    parts.extend(f"Not in the history: {note}." for note in notes)
    parts.append(f"Run id: {end.run_id}")
    return ReplayOutcomeText(tone, headline, "\n".join(p.strip() for p in parts if p.strip()))
