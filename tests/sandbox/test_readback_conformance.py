"""The read endpoints' answers against Klaviyo's published 2026-07-15 OpenAPI (an excerpt of
klaviyo/openapi stable.json, kept verbatim in tests/sandbox/data): every 200 document validates
against the operation's response schema, every error against ClientError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from composer.sandbox import SandboxConfig, run_in_thread

SPEC: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "klaviyo-2026-07-15.openapi.json").read_text("utf-8")
)
KEY = "pk_" + "c0" * 17
HEADERS = {"Authorization": f"Klaviyo-API-Key {KEY}", "revision": "2026-07-15"}


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 to JSON Schema: ``nullable: true`` becomes a "null" alternative."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "$ref" in out or "allOf" in out or "oneOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


ROOT = _json_schema(SPEC)


def _validate(document: Any, schema: dict[str, Any]) -> None:
    jsonschema.validate(document, {**schema, "components": ROOT["components"]})


def _response_ref(path: str, status: str) -> dict[str, Any]:
    """The (converted) schema of one documented response of GET ``path``."""
    response = ROOT["paths"][path]["get"]["responses"][status]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        response = ROOT["components"]["responses"][name]
    schema: dict[str, Any] = next(iter(response["content"].values()))["schema"]
    return schema


def test_read_answers_match_the_published_response_schemas() -> None:
    body = {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {
                    "data": {
                        "type": "profile",
                        "attributes": {
                            "email": "spec@example.com",
                            "phone_number": "+15005550006",
                            "location": {"city": "Boston"},
                            "properties": {"Plan": "Gold"},
                        },
                    }
                },
                "metric": {"data": {"type": "metric", "attributes": {"name": "Spec Check"}}},
                "properties": {"n": 1},
                "value": 2.5,
                "unique_id": "spec-1",
            },
        }
    }
    with (
        run_in_thread(SandboxConfig()) as url,
        httpx.Client(base_url=url, headers=HEADERS, timeout=10) as client,
    ):
        posted = client.post(
            "/api/events",
            content=json.dumps(body),
            headers={"Content-Type": "application/vnd.api+json"},
        )
        assert posted.status_code == 202
        events = client.get("/api/events", params={"include": "metric,profile"})
        event_id = events.json()["data"][0]["id"]
        answers = {
            "/api/events": events,
            "/api/events/{id}": client.get(f"/api/events/{event_id}"),
            "/api/metrics": client.get("/api/metrics"),
            "/api/profiles": client.get("/api/profiles"),
        }
        bad = client.get("/api/events", params={"filter": "nonsense"})
    for path, response in answers.items():
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/vnd.api+json"
        _validate(response.json(), _response_ref(path, "200"))
    assert answers["/api/profiles"].json()["data"][0]["attributes"]["phone_number"] == (
        "+15005550006"
    )
    assert bad.status_code == 400
    _validate(bad.json(), _response_ref("/api/events", "4XX"))


def test_the_schema_check_can_fail() -> None:
    """The conversion keeps the schemas strict: a wrong type is still refused."""
    document = {"data": [{"type": "event", "id": 7, "attributes": {}, "links": {"self": "x"}}]}
    try:
        _validate(document, _response_ref("/api/events", "200"))
    except jsonschema.ValidationError:
        return
    raise AssertionError("an integer event id was accepted")
