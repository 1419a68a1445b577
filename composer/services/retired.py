"""What to do before sending to Klaviyo with a retired revision: the three choices, their
wording (shared by the GUI's dialog and the CLI's refusal), and the send each one makes.

Klaviyo most likely serves a retired revision with a newer one ("fall forward"), whose body
shape differs, so a flat 2023-01-24 body is refused 400; with the header
``X-Klaviyo-Revision-Fall-Forward-Opt-Out: 1`` it gets 410 instead (NOTES.md section 8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from composer.client.targets import Target
from composer.domain.convert import ConversionReport, convert
from composer.domain.jsontext import parse_json_text
from composer.domain.revisions import NEWEST_REVISION, Revision, get_revision, oldest_supported
from composer.domain.spelling import dump_keeping_spelling, read_keeping_spelling

OPT_OUT_HEADERS = {"X-Klaviyo-Revision-Fall-Forward-Opt-Out": "1"}


class RetiredChoice(StrEnum):
    CONVERT = "convert"
    """Convert the event to the newest revision and send that (the default)."""
    AS_IS = "as-is"
    """Send as it is: Klaviyo most likely falls forward and refuses the old shape (400)."""
    OPT_OUT = "opt-out"
    """Send with the fall-forward opt-out header: Klaviyo answers 410 Gone."""


def needs_choice(target: Target, revision: str, today: date | None = None) -> bool:
    """True when a send to ``target`` at ``revision`` must ask first: Klaviyo, retired."""
    return target.is_klaviyo and get_revision(revision).is_retired(today)


def falls_forward_to(revision: str, today: date | None = None) -> tuple[Revision, bool]:
    """The revision Klaviyo most likely serves a retired ``revision`` with (the oldest one not
    retired ``today``), and whether its body layout is the same (a relationship-layout
    revision such as 2024-07-15 falls forward to one of the same layout; the flat 2023-01-24
    does not)."""
    forward = oldest_supported(today)
    return forward, forward.shape is get_revision(revision).shape


def question(revision: str, newest: str = NEWEST_REVISION, today: date | None = None) -> str:
    """The question, in words a marketer follows."""
    forward, same = falls_forward_to(revision, today)
    handled = (
        f"with a newer revision ({forward.name}) whose layout is the same, by that revision's rules"
        if same
        else "with a newer revision whose layout is different"
    )
    return (
        f"Klaviyo retired API revision {revision} (revisions are retired two years after "
        f"their release). Klaviyo will most likely handle this event {handled}. How should "
        "it be sent?"
    )


def notice(revision: str, today: date | None = None) -> str | None:
    """The window's notice while ``revision`` is chosen, or None when it is not retired."""
    if not get_revision(revision).is_retired(today):
        return None
    forward, same = falls_forward_to(revision, today)
    handled = (
        f"as {forward.name}, whose layout is the same, by that revision's rules"
        if same
        else "as a newer revision with another layout"
    )
    return (
        f"⚠ Klaviyo retired revision {revision} two years after its release: Klaviyo most "
        f"likely handles it {handled}. Pick a current revision to convert the event, or Send "
        "asks how before anything goes to Klaviyo."
    )


def checked_note(revision: str, today: date | None = None) -> str | None:
    """What to know when a body was checked at ``revision`` (``validate``): None while the
    revision is supported; once retired, what Klaviyo most likely does with it instead."""
    if not get_revision(revision).is_retired(today):
        return None
    forward, same = falls_forward_to(revision, today)
    if same:
        return (
            f"revision {revision} is retired: Klaviyo most likely handles it as {forward.name} "
            f"(same layout), by that revision's rules; --revision {forward.name} checks it so"
        )
    return (
        f"revision {revision} is retired: Klaviyo most likely handles it as a newer revision "
        f"with another layout and refuses this one (400); `event-composer convert --to "
        f"{NEWEST_REVISION} FILE` rewrites it"
    )


def explanation(
    choice: RetiredChoice,
    revision: str,
    newest: str = NEWEST_REVISION,
    today: date | None = None,
) -> str:
    """One sentence per choice: what happens."""
    if choice is RetiredChoice.CONVERT:
        return (
            f"Convert to {newest} and send (recommended): the event is rewritten in the "
            f"{newest} layout and sent with that revision; anything without an equivalent is "
            "listed first."
        )
    if choice is RetiredChoice.AS_IS:
        forward, same = falls_forward_to(revision, today)
        if same:
            return (
                f"Send as it is: Klaviyo will most likely read it as {forward.name}, whose "
                f"layout is the same, and accept it if it meets that revision's rules."
            )
        return (
            f"Send as it is: Klaviyo will most likely read it as a newer revision and refuse "
            f'the {revision} layout with 400 ("The payload provided in the request is '
            'invalid.").'
        )
    return (
        "Send with the fall-forward opt-out header (X-Klaviyo-Revision-Fall-Forward-Opt-Out: 1):"
        f" Klaviyo will answer 410 Gone, confirming that {revision} is retired. Nothing is "
        "recorded."
    )


@dataclass(frozen=True)
class PlannedSend:
    """The body, revision and extra headers one choice sends."""

    body: bytes
    revision: str
    headers: dict[str, str] = field(default_factory=dict)
    report: ConversionReport | None = None
    problem: str | None = None
    """Why the choice cannot be carried out (e.g. the text is not JSON); nothing is sent."""


def plan(
    body: bytes, revision: str, choice: RetiredChoice, to: str = NEWEST_REVISION
) -> PlannedSend:
    """The send ``choice`` makes for ``body`` at ``revision``."""
    if choice is RetiredChoice.AS_IS:
        return PlannedSend(body, revision)
    if choice is RetiredChoice.OPT_OUT:
        return PlannedSend(body, revision, dict(OPT_OUT_HEADERS))
    parsed = parse_json_text(body)
    if parsed.finding is not None:
        return PlannedSend(
            body,
            revision,
            problem=f"the event cannot be converted: {parsed.finding.message}",
        )
    value, spelled = read_keeping_spelling(body)
    result = convert(value, to, revision)
    text = dump_keeping_spelling(result.body, spelled=spelled).encode("utf-8")
    return PlannedSend(text, to, report=result.report)
