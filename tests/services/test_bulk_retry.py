"""A job is retried after a doubtful failure only when every event in it has a unique_id (then
a retry cannot record any of them twice), over loopback against the sandbox's 500s."""

from __future__ import annotations

import asyncio
import json

import pytest

from composer.client import ClientSettings, RateLimits, RetryPolicy, Window
from composer.client.retry import has_unique_id
from composer.domain.bulk_pack import JobPacker, bulk_path, split_event
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from composer.services.send import Sender

SETTINGS = ClientSettings(
    limits=RateLimits(Window(100, 1.0), Window(10_000, 60.0)),
    retry=RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02),
)


def job(unique_ids: list[str | None]):
    packer = JobPacker()
    for i, uid in enumerate(unique_ids):
        attributes = {
            "profile": {"data": {"type": "profile", "attributes": {"email": f"r{i}@x.test"}}},
            "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
            "properties": {"unique_id": "a property of the same name does not count"},
        }
        if uid is not None:
            attributes["unique_id"] = uid
        split = split_event({"data": {"type": "event", "attributes": attributes}})
        assert not isinstance(split, str)
        packer.add(i, i + 1, split)
    (packed,) = packer.finish()
    return packed


def test_has_unique_id_reads_every_event_of_a_job():
    assert has_unique_id(job(["a", "b", "c"]).body)
    assert not has_unique_id(job(["a", None, "c"]).body)
    assert not has_unique_id(job([None]).body)
    doc = json.loads(job(["a"]).body)
    doc["data"]["attributes"]["events-bulk-create"]["data"][0]["attributes"]["events"]["data"][0][
        "attributes"
    ]["unique_id"] = ""
    assert not has_unique_id(json.dumps(doc).encode())


@pytest.mark.parametrize(("unique_ids", "attempts"), [(["a", "b"], 3), (["a", None], 1)])
def test_a_500_is_retried_only_when_every_event_has_a_unique_id(unique_ids, attempts):
    packed = job(unique_ids)
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SERVER_ERROR,))

    async def send():
        sender = Sender.open(url, revision="2026-07-15", settings=SETTINGS, endpoint="bulk")
        async with sender:
            return await sender.send_job(
                packed.body, path=bulk_path(sender.client.revision), metric=None,
                profile=None, run_id=None, job_events=packed.members,
            )  # fmt: skip

    with run_in_thread(config) as url:
        outcome, _ = asyncio.run(send())
    assert outcome.status == 500
    assert len(outcome.attempts) == attempts
