"""A bulk replay at Bulk Create Events' real limits (10 jobs/s, 150/min), over loopback against
the sandbox, which counts each job by when it arrived in fixed one-second windows: the jobs go at
full speed (each counted from when its body went out, not until its answer) and the sandbox never
refuses one for the rate; every event is recorded exactly once."""

from __future__ import annotations

import gc
import io
import json

import httpx

from composer.client import BULK_LIMITS, ClientSettings
from composer.sandbox import SandboxConfig, run_in_thread
from composer.services.bulk import BulkProgress, BulkReplay
from composer.services.replay_input import EventStream
from composer.services.send import Sender

JOBS, PER_JOB = 25, 10


def events(n: int) -> bytes:
    lines = []
    for i in range(n):
        doc = {
            "data": {
                "type": "event",
                "attributes": {
                    "profile": {"data": {"type": "profile", "attributes": {
                        "email": f"rate{i // 5}@shop.test"}}},
                    "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                    "properties": {"OrderId": f"ORD-{i}"},
                    "unique_id": f"rate-{i}",
                },
            }
        }  # fmt: skip
        lines.append(json.dumps(doc).encode() + b"\n")
    return b"".join(lines)


async def test_jobs_at_the_real_bulk_limits_get_no_429_and_are_recorded_once():
    config = SandboxConfig()  # Klaviyo's bulk limits: 10/s, 150/min, counted on arrival
    assert (config.bulk_burst_limit, config.bulk_steady_limit) == (10, 150)
    frozen_while_running: list[bool] = []

    def progress(p: BulkProgress) -> None:
        frozen_while_running.append(gc.get_freeze_count() > 0)

    data = events(JOBS * PER_JOB)
    with run_in_thread(config) as url:
        sender = Sender.open(
            url,
            revision="2026-07-15",
            settings=ClientSettings(limits=BULK_LIMITS),
            endpoint="bulk",
        )
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
