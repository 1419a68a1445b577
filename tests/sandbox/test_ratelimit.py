"""Per-key fixed windows (burst per second, steady per minute), driven by an injected clock."""

from __future__ import annotations

from composer.sandbox.ratelimit import RateLimiter
from tests.sandbox.conftest import (
    KEY,
    OTHER_KEY,
    START,
    Sandbox,
    SandboxFactory,
    assert_jsonapi_error,
    event_body,
)


async def test_over_the_burst_limit_is_429_until_the_next_second(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox: Sandbox = await make_sandbox(burst_limit=3, steady_limit=100)
    for _ in range(3):
        assert (await sandbox.post()).status_code == 202
    response = await sandbox.post()
    error = assert_jsonapi_error(response, 429, "throttled")
    assert error["detail"] == "Request was throttled. Expected available in 1 seconds."
    assert response.headers["Retry-After"] == "1"
    # Klaviyo: the RateLimit-* headers are replaced by Retry-After on a 429.
    assert "RateLimit-Limit" not in response.headers
    assert "RateLimit-Remaining" not in response.headers
    sandbox.clock.advance(0.999)
    assert (await sandbox.post()).status_code == 429
    sandbox.clock.advance(0.001)
    assert (await sandbox.post()).status_code == 202
    stats = sandbox.app.stats_json()
    assert stats["throttled"] == 2
    assert stats["accepted"] == 4


async def test_over_the_steady_limit_waits_for_the_minute_to_end(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox: Sandbox = await make_sandbox(burst_limit=10, steady_limit=4)
    remaining = []
    for _ in range(4):
        response = await sandbox.post()
        assert response.status_code == 202
        remaining.append(response.headers["RateLimit-Remaining"])
        sandbox.clock.advance(1.0)
    assert remaining == ["3", "2", "1", "0"]
    # START is 20 s into its minute; four requests later the clock is 24 s in.
    response = await sandbox.post()
    error = assert_jsonapi_error(response, 429, "throttled")
    assert response.headers["Retry-After"] == "36"
    assert error["detail"] == "Request was throttled. Expected available in 36 seconds."
    sandbox.clock.advance(35.5)
    assert (await sandbox.post()).status_code == 429
    sandbox.clock.advance(0.5)
    response = await sandbox.post()
    assert response.status_code == 202
    assert response.headers["RateLimit-Remaining"] == "3"
    assert response.headers["RateLimit-Reset"] == "60"


async def test_limits_are_per_key(make_sandbox: SandboxFactory) -> None:
    sandbox: Sandbox = await make_sandbox(burst_limit=1, steady_limit=100)
    assert (await sandbox.post(key=KEY)).status_code == 202
    assert (await sandbox.post(key=KEY)).status_code == 429
    assert (await sandbox.post(key=OTHER_KEY)).status_code == 202


async def test_refused_requests_report_the_window_without_using_it(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox: Sandbox = await make_sandbox(burst_limit=100, steady_limit=10)
    assert (await sandbox.post()).status_code == 202
    invalid = await sandbox.post(raw=b"{}")
    assert invalid.status_code == 400
    assert invalid.headers["RateLimit-Remaining"] == "8"  # a body error still counts
    no_revision = await sandbox.post(revision=None)
    assert no_revision.headers["RateLimit-Remaining"] == "8"  # refused before counting
    assert (await sandbox.post()).headers["RateLimit-Remaining"] == "7"


async def test_throttled_events_are_not_recorded(make_sandbox: SandboxFactory) -> None:
    sandbox: Sandbox = await make_sandbox(burst_limit=1)
    await sandbox.post(event_body(unique_id="a"))
    await sandbox.post(event_body(unique_id="b"))
    assert [e.unique_id for e in sandbox.app.events()] == ["a"]


def test_the_limiter_forgets_idle_keys_when_many_are_tracked() -> None:
    limiter = RateLimiter(burst_limit=5, steady_limit=5)
    for i in range(10_000):
        limiter.hit(f"pk_{i}", START)
    verdict = limiter.hit("pk_new", START + 60)  # a new minute: every old key is idle
    assert verdict.allowed
    assert len(limiter._keys) == 1
