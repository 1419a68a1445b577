"""`event-composer send` with a retired revision: never silently. To Klaviyo it refuses without
a choice (nothing leaves); each choice sends what it says (proved against loopback sandboxes)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from composer.cli import main
from composer.sandbox import RetiredRevisionPolicy, SandboxConfig, run_in_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "viewed-product.event.json"
KEY = "pk_" + "e5" * 17


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)


def send(tmp_path, *args):
    return main(["--data-dir", str(tmp_path / "state"), "send", *args])


def history_count(tmp_path) -> int:
    from composer.storage.history import HistoryStore

    path = tmp_path / "state" / "history.sqlite3"
    if not path.exists():
        return 0
    with HistoryStore(path) as store:
        return len(list(store.page()))


def test_production_with_a_retired_revision_refuses_and_lists_the_choices(tmp_path, capsys):
    assert send(tmp_path, "--target", "production", "--revision", "2023-01-24", str(EXAMPLE)) == 2
    err = capsys.readouterr().err
    assert "retired" in err and "Nothing was sent" in err
    for flag in ("--convert-to newest", "--as-is", "--opt-out-fall-forward"):
        assert flag in err
    assert "400" in err and "410" in err
    assert history_count(tmp_path) == 0  # no request was begun


def test_convert_to_newest_sends_the_converted_event(tmp_path, capsys):
    with run_in_thread(SandboxConfig()) as url:
        code = send(
            tmp_path,
            "--target",
            url,
            "--revision",
            "2023-01-24",
            "--convert-to",
            "newest",
            "--json",
            str(EXAMPLE),
        )
        events = httpx.get(f"{url}/sandbox/events").json()["events"]
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "converted 2023-01-24 -> 2026-07-15" in captured.err
    assert events[0]["revision"] == "2026-07-15"
    doc = json.loads(captured.out)
    assert doc["revision"] == "2026-07-15"
    assert doc["request"]["url"].endswith("/api/events")


def test_opt_out_sends_the_header_and_gets_410_where_fall_forward_applies(tmp_path, capsys):
    config = SandboxConfig(retired_revisions=RetiredRevisionPolicy.FALL_FORWARD)
    with run_in_thread(config) as url:
        code = send(
            tmp_path,
            "--target",
            url,
            "--revision",
            "2023-01-24",
            "--opt-out-fall-forward",
            str(EXAMPLE),
        )
        as_is = send(tmp_path, "--target", url, "--revision", "2023-01-24", "--as-is", str(EXAMPLE))
    out = capsys.readouterr().out
    assert code == 1 and "410" in out
    # as is, the flat body falls forward to a later revision and is refused
    assert as_is == 1 and "400" in out


def test_convert_to_an_unknown_revision_is_bad_input(tmp_path, capsys):
    assert send(tmp_path, "--convert-to", "2020-01-01", str(EXAMPLE)) == 2
    assert "--convert-to" in capsys.readouterr().err


def test_replay_to_production_with_a_retired_revision_refuses(tmp_path, capsys):
    events = tmp_path / "events.ndjson"
    events.write_text(EXAMPLE.read_text().replace("\n", " ") + "\n")
    code = main(
        ["--data-dir", str(tmp_path / "state"), "replay", "--target", "production", str(events)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "retired" in err and "Nothing was sent" in err and "--as-is" in err
    assert history_count(tmp_path) == 0


def test_replay_as_is_goes_on_to_a_server_that_serves_it(tmp_path, capsys):
    events = tmp_path / "events.ndjson"
    events.write_text(EXAMPLE.read_text().replace("\n", " ") + "\n")
    with run_in_thread(SandboxConfig()) as url:
        code = main(
            [
                "--data-dir",
                str(tmp_path / "state"),
                "replay",
                "--target",
                url,
                "--as-is",
                str(events),
            ]
        )
        assert len(url.app.events()) == 1
    assert code == 0, capsys.readouterr().err
