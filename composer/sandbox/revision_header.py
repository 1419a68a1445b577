"""Reading the ``revision`` header the way Klaviyo documents it.

Klaviyo's versioning policy: "If a date is passed to the revision header that does not exactly
match a known valid revision date, the user will receive the most recent revision date prior
to their requested date." The sandbox does the same with the revisions this app has contracts
for (composer.domain.revisions). Revision 2022-10-17, Klaviyo's first, has the same Create Event
shape as 2023-01-24, so dates from 2022-10-17 on are served with 2023-01-24's contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from composer.domain.revisions import (
    DEFAULT_REVISION,
    NEWEST_REVISION,
    REVISIONS,
    Revision,
    oldest_supported,
)
from composer.sandbox.config import Clock, RetiredRevisionPolicy
from composer.sandbox.jsonapi import ApiError, invalid_parameter_error

FIRST_KLAVIYO_REVISION = date(2022, 10, 17)
_FORMAT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(\.[A-Za-z0-9_-]+)?$")
_MAX_CACHED = 256


@dataclass(frozen=True, slots=True)
class Resolution:
    """A revision to serve, or the status and error that refuse the request.

    ``requested`` is the revision the header named (its path and content type apply);
    ``revision`` the one whose body rules apply: the same, or the oldest supported one when a
    retired revision falls forward.
    """

    revision: Revision | None
    status: int = 0
    error: ApiError | None = None
    requested: Revision | None = None

    @property
    def fell_forward(self) -> bool:
        return self.requested is not None and self.requested is not self.revision


def _by_date() -> list[tuple[date, Revision]]:
    return sorted((date.fromisoformat(name), rev) for name, rev in REVISIONS.items())


class RevisionResolver:
    """Maps header values to revisions; successful answers are cached (bounded)."""

    def __init__(self, clock: Clock, retired: RetiredRevisionPolicy) -> None:
        self._clock = clock
        self.policy = retired
        self._dated = _by_date()
        self._cache: dict[tuple[str, date], Resolution] = {}

    def resolve(self, header: str | None, opt_out: bool = False) -> Resolution:
        """What to do with one request's ``revision`` header value (None when absent).

        ``opt_out``: the request carried ``X-Klaviyo-Revision-Fall-Forward-Opt-Out: 1``.
        """
        today = datetime.fromtimestamp(self._clock(), UTC).date()
        answer: Resolution | None = None
        if header is not None:
            answer = self._cache.get((header, today))
        if answer is None:
            answer = self._resolve(header, today)
            if answer.revision is not None and len(self._cache) < _MAX_CACHED:
                assert header is not None
                self._cache[(header, today)] = answer
        rev = answer.revision
        if rev is None or not rev.is_retired(today) or self.policy is RetiredRevisionPolicy.SERVE:
            return answer
        assert header is not None
        if self.policy is RetiredRevisionPolicy.GONE or opt_out:
            return _gone(header.strip(), rev, opt_out)
        return Resolution(oldest_supported(today), requested=rev)

    def _resolve(self, header: str | None, today: date) -> Resolution:
        if header is None or not header.strip():
            return _bad(
                "The revision header is required. Send 'revision: "
                f"{DEFAULT_REVISION}' (format YYYY-MM-DD[.suffix])."
            )
        value = header.strip()
        m = _FORMAT.match(value)
        requested: date | None = None
        if m:
            try:
                requested = date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                requested = None
        if m is None or requested is None:
            return _bad(
                f"{value!r} is not a valid revision: use the format YYYY-MM-DD[.suffix], "
                f"e.g. {DEFAULT_REVISION}."
            )
        if m[4]:
            return _bad(
                f"Revision {value!r} is a pre-release revision; the sandbox serves only stable "
                f"revisions ({', '.join(REVISIONS)})."
            )
        if requested > today:
            return _bad(f"Revision {value!r} is in the future; today is {today.isoformat()}.")
        if requested < FIRST_KLAVIYO_REVISION:
            return _bad(
                f"Revision {value!r} is older than the first API revision "
                f"({FIRST_KLAVIYO_REVISION.isoformat()})."
            )
        chosen = self._dated[0][1]
        for day, rev in self._dated:
            if day <= requested:
                chosen = rev
        return Resolution(chosen, requested=chosen)


def _gone(value: str, rev: Revision, opt_out: bool) -> Resolution:
    why = (
        " and the request opted out of falling forward (X-Klaviyo-Revision-Fall-Forward-Opt-Out)"
        if opt_out
        else ""
    )
    newest = REVISIONS[NEWEST_REVISION]
    return Resolution(
        None,
        410,
        ApiError(
            "gone",
            "Gone.",
            f"Revision {value!r} ({rev.name}) was retired two years after its release{why}. "
            f"Use a current revision such as {newest.name}.",
            parameter="revision",
        ),
    )


def _bad(detail: str) -> Resolution:
    return Resolution(None, 400, invalid_parameter_error("revision", detail))
