"""Fixtures for the sandbox tests: a fake clock, bodies, and one sandbox reached either
in-process (httpx.ASGITransport) or over real loopback (uvicorn started by the test)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from composer.sandbox import IN_PROCESS_BASE_URL, SandboxApp, SandboxConfig, in_process_transport
from composer.sandbox.server import RunningSandbox, run_in_thread

KEY = "pk_" + "test0123456789abcdef"
OTHER_KEY = "pk_other0123456789"
START = 1_700_000_000.0  # 2023-11-14T22:13:20Z: a whole second, 20 s into a minute


class FakeClock:
    """Epoch seconds that move only when the test says so."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def event_body(
    unique_id: str | None = "auto",
    email: str = "ann@example.com",
    metric: str = "Viewed Product",
    **attributes: Any,
) -> dict[str, Any]:
    """A valid 2023-01-24 body; ``unique_id="auto"`` gives a fresh UUID, None leaves it out."""
    attrs: dict[str, Any] = {
        "profile": {"$email": email},
        "metric": {"name": metric},
        "properties": {"Brand": "Kids Book"},
    }
    if unique_id == "auto":
        attrs["unique_id"] = str(uuid.uuid4())
    elif unique_id is not None:
        attrs["unique_id"] = unique_id
    attrs.update(attributes)
    return {"data": {"type": "event", "attributes": attrs}}


def headers(
    key: str | None = KEY,
    revision: str | None = "2023-01-24",
    content_type: str | None = "application/json",
) -> dict[str, str]:
    out = {}
    if key is not None:
        out["Authorization"] = f"Klaviyo-API-Key {key}"
    if revision is not None:
        out["revision"] = revision
    if content_type is not None:
        out["Content-Type"] = content_type
    return out


@dataclass
class Sandbox:
    """One sandbox under test and a client that reaches it."""

    app: SandboxApp
    client: httpx.AsyncClient
    mode: str
    clock: FakeClock

    async def post(
        self,
        body: Any = None,
        *,
        raw: bytes | None = None,
        path: str = "/api/events/",
        **header_args: Any,
    ) -> httpx.Response:
        content = raw if raw is not None else json.dumps(body or event_body()).encode()
        return await self.client.post(path, content=content, headers=headers(**header_args))


SandboxFactory = Callable[..., Any]


class SwitchableApp(SandboxApp):
    """The app of one loopback server shared by the session: each test plugs in its own
    sandbox, so the tests pay uvicorn's start and graceful stop once, not per test."""

    def __init__(self) -> None:
        super().__init__()
        self.target: SandboxApp | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.target is not None, "no sandbox plugged in"
        await self.target(scope, receive, send)


@pytest.fixture(scope="session")
def loopback() -> Iterator[RunningSandbox]:
    """One real uvicorn server on a free loopback port for the session."""
    with run_in_thread(SwitchableApp()) as running:
        yield running


@pytest.fixture(params=["in-process", "loopback"])
async def make_sandbox(
    request: pytest.FixtureRequest, loopback: RunningSandbox
) -> AsyncIterator[SandboxFactory]:
    """``await make_sandbox(**config_fields)``: a sandbox with a fake clock, reached the way
    the test's parameter says. Every status test runs both ways. Over loopback, one test
    reaches one sandbox at a time (the last one made)."""
    mode: str = request.param
    switch = loopback.app
    assert isinstance(switch, SwitchableApp)
    async with AsyncExitStack() as stack:

        async def make(**fields: Any) -> Sandbox:
            clock = fields.pop("clock", None) or FakeClock()
            app = SandboxApp(replace(SandboxConfig(), clock=clock, **fields))
            if mode == "in-process":
                client = httpx.AsyncClient(
                    transport=in_process_transport(app), base_url=IN_PROCESS_BASE_URL
                )
            else:
                switch.target = app
                client = httpx.AsyncClient(base_url=loopback, timeout=10.0)
            await stack.enter_async_context(client)
            return Sandbox(app, client, mode, clock)

        try:
            yield make
        finally:
            switch.target = None


@pytest.fixture
async def sandbox(make_sandbox: SandboxFactory) -> Sandbox:
    """A sandbox with the default configuration (and a fake clock)."""
    result: Sandbox = await make_sandbox()
    return result


def assert_jsonapi_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is a JSON:API error body as Klaviyo sends them; returns its first error."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/vnd.api+json"
    doc = response.json()
    assert isinstance(doc["errors"], list) and doc["errors"]
    for error in doc["errors"]:
        uuid.UUID(error["id"])
        assert error["status"] == status
        assert error["code"] == code
        assert isinstance(error["title"], str) and error["title"]
        assert isinstance(error["detail"], str) and error["detail"]
        assert error["meta"] == {} or isinstance(error["meta"], dict)
    first: dict[str, Any] = doc["errors"][0]
    return first


def assert_rate_headers(response: httpx.Response) -> None:
    for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
        assert response.headers[name].isdigit(), name
