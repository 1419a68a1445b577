"""The sandbox refuses what Klaviyo refuses, on both sides of each limit, in-process and over
loopback; and what it accepted can always be listed back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from composer.sandbox import SandboxApp
from tests.sandbox.conftest import Sandbox, SandboxFactory, assert_jsonapi_error, event_body


def _body_of(size: int) -> bytes:
    """A valid event whose body is exactly ``size`` bytes (spaces after the JSON value)."""
    text = json.dumps(event_body(properties={f"s{i}": "x" * 100_000 for i in range(49)}))
    assert len(text) < size
    return (text + " " * (size - len(text))).encode()


@pytest.mark.parametrize(("size", "status"), [(5_000_000, 202), (5_000_001, 413)])
async def test_the_whole_body_is_limited_to_5_mb(sandbox: Sandbox, size: int, status: int) -> None:
    response = await sandbox.post(raw=_body_of(size))
    if status == 202:
        assert response.status_code == 202, response.text
    else:
        error = assert_jsonapi_error(response, 413, "request_too_large")
        assert "5,000,000 bytes" in error["detail"]


@pytest.mark.parametrize(
    ("time", "status"),
    [
        ("2023-11-01", 202),
        ("2023-11-01T08:30", 202),
        ("2023-11-01 08:30:00Z", 202),
        ("2023-11-01T08:30:00.123456+03:00", 202),
        ("2023-11-01T08:30:00z", 400),
        (" 2023-11-01T08:30:00", 400),
        ("２０２３-11-01T08:30:00", 400),
        ("2023-11-01T08:30:00+0300", 400),
    ],
)
async def test_time_takes_exactly_the_documented_formats(
    sandbox: Sandbox, time: str, status: int
) -> None:
    response = await sandbox.post(event_body(time=time))
    if status == 202:
        assert response.status_code == 202, response.text
    else:
        error = assert_jsonapi_error(response, 400, "invalid")
        assert error["source"]["pointer"] == "/data/attributes/time"


@pytest.mark.parametrize(
    "member",
    ['"n": ' + "7" * 4301, '"s": "\\ud800"', '"\\udfff": 1', '"f": 1e400', '"f": -1E999'],
    ids=["long-integer", "lone-surrogate", "surrogate-name", "infinity", "minus-infinity"],
)
async def test_json_that_cannot_be_carried_on_is_400_and_the_list_stays_readable(
    sandbox: Sandbox, member: str
) -> None:
    valid = json.dumps(event_body(unique_id="first"))
    assert (await sandbox.post(raw=valid.encode())).status_code == 202
    text = valid.replace('"properties": {', '"properties": {' + member + ", ", 1)
    error = assert_jsonapi_error(await sandbox.post(raw=text.encode()), 400, "parse_error")
    assert error["meta"]["line"] == 1 and error["meta"]["column"] > 1
    listed = await sandbox.client.get("/sandbox/events")
    assert listed.status_code == 200
    assert [e["unique_id"] for e in listed.json()["events"]] == ["first"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=%C2%B2",
        "limit=%D9%A3",
        "limit=-1",
        "limit=1.5",
        "limit=",
        "limit=" + "9" * 5000,
        "limit=1&limit=2",
        "limit=1e3",
    ],
)
async def test_a_malformed_limit_is_a_json_api_400_naming_it(sandbox: Sandbox, query: str) -> None:
    response = await sandbox.client.get(f"/sandbox/events?{query}")
    error = assert_jsonapi_error(response, 400, "invalid")
    assert error["source"] == {"parameter": "limit"}
    assert (await sandbox.client.get("/sandbox/events?limit=0")).json()["events"] == []


class BrokenApp(SandboxApp):
    """A sandbox with a bug in its recorder: stands for any unexpected exception."""

    def _validator(self, revision: Any) -> Any:
        raise RuntimeError("a bug")


async def test_an_unexpected_error_is_a_json_api_500_and_the_sandbox_keeps_serving(
    make_sandbox: SandboxFactory, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox: Sandbox = await make_sandbox()
    sandbox.app.__class__ = BrokenApp  # the same app and state, now with the bug
    try:
        error = assert_jsonapi_error(await sandbox.post(), 500, "error")
        assert "bug" in error["detail"]
        stats = await sandbox.client.get("/sandbox/stats")
        assert stats.status_code == 200
    finally:
        sandbox.app.__class__ = SandboxApp
    assert (await sandbox.post()).status_code == 202
