"""The attempts of a send in words: what each try got, how the send ended, which tries leave
the event in doubt, and a send in one line for a listing (a replay's problems, a bulk job's
events). Read from every attempt, not from the last one alone: a 429 and then a timed-out
retry is neither "no response" nor "429". Used by :mod:`composer.services.outcome_text`."""

from __future__ import annotations

from composer.domain.delivery import AttemptVerdict, Delivery, attempt_verdict, derive_delivery
from composer.domain.error_body import status_title
from composer.domain.outcome import SendOutcome, TransportError, TransportErrorKind

_NO_ANSWER_WORDS = {
    TransportErrorKind.DNS: "the host name was not found",
    TransportErrorKind.REFUSED: "the connection was refused",
    TransportErrorKind.TLS: "the secure connection failed",
    TransportErrorKind.RESET: "the connection dropped",
    TransportErrorKind.CANCELLED: "cancelled before an answer",
    TransportErrorKind.PROTOCOL: "an answer that was not valid HTTP",
    TransportErrorKind.OTHER: "no answer",
}


def attempt_words(status: int | None, error: TransportError | None) -> str:
    """One attempt in a few words: ``429 Rate limited``, ``no answer in time (the request had
    gone out)``, ``the connection was refused``."""
    if status is not None:
        return f"{status} {status_title(status)}"
    if error is None:
        return "no answer"
    if error.kind is TransportErrorKind.TIMEOUT:
        if error.request_sent is False:
            return "no connection in time (the request never left)"
        if error.request_sent:
            return "no answer in time (the request had gone out)"
        return "no answer in time"
    return _NO_ANSWER_WORDS.get(error.kind, "no answer")


def ended_between_tries(outcome: SendOutcome) -> bool:
    """Whether the send ended while it waited to try again (its time limit ran out, or it was
    cancelled), after an attempt that got an answer: the final error is no attempt's."""
    return (
        outcome.error is not None
        and bool(outcome.attempts)
        and (outcome.attempts[-1].error is None)
    )


def attempts_words(outcome: SendOutcome) -> str:
    """Every attempt of a send in a few words, and how the send ended when that was between
    tries: ``429 Rate limited, then no answer in time (the request had gone out)``, or ``429
    Rate limited, then the send's time limit ran out before the next try``."""
    parts = [attempt_words(a.status, a.error) for a in outcome.attempts]
    if not parts and outcome.status is not None:  # an entry recorded without its attempts
        parts.append(attempt_words(outcome.status, None))
    final = outcome.error
    if final is not None and (not parts or ended_between_tries(outcome)):
        if final.kind is TransportErrorKind.TIMEOUT and parts:
            parts.append("the send's time limit ran out before the next try")
        elif final.kind is TransportErrorKind.CANCELLED and parts:
            parts.append("it was cancelled before the next try")
        else:
            parts.append(attempt_words(None, final))
    return ", then ".join(parts) if parts else "no answer"


def why_unknown(outcome: SendOutcome) -> str:
    """Which tries leave the event in doubt, and which were refusals (that record nothing)."""
    attempts = outcome.attempts
    refused = [
        a.status
        for a in attempts
        if a.status is not None and attempt_verdict(a.status, None) is AttemptVerdict.NOT_PROCESSED
    ]
    doubtful = [
        n
        for n, a in enumerate(attempts, 1)
        if attempt_verdict(a.status, a.error) is AttemptVerdict.MAY_BE_PROCESSED
    ]
    said = ""
    if refused:
        answers = ", ".join(dict.fromkeys(f"{s} {status_title(s)}" for s in refused))
        said = f"The server refused the event with {answers}, which records nothing; but "
    if len(attempts) <= 1:
        which = "the send"
    elif doubtful == [len(attempts)]:
        which = "the last try"
    elif len(doubtful) == 1:
        which = f"try {doubtful[0]}"
    else:
        which = "tries " + ", ".join(map(str, doubtful[:-1])) + f" and {doubtful[-1]}"
    ended = f"{which} ended where the server may already have processed the event"
    ended = ended[:1].upper() + ended[1:] if not said else ended
    return f"{said}{ended}, so the event may or may not have been recorded."


def outcome_line(outcome: SendOutcome, *, detail: bool = True) -> str | None:
    """A send that was not accepted, in one line for a listing (a replay's problems, a bulk
    job's events), saying what is known: every try when more than one was made, whether the
    event may have been recorded only where that is so, and "no response" only when no try got
    one. None when it was accepted. ``detail``: with the first error the server named, or the
    advice for a failed connection (a bulk job names its errors per event itself)."""
    delivery = derive_delivery(outcome.attempts, status=outcome.status, error=outcome.error)
    if delivery is Delivery.ACCEPTED:
        return None
    tries = len(outcome.attempts)
    if delivery is Delivery.UNKNOWN:
        return f"unknown, may have been recorded: {attempts_words(outcome)}"
    if outcome.status is not None:
        named = outcome.findings[0].message if outcome.findings and detail else ""
        text = f"{outcome.status} {status_title(outcome.status)}"
        if tries > 1:
            text = f"{text} (the last of {tries} tries: {attempts_words(outcome)})"
        return f"{text}: {named}" if named else text
    if any(a.status is not None for a in outcome.attempts):
        # the server answered some try (and refused it); the send ended without an answer
        return f"not recorded ({attempts_words(outcome)})"
    error = outcome.error
    if error is None:
        return "not sent"
    text = f"no response: {error.message}" + (f" ({error.advice})" if detail else "")
    return f"{text} after {tries} tries" if tries > 1 else text
