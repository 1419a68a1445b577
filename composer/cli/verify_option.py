"""`--verify [--verify-timeout S]` of `event-composer send`: after a 202, read the event back
(composer.services.verify) and say whether it landed. Exit 0 landed, 3 not seen."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composer.services.send import Sender, SendResult
    from composer.services.verify import Verification

EXIT_NOT_SEEN = 3
DEFAULT_TIMEOUT = 30.0


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} must be from 0 to 3600 seconds") from None
    return value


def add_verify_options(p: argparse.ArgumentParser) -> None:
    """The --verify options of a command that sends."""
    group = p.add_argument_group(
        "read-back",
        "After a 202, look the event up with GET /api/profiles, /api/metrics and /api/events "
        "(the key needs profiles:read, metrics:read and events:read).",
    )
    group.add_argument(
        "--verify",
        action="store_true",
        help="after a 202, check that the event was recorded: exit 0 when it landed, 3 when "
        "it was not seen in time",
    )
    group.add_argument(
        "--verify-timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds to keep looking (default {DEFAULT_TIMEOUT:g})",
    )


async def verify_after(
    sender: Sender, result: SendResult, sent_at: float, timeout: float
) -> Verification:
    """The read-back verdict for one send (``skipped`` when it was not accepted)."""
    from composer.services.verify import Verification, Verifier, VerifyOutcome
    from composer.services.verify_text import place_name

    outcome = result.outcome
    if outcome is None or outcome.status is None or not 200 <= outcome.status < 300:
        return Verification(VerifyOutcome.SKIPPED, "Not checked: the event was not accepted.")
    try:
        payload: Any = json.loads(result.body)
    except ValueError:
        return Verification(VerifyOutcome.SKIPPED, "Not checked: the body sent is not JSON.")
    verifier = Verifier(sender.client, place=place_name(sender.target))
    return await verifier.verify(payload, sender.client.revision, sent_at, timeout=timeout)


def render_verification(verdict: Verification) -> str:
    """Lines for a person: the summary, then the evidence or the likely causes."""
    lines = [f"Verification: {verdict.summary}"]
    evidence = verdict.evidence
    if evidence.get("event_id"):
        lines.append(
            f"  event {evidence['event_id']}, profile {evidence.get('profile_id')}, "
            f"metric {evidence.get('metric_id')}"
        )
        lines.extend(f"  difference: {d}" for d in evidence.get("differences") or [])
    lines.extend(f"  likely: {cause}" for cause in verdict.causes)
    return "\n".join(lines)


def verified_exit(code: int, verdict: Verification | None) -> int:
    """The send's exit code, made 3 when the event was accepted but not seen."""
    from composer.services.verify import VerifyOutcome

    if verdict is not None and code == 0 and verdict.outcome is VerifyOutcome.NOT_SEEN:
        return EXIT_NOT_SEEN
    return code
