"""Reading events back: GET /api/events, /api/events/{id}, /api/metrics, /api/profiles as
revision 2026-07-15 publishes them, with filters, paging, scopes, limits, a processing delay and
downstream drops. Every test runs in-process and over real loopback (uvicorn)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import (
    KEY,
    OTHER_KEY,
    FakeClock,
    Sandbox,
    SandboxFactory,
    assert_jsonapi_error,
    assert_rate_headers,
)

NOW = 1_796_032_860.0  # 2026-11-30T10:01:00Z: revision 2026-07-15 is current
READ_HEADERS = {"Authorization": f"Klaviyo-API-Key {KEY}", "revision": "2026-07-15"}


@pytest.fixture
async def make(make_sandbox: SandboxFactory) -> SandboxFactory:
    """make_sandbox with the clock at NOW."""

    async def build(**fields: Any) -> Sandbox:
        result: Sandbox = await make_sandbox(clock=FakeClock(NOW), **fields)
        return result

    return build


@pytest.fixture
async def sandbox(make: SandboxFactory) -> Sandbox:
    result: Sandbox = await make()
    return result


def current_body(
    email: str = "ann@example.com",
    metric: str = "Viewed Product",
    unique_id: str | None = None,
    time: str | None = None,
    **properties: Any,
) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "properties": properties or {"Brand": "Kids Book"},
    }
    if unique_id is not None:
        attrs["unique_id"] = unique_id
    if time is not None:
        attrs["time"] = time
    return {"data": {"type": "event", "attributes": attrs}}


async def send(sb: Sandbox, body: dict[str, Any]) -> None:
    response = await sb.post(body, path="/api/events", revision="2026-07-15",
                             content_type="application/vnd.api+json")  # fmt: skip
    assert response.status_code == 202, response.text


async def get(sb: Sandbox, path: str, key: str = KEY, **params: str) -> httpx.Response:
    headers = {**READ_HEADERS, "Authorization": f"Klaviyo-API-Key {key}"}
    return await sb.client.get(path, params=params, headers=headers)


def t(second: int) -> str:
    return f"2026-11-30T10:00:{second:02d}+00:00"


async def test_events_filter_by_profile_metric_and_time_with_include_and_fields(
    sandbox: Sandbox,
) -> None:
    await send(sandbox, current_body("ann@example.com", "Viewed Product", "a1", t(1), n=1))
    await send(sandbox, current_body("ann@example.com", "Placed Order", "a2", t(2), n=2))
    await send(sandbox, current_body("bob@example.com", "Viewed Product", "b1", t(3), n=3))
    await send(sandbox, current_body("Ann@Example.com", "Viewed Product", "a3", t(4), n=4))

    profiles = await get(sandbox, "/api/profiles", filter='equals(email,"ann@example.com")')
    assert profiles.status_code == 200, profiles.text
    assert profiles.headers["content-type"] == "application/vnd.api+json"
    assert_rate_headers(profiles)
    [ann] = profiles.json()["data"]
    assert re.fullmatch(r"01[0-9A-HJKMNP-TV-Z]{24}", ann["id"])  # a ULID, like Klaviyo's
    metrics = (await get(sandbox, "/api/metrics")).json()["data"]
    by_name = {m["attributes"]["name"]: m["id"] for m in metrics}
    assert set(by_name) == {"Viewed Product", "Placed Order"}
    assert all(re.fullmatch(r"[A-Za-z0-9]{6}", i) for i in by_name.values())

    response = await get(
        sandbox,
        "/api/events",
        filter=f'equals(profile_id,"{ann["id"]}"),equals(metric_id,"{by_name["Viewed Product"]}"),'
        "greater-or-equal(datetime,2026-11-30T10:00:00+00:00)",
        sort="-datetime",
        include="metric,profile",
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    props = [e["attributes"]["event_properties"] for e in doc["data"]]
    assert props == [{"n": 4, "$event_id": "a3"}, {"n": 1, "$event_id": "a1"}]
    first = doc["data"][0]
    assert first["attributes"]["datetime"] == t(4)
    assert first["attributes"]["timestamp"] == 1796032804
    assert first["relationships"]["profile"]["data"] == {"type": "profile", "id": ann["id"]}
    assert {(i["type"], i["id"]) for i in doc["included"]} == {
        ("metric", by_name["Viewed Product"]),
        ("profile", ann["id"]),
    }

    ranged = await get(
        sandbox,
        "/api/events",
        filter=f"greater-than(datetime,{t(1)}),less-than(datetime,{t(4)}),has(profile)",
        sort="datetime",
        **{"fields[event]": "event_properties"},
    )
    data = ranged.json()["data"]
    assert [e["attributes"] for e in data] == [
        {"event_properties": {"n": 2, "$event_id": "a2"}},
        {"event_properties": {"n": 3, "$event_id": "b1"}},
    ]

    one = await get(sandbox, f"/api/events/{first['id']}/")
    assert one.status_code == 200
    assert one.json()["data"]["attributes"]["event_properties"]["$event_id"] == "a3"
    missing = await get(sandbox, "/api/events/nope123")
    assert_jsonapi_error(missing, 404, "not_found")


async def test_profiles_by_phone_and_external_id(sandbox: Sandbox) -> None:
    body = current_body()
    body["data"]["attributes"]["profile"]["data"]["attributes"] = {
        "phone_number": "+15005550006",
        "external_id": "crm-7",
    }
    await send(sandbox, body)
    for flt in ('equals(phone_number,"+15005550006")', 'equals(external_id,"crm-7")'):
        [profile] = (await get(sandbox, "/api/profiles", filter=flt)).json()["data"]
        assert profile["attributes"]["external_id"] == "crm-7"
    assert (await get(sandbox, "/api/profiles", filter='equals(email,"x@y.z")')).json()[
        "data"
    ] == []


async def test_cursor_paging_follows_links_next_without_repeats(sandbox: Sandbox) -> None:
    for second in range(7):
        await send(sandbox, current_body(unique_id=f"p{second}", time=t(second)))
    seen: list[str] = []
    response = await get(sandbox, "/api/events", sort="-datetime", **{"page[size]": "3"})
    pages = 0
    while True:
        doc = response.json()
        pages += 1
        seen += [e["attributes"]["event_properties"]["$event_id"] for e in doc["data"]]
        if pages == 1:  # an event arriving while the client pages does not shift the pages
            await send(sandbox, current_body(unique_id="late", time=t(59)))
        nxt = doc["links"].get("next")
        if nxt is None:
            break
        assert "page%5Bcursor%5D=" in nxt
        response = await sandbox.client.get(nxt, headers=READ_HEADERS)
        assert response.status_code == 200, response.text
    assert pages == 3
    assert seen == [f"p{s}" for s in reversed(range(7))]


async def test_metrics_page_by_200_with_a_cursor(make: SandboxFactory) -> None:
    sb = await make(burst_limit=1000, steady_limit=10_000)
    for n in range(205):
        await send(sb, current_body(metric=f"Metric {n:03d}", unique_id=str(n)))
    first = (await get(sb, "/api/metrics")).json()
    assert len(first["data"]) == 200
    second = (await sb.client.get(first["links"]["next"], headers=READ_HEADERS)).json()
    names = [m["attributes"]["name"] for m in first["data"] + second["data"]]
    assert names == [f"Metric {n:03d}" for n in range(205)]
    assert "next" not in second["links"]


@pytest.mark.parametrize(
    "bad",
    [
        'equals(metric_id,"a"',
        "equals(metric_id,a)",
        'contains(metric_id,"a")',
        'equals(email,"a@b.c")',
        "greater-than(datetime,yesterday)",
        "has(profile,1)",
        'equals(profile_id,["a","b"])',
        "",
        'equals(metric_id,"a") junk',
    ],
)
async def test_invalid_filters_answer_400_naming_the_filter_parameter(
    sandbox: Sandbox, bad: str
) -> None:
    error = assert_jsonapi_error(await get(sandbox, "/api/events", filter=bad), 400, "invalid")
    assert error["source"] == {"parameter": "filter"}
    assert error["detail"].startswith("Invalid filter provided.")


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("page[size]", "0"),
        ("page[size]", "1001"),
        ("sort", "name"),
        ("fields[event]", "secret"),
        ("include", "flows"),
        ("page[cursor]", "not-a-cursor"),
        ("colour", "blue"),
    ],
)
async def test_other_bad_parameters_are_named(sandbox: Sandbox, param: str, value: str) -> None:
    error = assert_jsonapi_error(
        await get(sandbox, "/api/events", **{param: value}), 400, "invalid"
    )
    assert error["source"] == {"parameter": param}


async def test_scopes_per_key_and_for_every_key(make: SandboxFactory) -> None:
    sb = await make(key_scopes={OTHER_KEY: frozenset({"events:read"})})
    await send(sb, current_body())
    assert (await get(sb, "/api/profiles")).status_code == 200
    assert (await get(sb, "/api/events", key=OTHER_KEY)).status_code == 200
    for path, scope in (("/api/profiles", "profiles:read"), ("/api/metrics", "metrics:read")):
        error = assert_jsonapi_error(await get(sb, path, key=OTHER_KEY), 403, "permission_denied")
        assert scope in error["detail"]

    denied = await make(denied_scopes=frozenset({"events:read"}))
    error = assert_jsonapi_error(await get(denied, "/api/events"), 403, "permission_denied")
    assert "events:read" in error["detail"]
    assert (await get(denied, "/api/metrics")).status_code == 200


async def test_each_read_endpoint_has_its_own_rate_limits(sandbox: Sandbox) -> None:
    for _ in range(10):  # metrics: 10/s burst
        assert (await get(sandbox, "/api/metrics")).status_code == 200
    throttled = await get(sandbox, "/api/metrics")
    assert_jsonapi_error(throttled, 429, "throttled")
    assert throttled.headers["Retry-After"] == "1"
    assert (await get(sandbox, "/api/events")).status_code == 200  # its own window
    sandbox.clock.advance(1)
    assert (await get(sandbox, "/api/metrics")).status_code == 200


async def test_a_processing_delay_hides_the_event_its_profile_and_metric(
    make: SandboxFactory,
) -> None:
    sb = await make(processing_delay=2.0)
    await send(sb, current_body(unique_id="slow-1"))
    for path in ("/api/events", "/api/metrics", "/api/profiles"):
        assert (await get(sb, path)).json()["data"] == [], path
    sb.clock.advance(1.9)
    assert (await get(sb, "/api/events")).json()["data"] == []
    sb.clock.advance(0.1)
    for path in ("/api/events", "/api/metrics", "/api/profiles"):
        assert len((await get(sb, path)).json()["data"]) == 1, path


async def test_dropped_events_are_answered_202_and_never_readable(
    make: SandboxFactory,
) -> None:
    sb = await make(drop_rate=1.0)
    await send(sb, current_body(unique_id="lost"))
    assert (await get(sb, "/api/events")).json()["data"] == []
    assert sb.app.stats_json()["dropped"] == 1
    assert sb.app.events() == []

    half = await make(drop_rate=0.5, drop_seed=7)
    for n in range(40):
        await send(half, current_body(unique_id=f"h{n}"))
    stats = half.app.stats_json()
    readable = (await get(half, "/api/events")).json()["data"]
    assert stats["dropped"] + stats["recorded"] == 40
    assert 5 < stats["dropped"] < 35
    assert len(readable) == stats["recorded"]


async def test_a_read_needs_a_key_and_a_revision(sandbox: Sandbox) -> None:
    no_key = await sandbox.client.get("/api/events", headers={"revision": "2026-07-15"})
    assert_jsonapi_error(no_key, 401, "not_authenticated")
    no_rev = await sandbox.client.get("/api/events", headers={"Authorization": READ_HEADERS[
        "Authorization"]})  # fmt: skip
    error = assert_jsonapi_error(no_rev, 400, "invalid")
    assert error["source"] == {"parameter": "revision"}


async def test_throttled_reads_are_counted(sandbox: Sandbox) -> None:
    for _ in range(11):
        await get(sandbox, "/api/metrics")
    assert sandbox.app.stats_json()["throttled"] == 1


async def test_events_sent_out_of_time_order_are_sorted_and_old_ones_forgotten(
    make: SandboxFactory,
) -> None:
    sb = await make(max_recorded=4)
    for second in (5, 1, 3, 2, 4, 0):  # the first two sent are forgotten (max_recorded=4)
        await send(sb, current_body(unique_id=f"o{second}", time=t(second)))
    data = (await get(sb, "/api/events", sort="datetime")).json()["data"]
    assert [e["attributes"]["timestamp"] % 60 for e in data] == [0, 2, 3, 4]
