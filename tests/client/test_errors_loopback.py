"""Transport failures produced for real on loopback, classified for a person."""

import asyncio
import json
import socket

import httpx
import pytest

from composer.client import ClientSettings, EventClient, RetryPolicy, Timeouts, parse_target
from composer.client.errors import classify
from composer.domain.outcome import TransportErrorKind

KEY = "pk_" + "d4" * 17
BODY = json.dumps({"data": {"type": "event", "attributes": {}}}).encode()
ONE_TRY = ClientSettings(
    retry=RetryPolicy(max_attempts=1), timeouts=Timeouts(connect=2, read=0.3, write=2, total=10)
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def send_to(url, settings=ONE_TRY):
    async with EventClient(parse_target(url), KEY, settings=settings) as client:
        return await client.send(BODY)


async def serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"127.0.0.1:{port}"


async def test_nothing_listening_is_refused():
    outcome = await send_to(f"http://127.0.0.1:{free_port()}")
    assert outcome.error.kind is TransportErrorKind.REFUSED
    assert "running" in outcome.error.advice


async def test_a_server_that_never_answers_is_a_timeout():
    async def silent(reader, writer):
        await reader.read(65536)
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            writer.close()

    server, host = await serve(silent)
    async with server:
        outcome = await send_to(f"http://{host}")
    assert outcome.error.kind is TransportErrorKind.TIMEOUT


async def test_a_dropped_connection_is_a_reset():
    async def drop(reader, writer):
        await reader.read(1024)
        writer.close()

    server, host = await serve(drop)
    async with server:
        outcome = await send_to(f"http://{host}")
    assert outcome.error.kind is TransportErrorKind.RESET


async def test_https_to_a_plain_server_is_a_tls_failure():
    async def plain(reader, writer):
        await reader.read(1024)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server, host = await serve(plain)
    async with server:
        outcome = await send_to(f"https://{host}")
    assert outcome.error.kind is TransportErrorKind.TLS


async def test_garbage_instead_of_http_is_a_protocol_error():
    async def garbage(reader, writer):
        await reader.read(1024)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()
        writer.close()

    server, host = await serve(garbage)
    async with server:
        outcome = await send_to(f"http://{host}")
    assert outcome.error.kind in (TransportErrorKind.PROTOCOL, TransportErrorKind.RESET)


def test_an_unresolvable_name_is_dns():
    exc = httpx.ConnectError("[Errno -2] Name or service not known")
    exc.__cause__ = socket.gaierror(-2, "Name or service not known")
    assert classify(exc).kind is TransportErrorKind.DNS


@pytest.mark.parametrize(
    "exc,kind",
    [
        (httpx.ConnectTimeout("t"), TransportErrorKind.TIMEOUT),
        (httpx.PoolTimeout("t"), TransportErrorKind.TIMEOUT),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), TransportErrorKind.RESET),
        (httpx.UnsupportedProtocol("x"), TransportErrorKind.PROTOCOL),
    ],
)
def test_httpx_errors_map_to_kinds(exc, kind):
    assert classify(exc).kind is kind
