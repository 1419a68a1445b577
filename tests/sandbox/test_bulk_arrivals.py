"""A 1,000-event job takes the sandbox tens of milliseconds to validate and record; the requests
that arrive meanwhile are read, counted against the limits and answered without waiting for it
(Klaviyo counts a request when it arrives). And a sandbox serving in a process of its own keeps
its full garbage collections, whose pause grows with every event recorded, for when it is idle."""

from __future__ import annotations

import asyncio
import gc
import json

import httpx

from composer.domain.revisions import get_revision
from composer.sandbox import SandboxApp, SandboxConfig, in_process_transport
from composer.sandbox.memory import CollectWhenIdle
from tests.sandbox.conftest import KEY, FakeClock
from tests.sandbox.test_bulk import NOW, many

REVISION = "2026-07-15"


async def test_a_request_arriving_while_a_job_is_processed_is_answered_before_the_job():
    clock = FakeClock(NOW)
    app = SandboxApp(SandboxConfig(clock=clock))
    rev = get_revision(REVISION)
    headers = {
        "Authorization": f"Klaviyo-API-Key {KEY}",
        "revision": REVISION,
        "Content-Type": rev.content_type,
    }
    single = {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {"data": {"type": "profile", "attributes": {"email": "s@shop.test"}}},
                "metric": {"data": {"type": "metric", "attributes": {"name": "Viewed Product"}}},
                "properties": {"Brand": "Kids Book"},
                "unique_id": "single-1",
            },
        }
    }
    answered: list[str] = []
    async with httpx.AsyncClient(
        transport=in_process_transport(app), base_url="http://sandbox.invalid"
    ) as client:

        async def post(name: str, path: str, body: object) -> int:
            response = await client.post(path, content=json.dumps(body), headers=headers)
            answered.append(name)
            return response.status_code

        job = asyncio.create_task(post("job", "/api/event-bulk-create-jobs", many(1000)))
        await asyncio.sleep(0)  # the job is in: read, counted, being validated
        single_status = await post("single", rev.path, single)
        job_status = await job
    assert (job_status, single_status) == (202, 202)
    assert answered == ["single", "job"]
    assert app.stats.recorded == 1001


async def test_an_own_process_sandbox_freezes_what_it_holds_while_busy_and_collects_when_idle():
    requests = 0
    collector = CollectWhenIdle(lambda: requests, tick=0.01, idle=0.05)
    watching = asyncio.create_task(collector.run())
    try:
        for _ in range(5):  # busy: a request every tick
            requests += 1
            await asyncio.sleep(0.015)
        assert gc.get_freeze_count() > 0  # what is alive is out of the collections' way
        assert collector.collections == 0
        for _ in range(100):  # idle
            await asyncio.sleep(0.01)
            if collector.collections:
                break
        assert collector.collections == 1
        assert gc.get_freeze_count() == 0  # all of it collected again
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
    assert gc.get_freeze_count() == 0
