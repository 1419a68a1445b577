"""KeyRedactor: every spelling of the key a server may echo becomes the placeholder, and
nothing else in an answer changes."""

from __future__ import annotations

import base64
import json
import uuid

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
        # not JSON, so not decoded: what follows the escape is still most of the key
        (b"\\u0070" + KEY[1:].encode(), b"\\u0070" + KEY_PLACEHOLDER.encode()),
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


# a key without repeats, so that each fragment of it is one place in it
RANDOM_KEY = "pk_" + "3f9c0b7e5a14d28c6b0e9f731a5d4c2e8b"
random_redact = KeyRedactor(RANDOM_KEY)
PRIVATE = RANDOM_KEY.removeprefix("pk_")


@pytest.mark.parametrize("lead", ["", "u", "us", "user:", "Bearer x"])
@pytest.mark.parametrize("tail", ["", ":", ":pw", "\n"])
@pytest.mark.parametrize("alphabet", ["standard", "urlsafe"])
def test_the_key_in_base64_is_removed_wherever_it_sits_in_the_encoded_text(lead, tail, alphabet):
    raw = f"{lead}{RANDOM_KEY}{tail}".encode()
    encoded = (
        base64.b64encode(raw) if alphabet == "standard" else base64.urlsafe_b64encode(raw)
    ).decode()
    for seen in (
        random_redact.text(f"Basic {encoded}"),
        random_redact.body(f'{{"credential": "{encoded}"}}'.encode()).decode(),
    ):
        assert KEY_PLACEHOLDER in seen
        # no run of 8 characters that encode the key's bytes alone is left
        assert [w for w in _key_windows(encoded, len(lead), len(RANDOM_KEY)) if w in seen] == []


def _key_windows(encoded: str, start: int, length: int, size: int = 8) -> list[str]:
    """The runs of ``size`` characters of ``encoded`` whose bits all come from the bytes
    ``start`` to ``start + length`` of what was encoded."""
    own = [start <= (6 * i) // 8 and (6 * i + 5) // 8 < start + length for i in range(len(encoded))]
    return [encoded[i : i + size] for i in range(len(encoded) - size + 1) if all(own[i : i + size])]


@pytest.mark.parametrize("size", [12, 16, 24, len(PRIVATE)])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_run_of_twelve_or_more_characters_of_the_key_is_removed(size, where):
    start = {"start": 0, "middle": (len(PRIVATE) - size) // 2, "end": len(PRIVATE) - size}[where]
    piece = PRIVATE[start : start + size]
    body = f'{{"hint": "your key {piece}... was refused", "n": 1}}'.encode()
    cleaned = random_redact.body(body).decode()
    assert cleaned == f'{{"hint": "your key {KEY_PLACEHOLDER}... was refused", "n": 1}}'
    assert random_redact.text(f"key={piece}") == f"key={KEY_PLACEHOLDER}"


def test_the_public_prefix_counts_for_nothing_and_eleven_characters_are_not_an_echo():
    for harmless in (PRIVATE[:11], PRIVATE[5:16], "pk_" + PRIVATE[:11], "pk_live"):
        body = f'{{"hint": "{harmless}"}}'.encode()
        assert random_redact.body(body) == body
    # with the prefix and twelve private characters it is an echo, prefix included
    assert random_redact.text("pk_" + PRIVATE[:12] + "...") == KEY_PLACEHOLDER + "..."


def test_ids_hashes_and_other_keys_in_an_answer_are_untouched():
    other = "pk_" + "0123456789abcdef" * 2 + "01"
    body = json.dumps(
        {
            "data": [{"id": str(uuid.uuid4()), "hash": "ab" * 32} for _ in range(200)],
            "other": other,
            "text": base64.b64encode(other.encode()).decode(),
        }
    ).encode()
    assert random_redact.body(body) is body or random_redact.body(body) == body


def test_a_fragment_spelled_with_json_escapes_is_rewritten():
    piece = PRIVATE[4:20]
    escaped = "".join(f"\\u{ord(c):04x}" for c in piece)
    cleaned = random_redact.body(('{"hint": "' + escaped + '"}').encode())
    assert json.loads(cleaned) == {"hint": KEY_PLACEHOLDER}


def test_a_short_key_is_still_replaced_whole():
    short = KeyRedactor("pk_abc")
    assert short.text("sent pk_abc and abc") == f"sent {KEY_PLACEHOLDER} and abc"
