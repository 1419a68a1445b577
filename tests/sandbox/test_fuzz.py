"""Fuzzing (hypothesis, bounded): arbitrary bytes, text and near-JSON thrown at the validator
and at the sandbox's ASGI app. Nothing raises; every sandbox answer is what Klaviyo's would be
in shape (a JSON:API error body, or an empty 202), and what it recorded can always be listed
back as strict JSON."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.domain.jsontext import loads
from composer.domain.validator import Validator
from composer.sandbox import SandboxApp, SandboxConfig
from tests.sandbox.conftest import KEY, FakeClock, event_body

NASTY = [
    "1e400",
    "-1E+999",
    "9" * 4301,
    "-" + "9" * 5000,
    '"\\ud800"',
    '"\\udc00\\ud800"',
    '"\ud800"',
    "NaN",
    "-Infinity",
    "[" * 3000,
    '"\\u0000"',
    '"２０２２-11-08T00:00:00"',
    '"2022-11-08T00:00:00 "',
    '"' + "x" * 100_001 + '"',
    "\ufeff",
    "\x00",
    '{"' + "k" * 100_001 + '": 1}',
    "0.1e-400",
    "{}",
    "[]",
    '""',
    ",",
    ":",
    "}",
]
VALID = json.dumps(event_body(unique_id="fuzz", time="2023-11-01T00:00:00Z"))


@st.composite
def near_json(draw: st.DrawFn) -> str:
    """A valid event with a few nasty edits: tokens inserted, text cut out or replaced."""
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "cut", "replace-value"]))
        token = draw(st.sampled_from(NASTY) | st.text(max_size=6))
        if kind == "insert":
            text = text[:pos] + token + text[pos:]
        elif kind == "cut":
            end = draw(st.integers(pos, min(len(text), pos + 10)))
            text = text[:pos] + text[end:]
        else:
            start = text.find(":", pos)
            end = text.find(",", start + 1) if start >= 0 else -1
            if start >= 0 and end > start:
                text = text[: start + 1] + token + text[end:]
    return text


any_code_points = st.lists(st.integers(0, 0x10FFFF).map(chr), max_size=40).map("".join)
texts = st.one_of(near_json(), st.text(max_size=200), any_code_points)
payloads = st.one_of(
    texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
)

VALIDATOR = Validator("2023-01-24")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(texts, payloads))
def test_the_validator_never_raises_and_its_findings_are_printable(
    text: str | bytes,
) -> None:
    report = VALIDATOR.validate_text(text)
    for finding in report.findings:
        json.dumps(finding.to_json(), ensure_ascii=False).encode("utf-8")
    if report.parsed:
        # What parsed is plain JSON again: no infinity, no surrogate, no endless integer.
        loads(json.dumps(report.payload, ensure_ascii=False, allow_nan=False))


# -- the sandbox ---------------------------------------------------------------------------------

methods = st.sampled_from(["POST", "GET", "DELETE", "PUT", "OPTIONS", "HEAD"]) | st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8
)
paths = st.sampled_from(
    ["/api/events/", "/api/events", "/sandbox/events", "/sandbox/stats", "/sandbox/reset"]
) | st.text(max_size=30).map(lambda p: "/" + p)
queries = st.sampled_from(
    [b"", b"limit=2", b"limit=%C2%B2", b"limit=" + b"9" * 5000, b"limit=-1", b"limit=1&limit=2"]
) | st.binary(max_size=30)
header_values = st.binary(max_size=40)
headers = st.fixed_dictionaries(
    {},
    optional={
        b"authorization": st.sampled_from([f"Klaviyo-API-Key {KEY}".encode()]) | header_values,
        b"revision": st.sampled_from([b"2023-01-24", b"2024-10-15", b"2026-07-15"]) | header_values,
        b"content-type": st.sampled_from([b"application/json", b"application/vnd.api+json"])
        | header_values,
        b"content-length": st.sampled_from([b"5", b"99999999999999999999", b"\xb2"])
        | header_values,
        b"content-encoding": header_values,
    },
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]:
    if draw(st.booleans()):  # most requests are well-formed API calls with a fuzzed body
        base = {
            b"authorization": f"Klaviyo-API-Key {KEY}".encode(),
            b"revision": b"2023-01-24",
            b"content-type": b"application/json",
        }
        return "POST", "/api/events/", b"", list(base.items()), draw(payloads)
    return (
        draw(methods),
        draw(paths),
        draw(queries),
        list(draw(headers).items()),
        draw(payloads),
    )


async def _call(
    app: SandboxApp, method: str, path: str, query: bytes, hdrs: list[Any], body: bytes
) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode("utf-8", "surrogatepass"),
        "query_string": query,
        "headers": hdrs,
        "server": ("127.0.0.1", 8787),
        "client": ("127.0.0.1", 50000),
    }
    chunks = [body[: len(body) // 2], body[len(body) // 2 :]]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start, *rest = sent
    assert start["type"] == "http.response.start"
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in rest)


def _check_answer(status: int, hdrs: dict[bytes, bytes], body: bytes) -> None:
    assert 200 <= status <= 599
    if status == 202:
        assert body == b""
        return
    doc = loads(body.decode("utf-8"))  # strict JSON: no NaN, no lone surrogate
    assert isinstance(doc, dict)
    if status >= 400:
        assert hdrs[b"content-type"] == b"application/vnd.api+json"
        assert isinstance(doc["errors"], list) and doc["errors"]
        for error in doc["errors"]:
            assert error["status"] == status
            assert isinstance(error["code"], str) and isinstance(error["detail"], str)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(requests(), min_size=1, max_size=4))
def test_the_sandbox_answers_anything_in_shape_and_can_always_list_what_it_recorded(
    batch: list[tuple[str, str, bytes, list[Any], bytes]],
) -> None:
    app = SandboxApp(SandboxConfig(clock=FakeClock(), burst_limit=10_000, steady_limit=100_000))

    async def scenario() -> None:
        for method, path, query, hdrs, body in batch:
            _check_answer(*await _call(app, method, path, query, hdrs, body))
        status, hdrs, body = await _call(app, "GET", "/sandbox/events", b"", [], b"")
        assert status == 200
        listed = loads(body.decode("utf-8"))
        assert listed["count"] == len(app.events())

    asyncio.run(scenario())
