"""What a server does after it read the whole request decides what is known: a listener on
loopback reads every byte of the event, then answers badly (garbage, an answer cut short, a
body that never ends). The app must then say "may have been recorded" or the status the server
gave, never "the request never reached the server", and its headline, delivery state and
explanation must agree."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

import pytest

from composer.client import ClientSettings, EventClient, RetryPolicy, Timeouts, parse_target
from composer.domain.delivery import Delivery
from composer.services.outcome_text import delivery_of, describe_outcome

KEY = "pk_" + "d4" * 17
BODY = json.dumps({"data": {"type": "event", "attributes": {"unique_id": "u-1"}}}).encode()
SETTINGS = ClientSettings(
    retry=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01),
    timeouts=Timeouts(connect=2, read=2, write=2, total=1.5),
)

Answer = Callable[[asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The whole request: headers, then as many body bytes as Content-Length says."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


async def send_to(answer: Answer) -> tuple[object, list[bytes]]:
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            received.append(await read_request(reader))
            await answer(writer)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        target = parse_target(f"http://127.0.0.1:{port}")
        async with EventClient(target, KEY, settings=SETTINGS) as client:
            outcome = await client.send(BODY)
    return outcome, received


def writes(data: bytes) -> Answer:
    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()

    return answer


def writes_then_hangs(data: bytes) -> Answer:
    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
        with contextlib.suppress(asyncio.CancelledError):  # the test ends and closes it
            await asyncio.sleep(30)

    return answer


@pytest.mark.parametrize(
    "garbage",
    [
        b"hello there, getaddrinfo failed\r\n\r\n",  # words of a name that did not resolve
        b"HTTP/1.1 2x2 connection refused\r\n\r\n",  # words of a refused connection
        b"SSL handshake certificate error\r\n\r\n",  # words of a TLS failure
    ],
)
async def test_garbage_after_the_body_is_unknown_whatever_it_says(garbage: bytes) -> None:
    outcome, received = await send_to(writes(garbage))
    assert received and received[0].endswith(BODY)  # the server had the whole event
    assert delivery_of(outcome) is Delivery.UNKNOWN
    text = describe_outcome(outcome, unique_id="u-1")
    assert "may have been recorded" in text.headline
    assert "never reached" not in text.explanation
    assert all(a.error is None or a.error.request_sent for a in outcome.attempts)


@pytest.mark.parametrize(
    ("status", "delivery", "headline"),
    [
        (202, Delivery.ACCEPTED, "202 Accepted"),
        (400, Delivery.NOT_ACCEPTED, "400"),
        (500, Delivery.UNKNOWN, "may have been recorded"),
    ],
)
@pytest.mark.parametrize("how", ["closed", "hangs"])
async def test_a_status_whose_body_is_cut_short_is_the_servers_answer(
    status: int, delivery: Delivery, headline: str, how: str
) -> None:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n"
    data = head.encode() + b'{"errors": ['
    answer = writes(data) if how == "closed" else writes_then_hangs(data)
    outcome, _ = await send_to(answer)
    assert delivery_of(outcome) is delivery
    text = describe_outcome(outcome, unique_id="u-1")
    assert headline in text.headline
    # one story: an accepted event is never "not recorded" nor "refused", a refusal never
    # "may have been recorded"
    if delivery is Delivery.ACCEPTED:
        assert "not recorded" not in (text.headline + text.explanation).lower()
        assert "refused" not in text.explanation
    if status != 500:  # a 500 is retried (a unique_id): its body may hang until the time limit
        assert outcome.status == status
        assert any("cut short" in note for note in outcome.extra.get("notes", []))
