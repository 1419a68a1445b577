import asyncio
import json

import httpx
import pytest

from composer import __version__
from composer.client import (
    ClientSettings,
    EventClient,
    KeyFormatError,
    RetryPolicy,
    SendCancelled,
    Timeouts,
    parse_target,
)
from composer.domain.outcome import REDACTED, TransportErrorKind
from tests.client.fakes import FakeClock

KEY = "pk_" + "a1" * 17
BODY = json.dumps(
    {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {"$email": "a@example.com"},
                "metric": {"name": "Viewed"},
                "properties": {},
                "unique_id": "u-1",
            },
        }
    }
).encode()


def make_client(handler, *, target="http://127.0.0.1:9", settings=None, clock=None, **kw):
    clock = clock or FakeClock()
    return EventClient(
        parse_target(target),
        KEY,
        transport=httpx.MockTransport(handler),
        settings=settings,
        clock=clock,
        sleep=clock.sleep,
        rng=lambda: 0.5,
        **kw,
    )


async def test_request_carries_the_headers_the_spec_asks_for():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(202)

    # 2023-01-24: its path has the trailing slash and its media type is application/json
    async with make_client(handler, revision="2023-01-24") as client:
        outcome = await client.send(BODY)
    request = seen[0]
    assert request.method == "POST"
    assert request.url == "http://127.0.0.1:9/api/events/"
    assert request.headers["Authorization"] == f"Klaviyo-API-Key {KEY}"
    assert request.headers["revision"] == "2023-01-24"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json"
    assert f"event-composer/{__version__}" in request.headers["User-Agent"]
    assert request.content == BODY
    assert outcome.accepted and outcome.status_class == "2xx"
    assert len(outcome.attempts) == 1


async def test_path_and_content_type_follow_the_revision():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(202)

    async with make_client(handler, revision="2024-10-15") as client:
        await client.send(BODY)
    assert seen[0].url.path == "/api/events"
    assert seen[0].headers["Content-Type"] == "application/vnd.api+json"
    assert seen[0].headers["revision"] == "2024-10-15"


async def test_the_recorded_request_never_holds_the_key():
    async with make_client(lambda r: httpx.Response(202)) as client:
        outcome = await client.send(BODY)
    headers = dict(outcome.request.headers)
    assert headers["authorization"] == REDACTED
    assert KEY not in repr(outcome)


async def test_error_body_becomes_findings_with_pointers():
    error = {
        "errors": [
            {
                "id": "1",
                "status": 400,
                "code": "invalid",
                "title": "Invalid input.",
                "detail": "'metric' is a required property",
                "source": {"pointer": "/data/attributes/metric"},
            }
        ]
    }

    def handler(request):
        return httpx.Response(
            400,
            json=error,
            headers={
                "RateLimit-Limit": "3500",
                "RateLimit-Remaining": "3499",
                "RateLimit-Reset": "42",
            },
        )

    async with make_client(handler) as client:
        outcome = await client.send(BODY)
    assert outcome.status == 400 and not outcome.accepted
    assert outcome.findings[0].pointer == "/data/attributes/metric"
    assert "required" in outcome.findings[0].message
    assert outcome.rate_limit is not None
    assert (outcome.rate_limit.limit, outcome.rate_limit.remaining) == (3500, 3499)
    assert outcome.rate_limit.reset_seconds == 42
    assert len(outcome.attempts) == 1  # a 400 is never retried


async def test_total_timeout_gives_a_timeout_outcome():
    async def handler(request):
        await asyncio.sleep(5)
        return httpx.Response(202)

    settings = ClientSettings(timeouts=Timeouts(total=0.05))
    async with make_client(handler, settings=settings) as client:
        outcome = await client.send(BODY)
    assert outcome.status is None
    assert outcome.error is not None and outcome.error.kind is TransportErrorKind.TIMEOUT
    assert "0.05 s" in outcome.error.message


async def test_cancellation_raises_with_a_cancelled_outcome():
    started = asyncio.Event()

    async def handler(request):
        started.set()
        await asyncio.sleep(30)
        return httpx.Response(202)

    async with make_client(handler) as client:
        task = asyncio.create_task(client.send(BODY))
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        with pytest.raises(SendCancelled) as info:
            await task
    outcome = info.value.outcome
    assert outcome.error is not None and outcome.error.kind is TransportErrorKind.CANCELLED
    assert outcome.attempts[-1].error.kind is TransportErrorKind.CANCELLED
    assert isinstance(info.value, asyncio.CancelledError)


async def test_a_broken_peer_is_an_outcome_not_an_exception():
    def handler(request):
        raise RuntimeError("boom")

    settings = ClientSettings(retry=RetryPolicy(max_attempts=1))
    async with make_client(handler, settings=settings) as client:
        outcome = await client.send(BODY)
    assert outcome.error is not None and outcome.error.kind is TransportErrorKind.OTHER


def test_a_key_with_a_line_break_is_refused_without_echoing_it():
    with pytest.raises(KeyFormatError) as info:
        EventClient(
            parse_target("http://127.0.0.1:9"),
            "pk_abc\nX-Evil: 1",
            transport=httpx.MockTransport(lambda r: httpx.Response(202)),
        )
    assert "pk_abc" not in str(info.value)


def test_the_sandbox_target_needs_its_transport():
    with pytest.raises(ValueError, match="ASGI transport"):
        EventClient(parse_target("sandbox"), KEY)


async def test_production_uses_a_verifying_transport():
    client = EventClient(parse_target("production"), KEY)
    try:
        bottom = client._http._transport.inner.inner  # type: ignore[attr-defined]
        assert isinstance(bottom, httpx.AsyncHTTPTransport)
        pool = bottom._pool
        assert pool._ssl_context.verify_mode.name == "CERT_REQUIRED"
        assert pool._ssl_context.check_hostname
    finally:
        await client.aclose()
