"""Garbage collection for a sandbox serving in a process of its own (``event-composer sandbox``).

The sandbox keeps every event it records (up to ``max_recorded``), a dozen or so containers
each, so a full collection of the interpreter's cyclic garbage collector has to walk all of
them: 100,000 recorded events make one pause of a few hundred milliseconds, and one comes every
second or so while the heap grows. During such a pause nothing is read from the sockets, so the
requests that arrive then are counted against the rate limits that much later than they
arrived, which Klaviyo never does (a client pacing itself by when its requests go out then
meets 429s it did not earn).

So while requests come in, what is alive is frozen every ``tick`` seconds (``gc.freeze``: moved
out of the collector's sight, which costs nothing): collections then only walk what is newer
than that. Once the sandbox has been idle for ``idle`` seconds, everything is unfrozen and
collected once, reclaiming any garbage that was frozen meanwhile. Only for a process the
sandbox has to itself: the collector is process-wide, and an app or test process that serves
a sandbox in a thread keeps its own collection as it is.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

TICK_SECONDS = 0.1
IDLE_SECONDS = 1.0


class CollectWhenIdle:
    """Freezes the heap while busy and collects it whole once idle (see the module)."""

    def __init__(
        self,
        activity: Callable[[], int],
        *,
        tick: float = TICK_SECONDS,
        idle: float = IDLE_SECONDS,
    ) -> None:
        self._activity = activity
        """A count that changes whenever a request comes in."""
        self.tick = tick
        self.idle = idle
        self.freezes = 0
        self.collections = 0

    async def run(self) -> None:
        """Watch until cancelled."""
        loop = asyncio.get_running_loop()
        seen = self._activity()
        quiet_since = loop.time()
        settled = True
        try:
            while True:
                await asyncio.sleep(self.tick)
                now = loop.time()
                count = self._activity()
                if count != seen:
                    seen, quiet_since, settled = count, now, False
                    gc.freeze()
                    self.freezes += 1
                elif not settled and now - quiet_since >= self.idle:
                    settled = True
                    gc.unfreeze()
                    gc.collect()
                    self.collections += 1
        finally:
            gc.unfreeze()
