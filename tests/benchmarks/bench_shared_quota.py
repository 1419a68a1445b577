"""A quota shared with other integrations: the server's real limit is lower than the client
was told, and the client must find it from the 429s it gets.

300 events are replayed against a sandbox over loopback that allows 50/s and 600/min (real
clock), while the client keeps its default limits (350/s, 3,500/min): it is told nothing. The
figures: every event recorded exactly once, the share of sends answered 429 (target <= 10%),
and the time taken against the best possible schedule at the real limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from composer.client import ClientSettings, RateLimits, Window
from tests.benchmarks.bench_replay import (
    CONCURRENCY,
    SandboxProcess,
    ideal_seconds,
    make_items,
    replay,
)

EVENTS = 300
SERVER_BURST = 50  # per second
SERVER_STEADY = 600  # per minute


def main() -> None:
    items = make_items(EVENTS)
    settings = ClientSettings()  # the defaults: the client is told nothing
    sandbox = SandboxProcess(1.0, SERVER_BURST, SERVER_STEADY)
    try:
        started = time.perf_counter()
        summary, elapsed = asyncio.run(replay(sandbox.url, items, settings))
        wall = time.perf_counter() - started
        recorded = sandbox.get("/sandbox/events?limit=100000")["events"]
        stats = sandbox.get("/sandbox/stats")
    finally:
        sandbox.stop()
    times_recorded = Counter(e["unique_id"] for e in recorded)
    accepted = [e for e in summary.events if e.accepted]
    once = sum(1 for e in accepted if times_recorded[e.unique_id] == 1)
    twice = sum(1 for count in times_recorded.values() if count > 1)
    attempts = sum(e.attempts for e in summary.events)
    throttled = summary.progress.throttled
    real = RateLimits(Window(SERVER_BURST, 1.0), Window(SERVER_STEADY, 60.0))
    ideal = ideal_seconds(EVENTS, real)
    print(
        f"server limit {SERVER_BURST}/s and {SERVER_STEADY}/min, client told nothing "
        f"(defaults {RateLimits().burst.limit}/s, {RateLimits().steady.limit}/min), "
        f"concurrency {CONCURRENCY}"
    )
    print(
        f"  {EVENTS} events in {elapsed:.2f} s ({wall:.2f} s with start-up); best schedule at "
        f"the real limit {ideal:.2f} s -> {ideal / elapsed:.3f} of the allowed rate"
    )
    print(
        f"  accepted {len(accepted)} (recorded exactly once: {once}); recorded twice: {twice}; "
        f"not accepted: {EVENTS - len(accepted)}"
    )
    print(
        f"  sends {attempts}: answered 429 {throttled} by the client's count, "
        f"{stats['throttled']} by the sandbox's -> 429 share {throttled / max(1, attempts):.1%}"
        f"   (target <= 10%)"
    )


if __name__ == "__main__":
    main()
