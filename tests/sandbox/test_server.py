"""The background-thread helper other modules use to get a loopback sandbox."""

from __future__ import annotations

import json

import httpx
import pytest

from composer.sandbox import SandboxConfig, create_app, run_in_thread
from tests.sandbox.conftest import event_body, headers


def test_run_in_thread_yields_a_base_url_and_stops_the_server() -> None:
    with run_in_thread(SandboxConfig()) as base_url:
        assert isinstance(base_url, str)
        assert base_url == f"http://127.0.0.1:{base_url.port}"
        response = httpx.post(
            f"{base_url}/api/events/",
            content=json.dumps(event_body()),
            headers=headers(),
            timeout=10,
        )
        assert response.status_code == 202
        assert len(base_url.app.events()) == 1
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/sandbox/stats", timeout=5)


async def test_one_app_shared_in_process_and_over_loopback() -> None:
    app = create_app()
    with run_in_thread(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            await client.post(
                "/api/events/", content=json.dumps(event_body(unique_id="a")), headers=headers()
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            await client.post(
                "/api/events/", content=json.dumps(event_body(unique_id="b")), headers=headers()
            )
            listed = (await client.get("/sandbox/events")).json()
    assert [e["unique_id"] for e in listed["events"]] == ["b", "a"]


def test_many_keep_alive_requests_on_one_connection() -> None:
    with run_in_thread(SandboxConfig()) as base_url, httpx.Client(base_url=base_url) as client:
        statuses = {
            client.post(
                "/api/events/", content=json.dumps(event_body()), headers=headers()
            ).status_code
            for _ in range(50)
        }
    assert statuses == {202}
