"""A key that a server echoes back (in a header and in the body) is replaced by a placeholder
before anything is stored, exported, printed or shown: a loopback listener that echoes what it
was given, then the history file's bytes, every export, and the command line's output."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from composer.cli import main
from composer.client.redact import KEY_PLACEHOLDER
from tests.netns import listener

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "placed-order.event.json"
KEY = "pk_" + "e9c4a7" * 5 + "b3d1"


def leaks(text: str) -> list[str]:
    """The spellings of KEY found in ``text``: whole, its base64 (as a Basic credential
    carries it), or any 12 of its private characters in a row."""
    found = []
    if KEY in text:
        found.append("the key")
    if base64.b64encode(f"{KEY}:".encode()).decode()[:40] in text:
        found.append("the key in base64")
    private = KEY.removeprefix("pk_")
    found += [
        f"fragment {private[i : i + 12]}"
        for i in range(len(private) - 11)
        if private[i : i + 12] in text
    ][:1]
    return found


@pytest.fixture(autouse=True)
def _env_key(monkeypatch):
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def run(tmp_path, capsys, *args):
    code = main(["--data-dir", str(tmp_path / "state"), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def state_bytes(tmp_path) -> bytes:
    """Every byte of every file in the app's state folder (database, WAL, settings...)."""
    return b"".join(p.read_bytes() for p in sorted((tmp_path / "state").rglob("*")) if p.is_file())


@pytest.mark.parametrize("json_output", [False, True])
def test_an_echoed_key_is_stored_exported_and_printed_only_as_a_placeholder(
    tmp_path, capsys, json_output
):
    with listener(tmp_path) as server:
        flags = ["--json"] if json_output else []
        code, sent_out = run(
            tmp_path, capsys, "send", str(EXAMPLE), "--target", f"{server.url}/echo", *flags
        )
        # the listener really was given the key, and echoed it
        assert server.authorizations() == [f"Klaviyo-API-Key {KEY}"]
    assert code == 1, sent_out
    assert KEY not in sent_out
    assert KEY_PLACEHOLDER in sent_out  # the echo is kept, as the placeholder

    outputs = [sent_out]
    for command in (["history"], ["history", "--json"], ["history", "show", "1"]):
        outputs.append(run(tmp_path, capsys, *command)[1])
    code, shown = run(tmp_path, capsys, "history", "show", "1", "--json")
    assert code == 0
    entry = json.dumps(json.loads(shown))
    assert KEY_PLACEHOLDER in entry
    outputs.append(shown)
    for fmt in ("har", "ndjson", "curl"):
        out_file = tmp_path / f"export.{fmt}"
        code, said = run(tmp_path, capsys, "history", "export", "--format", fmt, str(out_file))
        assert code == 0, said
        outputs += [said, out_file.read_text(encoding="utf-8")]
    har = json.loads((tmp_path / "export.har").read_text(encoding="utf-8"))
    response = har["log"]["entries"][0]["response"]
    assert any(KEY_PLACEHOLDER in h["value"] for h in response["headers"])
    credential = next(
        h["value"] for h in response["headers"] if h["name"].lower() == "x-seen-credential"
    )
    assert credential.startswith("Basic ") and KEY_PLACEHOLDER in credential
    assert KEY_PLACEHOLDER in response["content"]["text"]
    # the escaped spelling was rewritten too: decoding the body gives no key
    assert KEY not in json.dumps(json.loads(response["content"]["text"]))

    for text in outputs:
        assert leaks(text) == []
    stored = state_bytes(tmp_path)
    assert stored and leaks(stored.decode("latin-1")) == []
    assert KEY_PLACEHOLDER.encode() in stored
