"""Injectable time: a monotonic clock and an async sleep, so tests never wait for real."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
"""Monotonic seconds (``time.monotonic`` in production)."""

Sleep = Callable[[float], Awaitable[None]]
"""Wait this many seconds (``asyncio.sleep`` in production)."""

monotonic: Clock = time.monotonic


async def real_sleep(seconds: float) -> None:
    """``asyncio.sleep`` that tolerates a negative duration."""
    await asyncio.sleep(max(0.0, seconds))
