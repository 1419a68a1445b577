"""POST /api/event-bulk-create-jobs: Bulk Create Events per revision (2024-05-15 on), with its
own limits, per-event validation answered for the whole job, de-duplication per revision, a
202 without a body, and the accepted events readable like single creates. Every test runs
in-process and over real loopback (uvicorn)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from composer.domain import bulk
from composer.domain.revisions import get_revision
from composer.sandbox import RetiredRevisionPolicy
from tests.sandbox.conftest import (
    KEY,
    FakeClock,
    Sandbox,
    SandboxFactory,
    assert_jsonapi_error,
    assert_rate_headers,
)

NOW = 1_796_032_860.0  # 2026-11-30T10:01:00Z
ITEMS = "/data/attributes/events-bulk-create/data"


def profile(email: str, **attributes: Any) -> dict[str, Any]:
    return {"data": {"type": "profile", "attributes": {"email": email, **attributes}}}


def event(unique_id: str | None, metric: str = "Placed Order", **attributes: Any) -> Any:
    attrs: dict[str, Any] = {
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "properties": {"OrderId": unique_id or "none"},
        **attributes,
    }
    if unique_id is not None:
        attrs["unique_id"] = unique_id
    return {"type": "event", "attributes": attrs}


def job(*groups: tuple[Any, list[Any]]) -> dict[str, Any]:
    return bulk.job_body(groups)


def many(count: int, prefix: str = "e", per_profile: int = 100) -> dict[str, Any]:
    """``count`` valid events, ``per_profile`` to a profile."""
    groups = []
    for start in range(0, count, per_profile):
        size = min(per_profile, count - start)
        events = [event(f"{prefix}-{start + i}") for i in range(size)]
        groups.append((profile(f"p{start}@example.com"), events))
    return job(*groups)


async def post_job(
    sb: Sandbox,
    body: Any,
    revision: str = "2026-07-15",
    *,
    path: str | None = None,
    media: str | None = None,
    raw: bytes | None = None,
) -> httpx.Response:
    rev = get_revision(revision)
    headers = {
        "Authorization": f"Klaviyo-API-Key {KEY}",
        "revision": revision,
        "Content-Type": media or rev.content_type,
    }
    content = raw if raw is not None else json.dumps(body).encode()
    path = path or ("/api/event-bulk-create-jobs/" if rev.path.endswith("/") else
                    "/api/event-bulk-create-jobs")  # fmt: skip
    return await sb.client.post(path, content=content, headers=headers)


async def read_events(sb: Sandbox) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Klaviyo-API-Key {KEY}", "revision": "2026-07-15"}
    response = await sb.client.get(
        "/api/events", params={"page[size]": "1000", "include": "profile"}, headers=headers
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@pytest.fixture
async def make(make_sandbox: SandboxFactory) -> SandboxFactory:
    async def build(**fields: Any) -> Sandbox:
        result: Sandbox = await make_sandbox(clock=FakeClock(NOW), **fields)
        return result

    return build


@pytest.fixture
async def sandbox(make: SandboxFactory) -> Sandbox:
    result: Sandbox = await make()
    return result


async def test_a_job_is_answered_202_without_a_body_and_each_event_reads_back_once(
    sandbox: Sandbox,
) -> None:
    body = job(
        (profile("ann@example.com", first_name="Ann"), [event("o-1"), event("o-2")]),
        (profile("bob@example.com"), [event("o-3", "Viewed Product", value=9.5)]),
    )
    response = await post_job(sandbox, body)
    assert response.status_code == 202, response.text
    assert response.content == b""
    assert "content-type" not in response.headers
    assert_rate_headers(response)
    assert response.headers["RateLimit-Limit"] == "150"
    events = await read_events(sandbox)
    by_id = {e["attributes"]["event_properties"]["$event_id"]: e for e in events}
    assert sorted(by_id) == ["o-1", "o-2", "o-3"]
    assert by_id["o-3"]["attributes"]["event_properties"]["$value"] == 9.5
    ann = by_id["o-1"]["relationships"]["profile"]["data"]["id"]
    assert by_id["o-2"]["relationships"]["profile"]["data"]["id"] == ann
    assert by_id["o-3"]["relationships"]["profile"]["data"]["id"] != ann
    recorded = sandbox.app.events()
    assert {r.profile for r in recorded} == {"email:ann@example.com", "email:bob@example.com"}
    assert all(r.revision == "2026-07-15" for r in recorded)
    stats = sandbox.app.stats_json()
    assert (stats["jobs_accepted"], stats["accepted"], stats["recorded"]) == (1, 3, 3)


@pytest.mark.parametrize("revision", ["2023-01-24", "2023-07-15", "2024-02-15"])
@pytest.mark.parametrize("slash", [True, False])
async def test_before_2024_05_15_there_is_no_bulk_endpoint(
    sandbox: Sandbox, revision: str, slash: bool
) -> None:
    path = "/api/event-bulk-create-jobs" + ("/" if slash else "")
    response = await post_job(sandbox, many(2), revision, path=path)
    error = assert_jsonapi_error(response, 404, "not_found")
    assert "2024-05-15" in error["detail"]
    assert sandbox.app.events() == []


@pytest.mark.parametrize(
    ("revision", "path", "media", "status"),
    [
        ("2024-05-15", "/api/event-bulk-create-jobs/", "application/json", 202),
        ("2024-07-15", "/api/event-bulk-create-jobs/", "application/json", 202),
        ("2024-07-15", "/api/event-bulk-create-jobs/", "application/vnd.api+json", 202),
        ("2024-05-15", "/api/event-bulk-create-jobs", "application/json", 404),
        ("2024-10-15", "/api/event-bulk-create-jobs/", "application/vnd.api+json", 404),
        ("2024-10-15", "/api/event-bulk-create-jobs", "application/vnd.api+json", 202),
        ("2024-10-15", "/api/event-bulk-create-jobs", "application/json", 415),
        ("2026-07-15", "/api/event-bulk-create-jobs", "application/json", 415),
    ],
)
async def test_the_path_and_content_type_of_each_revision(
    sandbox: Sandbox, revision: str, path: str, media: str, status: int
) -> None:
    response = await post_job(sandbox, many(3), revision, path=path, media=media)
    if status == 202:
        assert response.status_code == 202, response.text
        assert len(sandbox.app.events()) == 3
        return
    code = "not_found" if status == 404 else "unsupported_media_type"
    error = assert_jsonapi_error(response, status, code)
    if status == 404:
        right = "/api/event-bulk-create-jobs" + ("" if path.endswith("/") else "/")
        assert f"POST {right} there" in error["detail"]
    assert sandbox.app.events() == []


def repeated_unique_id_job() -> dict[str, Any]:
    return job(
        (profile("ann@example.com"), [event("dup"), event("x-1")]),
        (profile("ANN@example.com"), [event("x-2"), event("dup")]),  # the same profile
        (profile("bob@example.com"), [event("dup")]),  # another profile: no repeat
    )


@pytest.mark.parametrize("revision", ["2024-05-15", "2024-10-15"])
async def test_up_to_2024_10_15_a_repeated_unique_id_records_only_the_first(
    sandbox: Sandbox, revision: str
) -> None:
    response = await post_job(sandbox, repeated_unique_id_job(), revision)
    assert response.status_code == 202, response.text
    assert response.headers["X-Sandbox-Duplicates"] == "1"
    recorded = sandbox.app.events()
    assert sorted((r.profile, r.unique_id) for r in recorded) == [
        ("email:ann@example.com", "dup"),
        ("email:ann@example.com", "x-1"),
        ("email:ann@example.com", "x-2"),
        ("email:bob@example.com", "dup"),
    ]
    ann_dup = [r for r in recorded if r.unique_id == "dup" and r.profile.startswith("email:ann")]
    assert ann_dup[0].body["data"]["attributes"]["profile"]["data"]["attributes"]["email"] == (
        "ann@example.com"  # the first one, not the repeat
    )


@pytest.mark.parametrize("revision", ["2025-01-15", "2026-07-15"])
async def test_from_2025_01_15_a_repeated_unique_id_refuses_the_whole_job(
    sandbox: Sandbox, revision: str
) -> None:
    response = await post_job(sandbox, repeated_unique_id_job(), revision)
    error = assert_jsonapi_error(response, 400, "invalid")
    assert error["source"]["pointer"] == f"{ITEMS}/1/attributes/events/data/1/attributes/unique_id"
    assert f"{ITEMS}/0/attributes/events/data/0" in error["detail"]
    assert len(response.json()["errors"]) == 1
    assert sandbox.app.events() == []
    assert await read_events(sandbox) == []


async def test_the_same_unique_id_for_another_metric_is_no_repeat(sandbox: Sandbox) -> None:
    body = job((profile("ann@example.com"), [event("u", "Placed Order"), event("u", "Refund")]))
    response = await post_job(sandbox, body, "2025-01-15")
    assert response.status_code == 202, response.text
    assert len(sandbox.app.events()) == 2


async def test_events_are_de_duplicated_across_requests_like_single_creates(
    sandbox: Sandbox,
) -> None:
    single = {
        "data": {
            "type": "event",
            "attributes": {"profile": profile("ann@example.com"), **event("o-1")["attributes"]},
        }
    }
    response = await sandbox.client.post(
        "/api/events",
        content=json.dumps(single),
        headers={
            "Authorization": f"Klaviyo-API-Key {KEY}",
            "revision": "2026-07-15",
            "Content-Type": "application/vnd.api+json",
        },
    )
    assert response.status_code == 202, response.text
    body = job((profile("ann@example.com"), [event("o-1"), event("o-2")]))
    first = await post_job(sandbox, body)
    again = await post_job(sandbox, body)  # a retried job
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.headers["X-Sandbox-Duplicates"] == "1"
    assert again.headers["X-Sandbox-Duplicates"] == "2"
    assert sorted(e["attributes"]["event_properties"]["$event_id"]
                  for e in await read_events(sandbox)) == ["o-1", "o-2"]  # fmt: skip
    assert sandbox.app.stats_json()["duplicates"] == 3


async def test_an_invalid_event_refuses_the_job_with_pointers_into_it(sandbox: Sandbox) -> None:
    bad_metric = event("b-1")
    del bad_metric["attributes"]["metric"]["data"]["attributes"]["name"]
    body = job(
        (profile("ann@example.com"), [event("a-1")]),
        (
            profile("bob@example.com"),
            [event("b-0"), bad_metric, event("b-2", time="yesterday"), event("b-3")],
        ),
        ({"data": {"type": "profile", "attributes": {"first_name": "Nobody"}}}, [event("c-0"),
                                                                                   event("c-1")]),
    )  # fmt: skip
    body["data"]["attributes"]["events-bulk-create"]["data"][1]["attributes"]["profile"]["data"][
        "meta"
    ] = {"patch_properties": "not an object"}
    response = await post_job(sandbox, body)
    assert_jsonapi_error(response, 400, "invalid")
    pointers = sorted(e["source"]["pointer"] for e in response.json()["errors"])
    assert pointers == [
        f"{ITEMS}/1/attributes/events/data/1/attributes/metric/data/attributes",
        f"{ITEMS}/1/attributes/events/data/2/attributes/time",
        f"{ITEMS}/1/attributes/profile/data/meta/patch_properties",
        f"{ITEMS}/2/attributes/profile/data/attributes",  # no identifier: once, not per event
    ]
    details = {e["source"]["pointer"]: e["detail"] for e in response.json()["errors"]}
    assert '"name"' in details[pointers[0]]
    assert "yesterday" in details[pointers[1]]
    assert sandbox.app.events() == []
    assert sandbox.app.stats_json()["rejected_by_status"] == {"400": 1}


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda b: b["data"].update(type="event"), "/data/type"),
        (lambda b: b["data"]["attributes"].pop("events-bulk-create"), "/data/attributes"),
        (lambda b: b["data"]["attributes"]["events-bulk-create"].update(data={}), ITEMS),
        (
            lambda b: b["data"]["attributes"]["events-bulk-create"]["data"][0].update(type="x"),
            f"{ITEMS}/0/type",
        ),
        (
            lambda b: b["data"]["attributes"]["events-bulk-create"]["data"][0]["attributes"][
                "events"
            ].update(data=None),
            f"{ITEMS}/0/attributes/events/data",
        ),
        (
            lambda b: b["data"]["attributes"]["events-bulk-create"]["data"][0]["attributes"][
                "events"
            ]["data"].append("an event"),
            f"{ITEMS}/0/attributes/events/data/2",
        ),
    ],
)
async def test_a_broken_envelope_is_named_by_its_pointer(
    sandbox: Sandbox, mutate: Any, pointer: str
) -> None:
    body = many(2)
    mutate(body)
    response = await post_job(sandbox, body)
    error = assert_jsonapi_error(response, 400, "invalid")
    assert error["source"]["pointer"] == pointer, response.text
    assert sandbox.app.events() == []


async def test_malformed_json_is_a_parse_error(sandbox: Sandbox) -> None:
    response = await post_job(sandbox, None, raw=b'{"data": [1, 2,]}')
    error = assert_jsonapi_error(response, 400, "parse_error")
    assert error["meta"]["line"] == 1


async def test_1000_events_are_taken_and_1001_refused(sandbox: Sandbox) -> None:
    response = await post_job(sandbox, many(1001, "over"))
    error = assert_jsonapi_error(response, 400, "invalid")
    assert error["source"]["pointer"] == ITEMS
    assert "1,001" in error["detail"] and "1,000" in error["detail"]
    assert sandbox.app.events() == []
    response = await post_job(sandbox, many(1000, "full"))
    assert response.status_code == 202, response.text
    assert sandbox.app.stats_json()["recorded"] == 1000


async def test_a_job_over_5_mb_is_refused_413(sandbox: Sandbox) -> None:
    big = [event(f"big-{i}", Blob="x" * 90_000) for i in range(56)]  # each string < 100 KB
    body = job((profile("ann@example.com"), big))
    raw = json.dumps(body).encode()
    assert len(raw) > 5_000_000
    response = await post_job(sandbox, None, raw=raw)
    error = assert_jsonapi_error(response, 413, "request_too_large")
    assert "job" in error["detail"]
    assert sandbox.app.events() == []


async def test_bulk_has_its_own_rate_limits(make: SandboxFactory) -> None:
    sandbox = await make(bulk_burst_limit=2, bulk_steady_limit=3)
    for i in range(2):
        assert (await post_job(sandbox, many(1, f"r{i}"))).status_code == 202
    throttled = await post_job(sandbox, many(1, "r2"))
    error = assert_jsonapi_error(throttled, 429, "throttled")
    assert throttled.headers["Retry-After"] == "1"
    assert "Expected available in 1 seconds" in error["detail"]
    single = {
        "data": {
            "type": "event",
            "attributes": {"profile": profile("ann@example.com"), **event("s")["attributes"]},
        }
    }
    response = await sandbox.client.post(  # Create Event's limits are its own
        "/api/events",
        content=json.dumps(single),
        headers={
            "Authorization": f"Klaviyo-API-Key {KEY}",
            "revision": "2026-07-15",
            "Content-Type": "application/vnd.api+json",
        },
    )
    assert response.status_code == 202
    assert response.headers["RateLimit-Limit"] == "3500"
    sandbox.clock.advance(1)
    assert (await post_job(sandbox, many(1, "r3"))).status_code == 202
    sandbox.clock.advance(1)
    steady = await post_job(sandbox, many(1, "r4"))
    assert_jsonapi_error(steady, 429, "throttled")
    assert int(steady.headers["Retry-After"]) > 1  # the minute's window
    assert len(sandbox.app.events()) == 4


async def test_a_key_without_events_write_gets_403(make: SandboxFactory) -> None:
    sandbox = await make(deny_events_write=True)
    error = assert_jsonapi_error(await post_job(sandbox, many(2)), 403, "permission_denied")
    assert "events:write" in error["detail"]


async def test_get_on_the_bulk_path_is_405(sandbox: Sandbox) -> None:
    response = await sandbox.client.get(
        "/api/event-bulk-create-jobs", headers={"Authorization": f"Klaviyo-API-Key {KEY}"}
    )
    assert_jsonapi_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"


async def test_processing_delay_and_drops_apply_per_event(make: SandboxFactory) -> None:
    sandbox = await make(processing_delay=5.0)
    assert (await post_job(sandbox, many(4))).status_code == 202
    assert await read_events(sandbox) == []
    sandbox.clock.advance(5)
    assert len(await read_events(sandbox)) == 4

    dropping = await make(drop_rate=0.5, drop_seed=7)
    assert (await post_job(dropping, many(200))).status_code == 202
    stats = dropping.app.stats_json()
    assert stats["accepted"] == 200
    assert 50 < stats["dropped"] < 150
    assert stats["recorded"] == 200 - stats["dropped"] == len(dropping.app.events())


async def test_a_retired_revision_falling_forward_keeps_its_path_and_takes_the_newer_rules(
    make: SandboxFactory,
) -> None:
    sandbox = await make(retired_revisions=RetiredRevisionPolicy.FALL_FORWARD)
    # 2024-07-15 is retired on 2026-11-30: its path and media type, 2025-01-15's rules on.
    response = await post_job(sandbox, repeated_unique_id_job(), "2024-07-15")
    error = assert_jsonapi_error(response, 400, "invalid")
    assert error["source"]["pointer"].endswith("/attributes/unique_id")
    assert (await post_job(sandbox, many(2), "2024-07-15")).status_code == 202
    assert {r.revision for r in sandbox.app.events()} == {"2025-01-15"}


async def test_a_job_with_bad_events_and_a_repeat_names_them_all_at_once(sandbox: Sandbox) -> None:
    body = repeated_unique_id_job()
    groups = body["data"]["attributes"]["events-bulk-create"]["data"]
    groups[2]["attributes"]["events"]["data"][0]["attributes"]["value"] = "ten"
    response = await post_job(sandbox, body, "2025-01-15")
    assert_jsonapi_error(response, 400, "invalid")
    assert sorted(e["source"]["pointer"] for e in response.json()["errors"]) == [
        f"{ITEMS}/1/attributes/events/data/1/attributes/unique_id",
        f"{ITEMS}/2/attributes/events/data/0/attributes/value",
    ]
    assert sandbox.app.events() == []


async def test_the_prose_limits_hold_for_each_event_of_a_job(sandbox: Sandbox) -> None:
    too_many = {f"p{i}": i for i in range(401)}  # 2026-07-15: at most 400 properties
    body = job(
        (
            profile("ann@example.com"),
            [event("ok"), event("long"), event("many")],
        )
    )
    events = body["data"]["attributes"]["events-bulk-create"]["data"][0]["attributes"]["events"]
    events["data"][1]["attributes"]["properties"]["Blob"] = "x" * 100_001
    events["data"][2]["attributes"]["properties"] = too_many
    response = await post_job(sandbox, body)
    assert_jsonapi_error(response, 400, "invalid")
    assert sorted(e["source"]["pointer"] for e in response.json()["errors"]) == [
        f"{ITEMS}/0/attributes/events/data/1/attributes/properties/Blob",
        f"{ITEMS}/0/attributes/events/data/2/attributes/properties",
    ]


async def test_a_job_of_many_tiny_events_is_refused_whole_without_an_error_per_event(
    sandbox: Sandbox,
) -> None:
    tiny = job((profile("ann@example.com"), [{}] * 20_000))  # each one invalid
    response = await post_job(sandbox, tiny)
    error = assert_jsonapi_error(response, 400, "invalid")
    assert len(response.json()["errors"]) == 1
    assert error["source"]["pointer"] == ITEMS
    assert "20,000 events" in error["detail"]
    groups = bulk.job_body([(profile(f"p{i}@example.com"), []) for i in range(5_000)])
    response = await post_job(sandbox, groups)
    error = assert_jsonapi_error(response, 400, "invalid")
    assert len(response.json()["errors"]) == 1
    assert "5,000 profile groups" in error["detail"]
