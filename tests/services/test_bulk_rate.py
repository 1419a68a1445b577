"""A bulk replay at Bulk Create Events' real limits (10 jobs/s, 150/min), over loopback against
the sandbox, which counts each job by when it arrived in fixed one-second windows: the jobs go at
full speed (each counted from when its body went out, not until its answer) and the sandbox never
refuses one for the rate; every event is recorded exactly once."""

from __future__ import annotations

import gc
import io
import json
from typing import Any

import httpx

from composer.client import BULK_LIMITS, ClientSettings
from composer.sandbox import SandboxConfig, run_in_thread
from composer.services.bulk import BulkProgress, BulkReplay
from composer.services.replay_input import EventStream
from composer.services.send import Sender

JOBS, PER_JOB = 25, 10


def events(n: int, per_profile: int = 5, unique_ids: bool = True) -> bytes:
    lines = []
    for i in range(n):
        doc: dict[str, Any] = {
            "data": {
                "type": "event",
                "attributes": {
                    "profile": {"data": {"type": "profile", "attributes": {
                        "email": f"rate{i // per_profile}@shop.test"}}},
                    "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                    "properties": {"OrderId": f"ORD-{i}"},
                    "unique_id": f"rate-{i}",
                },
            }
        }  # fmt: skip
        if not unique_ids:
            del doc["data"]["attributes"]["unique_id"]
        lines.append(json.dumps(doc).encode() + b"\n")
    return b"".join(lines)


def _bulk_sender(url: str) -> Sender:
    """A sender of bulk jobs to ``url`` at Klaviyo's real bulk limits."""
    return Sender.open(
        url, revision="2026-07-15", settings=ClientSettings(limits=BULK_LIMITS), endpoint="bulk"
    )


async def test_jobs_at_the_real_bulk_limits_get_no_429_and_are_recorded_once() -> None:
    config = SandboxConfig()  # Klaviyo's bulk limits: 10/s, 150/min, counted on arrival
    assert (config.bulk_burst_limit, config.bulk_steady_limit) == (10, 150)
    frozen_while_running: list[bool] = []

    def progress(p: BulkProgress) -> None:
        frozen_while_running.append(gc.get_freeze_count() > 0)

    data = events(JOBS * PER_JOB)
    with run_in_thread(config) as url:
        sender = _bulk_sender(url)
        async with sender:
            runner = BulkReplay(sender, max_events=PER_JOB, on_progress=progress)
            summary = await runner.run(EventStream(io.BytesIO(data)), total=JOBS * PER_JOB)
        stats = httpx.get(f"{url}/sandbox/stats").json()
    assert summary.progress.jobs_sent == JOBS
    assert summary.progress.accepted == JOBS * PER_JOB
    assert summary.progress.throttled == 0
    assert stats["throttled"] == 0  # no second of the sandbox's ever held an 11th job
    assert (stats["recorded"], stats["duplicates"]) == (JOBS * PER_JOB, 0)
    # the app's own objects are left out of full collections while the jobs are packed,
    # and collected again afterwards
    assert frozen_while_running and all(frozen_while_running)
    assert gc.get_freeze_count() == 0


async def test_a_429_from_a_server_that_counts_more_is_retried_and_nothing_is_lost() -> None:
    # The safety net: the sandbox allows 3 jobs a second where the client was told 10 (another
    # integration uses the rest, or the server counted late). A 429 is a definite "not
    # accepted": the job is sent again after its Retry-After, even without unique_ids.
    config = SandboxConfig(bulk_burst_limit=3)
    # one event per profile: without a unique_id, one profile's events of the same second are
    # one event to Klaviyo
    data = events(6 * 5, per_profile=1, unique_ids=False)
    with run_in_thread(config) as url:
        sender = _bulk_sender(url)
        async with sender:
            runner = BulkReplay(sender, max_events=5, fill_unique_id=False)
            summary = await runner.run(EventStream(io.BytesIO(data)), total=30)
        stats = httpx.get(f"{url}/sandbox/stats").json()
    assert stats["throttled"] > 0
    assert summary.progress.throttled == stats["throttled"]
    assert summary.delivery_counts()["accepted"] == 30
    assert (summary.progress.refused, summary.progress.unknown) == (0, 0)
    assert (stats["recorded"], stats["duplicates"]) == (30, 0)
