"""Are the delivery states true? Events sent to a sandbox over loopback that injects faults
(slow answers past the client's read timeout, dropped connections after processing, 500, 503,
504 after processing, 429), then what each send reported (accepted, unknown, not accepted)
compared with what the sandbox actually recorded.

Two things must never happen: an event reported ``not_accepted`` that the sandbox recorded, and
an event reported ``accepted`` that it did not. ``unknown`` is allowed either way: that is its
meaning; the figures show how often it turned out recorded. Run it alone with
``python -m tests.benchmarks delivery``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

from composer.client import ClientSettings, RateLimits, RetryPolicy, Timeouts, Window
from composer.domain.delivery import Delivery
from composer.domain.draft import sample_event
from composer.sandbox import FaultKind, SandboxApp, SandboxConfig, run_in_thread
from composer.services.send import Sender

SEEDS = (1, 2, 3, 4, 5)
EVENTS = 200
FAULT_RATE = 0.35
CONCURRENCY = 8
KINDS = (
    FaultKind.SLOW,
    FaultKind.DROP,
    FaultKind.SERVER_ERROR,
    FaultKind.GATEWAY_TIMEOUT,
    FaultKind.UNAVAILABLE,
    FaultKind.THROTTLED_NO_RETRY_AFTER,
)
SLOW_S = 0.5
READ_TIMEOUT_S = 0.2


def body(n: int, seed: int) -> bytes:
    event = sample_event()
    attributes = event["data"]["attributes"]
    attributes["unique_id"] = f"seed{seed}-event{n}"
    attributes.pop("time", None)
    attributes["properties"] = {"n": n}
    return json.dumps(event).encode()


async def send_all(
    url: str, seed: int, attempts: int
) -> tuple[dict[str, Delivery], dict[str, bool]]:
    settings = ClientSettings(
        limits=RateLimits(burst=Window(1000, 1.0), steady=Window(100_000, 60.0)),
        retry=RetryPolicy(max_attempts=attempts, backoff_base=0.01, backoff_cap=0.05),
        timeouts=Timeouts(read=READ_TIMEOUT_S, total=30),
    )
    reported: dict[str, Delivery] = {}
    failed_status: dict[str, bool] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(EVENTS):
        queue.put_nowait(n)
    # body() writes sample_event()'s flat layout: sent at its revision
    async with Sender.open(url, environ={}, settings=settings, revision="2023-01-24") as sender:

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                result = await sender.send(body(n, seed), fill_unique_id=False)
                reported[f"seed{seed}-event{n}"] = result.delivery
                status = result.outcome.status if result.outcome else None
                failed_status[f"seed{seed}-event{n}"] = status is None or status >= 300

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return reported, failed_status


def one_run(seed: int, attempts: int) -> dict[str, Any]:
    app = SandboxApp(
        SandboxConfig(
            fault_rate=FAULT_RATE,
            fault_seed=seed,
            fault_kinds=KINDS,
            slow_seconds=SLOW_S,
            burst_limit=100_000,
            steady_limit=1_000_000,
        )
    )
    with run_in_thread(app) as url:
        reported, failed_status = asyncio.run(send_all(url, seed, attempts))
        time.sleep(SLOW_S + 0.3)  # slow answers still in flight finish on the server
        recorded = {e.unique_id for e in app.events()}
        faults = sum(app.faults.injected.values())
    counts = Counter(d.value for d in reported.values())
    wrong_not_accepted = [
        u for u, d in reported.items() if d is Delivery.NOT_ACCEPTED and u in recorded
    ]
    wrong_accepted = [
        u for u, d in reported.items() if d is Delivery.ACCEPTED and u not in recorded
    ]
    unknown_recorded = sum(
        1 for u, d in reported.items() if d is Delivery.UNKNOWN and u in recorded
    )
    # what a status column alone (the app before delivery states) made look failed
    status_failed_recorded = sum(1 for u, f in failed_status.items() if f and u in recorded)
    return {
        "status_failed_recorded": status_failed_recorded,
        "seed": seed,
        "faults": faults,
        "recorded": len(recorded),
        "accepted": counts["accepted"],
        "unknown": counts["unknown"],
        "unknown_recorded": unknown_recorded,
        "not_accepted": counts["not_accepted"],
        "not_sent": counts["not_sent"],
        "wrong_not_accepted": len(wrong_not_accepted),
        "wrong_accepted": len(wrong_accepted),
    }


def main() -> None:
    header = (
        f"{'tries':>5} {'seed':>4} {'faults':>6} {'recorded':>8} {'accepted':>8} "
        f"{'unknown':>7} {'(recorded)':>10} {'not_acc':>7} {'lies':>4} {'status-lies':>11}"
    )
    print(
        f"{EVENTS} events per seed, {FAULT_RATE:.0%} of requests faulted "
        f"({', '.join(k.value for k in KINDS)}), {CONCURRENCY} at a time"
    )
    print(header)
    lies = 0
    for attempts in (1, 4):
        for seed in SEEDS:
            r = one_run(seed, attempts)
            wrong = r["wrong_not_accepted"] + r["wrong_accepted"]
            lies += wrong
            print(
                f"{attempts:>5} {r['seed']:>4} {r['faults']:>6} {r['recorded']:>8} "
                f"{r['accepted']:>8} {r['unknown']:>7} {r['unknown_recorded']:>10} "
                f"{r['not_accepted']:>7} {wrong:>4} {r['status_failed_recorded']:>11}"
            )
    print(
        "lies: events reported not_accepted that the sandbox recorded, plus events reported "
        f"accepted that it did not record: {lies} in total"
    )
    print(
        "status-lies: events whose final status (or no response) reads as a failure although "
        "the sandbox recorded them: what a status column alone would have told"
    )
    if lies:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
