"""Replay throughput against a sandbox over loopback: how close the client's limiter gets to
the allowed rate without a single 429, and what 20% injected faults do to 1,000 events.

The sandbox runs in its own process (the client gets a core of its own) with a clock that runs
SPEEDUP times faster than real time, so its one-second and one-minute fixed windows last
1/SPEEDUP s and 60/SPEEDUP s: both windows bind within a run well under a minute. The client is
told the same limits in real seconds (``RateLimits.scaled``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from composer.client import ClientSettings, RateLimits, RetryPolicy
from composer.services.replay import Replayer, ReplayEvent, ReplayItem, ReplaySummary
from composer.services.send import Sender

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 1000
SPEEDUP = 4.0
BURST = 10  # per sandbox second: 40/s real
STEADY = 480  # per sandbox minute (15 s real): 32/s real, so the steady window binds too
CONCURRENCY = 16


class SandboxProcess:
    """A sandbox in a child process, stopped with SIGINT (its clean shutdown)."""

    def __init__(
        self, speedup: float, burst: int, steady: int, fault_rate: float = 0.0, seed: int = 1
    ) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.programs.sandbox_server",
                f"--speedup={speedup}",
                f"--burst={burst}",
                f"--steady={steady}",
                f"--fault-rate={fault_rate}",
                f"--seed={seed}",
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().strip()
        if not first.startswith("Sandbox listening on "):
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {first!r}")
        self.url = first.rsplit(" ", 1)[1]

    def get(self, path: str) -> Any:
        return httpx.get(f"{self.url}{path}", timeout=30).json()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def make_items(n: int) -> list[ReplayItem]:
    """n valid, distinct events (different profiles) without a unique_id."""
    base = json.loads((ROOT / "resources/examples/viewed-product.event.json").read_text())
    items = []
    for i in range(n):
        doc = json.loads(json.dumps(base))
        attributes = doc["data"]["attributes"]
        attributes.pop("unique_id", None)
        attributes["profile"]["$email"] = f"bench{i}@example.com"
        items.append(ReplayItem(i, i + 1, json.dumps(doc).encode()))
    return items


def ideal_seconds(n: int, limits: RateLimits) -> float:
    """Time from first to last send of the best schedule under both rolling windows, with zero
    latency: what a client that cannot see the server's window boundaries can achieve."""
    times: list[float] = []
    for i in range(n):
        t = times[-1] if times else 0.0
        for window in (limits.burst, limits.steady):
            if i >= window.limit:
                t = max(t, times[i - window.limit] + window.seconds)
        times.append(t)
    return times[-1]


async def replay(
    url: str, items: list[ReplayItem], settings: ClientSettings
) -> tuple[ReplaySummary, float]:
    seen: list[ReplayEvent] = []  # every event: the summary keeps only those not accepted
    # the events are written in the flat layout of 2023-01-24: sent at that revision
    async with Sender.open(url, environ={}, settings=settings, revision="2023-01-24") as sender:
        replayer = Replayer(sender, concurrency=CONCURRENCY, on_event=seen.append)
        started = time.perf_counter()
        summary = await replayer.run(items)
        took = time.perf_counter() - started
    return dataclasses.replace(summary, events=tuple(sorted(seen, key=lambda e: e.index))), took


def bench_limits() -> None:
    limits = RateLimits.scaled(BURST, STEADY, SPEEDUP)
    sustained = limits.sustained_per_second
    ideal = ideal_seconds(EVENTS, limits)
    sandbox = SandboxProcess(SPEEDUP, BURST, STEADY)
    try:
        summary, elapsed = asyncio.run(
            replay(sandbox.url, make_items(EVENTS), ClientSettings(limits=limits))
        )
        stats = sandbox.get("/sandbox/stats")
    finally:
        sandbox.stop()
    p = summary.progress
    print(
        f"limits: burst {BURST}/s and steady {STEADY}/min on a sandbox clock {SPEEDUP:g}x "
        f"real time = {BURST * SPEEDUP:g}/s burst, {STEADY}/{60 / SPEEDUP:g} s steady, "
        f"sustained {sustained:.1f}/s real"
    )
    print(
        f"  {EVENTS} events, concurrency {CONCURRENCY}: {elapsed:.1f} s, "
        f"{EVENTS / elapsed:.1f} events/s; accepted {p.counts['2xx']}"
    )
    print(
        f"  best schedule under both windows: {ideal:.1f} s -> achieved/allowed "
        f"{ideal / elapsed:.3f}   (target >= 0.95)"
    )
    print(f"  achieved rate / sustained allowed rate: {EVENTS / elapsed / sustained:.3f}")
    print(
        f"  429 answers: {p.throttled} seen by the client, {stats['throttled']} counted by "
        f"the sandbox   (target 0)"
    )


def bench_faults() -> None:
    items = make_items(EVENTS)
    settings = ClientSettings(retry=RetryPolicy(max_attempts=6))
    sandbox = SandboxProcess(1.0, 350, 3500, fault_rate=0.2, seed=42)
    try:
        summary, elapsed = asyncio.run(replay(sandbox.url, items, settings))
        recorded = sandbox.get("/sandbox/events?limit=100000")["events"]
        stats = sandbox.get("/sandbox/stats")
    finally:
        sandbox.stop()
    times_recorded = Counter(e["unique_id"] for e in recorded)
    accepted = [e for e in summary.events if e.accepted]
    failed = [e for e in summary.events if not e.accepted]
    once = sum(1 for e in accepted if times_recorded[e.unique_id] == 1)
    twice = sum(1 for e in summary.events if times_recorded[e.unique_id] > 1)
    unexplained = [e for e in failed if not e.problem]
    missing = len(summary.events) != EVENTS
    print(
        f"faults: 20% of requests (seed 42): {stats['faults_injected']} injected "
        f"{dict(stats['faults_by_kind'])}"
    )
    print(
        f"  {EVENTS} events in {elapsed:.1f} s; attempts {sum(e.attempts for e in summary.events)}"
    )
    print(
        f"  accepted {len(accepted)} (recorded exactly once: {once}); failed with a reason "
        f"{len(failed) - len(unexplained)}; recorded twice: {twice}; without an ending: "
        f"{len(unexplained) + (EVENTS - len(summary.events))}"
    )
    reasons = Counter((e.problem or "").split(":")[0] for e in failed)
    for reason, count in reasons.most_common(5):
        print(f"    {count} x {reason}")
    ok = once == len(accepted) and twice == 0 and not unexplained and not missing
    print(f"  every event accepted exactly once or failed with a reason: {'yes' if ok else 'NO'}")


def main() -> None:
    bench_limits()
    bench_faults()


if __name__ == "__main__":
    main()
