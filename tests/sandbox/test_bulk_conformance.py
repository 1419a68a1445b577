"""Bulk Create Events against Klaviyo's published 2026-07-15 OpenAPI (the excerpt kept verbatim
in tests/sandbox/data): the job bodies the tests build are valid requests, the sandbox never
takes a body the published schema refuses (every member of a job removed or replaced by a value
of each JSON type), the 202 has no body, and every error answer is a ClientError document."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx
import jsonschema

from composer.domain import bulk
from composer.domain.validator import Validator
from composer.sandbox import SandboxConfig, run_in_thread
from tests.sandbox.test_readback_conformance import ROOT

KEY = "pk_" + "b7" * 17
OPERATION = ROOT["paths"]["/api/event-bulk-create-jobs"]["post"]
REQUEST = {
    **OPERATION["requestBody"]["content"]["application/vnd.api+json"]["schema"],
    "components": ROOT["components"],
}
CLIENT_ERROR = {
    **next(iter(ROOT["components"]["responses"]["ClientError"]["content"].values()))["schema"],
    "components": ROOT["components"],
}
VALUES: list[Any] = [None, True, 0, 1.5, "x", "", [], {}, [1], {"a": 1}]


def job() -> dict[str, Any]:
    events = [
        {
            "type": "event",
            "attributes": {
                "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                "properties": {"n": n},
                "time": "2026-11-30T09:00:00+00:00",
                "value": 1.5,
                "value_currency": "USD",
                "unique_id": f"conf-{n}",
            },
        }
        for n in range(2)
    ]
    profile = {
        "data": {
            "type": "profile",
            "attributes": {"email": "spec@example.com", "location": {"city": "Boston"}},
            "meta": {"patch_properties": {"append": {"skus": "1"}}},
        }
    }
    return bulk.job_body([(profile, events)])


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_paths(value, (*prefix, index)))
    return out


def test_the_sandbox_never_takes_a_job_the_published_schema_refuses() -> None:
    schema = jsonschema.Draft7Validator(REQUEST)
    validator = bulk.BulkValidator(Validator("2026-07-15"), formats=False)
    body = job()
    assert schema.is_valid(body)
    assert validator.validate_payload(body).valid
    refused_by_spec = 0
    for path in _paths(body):
        for value in [*VALUES, "remove"]:
            changed = copy.deepcopy(body)
            parent = changed
            for step in path[:-1]:
                parent = parent[step]
            if value == "remove":
                if not isinstance(parent, dict):
                    continue
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(value)
            if not schema.is_valid(changed):
                refused_by_spec += 1
                assert not validator.validate_payload(changed).valid, (path, value)
    assert refused_by_spec > 100


def test_answers_match_the_published_responses() -> None:
    headers = {
        "Authorization": f"Klaviyo-API-Key {KEY}",
        "revision": "2026-07-15",
        "Content-Type": "application/vnd.api+json",
    }
    bad = job()
    bad["data"]["attributes"]["events-bulk-create"]["data"][0]["attributes"]["events"]["data"][1][
        "attributes"
    ]["time"] = "soon"
    # the limits count in windows aligned to the clock's minutes: a still clock keeps the
    # requests in one window, wherever in the minute the test runs
    now = time.time()
    config = SandboxConfig(bulk_steady_limit=4, max_body_bytes=50_000, clock=lambda: now)
    with run_in_thread(config) as url, httpx.Client(base_url=url, timeout=10) as client:
        path = "/api/event-bulk-create-jobs"
        accepted = client.post(path, content=json.dumps(job()), headers=headers)
        errors = [
            client.post(path, content=json.dumps(bad), headers=headers),  # 400
            client.post(path, content=b"x" * 60_000, headers=headers),  # 413
            client.get(path, headers=headers),  # 405
            client.post(path + "/", content=json.dumps(job()), headers=headers),  # 404
            client.post(
                path, content=json.dumps(job()), headers={**headers, "Content-Type": "text/plain"}
            ),  # 415
            client.post(path, content=json.dumps(job()), headers=headers),  # 429
        ]
    assert accepted.status_code == 202
    assert accepted.content == b""
    assert [e.status_code for e in errors] == [400, 413, 405, 404, 415, 429]
    for error in errors:
        jsonschema.validate(error.json(), CLIENT_ERROR)
