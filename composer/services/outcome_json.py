"""A send's outcome as plain JSON for `--json` output and scripts (the key is never in it)."""

from __future__ import annotations

from typing import Any

from composer.domain.delivery import derive_delivery
from composer.domain.error_body import status_title
from composer.domain.outcome import Attempt, SendOutcome


def body_text(body: bytes, limit: int | None = None) -> str:
    """A response body as text (UTF-8 with replacement), optionally cut to ``limit`` chars."""
    text = body.decode("utf-8", "replace")
    if limit is not None and len(text) > limit:
        return text[:limit] + f"… ({len(text) - limit} more characters)"
    return text


def status_text(status: int | None) -> str | None:
    """A status in words; 202 is "Accepted" (queued for processing, not yet processed)."""
    if status is None:
        return None
    return "Accepted" if status == 202 else status_title(status)


def attempt_to_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "status": attempt.status,
        "error": attempt.error.kind.value if attempt.error else None,
        "duration_ms": round(attempt.duration_ms, 1),
        "waited_ms": round(attempt.waited_ms, 1),
    }


def outcome_to_json(outcome: SendOutcome) -> dict[str, Any]:
    """Every field of an outcome a script may want, with stable names."""
    rate = outcome.rate_limit
    error = outcome.error
    return {
        "status": outcome.status,
        "status_text": status_text(outcome.status),
        "status_class": outcome.status_class,
        "accepted": outcome.accepted,
        "request": {
            "method": outcome.request.method,
            "url": outcome.request.url,
            "headers": [list(h) for h in outcome.request.headers],
        },
        "response_headers": [list(h) for h in outcome.response_headers],
        "response_body": body_text(outcome.response_body),
        "findings": [f.to_json() for f in outcome.findings],
        "attempts": [attempt_to_json(a) for a in outcome.attempts],
        "total_ms": round(outcome.total_ms, 1),
        "rate_limit": None
        if rate is None
        else {
            "limit": rate.limit,
            "remaining": rate.remaining,
            "reset_seconds": rate.reset_seconds,
            "retry_after": rate.retry_after,
        },
        "error": None
        if error is None
        else {
            "kind": error.kind.value,
            "message": error.message,
            "advice": error.advice,
        },
        "notes": list(outcome.extra.get("notes", [])),
        "delivery": derive_delivery(
            outcome.attempts, status=outcome.status, error=outcome.error
        ).value,
    }
