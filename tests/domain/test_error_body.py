"""Klaviyo's JSON:API error bodies become findings; anything else never raises."""

from __future__ import annotations

import json

from composer.domain.error_body import parse_error_body


def test_real_400_body_maps_pointer_and_detail() -> None:
    body = {
        "errors": [
            {
                "id": "6d3c7b9e-0b63-4f4e-9f0a-1c2b3d4e5f60",
                "status": 400,
                "code": "invalid",
                "title": "Invalid input.",
                "detail": "The payload provided in the request is invalid.",
                "source": {"pointer": "/data"},
                "meta": {},
            }
        ]
    }
    (f,) = parse_error_body(json.dumps(body).encode(), 400)
    assert f.pointer == "/data" and f.rule == "server-invalid" and f.source == "server"
    assert "payload provided in the request is invalid" in f.message
    assert f.meta["id"].startswith("6d3c")


def test_429_pointer_with_trailing_slash_and_extra_keys() -> None:
    body = {
        "errors": [
            {
                "id": "x",
                "status": 429,
                "code": "throttled",
                "title": "Request was throttled.",
                "detail": "Request was throttled. Expected available in 0 seconds.",
                "source": {"pointer": "/data/"},
                "links": {},
                "unknown": 1,
            }
        ]
    }
    (f,) = parse_error_body(json.dumps(body), 429)
    assert f.pointer == "/data"
    assert f.message == "Request was throttled. Expected available in 0 seconds."


def test_parameter_source_is_named() -> None:
    body = {
        "errors": [
            {
                "code": "invalid",
                "title": "Invalid input.",
                "detail": "'profiless' is not an allowed include parameter.",
                "source": {"parameter": "include"},
            }
        ]
    }
    (f,) = parse_error_body(json.dumps(body), 400)
    assert f.pointer == "" and f.message.startswith("parameter include:")


def test_html_and_garbage_bodies() -> None:
    (html,) = parse_error_body(b"<!DOCTYPE html><html><title>Just a moment...</title>", 403)
    assert "HTML" in html.message and html.rule == "server-unparsed"
    for junk in (b"\xff\xfe", "[1,2]", '{"errors": "nope"}', '{"errors": [1, null]}'):
        assert parse_error_body(junk, 500)
    assert parse_error_body(b"", 202) == []
    assert parse_error_body(None) == []


def test_every_status_has_a_title_in_words():
    from composer.domain.error_body import status_title

    assert "too large" in status_title(413).lower()
    assert status_title(418) != "Error"  # an unlisted status says what it is, not just "Error"
    assert status_title(599) == "Error"
