"""The sandbox takes what each revision's published schema takes and refuses, with a JSON:API
error pointing at the member, what it refuses: bodies drawn from the revision's own schema
(tests/domain/schema_bodies.py), sent over loopback at the revision's path and media type."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.domain.convert import convert
from composer.domain.findings import pointer
from composer.domain.revisions import REVISIONS, Shape, get_revision
from composer.sandbox import SandboxConfig, run_in_thread
from tests.domain.schema_bodies import PROFILE_ID_PATH, present, sites, valid_bodies, wrong_values
from tests.sandbox.conftest import KEY, event_body

_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_REVISIONS = st.sampled_from(list(REVISIONS))


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    # Klaviyo's limits lifted: hypothesis sends faster than 350 a second at times.
    config = SandboxConfig(burst_limit=1_000_000, steady_limit=1_000_000)
    with run_in_thread(config) as url, httpx.Client(base_url=url, timeout=10.0) as http:
        yield http


def send(client: httpx.Client, revision: str, body: Any) -> httpx.Response:
    rev = get_revision(revision)
    headers = {
        "Authorization": f"Klaviyo-API-Key {KEY}",
        "revision": revision,
        "Content-Type": rev.content_type,
    }
    return client.post(rev.path, content=json.dumps(body), headers=headers)


def pointers(response: httpx.Response) -> set[str]:
    assert response.status_code == 400, response.text
    return {e.get("source", {}).get("pointer") for e in response.json()["errors"]}


@_SETTINGS
@given(revision=_REVISIONS, data=st.data())
def test_what_the_schema_takes_gets_202(
    client: httpx.Client, revision: str, data: st.DataObject
) -> None:
    body = data.draw(valid_bodies(get_revision(revision)))
    response = send(client, revision, body)
    assert response.status_code == 202, response.text


@_SETTINGS
@given(revision=_REVISIONS, data=st.data())
def test_one_member_broken_gets_400_at_its_pointer(
    client: httpx.Client, revision: str, data: st.DataObject
) -> None:
    rev = get_revision(revision)
    body = copy.deepcopy(data.draw(valid_bodies(rev)))
    site = data.draw(st.sampled_from(sites(rev)))
    parent_path = site.path[:-1]
    if not present(body, parent_path):
        return
    parent = body
    for key in parent_path:
        parent = parent[key]
    if not isinstance(parent, dict):
        return
    name = site.path[-1]
    if site.required:
        del parent[name]
        assert pointer(list(parent_path)) in pointers(send(client, revision, body))
    else:
        wrong = wrong_values(site.node)
        if not wrong:
            return
        parent[name] = data.draw(st.sampled_from(wrong))
        assert pointer(list(site.path)) in pointers(send(client, revision, body))


def test_nulls_and_a_profile_named_by_id_are_taken_and_recorded(client: httpx.Client) -> None:
    body = convert(event_body(unique_id="by-id-1"), "2026-07-15").body
    attrs = body["data"]["attributes"]
    attrs.update(value=None, time=None, value_currency=None, backfill=None)
    attrs["profile"]["data"]["attributes"] = {"phone_number": None}
    node = body
    for key in PROFILE_ID_PATH[:-1]:
        node = node[key]
    node[PROFILE_ID_PATH[-1]] = "01GDDKASAP8TKDDA2GRZDSVP4H"
    assert send(client, "2026-07-15", body).status_code == 202
    assert send(client, "2026-07-15", body).headers.get("X-Sandbox-Duplicate") == "1"
    flat = [r for r in REVISIONS.values() if r.shape is Shape.FLAT]
    assert all(send(client, r.name, body).status_code == 400 for r in flat)
