import asyncio
import json

import httpx

from composer.client import (
    ClientSettings,
    EventClient,
    RateLimiter,
    RateLimits,
    Window,
    parse_target,
)
from tests.client.fakes import FakeClock

KEY = "pk_" + "c3" * 17
BODY = json.dumps({"data": {"type": "event", "attributes": {"unique_id": "u"}}}).encode()


def most_in_any_window(times, seconds):
    times = sorted(times)
    best = 0
    for i, t in enumerate(times):
        j = i
        while j < len(times) and times[j] < t + seconds:
            j += 1
        best = max(best, j - i)
    return best


async def run_sends(n, limits, handler_factory, concurrency=8):
    clock = FakeClock()
    arrivals = []
    handler = handler_factory(clock, arrivals)
    settings = ClientSettings(limits=limits)
    async with EventClient(
        parse_target("http://127.0.0.1:9"),
        KEY,
        settings=settings,
        transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=clock.sleep,
    ) as client:
        sem = asyncio.Semaphore(concurrency)

        async def one():
            async with sem:
                return await client.send(BODY)

        outcomes = await asyncio.gather(*(one() for _ in range(n)))
    return outcomes, arrivals, clock


def plain(clock, arrivals):
    def handler(request):
        arrivals.append(clock())
        return httpx.Response(202)

    return handler


async def test_never_more_than_the_burst_limit_in_any_second():
    limits = RateLimits(burst=Window(5, 1.0), steady=Window(1000, 60.0))
    outcomes, arrivals, _clock = await run_sends(23, limits, plain)
    assert all(o.accepted for o in outcomes)
    assert most_in_any_window(arrivals, 1.0) == 5
    # and it does not dawdle: 23 requests at 5/s take just over 4 s
    assert arrivals[-1] - arrivals[0] < 4.5


async def test_the_steady_window_holds_too():
    limits = RateLimits(burst=Window(10, 1.0), steady=Window(30, 10.0))
    _outcomes, arrivals, _ = await run_sends(70, limits, plain)
    assert most_in_any_window(arrivals, 10.0) == 30
    assert most_in_any_window(arrivals, 1.0) <= 10


async def test_server_remaining_zero_pauses_until_its_reset():
    def factory(clock, arrivals):
        def handler(request):
            arrivals.append(clock())
            remaining = "0" if len(arrivals) == 2 else "100"
            return httpx.Response(
                202,
                headers={
                    "RateLimit-Limit": "3500",
                    "RateLimit-Remaining": remaining,
                    "RateLimit-Reset": "12",
                },
            )

        return handler

    _outcomes, arrivals, _ = await run_sends(3, RateLimits(), factory, concurrency=1)
    assert arrivals[2] - arrivals[1] >= 12


async def test_a_429_pauses_every_send_to_the_account():
    def factory(clock, arrivals):
        def handler(request):
            arrivals.append(clock())
            if len(arrivals) == 1:
                return httpx.Response(429, headers={"Retry-After": "5"})
            return httpx.Response(202)

        return handler

    outcomes, arrivals, _ = await run_sends(4, RateLimits(), factory, concurrency=4)
    assert all(o.accepted for o in outcomes)
    # the first answer said "wait 5 s"; nothing sent after it went out sooner
    assert all(t - arrivals[0] >= 5 for t in arrivals[1:] if t != arrivals[0])


async def test_a_cancelled_wait_takes_no_slot():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(burst=Window(1, 1.0)), clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    limiter.release()
    blocked = asyncio.Event()

    async def forever(seconds):
        blocked.set()
        await asyncio.sleep(60)

    limiter._sleep = forever
    task = asyncio.create_task(limiter.acquire())
    await asyncio.wait_for(blocked.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert limiter._windows[0].in_flight == 0


async def test_a_faster_server_clock_scales_its_reset_header():
    def factory(clock, arrivals):
        def handler(request):
            arrivals.append(clock())
            remaining = "0" if len(arrivals) == 1 else "100"
            return httpx.Response(
                202, headers={"RateLimit-Remaining": remaining, "RateLimit-Reset": "8"}
            )

        return handler

    limits = RateLimits.scaled(350, 3500, speedup=4)
    assert limits.burst.seconds == 0.25 and limits.steady.seconds == 15
    _, arrivals, _ = await run_sends(2, limits, factory, concurrency=1)
    assert arrivals[1] - arrivals[0] == 2  # 8 server seconds are 2 real ones
