"""`event-composer sandbox --processing-delay S --drop-rate X --deny-read SCOPES` in a real
process over loopback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.sandbox.test_cli import _stop, sandbox_process

KEY = "pk_" + "cli0123456789"
HEADERS = {"Authorization": f"Klaviyo-API-Key {KEY}", "revision": "2026-07-15"}
BODY = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {"data": {"type": "profile", "attributes": {"email": "cli@example.com"}}},
            "metric": {"data": {"type": "metric", "attributes": {"name": "Viewed Product"}}},
            "properties": {},
            "unique_id": "cli-1",
        },
    }
}


def _post(url: str, unique_id: str) -> None:
    body = json.loads(json.dumps(BODY))
    body["data"]["attributes"]["unique_id"] = unique_id
    response = httpx.post(
        f"{url}/api/events",
        content=json.dumps(body),
        headers={**HEADERS, "Content-Type": "application/vnd.api+json"},
        timeout=10,
    )
    assert response.status_code == 202, response.text


def test_processing_delay_and_denied_read_scope_from_the_command_line() -> None:
    with sandbox_process("--processing-delay", "0.6", "--deny-read", "profiles:read") as (
        proc,
        url,
    ):
        sent = time.monotonic()  # before the post: the server's delay starts after this
        _post(url, "cli-1")
        first = httpx.get(f"{url}/api/events", headers=HEADERS, timeout=10).json()["data"]
        if time.monotonic() - sent < 0.55:  # answered before the delay can have run out
            assert first == []
        while time.monotonic() - sent < 5:
            data = httpx.get(f"{url}/api/events", headers=HEADERS, timeout=10).json()["data"]
            if data:
                break
            time.sleep(0.05)
        waited = time.monotonic() - sent
        assert data and data[0]["attributes"]["event_properties"]["$event_id"] == "cli-1"
        assert 0.55 <= waited < 4.0  # the 0.6 s delay, whatever the load
        denied = httpx.get(f"{url}/api/profiles", headers=HEADERS, timeout=10)
        assert denied.status_code == 403
        assert "profiles:read" in denied.json()["errors"][0]["detail"]
        code, out, err = _stop(proc, signal.SIGTERM)
    assert code == 0, err
    assert "lacks profiles:read" in out


def test_drop_rate_one_answers_202_and_records_nothing() -> None:
    with sandbox_process("--drop-rate", "1") as (proc, url):
        _post(url, "gone-1")
        assert httpx.get(f"{url}/api/events", headers=HEADERS, timeout=10).json()["data"] == []
        assert httpx.get(f"{url}/sandbox/stats", timeout=10).json()["dropped"] == 1
        _stop(proc, signal.SIGINT)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--drop-rate", "1.5"], "0..1"),
        (["--processing-delay", "-1"], "from 0 to 3600"),
        (["--deny-read", "events:write"], "not a read scope"),
    ],
)
def test_bad_read_options_are_named(args: list[str], says: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "composer", "sandbox", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert says in proc.stderr
    assert "Traceback" not in proc.stderr
