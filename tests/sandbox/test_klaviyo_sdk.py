"""Outside proof: Klaviyo's own Python SDK sends to the sandbox over loopback and is accepted.

klaviyo-api 24.x speaks revision 2026-07-15 (a test dependency of this project); 1.1.0 speaks
2023-01-24. Two versions of one package cannot share a virtualenv, so 1.1.0 is installed with
``pip install --target`` into a cache folder (once) and put first on PYTHONPATH. Each SDK runs
in a subprocess of its own: a plain interpreter, as a developer runs it (in the test process
PySide6's import hook, loaded by pytest-qt, trips over the SDK's lazy module attributes).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composer.domain.convert import convert
from composer.sandbox import RetiredRevisionPolicy, SandboxConfig, run_in_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "placed-order.event.json"
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


_SCRIPT = """
import json, sys
from klaviyo_api import KlaviyoAPI
url, key = sys.argv[1], sys.argv[2]
client = KlaviyoAPI(key, max_delay=1, max_retries=1, test_host=url)
print(client._REVISION)
for line in sys.stdin:
    client.Events.create_event(json.loads(line))
"""


def run_sdk(url: str, bodies: list[Any], pythonpath: Path | None = None) -> str:
    """Send ``bodies`` with the SDK to ``url``; the revision the SDK says it speaks."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, url, KEY],
        input="".join(json.dumps(b) + "\n" for b in bodies),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_sdk_24_creates_a_current_shape_event_and_a_converted_one() -> None:
    if importlib.util.find_spec("klaviyo_api") is None:  # found, not imported (see above)
        pytest.skip("klaviyo-api 24.x (a test dependency) is not installed")
    converted = convert(json.loads(EXAMPLE.read_text()), "2026-07-15").body
    with run_in_thread(SandboxConfig()) as url:
        assert run_sdk(url, [CURRENT_SHAPE, converted]) == "2026-07-15"
        events = url.app.events()
        stats = url.app.stats_json()
    assert [e.revision for e in events] == ["2026-07-15", "2026-07-15"]
    assert {e.unique_id for e in events} == {"sdk-current-1", "order-1000123"}
    assert stats["rejected"] == 0


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


def test_sdk_1_1_0_creates_a_2023_01_24_event() -> None:
    target = _sdk_1_1_0()
    with run_in_thread(SandboxConfig()) as url:
        assert run_sdk(url, [json.loads(EXAMPLE.read_text())], target) == "2023-01-24"
        events = url.app.events()
    assert [e.revision for e in events] == ["2023-01-24"]


# The SDK's own models: a nullable member set to None is sent as null ("time": null,
# "value": null, ...), and a profile may be named by its Klaviyo id alone.
_MODELS_SCRIPT = """
import sys
from klaviyo_api import KlaviyoAPI
from openapi_client.models import (
    EventCreateQueryV2, EventCreateQueryV2ResourceObject as Event,
    EventCreateQueryV2ResourceObjectAttributes as Attributes,
    EventCreateQueryV2ResourceObjectAttributesMetric as MetricRel,
    EventCreateQueryV2ResourceObjectAttributesProfile as ProfileRel,
    EventProfileCreateQueryResourceObject as Profile,
    EventProfileCreateQueryResourceObjectAttributes as ProfileAttributes,
    MetricCreateQueryResourceObject as Metric,
    MetricCreateQueryResourceObjectAttributes as MetricAttributes,
)
url, key = sys.argv[1], sys.argv[2]
client = KlaviyoAPI(key, max_delay=1, max_retries=1, test_host=url)
metric = MetricRel(data=Metric(type="metric", attributes=MetricAttributes(
    name="Viewed Product", service=None)))
profile = ProfileRel(data=Profile(type="profile", id="01GDDKASAP8TKDDA2GRZDSVP4H",
    attributes=ProfileAttributes(phone_number=None)))
client.Events.create_event(EventCreateQueryV2(data=Event(type="event", attributes=Attributes(
    properties={"Plan": "Gold"}, metric=metric, profile=profile, time=None, value=None,
    value_currency=None, unique_id="sdk-nulls-1"))))
"""


def test_sdk_24_models_send_nulls_and_a_profile_id_and_are_accepted() -> None:
    if importlib.util.find_spec("klaviyo_api") is None:
        pytest.skip("klaviyo-api 24.x (a test dependency) is not installed")
    with run_in_thread(SandboxConfig()) as url:
        result = subprocess.run(
            [sys.executable, "-c", _MODELS_SCRIPT, url, KEY],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        events = url.app.events()
    assert result.returncode == 0, result.stderr[-2000:]
    [event] = events
    attributes = event.body["data"]["attributes"]
    assert attributes["value"] is None and attributes["time"] is None  # nulls were sent
    assert event.profile == "id:01GDDKASAP8TKDDA2GRZDSVP4H"
    assert event.unique_id == "sdk-nulls-1"


_ANSWER_SCRIPT = """
import json, sys
from klaviyo_api import KlaviyoAPI
client = KlaviyoAPI(sys.argv[2], max_delay=1, max_retries=1, test_host=sys.argv[1])
try:
    client.Events.create_event(json.loads(sys.stdin.read()))
    print(json.dumps({"status": 202}))
except Exception as exc:  # the SDK's ApiException: status and the JSON:API body
    print(json.dumps({"status": exc.status, "body": json.loads(exc.body)}))
"""


@pytest.mark.parametrize(
    ("policy", "status", "code"),
    [
        (RetiredRevisionPolicy.FALL_FORWARD, 400, "invalid"),
        (RetiredRevisionPolicy.GONE, 410, "gone"),
    ],
)
def test_sdk_1_1_0_gets_what_klaviyo_answers_a_retired_revision_today(
    policy: RetiredRevisionPolicy, status: int, code: str
) -> None:
    """Klaviyo today serves 2023-01-24 with a newer revision, which refuses the flat layout (or
    answers 410 where falling forward is refused); the SDK reads either answer as an
    ApiException carrying the JSON:API errors."""
    target = _sdk_1_1_0()
    env = {**os.environ, "PYTHONPATH": str(target)}
    with run_in_thread(SandboxConfig(retired_revisions=policy)) as url:
        result = subprocess.run(
            [sys.executable, "-c", _ANSWER_SCRIPT, url, KEY],
            input=EXAMPLE.read_text(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
        recorded = url.app.events()
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert answer["status"] == status
    assert {e["code"] for e in answer["body"]["errors"]} == {code}
    if status == 400:  # the newer layout's members are named
        pointers = {e["source"]["pointer"] for e in answer["body"]["errors"]}
        assert {"/data/attributes/profile", "/data/attributes/metric"} <= pointers
    assert recorded == []
