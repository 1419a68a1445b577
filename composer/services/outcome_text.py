"""What a send outcome means, in words a marketer understands: the one place that words a
status, a transport failure and a delivery state, for the response view, the history and the
command line alike (Qt-free)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from composer.client.targets import Target
from composer.domain.delivery import Delivery, derive_delivery
from composer.domain.error_body import status_title
from composer.domain.jsontext import loads as strict_loads
from composer.domain.outcome import SANDBOX_DUPLICATE_HEADER, SendOutcome, TransportErrorKind
from composer.services.attempt_text import attempts_words, ended_between_tries, why_unknown
from composer.services.tones import SYMBOLS, Tone  # noqa: F401  (SYMBOLS: re-exported)

_EXPECTED_IN = re.compile(r"Expected available in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class OutcomeText:
    """The headline and explanation of one outcome."""

    tone: Tone
    headline: str
    """E.g. ``202 Accepted: queued for processing``."""
    explanation: str
    """What it means and what to do next."""


@dataclass(frozen=True, slots=True)
class DeliveryText:
    """How one delivery state reads in a listing and in a sentence."""

    tone: Tone
    label: str
    """Short, for a history column or a summary: ``accepted``, ``unknown``..."""
    meaning: str
    """One sentence on what is known about the event."""


DELIVERY_TEXT: dict[Delivery, DeliveryText] = {
    Delivery.ACCEPTED: DeliveryText(
        Tone.OK,
        "accepted",
        "Accepted: the server took the event for processing (Klaviyo answers 202); that "
        "does not promise the event will be recorded: a read-back that finds it says it landed.",
    ),
    Delivery.NOT_ACCEPTED: DeliveryText(
        Tone.ERROR,
        "not accepted",
        "Not accepted: the event was definitely not recorded (the server refused it, or it "
        "never reached the server).",
    ),
    Delivery.UNKNOWN: DeliveryText(
        Tone.WARNING,
        "unknown",
        "Unknown: the event may have been recorded. An attempt ended after the request may "
        "have been processed (a timeout, a dropped connection, a 500, 502 or 504, or the app "
        "stopped mid-send).",
    ),
    Delivery.NOT_SENT: DeliveryText(
        Tone.NEUTRAL, "not sent", "Not sent: the request never left the app."
    ),
}


def delivery_text(delivery: Delivery | str) -> DeliveryText:
    """The words for a delivery state (a stored value of an unknown state reads as unknown)."""
    try:
        return DELIVERY_TEXT[Delivery(delivery)]
    except ValueError:
        return DELIVERY_TEXT[Delivery.UNKNOWN]


def delivery_of(outcome: SendOutcome) -> Delivery:
    """The delivery state of a finished send."""
    return derive_delivery(outcome.attempts, status=outcome.status, error=outcome.error)


def cancelled_text(outcome: SendOutcome | None) -> tuple[str, str]:
    """The headline and explanation of a send the user cancelled, from the delivery state of
    ``outcome``, the one the history recorded for it (None when the cancel came where the send
    service had none: then nothing more is known than that it may have arrived)."""
    delivery = delivery_of(outcome) if outcome is not None else None
    if delivery is Delivery.NOT_SENT:
        return (
            "Cancelled: not sent",
            "You cancelled the send before the request left, so the server did not receive "
            "it. The history keeps an entry for it (not sent).",
        )
    if delivery is Delivery.UNKNOWN:
        return (
            "Cancelled",
            "You cancelled the send after the request left and before an answer came, so the "
            "server may or may not have received it. The history keeps an entry for it "
            "(unknown).",
        )
    if delivery is not None:
        # cancelled between tries: what the tries so far say is all there is to know
        words = delivery_text(delivery)
        assert outcome is not None
        return (
            f"Cancelled: {words.label}",
            f"You cancelled the send while it waited to try again, after "
            f"{attempts_words(outcome)}. {words.meaning} The history keeps an entry for it "
            f"({words.label}).",
        )
    return "Cancelled", "You cancelled the send; the server may or may not have received it."


def is_sandbox_duplicate(outcome: SendOutcome) -> bool:
    """True when the sandbox answered 202 for an event it had already recorded."""
    return any(
        k.lower() == SANDBOX_DUPLICATE_HEADER and v.strip() == "1"
        for k, v in outcome.response_headers
    )


DUPLICATE_NOTICE = (
    "The sandbox already had this event (same profile, metric and unique_id), so it answered "
    "202 without recording it again, as Klaviyo does without saying so."
)


def resend_advice(unique_id: str | None, how: str | None) -> str:
    """What to do about an event whose delivery is unknown or not accepted, without risking a
    duplicate. ``how`` names the way to resend with the same unique_id in this front end
    (e.g. ``event-composer history resend 42``); None when there is none (no history)."""
    if unique_id is None:
        return (
            "The event has no unique_id, so sending it again could record it twice: check "
            "the profile in Klaviyo first."
        )
    way = f" ({how})" if how else ""
    return (
        f"Resend it with the same unique_id {unique_id}{way}: Klaviyo records an event with "
        "the same unique_id only once, so a resend can never make a duplicate."
    )


def wait_seconds(outcome: SendOutcome) -> float | None:
    """How long Klaviyo asked us to wait after a 429: Retry-After, else the seconds named in
    the error detail ("Expected available in N seconds"), else None."""
    if outcome.rate_limit is not None and outcome.rate_limit.retry_after is not None:
        return outcome.rate_limit.retry_after
    for name, value in outcome.response_headers:
        if name.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                break
    for finding in outcome.findings:
        match = _EXPECTED_IN.search(finding.message)
        if match:
            return float(match.group(1))
    match = _EXPECTED_IN.search(outcome.response_body.decode("utf-8", "replace"))
    return float(match.group(1)) if match else None


def _seconds(value: float) -> str:
    whole = round(value)
    if abs(value - whole) < 0.05:
        return f"{whole} second{'s' * (whole != 1)}"
    return f"{value:.1f} seconds"


def describe_outcome(
    outcome: SendOutcome, *, unique_id: str | None = None, resend: str | None = None
) -> OutcomeText:
    """The headline and explanation of an outcome, the delivery state first: a send whose
    first try timed out and whose retry got a 500 reads as unknown, never as "500 failed".
    ``unique_id`` is the one the request carried, ``resend`` how to resend it with that id."""
    delivery = delivery_of(outcome)
    if delivery is Delivery.UNKNOWN:
        tries = len(outcome.attempts)
        return OutcomeText(
            Tone.WARNING,
            "Outcome unknown: the event may have been recorded",
            f"{'The tries got' if tries > 1 else 'The send got'}: {attempts_words(outcome)}. "
            f"{why_unknown(outcome)} {resend_advice(unique_id, resend)}",
        )
    if outcome.error is not None and any(a.status is not None for a in outcome.attempts):
        # a try got an answer (a refusal); the last one got none, or the send ended between
        # tries: "no response" would say the server never answered
        answered = [a.status for a in outcome.attempts if a.status is not None]
        said = ", ".join(dict.fromkeys(f"{s} {status_title(s)}" for s in answered))
        kind = outcome.error.kind
        if ended_between_tries(outcome):
            then = "out of time" if kind is TransportErrorKind.TIMEOUT else "no further try"
            tail = ", and no further try was made"
        else:
            then = "no answer"
            tail = (
                f"; the last try got no answer ({outcome.error.advice}) and its request never "
                "reached the server"
            )
        return OutcomeText(
            Tone.ERROR,
            f"Not recorded: {said}, then {then}",
            f"The tries got: {attempts_words(outcome)}. The server refused the event ({said}), "
            f"which records nothing{tail}. Nothing was recorded: send it again.",
        )
    if outcome.error is not None:
        return OutcomeText(
            Tone.ERROR,
            "No response: not recorded",
            f"{outcome.error.advice[:1].upper()}{outcome.error.advice[1:]}; the request never "
            f"reached the server, so nothing was recorded. ({outcome.error.message})",
        )
    words = _answered(outcome, unique_id, resend)
    if len(outcome.attempts) > 1 and not 200 <= (outcome.status or 0) < 300:
        # the last answer decides; the tries before it are named too
        words = OutcomeText(
            words.tone,
            words.headline,
            f"{words.explanation} The tries got: {attempts_words(outcome)}.",
        )
    return words


def _answered(outcome: SendOutcome, unique_id: str | None, resend: str | None) -> OutcomeText:
    """The words of a send by the answer its last try got."""
    status = outcome.status or 0
    if status == 202:
        explanation = (
            "Klaviyo (or the sandbox) took the event. It is processed later, so it may take a "
            "moment to show on the profile; a 202 does not promise the event will be recorded."
        )
        if is_sandbox_duplicate(outcome):
            return OutcomeText(
                Tone.WARNING,
                "202 Accepted, but not recorded again: a duplicate",
                f"{DUPLICATE_NOTICE} A new unique_id records it as a new event.",
            )
        return OutcomeText(Tone.OK, "202 Accepted: queued for processing", explanation)
    if 200 <= status < 300:
        return OutcomeText(
            Tone.OK, f"{status} {status_title(status)}", "The server accepted the request."
        )
    if status == 400:
        count = len(outcome.findings)
        if not count:
            # nothing to list: the answer named no problem the app could read
            return OutcomeText(
                Tone.ERROR,
                "400 Bad request: the event was rejected",
                "The server refused the event without naming a problem the app could read; "
                "its answer is shown as it came. Nothing was recorded.",
            )
        what = f"{count} problem{'s' * (count != 1)}"
        # words for the window and the command line alike: each lists the findings its way
        return OutcomeText(
            Tone.ERROR,
            "400 Bad request: the event was rejected",
            f"The server found {what} in the event, each with the field it names. Fix "
            f"{'them' if count != 1 else 'it'} and send again. Nothing was recorded.",
        )
    if status == 401:
        return OutcomeText(
            Tone.ERROR,
            "401 Not authorized: the API key is missing or not valid",
            "Check the account's private key under Account ▸ Manage keys…: it starts with pk_ "
            "and must belong to the Klaviyo account you send to.",
        )
    if status == 403:
        return OutcomeText(
            Tone.ERROR,
            "403 Forbidden: the API key may not write events",
            "The key works but lacks the Events Write scope (or a firewall refused the "
            "request). In Klaviyo, create a private key with Events: Full Access and store it "
            "under Account ▸ Manage keys….",
        )
    if status == 429:
        wait = wait_seconds(outcome)
        when = (
            f"Try again in {_seconds(wait)}."
            if wait is not None
            else ("Try again in a few seconds.")
        )
        return OutcomeText(
            Tone.WARNING,
            "429 Rate limited: too many requests",
            f"Klaviyo allows 350 events per second and 3,500 per minute for this endpoint. "
            f"{when} Nothing was recorded.",
        )
    if status >= 500:
        return OutcomeText(
            Tone.ERROR,
            f"{status} {status_title(status)}",
            "The server could not take the event now and did not process it. "
            + resend_advice(unique_id, resend),
        )
    return OutcomeText(
        Tone.ERROR,
        f"{status} {status_title(status)}",
        "The server refused the request; see the body for details.",
    )


def timing_line(outcome: SendOutcome) -> str:
    """``118 ms · 1 try · 3,499 left this minute``."""
    tries = len(outcome.attempts) or 1
    parts = [f"{outcome.total_ms:,.0f} ms", f"{tries} {'try' if tries == 1 else 'tries'}"]
    remaining = outcome.rate_limit.remaining if outcome.rate_limit else None
    if remaining is not None:
        parts.append(f"{remaining:,} left this minute")
    return " · ".join(parts)


def rate_limit_words(outcome: SendOutcome) -> str | None:
    """What the answer's rate-limit headers said, for a terminal: the wait the server asked
    for, else what was left of the window; None when it said nothing."""
    rate = outcome.rate_limit
    if rate is None:
        return None
    if rate.retry_after is not None:
        return f"the server asks to wait {rate.retry_after:g} s"
    if rate.remaining is not None:
        reset = (
            f", which resets in {rate.reset_seconds:g} s" if rate.reset_seconds is not None else ""
        )
        return f"{rate.remaining} of {rate.limit} requests left in this minute's window{reset}"
    return None


def pretty_body(body: bytes) -> str:
    """The response or request body, indented when it is JSON, else as text."""
    if not body:
        return "(empty body)"
    text = body.decode("utf-8", "replace")
    try:
        return json.dumps(strict_loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def headers_text(headers: tuple[tuple[str, str], ...]) -> str:
    """One ``Name: value`` line per header, as they were sent or received."""
    return "\n".join(f"{k}: {v}" for k, v in headers) or "(no headers)"


def status_class_label(status: int | None) -> str:
    """A status cell for listings: ``202`` or ``—`` for a pending/failed send."""
    return "—" if status is None else str(status)


def no_key_message(target: Target, account: str | None, keyring: str | None = None) -> str:
    """Why a send to ``target`` has no key, and how to give it one in the app (the send
    service's own message speaks of command-line options). ``keyring``: why the keyring
    cannot be read now (locked...), when that is why the account's key was not found."""
    if account and keyring:
        return (
            f"The key of the account “{account}” could not be read: {keyring}. Unlock the "
            "system keyring and send again, or give the key again under Account ▸ Manage "
            "keys… (it is kept in memory until the keyring takes it)."
        )
    if account:
        return (
            f"No API key is stored for the account “{account}”. Add its private key under "
            "Account ▸ Manage keys…, or choose another account."
        )
    return (
        f"{target.describe()[:1].upper()}{target.describe()[1:]} needs a private API key. "
        "Choose an account in the toolbar, or add one under Account ▸ Manage keys…."
    )
