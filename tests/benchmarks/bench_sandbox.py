"""Sandbox throughput: accepted Create Event requests per second over loopback, validation on.

The sandbox runs as `event-composer sandbox` in its own process (as a tester runs it); this
process generates the load over keep-alive HTTP/1.1 connections. Every request carries a fresh
unique_id, so each one is validated, accepted and recorded. Target: 1050/s (three times
Klaviyo's burst limit of 350/s), so the sandbox never limits a replay test.

Figures printed:
- sandbox, raw keep-alive client: the number compared with the target;
- bare uvicorn (same server set-up, an app that answers 202 without looking): the ceiling the
  HTTP layer allows on this machine, measured the same way in the same run;
- sandbox through httpx.AsyncClient (how the app's own client sees it) and in-process
  through httpx.ASGITransport (the app's default target, no socket).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import selectors
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from composer.domain.draft import sample_event

TARGET_PER_S = 1050
CONNECTIONS = 8
REQUESTS = 8000
WARMUP = 400
KEY = "pk_benchmark0123456789"
ROOT = Path(__file__).resolve().parents[2]
"""Where ``python -m tests.benchmarks.programs...`` finds the programs."""


def _body(unique_id: str) -> bytes:
    body = sample_event()
    body["data"]["attributes"]["unique_id"] = unique_id
    return json.dumps(body).encode()


def _request(host: str, unique_id: str) -> bytes:
    body = _body(unique_id)
    head = (
        f"POST /api/events/ HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Klaviyo-API-Key {KEY}\r\nrevision: 2023-01-24\r\n"
        f"Content-Type: application/json\r\nAccept: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@contextmanager
def _server(args: list[str]) -> Iterator[tuple[str, int]]:
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            if not sel.select(30):
                raise RuntimeError("the server did not start within 30 s")
        line = proc.stdout.readline().decode()
        m = re.match(r"Sandbox listening on http://([\d.]+):(\d+)", line)
        if not m:
            raise RuntimeError(f"unexpected first line {line!r}")
        yield m[1], int(m[2])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def _raw_load(
    host: str, port: int, total: int, connections: int
) -> tuple[Counter[int], float]:
    """Send ``total`` requests over ``connections`` keep-alive sockets; (statuses, seconds)."""
    per_connection = total // connections
    payloads = [
        [_request(host, str(uuid.uuid4())) for _ in range(per_connection)]
        for _ in range(connections)
    ]
    statuses: Counter[int] = Counter()

    async def one(requests: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for req in requests:
                writer.write(req)
                head = await reader.readuntil(b"\r\n\r\n")
                statuses[int(head[9:12])] += 1
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(p) for p in payloads))
    return statuses, time.perf_counter() - started


async def _httpx_load(
    base_url: str | None, total: int, connections: int, in_process: bool
) -> tuple[Counter[int], float]:
    import httpx

    from composer.sandbox import IN_PROCESS_BASE_URL, SandboxConfig, in_process_transport

    if in_process:
        config = SandboxConfig(burst_limit=10**7, steady_limit=10**8)
        client = httpx.AsyncClient(
            transport=in_process_transport(config), base_url=IN_PROCESS_BASE_URL
        )
    else:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        client = httpx.AsyncClient(base_url=base_url or "", limits=limits, timeout=30)
    headers = {
        "Authorization": f"Klaviyo-API-Key {KEY}",
        "revision": "2023-01-24",
        "Content-Type": "application/json",
    }
    statuses: Counter[int] = Counter()
    bodies = [_body(str(uuid.uuid4())) for _ in range(total)]

    async def worker(chunk: list[bytes]) -> None:
        for body in chunk:
            response = await client.post("/api/events/", content=body, headers=headers)
            statuses[response.status_code] += 1

    async with client:
        await worker(bodies[:50])  # warm-up, not counted
        statuses.clear()
        started = time.perf_counter()
        size = len(bodies) // connections
        await asyncio.gather(
            *(worker(bodies[i * size : (i + 1) * size]) for i in range(connections))
        )
        elapsed = time.perf_counter() - started
    return statuses, elapsed


def _measure_raw(host: str, port: int) -> float:
    asyncio.run(_raw_load(host, port, WARMUP, CONNECTIONS))
    statuses, elapsed = asyncio.run(_raw_load(host, port, REQUESTS, CONNECTIONS))
    if set(statuses) != {202}:
        raise RuntimeError(f"not every request was accepted: {dict(statuses)}")
    return statuses[202] / elapsed


def main() -> None:
    python = sys.executable
    unlimited = ["--burst-limit", "10000000", "--steady-limit", "100000000"]
    print(
        f"machine: {os.cpu_count()} cores; {CONNECTIONS} keep-alive connections, "
        f"{REQUESTS} requests, each with a fresh unique_id (validated and recorded)"
    )
    with _server([python, "-m", "composer", "sandbox", "--port", "0", *unlimited]) as (h, p):
        sandbox_rate = _measure_raw(h, p)
        statuses, elapsed = asyncio.run(
            _httpx_load(f"http://{h}:{p}", 2000, CONNECTIONS, in_process=False)
        )
        httpx_rate = statuses[202] / elapsed
    with _server([python, "-m", "tests.benchmarks.programs.bare_server"]) as (h, p):
        bare_rate = _measure_raw(h, p)
    statuses, elapsed = asyncio.run(_httpx_load(None, 3000, CONNECTIONS, in_process=True))
    in_process_rate = statuses[202] / elapsed

    print(
        f"sandbox over loopback (raw keep-alive client): {sandbox_rate:8.0f} accepted/s  "
        f"= {sandbox_rate / TARGET_PER_S:.2f} x the {TARGET_PER_S}/s target"
    )
    print(
        f"bare uvicorn, no validation (same client):     {bare_rate:8.0f} responses/s "
        f"(sandbox = {sandbox_rate / bare_rate:.2f} x bare)"
    )
    print(
        f"sandbox over loopback through httpx.AsyncClient: {httpx_rate:6.0f} accepted/s "
        f"(the client's own cost included)"
    )
    print(f"sandbox in-process through httpx.ASGITransport:  {in_process_rate:6.0f} accepted/s")


if __name__ == "__main__":
    main()
