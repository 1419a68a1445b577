"""The sandbox serves every revision with its own path, content type and limits, and treats
retired revisions as told: serve, fall forward (as production does today) or 410."""

from __future__ import annotations

from typing import Any

import pytest

from composer.domain.convert import convert
from composer.domain.revisions import REVISIONS, get_revision
from composer.sandbox import RetiredRevisionPolicy
from tests.sandbox.conftest import (
    FakeClock,
    Sandbox,
    SandboxFactory,
    assert_jsonapi_error,
    event_body,
)

NOV_2026 = 1_796_000_000.0  # 2026-11-30: 2026-01-15 on current, 2024-10-15 and older retired
OPT_OUT = {"X-Klaviyo-Revision-Fall-Forward-Opt-Out": "1"}


def body_at(revision: str, **attributes: Any) -> Any:
    return convert(event_body(**attributes), revision).body


async def post(
    sandbox: Sandbox,
    revision: str,
    body: Any,
    *,
    path: str | None = None,
    media: str | None = None,
    extra: dict[str, str] | None = None,
) -> Any:
    import json

    rev = get_revision(revision)
    headers = {
        "Authorization": "Klaviyo-API-Key pk_test0123456789",
        "revision": revision,
        "Content-Type": media or rev.content_type,
        **(extra or {}),
    }
    return await sandbox.client.post(path or rev.path, content=json.dumps(body), headers=headers)


@pytest.fixture
async def nov_2026(make_sandbox: SandboxFactory) -> Sandbox:
    sandbox: Sandbox = await make_sandbox(clock=FakeClock(NOV_2026))
    return sandbox


@pytest.mark.parametrize("revision", list(REVISIONS))
async def test_every_revision_accepts_its_own_shape_at_its_own_path(
    nov_2026: Sandbox, revision: str
) -> None:
    response = await post(nov_2026, revision, body_at(revision))
    assert response.status_code == 202, response.text
    assert nov_2026.app.events()[0].revision == revision


@pytest.mark.parametrize(
    ("revision", "path", "media", "status"),
    [
        ("2023-01-24", "/api/events", None, 404),
        ("2024-07-15", "/api/events", None, 404),
        ("2024-10-15", "/api/events/", None, 404),
        ("2024-10-15", None, "application/json", 415),
        ("2026-07-15", None, "application/json", 415),
        ("2023-01-24", None, "text/plain", 415),
    ],
)
async def test_the_wrong_path_or_content_type_for_the_revision(
    nov_2026: Sandbox, revision: str, path: str | None, media: str | None, status: int
) -> None:
    response = await post(nov_2026, revision, body_at(revision), path=path, media=media)
    code = "not_found" if status == 404 else "unsupported_media_type"
    error = assert_jsonapi_error(response, status, code)
    assert revision in error["detail"]
    assert get_revision(revision).path in error["detail"] or status == 415
    assert nov_2026.app.events() == []


@pytest.mark.parametrize(("revision", "status"), [("2025-01-15", 400), ("2025-04-15", 202)])
async def test_each_revision_has_its_own_limits(
    nov_2026: Sandbox, revision: str, status: int
) -> None:
    props = {f"p{i}": i for i in range(301)}
    response = await post(nov_2026, revision, body_at(revision, properties=props))
    assert response.status_code == status, response.text


async def test_fall_forward_validates_as_the_oldest_supported_revision(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox: Sandbox = await make_sandbox(
        clock=FakeClock(NOV_2026), retired_revisions=RetiredRevisionPolicy.FALL_FORWARD
    )
    # the flat 2023-01-24 body is refused, as production most likely refuses it today
    flat = await post(sandbox, "2023-01-24", event_body())
    assert flat.status_code == 400
    assert any(
        e["source"].get("pointer", "").startswith("/data/attributes/profile")
        for e in flat.json()["errors"]
    )
    # the same event in the later shape, still sent as 2023-01-24, is served by 2025-01-15
    later = await post(sandbox, "2023-01-24", body_at("2025-01-15"))
    assert later.status_code == 202, later.text
    assert sandbox.app.events()[0].revision == "2025-01-15"
    # opting out of falling forward: 410
    gone = await post(sandbox, "2023-01-24", event_body(), extra=OPT_OUT)
    error = assert_jsonapi_error(gone, 410, "gone")
    assert "opted out" in error["detail"]
    # a current revision is not affected by the header
    current = await post(sandbox, "2026-07-15", body_at("2026-07-15"), extra=OPT_OUT)
    assert current.status_code == 202


async def test_gone_is_410_for_every_retired_revision_only(make_sandbox: SandboxFactory) -> None:
    sandbox: Sandbox = await make_sandbox(
        clock=FakeClock(NOV_2026), retired_revisions=RetiredRevisionPolicy.GONE
    )
    assert_jsonapi_error(await post(sandbox, "2024-10-15", body_at("2024-10-15")), 410, "gone")
    assert (await post(sandbox, "2025-01-15", body_at("2025-01-15"))).status_code == 202


async def test_the_policy_can_change_while_running(nov_2026: Sandbox) -> None:
    assert (await post(nov_2026, "2023-01-24", event_body())).status_code == 202
    nov_2026.app.set_retired_revisions(RetiredRevisionPolicy.GONE)
    assert (await post(nov_2026, "2023-01-24", event_body())).status_code == 410
