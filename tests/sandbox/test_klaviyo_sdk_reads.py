"""Outside proof of reading back: Klaviyo's Python SDK for revision 2026-07-15 (klaviyo-api
24.x, a test dependency) sends events to the sandbox over loopback, then finds them again with
get_profiles, get_metrics and get_events (filters, sort, include, cursor paging), each answer
deserialized by the SDK's own pydantic models. The SDK runs in a subprocess, as in
test_klaviyo_sdk.py (PySide6's import hook in the test process trips over its lazy modules).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any

import pytest

from composer.sandbox import SandboxConfig, run_in_thread

KEY = "pk_" + "d4" * 17

_SCRIPT = r"""
import json, sys
from urllib.parse import parse_qs, urlsplit
from klaviyo_api import KlaviyoAPI

url, key = sys.argv[1], sys.argv[2]
client = KlaviyoAPI(key, max_delay=1, max_retries=1, test_host=url)

def body(email, metric, n):
    return {"data": {"type": "event", "attributes": {
        "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "properties": {"n": n}, "value": n * 1.5, "unique_id": f"sdk-{n}",
        "time": f"2026-11-30T09:00:{n:02d}+00:00"}}}

for n in range(5):
    client.Events.create_event(body("reader@example.com", "Read Back", n))
client.Events.create_event(body("other@example.com", "Something Else", 9))

out = {}
profiles = client.Profiles.get_profiles(filter='equals(email,"reader@example.com")')
out["profiles_type"] = type(profiles).__name__
profile = profiles.data[0]
out["profile"] = {"id": profile.id, "email": profile.attributes.email, "count": len(profiles.data)}

metrics = client.Metrics.get_metrics()
out["metrics_type"] = type(metrics).__name__
out["metrics"] = {m.attributes.name: m.id for m in metrics.data}
metric_id = out["metrics"]["Read Back"]

flt = (f'equals(profile_id,"{profile.id}"),equals(metric_id,"{metric_id}"),'
       'greater-or-equal(datetime,2026-11-30T09:00:01+00:00)')
seen, types, cursor, pages, included = [], set(), None, 0, set()
while True:
    page = client.Events.get_events(filter=flt, sort="-datetime", page_size=2,
                                    include=["metric", "profile"], page_cursor=cursor)
    pages += 1
    types.add(type(page).__name__)
    for event in page.data:
        a = event.attributes
        seen.append({"id": event.id, "props": a.event_properties,
                     "datetime": a.datetime_.isoformat(), "timestamp": a.timestamp,
                     "profile": event.relationships.profile.data.id,
                     "metric": event.relationships.metric.data.id})
    for item in page.included or []:  # the SDK's model keeps included resources as dicts
        included.add((item["type"], item["id"]))
    nxt = page.links.next if page.links else None
    if not nxt:
        break
    cursor = parse_qs(urlsplit(nxt).query)["page[cursor]"][0]
out["events_types"] = sorted(types)
out["events"] = seen
out["pages"] = pages
out["included"] = sorted(included)

one = client.Events.get_event(seen[0]["id"])
out["one_type"] = type(one).__name__
out["one_props"] = one.data.attributes.event_properties
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


def test_sdk_24_reads_back_what_it_sent_with_filters_and_paging() -> None:
    if importlib.util.find_spec("klaviyo_api") is None:  # found, not imported (see above)
        pytest.skip("klaviyo-api 24.x (a test dependency) is not installed")
    with run_in_thread(SandboxConfig()) as url:
        out = _run(url)
        store = url.app.store
    assert out["profiles_type"].startswith("GetProfileResponse")
    assert out["metrics_type"] == "GetMetricResponseCollectionCompoundDocument"
    assert out["events_types"] == ["GetEventResponseCollectionCompoundDocument"]
    assert out["one_type"] == "GetEventResponseCompoundDocument"
    assert out["profile"]["email"] == "reader@example.com"
    assert out["profile"]["count"] == 1
    assert set(out["metrics"]) == {"Read Back", "Something Else"}

    # Events 1..4 of "Read Back" for that profile, newest first, two per page over 2 pages.
    assert out["pages"] == 2
    assert [e["props"] for e in out["events"]] == [
        {"n": n, "$event_id": f"sdk-{n}", "$value": n * 1.5} for n in (4, 3, 2, 1)
    ]
    assert [e["datetime"] for e in out["events"]] == [
        f"2026-11-30T09:00:0{n}+00:00" for n in (4, 3, 2, 1)
    ]
    assert {e["profile"] for e in out["events"]} == {out["profile"]["id"]}
    assert {e["metric"] for e in out["events"]} == {out["metrics"]["Read Back"]}
    assert ("metric", out["metrics"]["Read Back"]) in {tuple(i) for i in out["included"]}
    assert ("profile", out["profile"]["id"]) in {tuple(i) for i in out["included"]}
    assert out["one_props"]["$event_id"] == "sdk-4"
    # What the SDK saw is what the sandbox stored.
    assert {e["id"] for e in out["events"]} <= set(store.events_by_id)
