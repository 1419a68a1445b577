"""A quota shared with other integrations: after a 429 the client sends no faster than what got
through, and climbs back slowly (AIMD). Time is the injected clock; the server is the real
sandbox app with the same clock, reached in-process."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from composer.client import (
    ClientSettings,
    EventClient,
    LimiterRegistry,
    RateLimiter,
    RateLimits,
    RetryPolicy,
    Window,
    parse_target,
)
from composer.client.adaptive import AdaptiveLimit
from composer.sandbox import SandboxApp, SandboxConfig, in_process_transport
from tests.client import virtual_time
from tests.client.fakes import FakeClock
from tests.client.virtual_time import LatencyTransport, VirtualClock

KEY = "pk_" + "ad" * 17
START = 1_700_000_000.25  # epoch seconds, a quarter into a second (the sandbox's windows)


# -- one window's limit ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "got_through", "after"),
    [
        (350, 50, 50),  # down to what got through
        (51, 50, 45),  # never more than 90% of what it was
        (350, 0, 1),  # nothing got through: one per window, never zero
        (10, 400, 9),  # more got through than allowed (two server windows): 90%
        (1, 0, 1),
    ],
)
def test_a_429_lowers_the_limit_to_what_got_through(before, got_through, after):
    limit = AdaptiveLimit(350, 1.0)
    if before != 350:
        limit._floor, limit._lowered_at = float(before), 100.0  # as after a decrease
    for i in range(got_through):
        limit.passed(100.0 + i / max(1, got_through) * 0.9)
    assert limit.current(100.9) == before
    assert limit.lower(100.95) == after
    assert limit.current(100.95) == after


def test_the_limit_climbs_back_by_a_small_step_per_clean_window_to_the_ceiling():
    limit = AdaptiveLimit(350, 1.0)
    for i in range(50):
        limit.passed(10.0 + i / 100)
    assert limit.lower(10.5) == 50
    step = limit.step
    assert 1 <= step <= 350 * 0.01  # slowly: at most 1% of the ceiling per window
    seen = [limit.current(10.5 + t) for t in (0.0, 0.99, 1.0, 2.0, 10.0)]
    assert seen == [50, 50, int(50 + step), int(50 + 2 * step), int(50 + 10 * step)]
    assert limit.current(10.5 + (300 / step) + 1) == 350
    assert limit.lowered_at is None  # back at the ceiling


def test_only_requests_within_the_last_window_count_as_got_through():
    limit = AdaptiveLimit(3500, 60.0)
    for t in (0.0, 10.0, 59.0, 61.0, 100.0):
        limit.passed(t)
    assert limit.got_through(100.0) == 3  # 59, 61 and 100; 0 and 10 are over a minute ago


# -- which window a 429 points at ------------------------------------------------------------


def throttled(retry_after: str | None = None, detail_seconds: int | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {"errors": [{"status": 429, "code": "throttled", "title": "Request was throttled."}]}
    if detail_seconds is not None:
        body["errors"][0]["detail"] = (
            f"Request was throttled. Expected available in {detail_seconds} seconds."
        )
    request = httpx.Request("POST", "http://127.0.0.1:9/api/events/")
    return httpx.Response(429, headers=headers, content=json.dumps(body).encode(), request=request)


def accepted() -> httpx.Response:
    return httpx.Response(202, request=httpx.Request("POST", "http://127.0.0.1:9/api/events/"))


@pytest.mark.parametrize(
    ("response", "lowered"),
    [
        (throttled("1"), "burst"),
        (throttled(None, 0), "burst"),  # Klaviyo's March 2023 429: no header, "0 seconds"
        (throttled(), "burst"),  # nothing to go on
        (throttled("37"), "steady"),  # only the minute window makes one wait that long
        (throttled(None, 42), "steady"),
    ],
)
def test_a_429_lowers_the_window_it_points_at(response, lowered):
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(), clock=clock, sleep=clock.sleep)
    for _ in range(40):
        limiter.observe(accepted())
    limiter.observe(response)
    burst, steady = limiter.current_limits()
    if lowered == "burst":
        assert (burst, steady) == (40, 3500)
    else:
        assert (burst, steady) == (350, 40)


def test_a_wave_of_429s_sent_before_the_decrease_lowers_only_once():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(), clock=clock, sleep=clock.sleep)
    sent_at = clock()
    for _ in range(50):
        limiter.observe(accepted(), sent_at)
    clock.now += 0.01
    for _ in range(16):  # the requests already in flight when the first 429 came back
        limiter.observe(throttled("1"), sent_at)
    assert limiter.current_limits()[0] == 50
    clock.now += 0.5
    limiter.observe(throttled("1"), clock())  # sent under the new limit: a suspicion...
    assert limiter.current_limits()[0] == 50
    clock.now += 0.02
    limiter.observe(throttled("1"), clock())  # ...that the next send's 429 confirms
    assert limiter.current_limits()[0] == 45


def test_a_429_followed_by_a_success_sent_just_after_it_is_not_about_the_rate():
    # A full second refuses everything sent in the rest of it; a 429 whose next send is let
    # through was something else (the sandbox's injected faults, a hiccup): no decrease.
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(), clock=clock, sleep=clock.sleep)
    for _ in range(30):
        limiter.observe(accepted(), clock())
        clock.now += 0.01
    refused_at = clock()
    clock.now += 0.01
    limiter.observe(throttled("1"), refused_at)
    limiter.observe(accepted(), refused_at + 0.005)
    assert limiter.current_limits() == (350, 3500)
    # the same 429 followed by another one is: down to what got through
    clock.now += 0.01
    limiter.observe(throttled("1"), clock())
    clock.now += 0.01
    limiter.observe(throttled("1"), clock())
    assert limiter.current_limits()[0] == 31


# -- whole runs against the sandbox ----------------------------------------------------------


FLAT_REVISION = "2023-01-24"
"""The revision event() is written for (flat profile and metric), sent with it."""


def event(i: int) -> bytes:
    attributes = {
        "profile": {"$email": f"p{i}@example.com"},
        "metric": {"name": "Viewed Product"},
        "properties": {"n": i},
        "unique_id": f"aimd-{i}",
    }
    return json.dumps({"data": {"type": "event", "attributes": attributes}}).encode()


def run_against_sandbox(
    n: int,
    *,
    burst: int,
    steady: int,
    clients: int = 1,
    concurrency: int = 16,
    limits: RateLimits | None = None,
    one_way: float = 0.01,
):
    """Send n events through ``clients`` clients of one account (one shared limiter) to an
    in-process sandbox limited to ``burst``/s and ``steady``/min, ``one_way`` seconds away, in
    virtual time."""
    clock = VirtualClock()
    app = SandboxApp(
        SandboxConfig(burst_limit=burst, steady_limit=steady, clock=lambda: START + clock())
    )

    async def main():
        limiter = LimiterRegistry().get(
            "sandbox", "Staging", limits or RateLimits(), clock=clock, sleep=asyncio.sleep
        )
        settings = ClientSettings(limits=limits or RateLimits(), retry=RetryPolicy(max_attempts=10))
        opened = [
            EventClient(
                parse_target("sandbox"),
                KEY,
                settings=settings,
                transport=LatencyTransport(in_process_transport(app), one_way),
                limiter=limiter,
                clock=clock,
                sleep=asyncio.sleep,
                rng=lambda: 0.5,
                revision=FLAT_REVISION,
            )
            for _ in range(clients)
        ]
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int):
            async with sem:
                return await opened[i % clients].send(event(i))

        outcomes = await asyncio.gather(*(one(i) for i in range(n)))
        for client in opened:
            await client.aclose()
        return outcomes, limiter

    outcomes, limiter = virtual_time.run(main(), clock)
    attempts = sum(len(o.attempts) for o in outcomes)
    refused = sum(1 for o in outcomes for a in o.attempts if a.status == 429)
    return outcomes, app, attempts, refused, clock(), limiter


def recorded_once(app: SandboxApp, n: int) -> bool:
    ids = [e.unique_id for e in app.recorder.newest_first()]
    return len(ids) == n and len(set(ids)) == n


def test_an_unknown_lower_burst_limit_is_found_with_few_429s():
    n = 300
    outcomes, app, attempts, refused, elapsed, limiter = run_against_sandbox(
        n, burst=50, steady=600
    )
    assert all(o.accepted for o in outcomes)
    assert recorded_once(app, n)
    assert refused / attempts <= 0.10, f"{refused} of {attempts} sends answered 429"
    assert limiter.current_limits()[0] < 60  # it learnt the real burst limit
    assert elapsed < n / 50 * 1.6  # and still sends near it (5 s is the best possible)


def test_over_several_minutes_the_steady_window_binds_without_more_429s():
    # The minute window is known from the RateLimit-* headers of the accepted sends; the
    # burst limit, learnt from 429s, climbs back while the client waits for the next minute.
    n = 1500
    outcomes, app, attempts, refused, elapsed, _limiter = run_against_sandbox(
        n, burst=50, steady=600
    )
    assert all(o.accepted for o in outcomes)
    assert recorded_once(app, n)
    assert refused / attempts <= 0.10, f"{refused} of {attempts} sends answered 429"
    # 600 in the first minute's last 39.75 s, 600 in the next, 300 in the third
    assert elapsed < 39.75 + 60 + 8


def test_every_client_of_the_account_slows_down_together():
    n = 300
    outcomes, app, attempts, refused, _elapsed, limiter = run_against_sandbox(
        n, burst=50, steady=3000, clients=3
    )
    assert all(o.accepted for o in outcomes)
    assert recorded_once(app, n)
    assert refused / attempts <= 0.10, f"{refused} of {attempts} sends answered 429"
    assert limiter.current_limits()[0] <= 55


def test_within_the_real_limit_nothing_changes():
    limits = RateLimits(Window(20, 1.0), Window(1000, 60.0))
    outcomes, _app, _attempts, refused, _elapsed, limiter = run_against_sandbox(
        100, burst=20, steady=1000, limits=limits
    )
    assert all(o.accepted for o in outcomes) and refused == 0
    assert limiter.current_limits() == (20, 1000)


# -- over real loopback ----------------------------------------------------------------------


async def test_over_loopback_a_sandbox_with_lower_limits_gets_few_429s():
    from composer.sandbox.server import run_in_thread

    n = 60
    app = SandboxApp(SandboxConfig(burst_limit=20, steady_limit=600))
    with run_in_thread(app) as url:
        settings = ClientSettings(retry=RetryPolicy(max_attempts=10))  # told nothing of 20/s
        async with EventClient(
            parse_target(url), KEY, settings=settings, revision=FLAT_REVISION
        ) as client:
            sem = asyncio.Semaphore(8)

            async def one(i: int):
                async with sem:
                    return await client.send(event(i))

            outcomes = await asyncio.gather(*(one(i) for i in range(n)))
            burst, _steady = client.limiter.current_limits()
    attempts = sum(len(o.attempts) for o in outcomes)
    refused = sum(1 for o in outcomes for a in o.attempts if a.status == 429)
    assert all(o.accepted for o in outcomes)
    assert recorded_once(app, n)
    assert app.stats.throttled == refused
    # the first wave (the sends in flight when the first 429 came back) and at most a probe
    assert refused <= 8 + 2, f"{refused} of {attempts} sends answered 429"
    assert burst < 60  # it found a limit far below the 350/s it was told
