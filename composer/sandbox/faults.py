"""Seeded fault injection: which request gets which trouble, reproducibly."""

from __future__ import annotations

import random
from collections import Counter

import httpx

from composer.sandbox.config import FaultKind


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised by the app to drop the connection without an answer.

    Over uvicorn the sandbox's own server protocol catches it and aborts the socket, so the
    client sees a real transport error. In-process (httpx.ASGITransport passes app exceptions
    through) the client sees this exception itself: an ``httpx.RemoteProtocolError``, the class
    httpx raises when a real server closes the connection without a response.
    """

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


class FaultInjector:
    """Draws, for each request in turn, either no fault or one of ``kinds``.

    The draw uses its own :class:`random.Random`: the same seed and the same sequence of
    requests give the same faults, whatever else the process does with randomness.
    """

    def __init__(self, rate: float, seed: int | None, kinds: tuple[FaultKind, ...]) -> None:
        self.rate = rate
        self.seed = seed
        self.kinds = kinds
        self._rng = random.Random(seed)
        self.injected: Counter[FaultKind] = Counter()

    def draw(self) -> FaultKind | None:
        """The fault for the next request, or None (always None when the rate is 0)."""
        if self.rate <= 0.0:
            return None
        if self._rng.random() >= self.rate:
            return None
        kind = self.kinds[self._rng.randrange(len(self.kinds))]
        self.injected[kind] += 1
        return kind

    def reset(self) -> None:
        """Start the seeded sequence again and forget the counts."""
        self._rng = random.Random(self.seed)
        self.injected.clear()

    @property
    def total(self) -> int:
        return sum(self.injected.values())
