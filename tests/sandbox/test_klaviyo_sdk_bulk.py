"""Outside proof of Bulk Create Events: Klaviyo's Python SDK for revision 2026-07-15
(klaviyo-api 24.x, a test dependency) sends jobs to the sandbox over loopback with
``bulk_create_events`` and its alias ``create_event_bulk_create_job``: each is answered 202
(the SDK returns None, having found no body to read), a job sent again records nothing twice,
and the SDK's own ``get_events`` reads every event back exactly once. A job with a repeated
unique_id is refused 400 and the SDK raises with the pointer. The SDK runs in a subprocess, as
in test_klaviyo_sdk.py (PySide6's import hook in the test process trips over its lazy modules).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any

import pytest

from composer.sandbox import SandboxConfig, run_in_thread

KEY = "pk_" + "e5" * 17

_SCRIPT = r"""
import json, sys
from klaviyo_api import KlaviyoAPI

url, key = sys.argv[1], sys.argv[2]
client = KlaviyoAPI(key, max_delay=1, max_retries=1, test_host=url)

def event(n, metric="Bulk Order"):
    return {"type": "event", "attributes": {
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "properties": {"n": n}, "value": n * 2.0, "unique_id": f"bulk-{n}",
        "time": f"2026-11-30T09:00:{n:02d}+00:00"}}

def job(groups):
    return {"data": {"type": "event-bulk-create-job", "attributes": {"events-bulk-create": {
        "data": [{"type": "event-bulk-create", "attributes": {
            "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
            "events": {"data": events}}} for email, events in groups]}}}}

out = {"revision": client._REVISION}
first = job([("ann@example.com", [event(1), event(2)]), ("bob@example.com", [event(3)])])
out["first"] = repr(client.Events.bulk_create_events(first))
second = job([("ann@example.com", [event(4)]), ("cy@example.com", [event(5), event(6)])])
out["second"] = repr(client.Events.create_event_bulk_create_job(second))
out["again"] = repr(client.Events.bulk_create_events(first))  # a retried job

repeated = job([("dee@example.com", [event(7), event(7)])])
try:
    client.Events.bulk_create_events(repeated)
    out["repeated"] = "accepted"
except Exception as exc:
    out["repeated"] = {"status": getattr(exc, "status", None),
                       "body": json.loads(getattr(exc, "body", None) or "{}")}

seen = []
page = client.Events.get_events(page_size=100, include=["profile"])
for item in page.data:
    seen.append(item.attributes.event_properties)
out["events"] = seen
out["next"] = page.links.next if page.links else None
print(json.dumps(out))
"""


def _run(url: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, url, KEY],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def test_sdk_24_bulk_creates_events_that_are_recorded_once() -> None:
    if importlib.util.find_spec("klaviyo_api") is None:  # found, not imported (see above)
        pytest.skip("klaviyo-api 24.x (a test dependency) is not installed")
    with run_in_thread(SandboxConfig()) as url:
        out = _run(url)
        stats = url.app.stats_json()
        recorded = url.app.events()
    assert out["revision"] == "2026-07-15"
    assert (out["first"], out["second"], out["again"]) == ("None", "None", "None")
    assert stats["jobs_accepted"] == 3
    assert stats["rejected_by_status"] == {"400": 1}
    assert out["repeated"]["status"] == 400
    [error] = out["repeated"]["body"]["errors"]
    assert error["source"]["pointer"] == (
        "/data/attributes/events-bulk-create/data/0/attributes/events/data/1/attributes/unique_id"
    )
    # Six events, each recorded and read back once; the retried job added nothing.
    assert stats["recorded"] == 6
    assert stats["duplicates"] == 3
    assert sorted(e["$event_id"] for e in out["events"]) == [f"bulk-{n}" for n in range(1, 7)]
    assert sorted(e["n"] for e in out["events"]) == [1, 2, 3, 4, 5, 6]
    assert out["next"] is None
    assert sorted(r.profile for r in recorded) == [
        "email:ann@example.com",
        "email:ann@example.com",
        "email:ann@example.com",
        "email:bob@example.com",
        "email:cy@example.com",
        "email:cy@example.com",
    ]
