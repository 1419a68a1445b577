"""KeyRedactor: every spelling of the key a server may echo becomes the placeholder, and
nothing else in an answer changes."""

from __future__ import annotations

import json

import pytest

from composer.client.redact import KEY_PLACEHOLDER, KeyRedactor

KEY = "pk_" + "9a" * 17
redact = KeyRedactor(KEY)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", b""),
        (b'{"ok": true}', b'{"ok": true}'),  # untouched, byte for byte
        (b'{"ok": "a\\u00e9"}', b'{"ok": "a\\u00e9"}'),  # escapes without the key: untouched
        (f"you sent {KEY}".encode(), f"you sent {KEY_PLACEHOLDER}".encode()),
        (f"{KEY}{KEY}".encode(), f"{KEY_PLACEHOLDER}{KEY_PLACEHOLDER}".encode()),
        (b"\\u0070" + KEY[1:].encode(), b"\\u0070" + KEY[1:].encode()),  # not JSON: as is
    ],
)
def test_bodies(body, expected):
    assert redact.body(body) == expected


def test_a_json_body_that_hides_the_key_in_escapes_is_rewritten():
    escaped = "".join(f"\\u{ord(c):04x}" for c in KEY)
    body = ('{"errors": [{"detail": "' + escaped + '", "n": 1}], "' + escaped + '": 2}').encode()
    cleaned = redact.body(body)
    assert KEY not in json.dumps(json.loads(cleaned))
    assert json.loads(cleaned) == {
        "errors": [{"detail": KEY_PLACEHOLDER, "n": 1}],
        KEY_PLACEHOLDER: 2,
    }


def test_headers_names_and_values():
    headers = (("X-Seen", f"Klaviyo-API-Key {KEY}"), (KEY, "v"), ("Date", "today"))
    assert redact.headers(headers) == (
        ("X-Seen", f"Klaviyo-API-Key {KEY_PLACEHOLDER}"),
        (KEY_PLACEHOLDER, "v"),
        ("Date", "today"),
    )


def test_the_redactor_never_shows_its_key():
    assert KEY not in repr(redact)
