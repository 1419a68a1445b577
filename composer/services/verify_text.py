"""The read-back check as the window runs it: whether a target is checked automatically (the
setting), what one check needs (:class:`CheckRequest`), and the verdict in words for people.

Qt-free: the window's response view only shows the :class:`VerdictText` made here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from composer.client.targets import Target, TargetError, parse_target
from composer.services.outcome_text import Tone

if TYPE_CHECKING:  # composer.services.verify brings httpx, which the window loads later
    from composer.services.verify import Verification

GUI_VERIFY_TIMEOUT = 30.0
"""Seconds the window keeps looking for an accepted event before saying it was not seen."""


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """One accepted send to read back: the bytes sent and where and when they went."""

    body: bytes
    target: Target
    account: str | None
    revision: str
    sent_at: float
    """Epoch seconds when the request left (the event's time when it has none of its own)."""
    account_confirmed: bool = False
    entry_id: int | None = None
    """The history entry of the send, when it has one."""

    def payload(self) -> Any:
        """The body as JSON (None when it is not)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def checks_automatically(settings: Any, target: Target) -> bool:
    """Whether an accepted send to ``target`` is read back without being asked: the built-in
    sandbox and this machine follow ``verify_sandbox``; Klaviyo and other servers
    ``verify_klaviyo``."""
    if target.is_local:
        return bool(getattr(settings, "verify_sandbox", True))
    return bool(getattr(settings, "verify_klaviyo", True))


def place_name(target: Target) -> str:
    """Who records the event, in words: Klaviyo, the sandbox or the server's host."""
    if target.is_klaviyo:
        return "Klaviyo"
    if target.is_local:
        return "the sandbox"
    return target.host


def checking_text(target: Target) -> str:
    """What the response view says while the check runs."""
    return f"Checking whether {place_name(target)} recorded it…"


def not_checked_text(target: Target) -> str:
    """What the response view says when automatic checks are off for ``target``."""
    kind = "the sandbox" if target.is_local else "Klaviyo and other servers"
    return (
        f"Not checked whether {place_name(target)} recorded it: automatic checks are off for "
        f"{kind} (Settings › General). Press Check now to look."
    )


def offer_text(target: Target) -> str:
    """What the response view says under an older accepted send (a history entry)."""
    return f"Press Check now to see whether {place_name(target)} recorded this event."


def request_for_entry(row: Any, body: bytes) -> CheckRequest | None:
    """The check of a recorded send (a history row and its body), or None when it was not
    accepted or its target is no longer one the app can name."""
    status = getattr(row, "status", None)
    if status is None or not 200 <= status < 300:
        return None
    try:
        target = parse_target(row.target)
    except TargetError:
        return None
    return CheckRequest(
        body, target, row.account, row.revision, row.created_ms / 1000, entry_id=row.id
    )


@dataclass(frozen=True, slots=True)
class VerdictText:
    """A verdict for people: its tone, a headline and the evidence, one line each."""

    tone: Tone
    headline: str
    lines: tuple[str, ...]


def verdict_text(verdict: Verification, target: Target) -> VerdictText:
    """The verdict in plain words with its evidence (event id and time, likely causes, the
    scope to add, why it was skipped)."""
    place = place_name(target)
    ev = verdict.evidence
    if verdict.outcome == "landed":
        lines = [
            f"Recorded at {ev.get('datetime')} as event {ev.get('event_id')} "
            f"(profile {ev.get('profile_id')}, metric {ev.get('metric_id')}); found after "
            f"{verdict.waited_seconds:.1f} s."
        ]
        lines += [f"Stored differently: {d}" for d in ev.get("differences") or []]
        return VerdictText(Tone.OK, f"Landed: {place} recorded it", tuple(lines))
    if verdict.outcome == "not_seen":
        lines = [
            f"{place[:1].upper()}{place[1:]} accepted the event (202) but it was not found when "
            f"read back for {verdict.waited_seconds:.0f} s. This is inconclusive: it may still "
            "appear. Likely causes:"
        ]
        lines += [f"• {cause}" for cause in verdict.causes]
        return VerdictText(Tone.WARNING, "Not seen yet (inconclusive)", tuple(lines))
    if verdict.outcome == "cannot_check":
        scope = ev.get("missing_scope", "a read scope")
        return VerdictText(
            Tone.WARNING,
            f"Cannot check: the key lacks the {scope} scope",
            (
                f"Add {scope} to this account's private API key in Klaviyo (Settings › API "
                "keys) to see whether events land; the send itself was accepted.",
            ),
        )
    return VerdictText(Tone.NEUTRAL, "Not checked", (verdict.summary,))


def failed_text(reason: str) -> VerdictText:
    """The check itself could not run (the key is gone, the app is closing): say why."""
    return VerdictText(Tone.WARNING, "Could not check", (reason or "The check did not run.",))


@dataclass(frozen=True, slots=True)
class VerdictCell:
    """A history entry's read-back verdict as the history table shows it: a short label, its
    tone, and the evidence for the tool tip."""

    tone: Tone
    label: str
    detail: str


VERDICT_LABELS: dict[str, tuple[Tone, str]] = {
    "landed": (Tone.OK, "Landed"),
    "not_seen": (Tone.WARNING, "Not seen"),
    "cannot_check": (Tone.WARNING, "Cannot check"),
    "skipped": (Tone.NEUTRAL, "Skipped"),
}
"""The label of each stored verdict (composer.storage.records.VERIFICATIONS)."""

MAX_CAUSES_SHOWN = 4


def verdict_cell(verification: str | None, delivery: str, evidence: Any) -> VerdictCell:
    """What the history's read-back column says for an entry: its stored ``verification``
    (None: never checked), its ``delivery`` state and the verdict's ``evidence`` (the parsed
    ``verification`` object of ``history --json``). An entry that was not accepted has nothing
    to check: an empty cell."""
    ev: dict[str, Any] = evidence if isinstance(evidence, dict) else {}
    known = VERDICT_LABELS.get(verification or "")
    if known is None:
        if delivery != "accepted":
            return VerdictCell(Tone.NEUTRAL, "", "")
        return VerdictCell(
            Tone.NEUTRAL,
            "Not checked",
            "Accepted, never read back. Load the entry and press Check now to see whether "
            "the event was recorded.",
        )
    tone, label = known
    lines: list[str] = []
    if verification == "landed":
        lines.append(f"Recorded as event {ev.get('event_id')} at {ev.get('datetime')}.")
        if ev.get("profile_id") or ev.get("metric_id"):
            lines.append(f"Profile {ev.get('profile_id')}, metric {ev.get('metric_id')}.")
        lines += [f"Stored differently: {d}" for d in ev.get("differences") or []]
    elif verification == "not_seen":
        lines.append(str(ev.get("summary") or "Not found when read back (inconclusive)."))
        causes = [str(c) for c in ev.get("likely_causes") or []]
        if causes:
            lines.append("Likely causes:")
            lines += [f"• {c}" for c in causes[:MAX_CAUSES_SHOWN]]
            if len(causes) > MAX_CAUSES_SHOWN:
                lines.append(f"… and {len(causes) - MAX_CAUSES_SHOWN} more")
    elif verification == "cannot_check":
        scope = ev.get("missing_scope") or "a read scope"
        lines.append(f"The key lacks the {scope} scope: add it to the key in Klaviyo to check.")
    else:
        lines.append(str(ev.get("summary") or "Not checked."))
    if ev.get("checked_at"):
        lines.append(f"Checked at {ev['checked_at']}.")
    return VerdictCell(tone, label, "\n".join(lines))
