import json

import httpx
import pytest

from composer.client import ClientSettings, EventClient, RetryPolicy, parse_target
from composer.client.retry import has_unique_id, should_retry
from composer.domain.outcome import TransportError, TransportErrorKind
from tests.client.fakes import FakeClock

KEY = "pk_" + "b2" * 17


def body(unique_id="u-1"):
    attributes = {
        "profile": {"$email": "a@example.com"},
        "metric": {"name": "Viewed"},
        "properties": {},
    }
    if unique_id is not None:
        attributes["unique_id"] = unique_id
    return json.dumps({"data": {"type": "event", "attributes": attributes}}).encode()


def scripted(*responses):
    """A transport answering each request with the next item (a Response or an exception)."""
    calls = []
    queue = list(responses)

    def handler(request):
        calls.append(request)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, calls


async def send(handler, payload=None, policy=None, rng=0.5):
    clock = FakeClock()
    settings = ClientSettings(retry=policy or RetryPolicy())
    async with EventClient(
        parse_target("http://127.0.0.1:9"),
        KEY,
        settings=settings,
        transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=clock.sleep,
        rng=lambda: rng,
    ) as client:
        outcome = await client.send(payload if payload is not None else body())
    return outcome, clock


THROTTLED = {
    "errors": [
        {
            "id": "x",
            "status": 429,
            "code": "throttled",
            "title": "Request was throttled.",
            "detail": "Request was throttled. Expected available in 3 seconds.",
            "source": {"pointer": "/data/"},
        }
    ]
}


async def test_429_waits_retry_after_then_succeeds():
    handler, calls = scripted(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(202)
    )
    outcome, clock = await send(handler)
    assert outcome.accepted
    assert len(calls) == 2
    assert 7 in clock.sleeps
    assert [a.status for a in outcome.attempts] == [429, 202]
    assert outcome.attempts[1].waited_ms >= 7000
    assert outcome.extra["throttled"] == 1


async def test_429_without_retry_after_reads_expected_available_from_the_body():
    handler, _calls = scripted(httpx.Response(429, json=THROTTLED), httpx.Response(202))
    outcome, clock = await send(handler)
    assert outcome.accepted
    assert 3 in clock.sleeps


async def test_429_with_nothing_to_go_on_backs_off_with_full_jitter():
    handler, _ = scripted(httpx.Response(429), httpx.Response(429), httpx.Response(202))
    outcome, clock = await send(handler, rng=0.5)
    assert outcome.accepted
    # ceilings 0.5 then 1.0 s, times the injected jitter 0.5; once a second 429 in a row
    # confirms that nothing gets through, the rate limiter also spaces the tries a second apart
    retry_sleeps = [s for s in clock.sleeps if s > 0]
    assert retry_sleeps[:2] == [0.25, 0.5]
    assert [a.waited_ms for a in outcome.attempts] == [0.0, 250.0, 1000.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried_when_the_event_has_a_unique_id(status):
    handler, calls = scripted(httpx.Response(status), httpx.Response(202))
    outcome, _ = await send(handler)
    assert outcome.accepted and len(calls) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 408, 413, 415, 501])
async def test_client_errors_are_final(status):
    handler, calls = scripted(httpx.Response(status), httpx.Response(202))
    outcome, clock = await send(handler)
    assert outcome.status == status
    assert len(calls) == 1 and not [s for s in clock.sleeps if s > 0]


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_without_unique_id_an_answer_that_may_follow_processing_is_final(status):
    handler, calls = scripted(httpx.Response(status), httpx.Response(202))
    outcome, _ = await send(handler, payload=body(unique_id=None))
    assert outcome.status == status
    assert len(calls) == 1
    assert any("no unique_id" in n for n in outcome.extra["notes"])


@pytest.mark.parametrize("status", [429, 503])
async def test_not_processed_answers_are_retried_even_without_unique_id(status):
    handler, calls = scripted(
        httpx.Response(status, headers={"Retry-After": "1"}), httpx.Response(202)
    )
    outcome, _ = await send(handler, payload=body(unique_id=None))
    assert outcome.accepted and len(calls) == 2


async def test_without_unique_id_a_refused_connection_is_retried_a_read_timeout_is_not():
    handler, calls = scripted(
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(202),
    )
    outcome, _ = await send(handler, payload=body(unique_id=None))
    assert len(calls) == 2
    assert outcome.error is not None and outcome.error.kind is TransportErrorKind.TIMEOUT
    assert [a.error.request_sent for a in outcome.attempts] == [False, True]


def _error(kind, sent):
    return TransportError(kind, "x", sent)


@pytest.mark.parametrize(
    ("status", "error", "unique", "retry"),
    [
        (429, None, False, True),
        (429, None, True, True),
        (503, None, False, True),
        (503, None, True, True),
        (500, None, True, True),
        (500, None, False, False),
        (502, None, True, True),
        (502, None, False, False),
        (504, None, True, True),
        (504, None, False, False),
        (400, None, True, False),
        (401, None, True, False),
        (408, None, True, False),
        (501, None, True, False),
        (202, None, True, False),
        (None, _error(TransportErrorKind.TIMEOUT, True), True, True),
        (None, _error(TransportErrorKind.TIMEOUT, True), False, False),
        (None, _error(TransportErrorKind.TIMEOUT, False), False, True),
        (None, _error(TransportErrorKind.RESET, True), True, True),
        (None, _error(TransportErrorKind.RESET, True), False, False),
        (None, _error(TransportErrorKind.RESET, None), False, False),
        (None, _error(TransportErrorKind.REFUSED, False), False, True),
        (None, _error(TransportErrorKind.REFUSED, False), True, True),
        (None, _error(TransportErrorKind.DNS, False), True, False),
        (None, _error(TransportErrorKind.TLS, False), True, False),
        (None, _error(TransportErrorKind.PROTOCOL, True), True, False),
        (None, _error(TransportErrorKind.CANCELLED, None), True, False),
    ],
)
def test_retry_rules(status, error, unique, retry):
    assert should_retry(status, error, has_unique_id=unique) is retry


async def test_connection_errors_are_retried():
    handler, _calls = scripted(
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.RemoteProtocolError("Server disconnected"),
        httpx.Response(202),
    )
    outcome, _ = await send(handler)
    assert outcome.accepted
    assert [a.error.kind if a.error else a.status for a in outcome.attempts] == [
        TransportErrorKind.REFUSED,
        TransportErrorKind.RESET,
        202,
    ]


async def test_attempts_are_bounded_and_the_last_failure_is_reported():
    handler, calls = scripted(httpx.ReadTimeout("timed out"))
    outcome, _ = await send(handler, policy=RetryPolicy(max_attempts=3))
    assert len(calls) == 3
    assert outcome.error is not None and outcome.error.kind is TransportErrorKind.TIMEOUT
    assert len(outcome.attempts) == 3


async def test_a_tls_failure_is_not_retried():
    import ssl

    exc = httpx.ConnectError("certificate verify failed")
    exc.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    handler, calls = scripted(exc)
    outcome, _ = await send(handler)
    assert len(calls) == 1
    assert outcome.error.kind is TransportErrorKind.TLS


async def test_a_wait_longer_than_allowed_returns_the_429():
    handler, calls = scripted(
        httpx.Response(429, headers={"Retry-After": "600"}), httpx.Response(202)
    )
    outcome, _clock = await send(handler, policy=RetryPolicy(max_wait=60))
    assert outcome.status == 429
    assert len(calls) == 1
    assert outcome.rate_limit.retry_after == 600
    assert any("600 s" in n for n in outcome.extra["notes"])


async def test_the_total_wait_budget_stops_retrying():
    handler, calls = scripted(httpx.Response(429, headers={"Retry-After": "4"}))
    outcome, _clock = await send(handler, policy=RetryPolicy(max_attempts=10, max_total_wait=10))
    assert outcome.status == 429
    assert len(calls) == 3  # waits 4 + 4, a third wait would pass 10 s


def test_has_unique_id():
    assert has_unique_id(body("x"))
    assert not has_unique_id(body(None))
    assert not has_unique_id(body(""))
    assert not has_unique_id(b"not json unique_id")
