"""Fuzzing Bulk Create Events (hypothesis, bounded): a valid job with nasty edits to its text,
or with any JSON value put in place of any of its members, posted to the sandbox's ASGI app.
Nothing raises and nothing answers 500: every answer is an empty 202 or a JSON:API error, and
what was recorded can always be listed back as strict JSON."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.domain import bulk
from composer.domain.jsontext import loads
from composer.sandbox import SandboxApp, SandboxConfig
from tests.sandbox.conftest import KEY, FakeClock
from tests.sandbox.test_fuzz import NASTY, _call, _check_answer

NOW = 1_796_032_860.0  # 2026-11-30T10:01:00Z
HEADERS = [
    (b"authorization", f"Klaviyo-API-Key {KEY}".encode()),
    (b"revision", b"2026-07-15"),
    (b"content-type", b"application/vnd.api+json"),
]


def valid_job() -> dict[str, Any]:
    def event(n: int) -> dict[str, Any]:
        return {
            "type": "event",
            "attributes": {
                "metric": {"data": {"type": "metric", "attributes": {"name": "Fuzz"}}},
                "properties": {"n": n, "list": [1, "a", {"b": None}]},
                "time": "2026-11-30T09:00:00+00:00",
                "value": 1.5,
                "unique_id": f"fuzz-{n}",
            },
        }

    profile = {
        "data": {
            "type": "profile",
            "attributes": {"email": "fuzz@example.com", "location": {"city": "Boston"}},
            "meta": {"patch_properties": {"unset": "x"}},
        }
    }
    return bulk.job_body([(profile, [event(0), event(1)]), (profile, [event(2)])])


VALID_TEXT = json.dumps(valid_job())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_paths(value, (*prefix, index)))
    return out


PATHS = _paths(valid_job())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated_jobs(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        text = VALID_TEXT
        for _ in range(draw(st.integers(1, 3))):
            pos = draw(st.integers(0, len(text)))
            token = draw(st.sampled_from(NASTY) | st.text(max_size=6))
            if draw(st.booleans()):
                text = text[:pos] + token + text[pos:]
            else:
                text = text[:pos] + text[pos + draw(st.integers(0, 10)) :]
        return text.encode("utf-8", "surrogatepass")
    body = valid_job()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = body
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = copy.deepcopy(draw(json_values))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the way there
    return json.dumps(body).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated_jobs(), min_size=1, max_size=3))
def test_any_job_is_answered_in_shape_and_what_was_recorded_lists_back(
    batch: list[bytes],
) -> None:
    app = SandboxApp(SandboxConfig(clock=FakeClock(NOW), bulk_burst_limit=1000))

    async def scenario() -> None:
        for body in batch:
            status, hdrs, answer = await _call(
                app, "POST", "/api/event-bulk-create-jobs", b"", HEADERS, body
            )
            assert status in (202, 400), answer[:500]
            _check_answer(status, hdrs, answer)
        status, _hdrs, listed = await _call(app, "GET", "/sandbox/events", b"", [], b"")
        assert status == 200
        assert loads(listed.decode("utf-8"))["count"] == len(app.events())

    asyncio.run(scenario())
