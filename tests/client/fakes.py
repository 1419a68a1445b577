"""Test doubles for time: a clock that only moves when someone sleeps."""

from __future__ import annotations

import asyncio


class FakeClock:
    """Monotonic time that advances when code awaits :meth:`sleep`, never for real."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now = max(self.now, self.now + max(0.0, seconds))
        await asyncio.sleep(0)
