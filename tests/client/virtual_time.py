"""Virtual time for simulations: an asyncio event loop whose clock jumps to the next timer
instead of waiting for it, so a minute of concurrent sends runs in a fraction of a second while
every task sleeps, times out and wakes in the right order (unlike a clock that moves on each
sleep call, which would add up concurrent sleeps).

Only for code without real I/O (httpx.ASGITransport, MockTransport): the loop never blocks.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class VirtualClock:
    """Seconds since the start of the simulation (``loop.time()`` of a :func:`run` loop)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _JumpingSelector(selectors.SelectSelector):
    """Polls without blocking; a wait for a timer moves the virtual clock to it instead."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = super().select(0)
        if not ready and timeout is not None and timeout > 0:
            self._clock.now += timeout
        elif not ready and timeout is None:
            raise RuntimeError("virtual time: every task waits for something that never comes")
        return ready


def run(coro: Coroutine[Any, Any, T], clock: VirtualClock) -> T:
    """Run ``coro`` to completion on a loop whose time is ``clock``."""
    loop = asyncio.SelectorEventLoop(_JumpingSelector(clock))
    loop.time = clock  # type: ignore[method-assign]
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


class LatencyTransport(httpx.AsyncBaseTransport):
    """``inner`` reached over a network that takes ``one_way`` seconds in each direction."""

    def __init__(self, inner: httpx.AsyncBaseTransport, one_way: float) -> None:
        self.inner = inner
        self.one_way = one_way

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.one_way)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        await asyncio.sleep(self.one_way)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
