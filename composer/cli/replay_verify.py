"""`replay --verify` / `--verify-sample N [--verify-timeout S]`: after the sends, read the
accepted events back (composer.services.replay_verify) and count what landed."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from composer.cli.verify_option import DEFAULT_TIMEOUT, _timeout

if TYPE_CHECKING:
    from composer.services.replay import ReplayItem
    from composer.services.replay_verify import VerifyPool, VerifySummary
    from composer.services.send import Sender, SendResult

MAX_LISTED = 20


def _sample(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of events") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give 1 or more events to check")
    return value


def add_replay_verify_options(p: argparse.ArgumentParser) -> None:
    """The read-back options of `replay`."""
    group = p.add_argument_group(
        "read-back",
        "After the sends, look the accepted events up with GET /api/profiles, /api/metrics "
        "and /api/events, paced within those endpoints' rate limits (the key needs "
        "profiles:read, metrics:read and events:read). Each verdict is kept in the event's "
        "history entry; the summary counts landed, not_seen, cannot_check and skipped.",
    )
    group.add_argument(
        "--verify",
        action="store_true",
        help="check every accepted event",
    )
    group.add_argument(
        "--verify-sample",
        type=_sample,
        default=None,
        metavar="N",
        help="check N accepted events spread evenly over the file (implies --verify)",
    )
    group.add_argument(
        "--verify-timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds to keep looking for each event (default {DEFAULT_TIMEOUT:g})",
    )


def wants_verify(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "verify", False) or getattr(args, "verify_sample", None))


class AcceptedLog:
    """Collects the accepted sends of a run as the replayer reports them."""

    def __init__(self, sample: int | None = None) -> None:
        from composer.services.replay_verify import SampleKeeper

        self.sample = SampleKeeper(sample) if sample is not None else None
        """With --verify-sample N: what the sample is chosen from at the end (at most 2N
        sends kept, whatever the run's length); with a pool (--verify) each send goes to the
        pool at once and is not kept here."""
        self.count = 0
        self.pool: VerifyPool | None = None
        """With --verify (every event): the checks start as each 202 arrives."""

    def __call__(self, item: ReplayItem, result: SendResult) -> None:
        from composer.services.replay_verify import AcceptedSend

        outcome = result.outcome
        if outcome is None or result.delivery.value != "accepted":
            return
        sent = AcceptedSend(
            index=item.index,
            line=item.line,
            body=result.body,
            sent_at=time.time() - outcome.total_ms / 1000,
            history_id=result.history_id,
            unique_id=result.unique_id,
            column=item.column,
        )
        self.count += 1
        if self.pool is not None:
            self.pool.submit(sent)
        elif self.sample is not None:
            self.sample.add(sent)


def start_pool(sender: Sender, log: AcceptedLog, args: argparse.Namespace) -> VerifySummary | None:
    """With --verify and no sample: start checking while the replay runs (in the event loop);
    the summary it fills, or None when a sample is checked after the sends instead."""
    from composer.services.replay_verify import VerifyPool, VerifySummary
    from composer.services.verify import Verifier
    from composer.services.verify_text import place_name

    if args.verify_sample is not None:
        return None
    summary = VerifySummary(accepted=0, sample=None)
    log.pool = VerifyPool(
        Verifier(sender.client, place=place_name(sender.target)),
        sender.client.revision,
        summary,
        timeout=args.verify_timeout,
        history=sender.history,
    )
    return summary


async def verify_run(
    sender: Sender, log: AcceptedLog, args: argparse.Namespace, summary: VerifySummary
) -> VerifySummary:
    """Check the chosen accepted events; ``summary`` holds what was found even if cancelled."""
    from composer.services.replay_verify import verify_accepted
    from composer.services.verify import Verifier
    from composer.services.verify_text import place_name

    chosen = log.sample.chosen() if log.sample is not None else []
    verifier = Verifier(sender.client, place=place_name(sender.target))
    return await verify_accepted(
        verifier,
        sender.client.revision,
        chosen,
        summary,
        timeout=args.verify_timeout,
        history=sender.history,
    )


def render_verify(summary: VerifySummary, name: str) -> list[str]:
    """The summary's read-back lines."""
    from composer.services.replay_places import file_place

    c = summary.counts()
    what = (
        f"a sample of {summary.chosen}"
        if summary.sample is not None and summary.chosen < summary.accepted
        else "every one"
    )
    lines = [
        f"  read back {summary.checked} of {summary.accepted} accepted ({what}): "
        f"landed {c['landed']} · not seen {c['not_seen']} · cannot check "
        f"{c['cannot_check']} · skipped {c['skipped']}"
    ]
    if summary.interrupted:
        lines.append(
            f"  the read-back was stopped: {summary.chosen - summary.checked} chosen "
            "events were not checked"
        )
    missing = [(a, v) for a, v in summary.not_seen() if v.outcome.value == "not_seen"]
    for item, verdict in missing[:MAX_LISTED]:
        cause = f"; likely: {verdict.causes[0]}" if verdict.causes else ""
        where = file_place(name, item.index, item.line, item.column)
        which = item.unique_id or "no unique_id"
        lines.append(f"  {where}: not seen ({which}){cause}")
    if len(missing) > MAX_LISTED:
        lines.append(f"  ... and {len(missing) - MAX_LISTED} more not seen")
    # cannot_check and skipped share their reason (a missing scope...): said once each
    reasons: dict[str, int] = {}
    for _, verdict in summary.not_seen():
        if verdict.outcome.value != "not_seen":
            reasons[verdict.summary] = reasons.get(verdict.summary, 0) + 1
    lines.extend(f"  {count} x {reason}" for reason, count in reasons.items())
    lines.extend(f"warning: {p}" for p in summary.history_problems[:3])
    return lines


def verify_json(summary: VerifySummary | None) -> dict[str, Any] | None:
    return None if summary is None else summary.to_json()
