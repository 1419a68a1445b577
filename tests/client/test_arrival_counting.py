"""The limiter counts a request from when its body went out, as a server counts arrivals, not
until its answer: Bulk Create Events jobs whose answers take a server 50 to 300 ms still go 10
in every second, and the server, counting by arrival in fixed windows of any alignment, never
sees more than its burst in one of them. Time is virtual; the server is the real sandbox app
with the same clock, reached in-process (its answer held back to stand for its processing)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from composer.client import BULK_LIMITS, ClientSettings, EventClient, RateLimiter, parse_target
from composer.client.ratelimit import ARRIVAL_SLACK, RateLimits, Window
from composer.domain.bulk import job_body, split_single_event
from composer.domain.bulk_pack import bulk_path
from composer.domain.revisions import get_revision
from composer.sandbox import SandboxApp, SandboxConfig, in_process_transport
from tests.client import virtual_time
from tests.client.fakes import FakeClock
from tests.client.virtual_time import VirtualClock

KEY = "pk_" + "ab" * 17
REVISION = "2026-07-15"
EPOCH = 1_795_000_000.0  # November 2026: the revision is out


def job(n: int, size: int = 5) -> bytes:
    groups = []
    for i in range(size):
        single = {
            "data": {
                "type": "event",
                "attributes": {
                    "profile": {"data": {"type": "profile", "attributes": {
                        "email": f"j{n}e{i}@shop.test"}}},
                    "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                    "properties": {"OrderId": f"ORD-{n}-{i}"},
                    "unique_id": f"job-{n}-{i}",
                },
            }
        }  # fmt: skip
        profile, event = split_single_event(single)
        groups.append((profile, [event]))
    return json.dumps(job_body(groups)).encode()


class ProcessingTransport(httpx.AsyncBaseTransport):
    """The sandbox ``one_way`` seconds away that takes ``processing`` seconds to answer a job
    after it counted it on arrival."""

    def __init__(self, app: SandboxApp, one_way: float, processing: float) -> None:
        self.inner = in_process_transport(app)
        self.one_way = one_way
        self.processing = processing

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.one_way)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        await asyncio.sleep(self.processing + self.one_way)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def send_jobs(n: int, *, phase: float, processing: float, one_way: float = 0.005):
    """``n`` jobs through one client at Bulk Create Events' limits, 10 at a time; the
    sandbox's windows start ``phase`` into the client's seconds. (outcomes, app, seconds
    from the first send to the last answer)."""
    clock = VirtualClock()
    app = SandboxApp(SandboxConfig(clock=lambda: EPOCH + phase + clock()))
    path = bulk_path(get_revision(REVISION))

    async def main():
        async with EventClient(
            parse_target("sandbox"),
            KEY,
            revision=REVISION,
            settings=ClientSettings(limits=BULK_LIMITS),
            transport=ProcessingTransport(app, one_way, processing),
            clock=clock,
            sleep=asyncio.sleep,
        ) as client:
            sem = asyncio.Semaphore(10)

            async def one(i: int):
                async with sem:
                    return await client.send_prepared(client.prepare(job(i), path=path))

            return await asyncio.gather(*(one(i) for i in range(n)))

    outcomes = virtual_time.run(main(), clock)
    return outcomes, app, clock()


@pytest.mark.parametrize("phase", [0.0, 0.3, 0.62, 0.995])
def test_slow_answers_do_not_slow_the_jobs_and_no_server_second_gets_more_than_ten(phase):
    outcomes, app, elapsed = send_jobs(40, phase=phase, processing=0.3)
    assert all(o.accepted for o in outcomes)
    assert app.stats.throttled == 0  # the server never counted 11 in one of its seconds
    assert app.stats.recorded == 40 * 5
    # 40 jobs at 10/s: the last goes 3 windows after the first. Counted until their answers
    # (0.31 s after arrival) each window would last 1.31 s: 3.93 s + the last answer (4.24 s).
    assert elapsed < 3 * (1 + ARRIVAL_SLACK + 0.005) + 0.31 + 0.05


def test_fast_answers_keep_the_count_to_the_answer():
    # A loopback single send answered within the slack: counted to its answer, as before.
    _outcomes, app, elapsed = send_jobs(20, phase=0.5, processing=0.0, one_way=0.001)
    assert app.stats.throttled == 0
    assert elapsed < 1 + 0.01 + 0.01


async def test_a_body_that_went_out_frees_its_slot_a_window_and_the_slack_after_it():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(Window(1, 1.0), Window(100, 60.0)), clock=clock)
    await limiter.acquire()
    sent = clock.now
    clock.now += 0.4  # the server takes 0.4 s to answer
    limiter.release(body_sent_at=sent)
    assert limiter._wait_needed(clock.now) == pytest.approx(1.0 + ARRIVAL_SLACK - 0.4)


async def test_a_body_not_known_to_have_gone_out_counts_until_a_window_after_its_answer():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(Window(1, 1.0), Window(100, 60.0)), clock=clock)
    await limiter.acquire()
    clock.now += 0.4  # refused before it was read, or the connection failed
    limiter.release()
    assert limiter._wait_needed(clock.now) == pytest.approx(1.0)


async def test_answers_out_of_order_free_the_earliest_counted_slot_first():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(Window(2, 1.0), Window(100, 60.0)), clock=clock)
    await limiter.acquire()
    first = clock.now
    await limiter.acquire()
    clock.now += 0.01
    second = clock.now
    clock.now += 0.01
    limiter.release(body_sent_at=second)  # answered first, counted at 1000.01 at the latest
    clock.now += 0.5
    limiter.release(body_sent_at=first)  # answered late, counted at 1000.00 + the slack
    assert limiter._wait_needed(clock.now) == pytest.approx(
        min(first + ARRIVAL_SLACK, second + 0.01) + 1.0 - clock.now
    )


async def test_single_creates_at_full_speed_over_loopback_get_no_429():
    # The single-send path under the same rule: a loopback answer comes within the slack, so
    # each send is counted to its answer; the sandbox, counting arrivals, refuses none.
    from composer.sandbox.server import run_in_thread

    config = SandboxConfig(burst_limit=20, steady_limit=1000)
    limits = RateLimits(Window(20, 1.0), Window(1000, 60.0))
    with run_in_thread(config) as url:
        async with EventClient(
            parse_target(url), KEY, revision=REVISION, settings=ClientSettings(limits=limits)
        ) as client:
            sem = asyncio.Semaphore(16)

            async def one(i: int):
                body = {
                    "data": {
                        "type": "event",
                        "attributes": {
                            "profile": {"data": {"type": "profile", "attributes": {
                                "email": f"s{i}@shop.test"}}},
                            "metric": {"data": {"type": "metric", "attributes": {
                                "name": "Viewed Product"}}},
                            "properties": {"n": i},
                            "unique_id": f"single-{i}",
                        },
                    }
                }  # fmt: skip
                async with sem:
                    return await client.send(json.dumps(body).encode())

            outcomes = await asyncio.gather(*(one(i) for i in range(50)))
        app = url.app
    assert all(o.accepted for o in outcomes)
    assert app.stats.throttled == 0
    assert app.stats.recorded == 50
