"""Without --revision the commands speak the newest stable revision; an event written in the
flat layout of 2023-01-24 is taken at 2023-01-24, as before, and the command says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composer.cli import main
from composer.domain.convert import sample_event_in
from composer.domain.draft import sample_event

NEWEST = "2026-07-15"


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def events(tmp_path: Path) -> tuple[Path, Path]:
    new = tmp_path / "new.event.json"
    new.write_text(json.dumps(sample_event_in(NEWEST)))
    flat = tmp_path / "flat.event.json"
    flat.write_text(json.dumps(sample_event()))
    return new, flat


def cli(tmp_path: Path, *args: str) -> int:
    return main(["--data-dir", str(tmp_path / "state"), *args])


def test_the_help_names_the_newest_as_the_default(capsys) -> None:
    for command in ("send", "validate", "replay", "run"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert NEWEST in text, command
        assert "default 2023-01-24" not in text and "else 2023-01-24" not in text, command
    with pytest.raises(SystemExit):
        main(["--help"])
    assert f"default {NEWEST}" in " ".join(capsys.readouterr().out.split())


def test_validate_takes_a_new_event_at_the_newest_and_a_flat_one_at_its_own(
    tmp_path, capsys, events
) -> None:
    new, flat = events
    assert cli(tmp_path, "validate", "--json", str(new), str(flat)) == 0
    captured = capsys.readouterr()
    first, second = (json.loads(line) for line in captured.out.splitlines())
    assert (first["revision"], first["valid"], first["findings"]) == (NEWEST, True, [])
    assert (second["revision"], second["valid"]) == ("2023-01-24", True)


def test_validate_says_when_it_took_a_flat_event_at_2023_01_24(tmp_path, capsys, events):
    _new, flat = events
    assert cli(tmp_path, "validate", str(flat)) == 0
    err = capsys.readouterr().err
    assert "layout of 2023-01-24" in err and f"convert --to {NEWEST}" in err


def test_a_named_revision_wins_over_the_layout(tmp_path, capsys, events) -> None:
    _new, flat = events
    assert cli(tmp_path, "validate", "--json", "--revision", NEWEST, str(flat)) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["revision"] == NEWEST and not doc["valid"]


def test_send_without_revision_sends_a_new_event_at_the_newest(tmp_path, capsys, events):
    new, _flat = events
    assert cli(tmp_path, "send", "--json", str(new)) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert (doc["status"], doc["revision"]) == (202, NEWEST)
    assert "layout" not in captured.err


def test_send_without_revision_sends_a_flat_event_at_2023_01_24_as_before(
    tmp_path, capsys, events
) -> None:
    _new, flat = events
    assert cli(tmp_path, "send", "--json", str(flat)) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert (doc["status"], doc["revision"]) == (202, "2023-01-24")
    assert "layout of 2023-01-24" in captured.err


def test_replay_without_revision_follows_the_files_layout(tmp_path, capsys) -> None:
    new = tmp_path / "new.ndjson"
    new.write_text(json.dumps(sample_event_in(NEWEST)) + "\n")
    flat = tmp_path / "flat.ndjson"
    flat.write_text(json.dumps(sample_event()) + "\n")
    assert cli(tmp_path, "replay", "--json", str(new)) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["delivery"]["accepted"] == 1
    assert "layout" not in captured.err
    assert cli(tmp_path, "replay", "--json", str(flat)) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["delivery"]["accepted"] == 1
    assert "layout of 2023-01-24" in captured.err
    assert [entry_revision(tmp_path, i) for i in (1, 2)] == [NEWEST, "2023-01-24"]


def entry_revision(tmp_path: Path, entry_id: int) -> str:
    from composer.storage.history import HistoryStore

    with HistoryStore(tmp_path / "state" / "history.sqlite3") as store:
        entry = store.get(entry_id)
        assert entry is not None
        return entry.row.revision


def test_replay_from_standard_input_follows_the_layout_of_what_arrived(tmp_path) -> None:
    import os
    import subprocess
    import sys

    state = str(tmp_path / "state")
    lines = "".join(json.dumps(sample_event()) + "\n" for _ in range(3)).encode()
    proc = subprocess.run(
        [sys.executable, "-m", "composer", "--data-dir", state, "replay", "-", "--json"],
        input=lines,
        capture_output=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "KLAVIYO_API_KEY"},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["delivery"]["accepted"] == 3
    assert "layout of 2023-01-24" in proc.stderr.decode()
