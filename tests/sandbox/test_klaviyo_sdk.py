"""Outside proof: Klaviyo's own Python SDK sends to the sandbox over loopback and is accepted.

klaviyo-api 24.x speaks revision 2026-07-15 (a test dependency of this project); 1.1.0 speaks
2023-01-24. Two versions of one package cannot share a virtualenv, so 1.1.0 is installed with
``pip install --target`` into a cache folder (once) and runs in a subprocess of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composer.domain.convert import convert
from composer.sandbox import SandboxConfig, run_in_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "placed-order.json"
KEY = "pk_" + "c3" * 17

CURRENT_SHAPE: dict[str, Any] = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {
                "data": {
                    "type": "profile",
                    "attributes": {
                        "email": "sdk@example.com",
                        "first_name": "Sam",
                        "location": {"city": "Boston", "country": "US"},
                        "properties": {"Plan": "Gold"},
                    },
                }
            },
            "metric": {"data": {"type": "metric", "attributes": {"name": "Viewed Product"}}},
            "properties": {"ProductName": "Winnie the Pooh"},
            "value": 9.99,
            "value_currency": "USD",
            "unique_id": "sdk-current-1",
        },
    }
}


def test_sdk_24_creates_a_current_shape_event_and_a_converted_one() -> None:
    klaviyo_api = pytest.importorskip("klaviyo_api")
    converted = convert(json.loads(EXAMPLE.read_text()), "2026-07-15").body
    with run_in_thread(SandboxConfig()) as url:
        client = klaviyo_api.KlaviyoAPI(KEY, max_delay=1, max_retries=1, test_host=url)
        assert client._REVISION == "2026-07-15"
        client.Events.create_event(CURRENT_SHAPE)
        client.Events.create_event(converted)
        events = url.app.events()
    assert [e.revision for e in events] == ["2026-07-15", "2026-07-15"]
    assert {e.unique_id for e in events} == {"sdk-current-1", "order-1000123"}
    assert url.app.stats_json()["rejected"] == 0


def _sdk_1_1_0() -> Path:
    """klaviyo-api 1.1.0 in a cache folder of its own (installed on first use)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = base / "event-composer-tests" / "klaviyo-api-1.1.0"
    if (target / ".complete").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            "klaviyo-api==1.1.0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"klaviyo-api 1.1.0 could not be installed: {result.stderr[-500:]}")
    (target / ".complete").write_text("ok\n")
    return target


_SCRIPT = """
import json, sys
from klaviyo_api import KlaviyoAPI
url, key, body = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
client = KlaviyoAPI(key, max_delay=1, max_retries=1, test_host=url)
print(client._REVISION)
client.Events.create_event(body)
"""


def test_sdk_1_1_0_creates_a_2023_01_24_event() -> None:
    target = _sdk_1_1_0()
    body = EXAMPLE.read_text()
    with run_in_thread(SandboxConfig()) as url:
        result = subprocess.run(
            [sys.executable, "-c", _SCRIPT, url, KEY],
            input=body,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONPATH": str(target)},
        )
        events = url.app.events()
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "2023-01-24"
    assert [e.revision for e in events] == ["2023-01-24"]
