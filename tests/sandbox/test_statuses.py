"""Every status the sandbox answers, in-process and over real loopback (each test runs both)."""

from __future__ import annotations

import json

import pytest

from composer.domain import Validator
from composer.sandbox import RetiredRevisionPolicy, SandboxConfig
from tests.sandbox.conftest import (
    KEY,
    OTHER_KEY,
    FakeClock,
    Sandbox,
    SandboxFactory,
    assert_jsonapi_error,
    assert_rate_headers,
    event_body,
    headers,
)


async def test_a_valid_event_is_accepted_with_202_and_an_empty_body(sandbox: Sandbox) -> None:
    response = await sandbox.post(event_body(unique_id="order-1"))
    assert response.status_code == 202
    assert response.content == b""
    assert "content-type" not in response.headers
    assert response.headers["RateLimit-Limit"] == "3500"
    assert response.headers["RateLimit-Remaining"] == "3499"
    assert response.headers["RateLimit-Reset"] == "40"  # START is 20 s into its minute
    listed = (await sandbox.client.get("/sandbox/events")).json()
    assert listed["count"] == 1
    assert listed["events"][0]["unique_id"] == "order-1"
    assert listed["events"][0]["metric"] == "Viewed Product"


async def test_each_revision_is_served_at_its_own_path_only(sandbox: Sandbox) -> None:
    # 2023-01-24 publishes /api/events/ (trailing slash): the other spelling does not exist
    response = await sandbox.post(path="/api/events")
    error = assert_jsonapi_error(response, 404, "not_found")
    assert "/api/events/" in error["detail"] and "2023-01-24" in error["detail"]
    assert sandbox.app.events() == []


async def test_a_missing_key_is_401_not_authenticated(sandbox: Sandbox) -> None:
    response = await sandbox.post(key=None)
    error = assert_jsonapi_error(response, 401, "not_authenticated")
    assert "Klaviyo-API-Key" in error["detail"]
    assert_rate_headers(response)


@pytest.mark.parametrize(
    "authorization",
    [
        "Klaviyo-API-Key 1234abcd",  # no pk_
        "Klaviyo-API-Key pk_abc-def",  # not only letters and digits
        "Klaviyo-API-Key pk_",  # nothing after pk_
        "Bearer pk_abcdef123",  # wrong scheme
        "pk_abcdef123",  # no scheme
    ],
)
async def test_a_malformed_key_is_401_and_the_key_is_not_echoed(
    sandbox: Sandbox, authorization: str
) -> None:
    response = await sandbox.client.post(
        "/api/events/",
        content=json.dumps(event_body()),
        headers={
            "Authorization": authorization,
            "revision": "2023-01-24",
            "Content-Type": "application/json",
        },
    )
    error = assert_jsonapi_error(response, 401, "authentication_failed")
    secret = authorization.rsplit(maxsplit=1)[-1]
    if secret != "pk_":  # the bare prefix is in the advice itself
        assert secret not in response.text
    assert "pk_" in error["detail"] or "Klaviyo-API-Key" in error["detail"]


async def test_a_missing_revision_is_400_naming_the_parameter(sandbox: Sandbox) -> None:
    response = await sandbox.post(revision=None)
    error = assert_jsonapi_error(response, 400, "invalid")
    assert error["source"] == {"parameter": "revision"}
    assert "revision: 2026-07-15" in error["detail"]  # the newest stable revision
    assert_rate_headers(response)


@pytest.mark.parametrize(
    "revision", ["latest", "2023-1-24", "2023-02-30", "2023-01-24.pre", "2099-01-01", "2021-06-01"]
)
async def test_an_unusable_revision_is_400_naming_the_parameter(
    sandbox: Sandbox, revision: str
) -> None:
    response = await sandbox.post(revision=revision)
    error = assert_jsonapi_error(response, 400, "invalid")
    assert error["source"] == {"parameter": "revision"}
    assert revision in error["detail"]


async def test_a_date_between_revisions_gets_the_one_before_it(sandbox: Sandbox) -> None:
    # 2023-03-01 falls back to 2023-02-22: the flat profile shape is accepted ...
    assert (await sandbox.post(revision="2023-03-01")).status_code == 202
    # ... while 2023-08-01 falls back to 2023-07-15, where that shape is invalid.
    response = await sandbox.post(revision="2023-08-01")
    assert_jsonapi_error(response, 400, "invalid")
    events = sandbox.app.events()
    assert [e.revision for e in events] == ["2023-02-22"]


async def test_a_retired_revision_is_410_when_the_sandbox_is_told_so(
    make_sandbox: SandboxFactory,
) -> None:
    # 2026-11-30: 2023-01-24 is past its two years
    clock = FakeClock(1_796_000_000.0)
    sandbox: Sandbox = await make_sandbox(retired_revisions=RetiredRevisionPolicy.GONE, clock=clock)
    error = assert_jsonapi_error(await sandbox.post(), 410, "gone")
    assert error["source"] == {"parameter": "revision"}
    assert sandbox.app.events() == []


async def test_retirement_follows_the_sandbox_clock_not_a_fixed_list(
    make_sandbox: SandboxFactory,
) -> None:
    # 2023-11-14: 2023-01-24 is less than two years old and served even with "gone"
    sandbox: Sandbox = await make_sandbox(retired_revisions=RetiredRevisionPolicy.GONE)
    assert (await sandbox.post()).status_code == 202


async def test_a_key_without_events_write_is_403_permission_denied(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox: Sandbox = await make_sandbox(deny_events_write=True)
    error = assert_jsonapi_error(await sandbox.post(), 403, "permission_denied")
    assert "Events Write" in error["detail"]
    assert sandbox.app.events() == []


async def test_only_the_keys_named_lack_the_scope(make_sandbox: SandboxFactory) -> None:
    sandbox: Sandbox = await make_sandbox(scope_denied_keys=frozenset({OTHER_KEY}))
    assert (await sandbox.post(key=OTHER_KEY)).status_code == 403
    assert (await sandbox.post(key=KEY)).status_code == 202


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_json_by_content_type_is_415(
    sandbox: Sandbox, content_type: str | None
) -> None:
    response = await sandbox.post(content_type=content_type)
    error = assert_jsonapi_error(response, 415, "unsupported_media_type")
    assert "application/json" in error["detail"]
    assert_rate_headers(response)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/vnd.api+json"]
)
async def test_both_json_media_types_are_accepted(sandbox: Sandbox, content_type: str) -> None:
    assert (await sandbox.post(content_type=content_type)).status_code == 202


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_are_405_with_allow(sandbox: Sandbox, method: str) -> None:
    response = await sandbox.client.request(method, "/api/events/")
    error = assert_jsonapi_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"  # GET reads events back
    assert method in error["title"]


@pytest.mark.parametrize("path", ["/api/event/", "/api/profiles/", "/", "/sandbox/nothing"])
async def test_unknown_paths_are_404(sandbox: Sandbox, path: str) -> None:
    response = await sandbox.client.post(path, content=b"{}")
    error = assert_jsonapi_error(response, 404, "not_found")
    assert path in error["detail"]


async def test_an_invalid_body_is_400_with_one_error_per_error_finding(sandbox: Sandbox) -> None:
    body = {
        "data": {
            "type": "event",
            "attributes": {"profile": {}, "metric": {"name": ""}, "properties": {}, "value": "x"},
        }
    }
    report = Validator("2023-01-24").validate_payload(body)
    expected = {(f.pointer, f.message) for f in report.errors}
    assert len(expected) >= 3 and report.warnings  # warnings exist but are not sent back
    response = await sandbox.post(body)
    assert_jsonapi_error(response, 400, "invalid")
    errors = response.json()["errors"]
    assert {(e["source"]["pointer"], e["detail"]) for e in errors} == expected
    assert all(e["title"] == "Invalid input." for e in errors)
    assert len({e["id"] for e in errors}) == len(errors)
    assert_rate_headers(response)
    assert sandbox.app.events() == []


async def test_warnings_do_not_reject(sandbox: Sandbox) -> None:
    body = event_body(unique_id=None)
    body["data"]["attributes"]["profile"]["$consent"] = ["emial"]
    assert Validator("2023-01-24").validate_payload(body).warnings
    assert (await sandbox.post(body)).status_code == 202


async def test_broken_json_is_400_parse_error_with_line_and_column(sandbox: Sandbox) -> None:
    response = await sandbox.post(raw=b'{"data": {"type": "event",}}')
    error = assert_jsonapi_error(response, 400, "parse_error")
    assert error["title"] == "Malformed request."
    assert error["meta"]["line"] == 1
    assert "JSON" in error["detail"]


async def test_an_oversized_body_is_413(make_sandbox: SandboxFactory) -> None:
    sandbox: Sandbox = await make_sandbox(max_body_bytes=1000)
    body = event_body(properties={"Blob": "x" * 2000})
    assert_jsonapi_error(await sandbox.post(body), 413, "request_too_large")


async def test_stats_count_what_happened(sandbox: Sandbox) -> None:
    await sandbox.post(event_body(unique_id="u1"))
    await sandbox.post(event_body(unique_id="u1"))
    await sandbox.post(key=None)
    await sandbox.post(raw=b"[")
    stats = (await sandbox.client.get("/sandbox/stats")).json()
    assert stats["requests"] == 4
    assert stats["accepted"] == 2
    assert stats["recorded"] == 1
    assert stats["duplicates"] == 1
    assert stats["rejected"] == 2
    assert stats["rejected_by_status"] == {"400": 1, "401": 1}
    assert stats["throttled"] == 0
    assert stats["faults_injected"] == 0
    await sandbox.client.put("/api/events/")
    stats = (await sandbox.client.get("/sandbox/stats")).json()
    assert (stats["requests"], stats["rejected_by_status"]["405"]) == (5, 1)


async def test_inspection_endpoints_refuse_other_methods(sandbox: Sandbox) -> None:
    response = await sandbox.client.post("/sandbox/stats")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    response = await sandbox.client.put("/sandbox/events")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, DELETE"


async def test_a_compressed_body_is_415(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        "/api/events/",
        content=json.dumps(event_body()),
        headers={**headers(), "Content-Encoding": "gzip"},
    )
    error = assert_jsonapi_error(response, 415, "unsupported_media_type")
    assert "Content-Encoding" in error["detail"]


async def test_the_first_klaviyo_revisions_share_the_2023_01_24_contract(
    sandbox: Sandbox,
) -> None:
    assert (await sandbox.post(revision="2022-10-17")).status_code == 202
    assert sandbox.app.events()[0].revision == "2023-01-24"


@pytest.mark.parametrize(
    "fields",
    [
        {"fault_rate": 1.5},
        {"burst_limit": 0},
        {"fault_rate": 0.5, "fault_kinds": ()},
        {"slow_seconds": -1},
        {"max_recorded": 0},
    ],
)
def test_a_config_that_cannot_work_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SandboxConfig(**fields)  # type: ignore[arg-type]


def test_the_config_repr_hides_scope_denied_keys() -> None:
    assert KEY not in repr(SandboxConfig(scope_denied_keys=frozenset({KEY})))
