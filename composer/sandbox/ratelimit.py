"""Klaviyo's rate limits for one endpoint: per key, a burst and a steady fixed window."""

from __future__ import annotations

import math
from dataclasses import dataclass

_BURST_SECONDS = 1.0
_STEADY_SECONDS = 60.0
_MAX_TRACKED_KEYS = 10_000


@dataclass(slots=True)
class _Windows:
    burst_start: float
    burst_count: int
    steady_start: float
    steady_count: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one request against the limits.

    When ``allowed``, ``remaining`` and ``reset_seconds`` describe the steady window (what the
    RateLimit-* headers report); otherwise ``retry_after`` is the whole seconds to wait.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int = 0


class RateLimiter:
    """Fixed windows aligned to the clock (second and minute boundaries), counted per key.

    A throttled request does not count: the window's count only grows with requests that were
    let through, so waiting ``retry_after`` seconds is always enough.
    """

    def __init__(self, burst_limit: int, steady_limit: int) -> None:
        self.burst_limit = burst_limit
        self.steady_limit = steady_limit
        self._keys: dict[str, _Windows] = {}

    def hit(self, key: str, now: float) -> Verdict:
        """Count one request of ``key`` at ``now`` (epoch seconds), unless it is over a limit."""
        burst_start = math.floor(now / _BURST_SECONDS) * _BURST_SECONDS
        steady_start = math.floor(now / _STEADY_SECONDS) * _STEADY_SECONDS
        w = self._keys.get(key)
        if w is None:
            if len(self._keys) >= _MAX_TRACKED_KEYS:
                self._forget_idle(steady_start)
            w = self._keys[key] = _Windows(burst_start, 0, steady_start, 0)
        if w.burst_start != burst_start:
            w.burst_start, w.burst_count = burst_start, 0
        if w.steady_start != steady_start:
            w.steady_start, w.steady_count = steady_start, 0
        steady_reset = steady_start + _STEADY_SECONDS - now
        if w.steady_count >= self.steady_limit:
            return Verdict(False, self.steady_limit, 0, _ceil(steady_reset), _ceil(steady_reset))
        if w.burst_count >= self.burst_limit:
            wait = _ceil(burst_start + _BURST_SECONDS - now)
            return Verdict(
                False,
                self.steady_limit,
                self.steady_limit - w.steady_count,
                _ceil(steady_reset),
                wait,
            )
        w.burst_count += 1
        w.steady_count += 1
        return Verdict(
            True, self.steady_limit, self.steady_limit - w.steady_count, _ceil(steady_reset)
        )

    def state(self, key: str | None, now: float) -> Verdict:
        """The steady window of ``key`` without counting a request (a fresh window for None
        or an unseen key): what the RateLimit-* headers of a refused request report."""
        steady_start = math.floor(now / _STEADY_SECONDS) * _STEADY_SECONDS
        reset = _ceil(steady_start + _STEADY_SECONDS - now)
        w = self._keys.get(key) if key is not None else None
        used = w.steady_count if w is not None and w.steady_start == steady_start else 0
        return Verdict(True, self.steady_limit, max(0, self.steady_limit - used), reset)

    def reset(self) -> None:
        """Forget every key's windows."""
        self._keys.clear()

    def _forget_idle(self, steady_start: float) -> None:
        # Bounded memory: keys whose steady window has passed carry no state worth keeping.
        for key in [k for k, w in self._keys.items() if w.steady_start != steady_start]:
            del self._keys[key]


def _ceil(seconds: float) -> int:
    # At least 1: a Retry-After of 0 invites an immediate retry into the same full window.
    return max(1, math.ceil(seconds - 1e-9))
