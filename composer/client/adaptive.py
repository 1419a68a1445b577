"""What one rate window allows right now, when the server's real limit may be lower than ours.

A private key shares its account's quota with every other integration of the account, so a
server can answer 429 well below the documented 350/s and 3,500/min. After such a 429 the limit
drops to what actually got through in the window (never more than ``DECREASE`` times what it
was: a multiplicative decrease), then climbs back by ``STEP_SHARE`` of the configured limit per
window length without a 429 (an additive increase), until it is the configured limit again.
The climb is computed from the clock, so an idle client recovers as a busy one does.
"""

from __future__ import annotations

import logging
import math
from collections import deque

log = logging.getLogger(__name__)

DECREASE = 0.9
"""A 429 leaves at most this share of the limit in force (below what got through, if less)."""
STEP_SHARE = 0.005
"""The limit grows by this share of the configured limit (at least 1) per window length without
a 429: 350/s recovers from 50/s in under three minutes."""


class AdaptiveLimit:
    """The limit of one window (``ceiling`` requests per ``seconds``) as the server allows it."""

    def __init__(self, ceiling: int, seconds: float, *, name: str = "") -> None:
        self.ceiling = ceiling
        self.seconds = seconds
        self.name = name
        self.step = max(1.0, ceiling * STEP_SHARE)
        self._floor: float | None = None
        """The limit right after the last decrease; None while the ceiling is in force."""
        self._lowered_at = 0.0
        self._got_through: deque[float] = deque()
        """Answer times of the requests the server let through, within the last window."""
        self.decreases = 0

    def current(self, now: float) -> int:
        """Requests allowed per window at ``now``."""
        if self._floor is None:
            return self.ceiling
        clean_windows = math.floor(max(0.0, now - self._lowered_at) / self.seconds)
        value = self._floor + self.step * clean_windows
        if value >= self.ceiling:
            self._floor = None
            return self.ceiling
        return int(value)

    @property
    def lowered(self) -> bool:
        """True while the limit is below the ceiling (as of the last :meth:`current`)."""
        return self._floor is not None

    @property
    def lowered_at(self) -> float | None:
        """When the limit was last lowered (None while the ceiling is in force)."""
        return None if self._floor is None else self._lowered_at

    def passed(self, now: float) -> None:
        """A request sent under this limit was let through (any answer but 429)."""
        self._got_through.append(now)
        self._forget(now)

    def got_through(self, now: float) -> int:
        """Requests let through whose answer came within the last window length."""
        self._forget(now)
        return len(self._got_through)

    def lower(self, now: float) -> int:
        """The server refused a request in this window: lower the limit; returns the new one."""
        before = self.current(now)
        new = max(1, min(self.got_through(now), math.floor(before * DECREASE)))
        self._floor = float(new)
        self._lowered_at = now
        self.decreases += 1
        log.info(
            "the server throttled at %d requests per %g s (%s window): sending at most %d now",
            before,
            self.seconds,
            self.name or "rate",
            new,
        )
        return new

    def _forget(self, now: float) -> None:
        horizon = now - self.seconds
        while self._got_through and self._got_through[0] <= horizon:
            self._got_through.popleft()
