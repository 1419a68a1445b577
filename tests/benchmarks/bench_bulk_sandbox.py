"""Sandbox throughput in bulk: events per second taken through Bulk Create Events jobs of 1,000
events against the same events sent one by one to Create Event, in one run, as a ratio.

The sandbox runs as `event-composer sandbox` in its own process (its rate limits lifted: this
measures the sandbox, not Klaviyo's limits); this process sends over keep-alive HTTP/1.1. Every
event has a fresh unique_id and is validated, recorded and made readable. The figure that
matters for a replay of 100,000 events in <= 60 s with the client on the same 2-core machine
is the bulk wall time of 100 jobs (Klaviyo's own limits allow them in 10 s at the earliest).

Figures printed:
- single creates: events/s over 8 connections (revision 2026-07-15, /api/events);
- bulk: 100 jobs of 1,000 events (100 profiles x 10 events) over 2 connections: events/s and
  the wall time of the 100,000 events; the ratio bulk / single;
- one job's round trip over loopback, one at a time (median of 20);
- one job's processing in the sandbox alone (in-process ASGI call, no socket; median of 20),
  wall and CPU time (the CPU figure holds on a machine shared with other work).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import MutableMapping
from typing import Any

from composer.domain import bulk
from tests.benchmarks.bench_sandbox import _server

KEY = "pk_benchmark0123456789"
REVISION = "2026-07-15"
SINGLES = 4000
JOBS = 100
PER_JOB = 1000
PER_PROFILE = 10


def _event(unique_id: str) -> dict[str, Any]:
    return {
        "type": "event",
        "attributes": {
            "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
            "properties": {
                "OrderId": unique_id,
                "Items": [{"sku": "WINNIE-1", "name": "Winnie the Pooh", "price": 9.99}],
                "Total": 9.99,
            },
            "time": "2026-11-01T10:00:00+00:00",
            "value": 9.99,
            "value_currency": "USD",
            "unique_id": unique_id,
        },
    }


def _profile(n: int) -> dict[str, Any]:
    return {
        "data": {
            "type": "profile",
            "attributes": {"email": f"p{n}@example.com", "phone_number": "+15005550006"},
        }
    }


def _job(tag: str) -> bytes:
    groups = [
        (_profile(g), [_event(f"{tag}-{g}-{k}-{uuid.uuid4()}") for k in range(PER_PROFILE)])
        for g in range(PER_JOB // PER_PROFILE)
    ]
    return json.dumps(bulk.job_body(groups)).encode()


def _single(n: int) -> bytes:
    profile, event = _profile(n % 100), _event(str(uuid.uuid4()))
    return json.dumps(bulk.single_event_body(profile, event)).encode()


def _request(host: str, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Klaviyo-API-Key {KEY}\r\nrevision: {REVISION}\r\n"
        f"Content-Type: application/vnd.api+json\r\nAccept: application/vnd.api+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _load(
    host: str, port: int, batches: list[list[bytes]]
) -> tuple[Counter[int], float, list[float]]:
    """Send each batch over its own keep-alive connection; (statuses, seconds, round trips)."""
    statuses: Counter[int] = Counter()
    trips: list[float] = []

    async def one(requests: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for req in requests:
                sent = time.perf_counter()
                writer.write(req)
                head = await reader.readuntil(b"\r\n\r\n")
                statuses[int(head[9:12])] += 1
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                trips.append(time.perf_counter() - sent)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(b) for b in batches))
    return statuses, time.perf_counter() - started, trips


def _in_process_job_ms(jobs: list[bytes]) -> tuple[float, float]:
    """Median ms (wall, CPU) the sandbox takes for one job with no socket: the ASGI call
    alone. The CPU time is what the job costs whatever else the machine is doing."""
    from composer.sandbox import SandboxConfig, create_app

    app = create_app(SandboxConfig(bulk_burst_limit=10**6, bulk_steady_limit=10**7,
                                   max_recorded=200_000))  # fmt: skip
    headers = [
        (b"authorization", f"Klaviyo-API-Key {KEY}".encode()),
        (b"revision", REVISION.encode()),
        (b"content-type", b"application/vnd.api+json"),
    ]
    times: list[float] = []
    cpu: list[float] = []

    async def call(body: bytes) -> int:
        scope = {"type": "http", "method": "POST", "path": "/api/event-bulk-create-jobs",
                 "headers": [*headers, (b"content-length", str(len(body)).encode())]}  # fmt: skip
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    async def run() -> None:
        assert await call(jobs[0]) == 202  # warm-up: validators and schemas loaded
        for body in jobs[1:]:
            started, cpu_started = time.perf_counter(), time.process_time()
            status = await call(body)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            if status != 202:
                raise RuntimeError(f"a job was answered {status}")

    asyncio.run(run())
    return statistics.median(times) * 1000, statistics.median(cpu) * 1000


def main() -> None:
    python = sys.executable
    print(f"machine: {os.cpu_count()} cores; revision {REVISION}; every event has a fresh "
          "unique_id (validated, recorded, readable)")  # fmt: skip
    lifted = ["--burst-limit", "10000000", "--steady-limit", "100000000",
              "--bulk-burst-limit", "1000000", "--bulk-steady-limit", "10000000",
              "--max-recorded", "300000"]  # fmt: skip
    jobs = [_job(f"j{j}") for j in range(JOBS)]
    extra_jobs = [_job(f"x{j}") for j in range(21)]
    singles = [_single(n) for n in range(SINGLES)]
    with _server([python, "-m", "composer", "sandbox", "--port", "0", *lifted]) as (host, port):
        warm = [_request(host, "/api/events", _single(n)) for n in range(200)]
        warm.append(_request(host, "/api/event-bulk-create-jobs", _job("warm")))
        asyncio.run(_load(host, port, [warm]))

        per = SINGLES // 8
        requests = [_request(host, "/api/events", b) for b in singles]
        statuses, single_s, _ = asyncio.run(
            _load(host, port, [requests[i * per : (i + 1) * per] for i in range(8)])
        )
        if set(statuses) != {202}:
            raise RuntimeError(f"not every single create was accepted: {dict(statuses)}")
        single_rate = SINGLES / single_s

        requests = [_request(host, "/api/event-bulk-create-jobs", b) for b in jobs]
        statuses, bulk_s, _ = asyncio.run(_load(host, port, [requests[0::2], requests[1::2]]))
        if set(statuses) != {202}:
            raise RuntimeError(f"not every job was accepted: {dict(statuses)}")
        bulk_rate = JOBS * PER_JOB / bulk_s

        one_by_one = [_request(host, "/api/event-bulk-create-jobs", b) for b in extra_jobs[:20]]
        _, _, trips = asyncio.run(_load(host, port, [one_by_one]))
    job_ms, job_cpu_ms = _in_process_job_ms([_job(f"i{j}") for j in range(21)])

    print(f"single creates: {single_rate:,.0f} events/s ({SINGLES} requests, 8 connections)")
    print(f"bulk: {bulk_rate:,.0f} events/s; {JOBS * PER_JOB:,} events in {JOBS} jobs took "
          f"{bulk_s:.2f} s (2 connections)")  # fmt: skip
    print(f"bulk / single: {bulk_rate / single_rate:.1f}x the events per second")
    print(f"one job of {PER_JOB} events: {statistics.median(trips) * 1000:.0f} ms round trip "
          f"over loopback; in the sandbox alone {job_ms:.0f} ms wall, {job_cpu_ms:.0f} ms CPU "
          "(medians of 20)")  # fmt: skip


if __name__ == "__main__":
    main()
