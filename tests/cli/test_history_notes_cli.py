"""A send's notes outlive the send: `event-composer send` to a sandbox on loopback that answers
500 to an event without a unique_id says it was not retried and why, and `history show`, its
JSON and the HAR and cURL exports of that entry say it again, from the SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composer.cli import main
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "placed-order.event.json"
NOT_RETRIED = "not retried: the event has no unique_id, so a retry could record it twice"


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def test_the_notes_of_a_send_are_shown_again_from_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = json.loads(EXAMPLE.read_text())
    event["data"]["attributes"].pop("unique_id", None)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    state = str(tmp_path / "state")
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SERVER_ERROR,))
    with run_in_thread(config) as url:
        code = main(["--data-dir", state, "send", "--no-unique-id", "--target", url, str(path)])
    assert code == 1
    assert f"note: {NOT_RETRIED}" in capsys.readouterr().out  # what the send said

    assert main(["--data-dir", state, "history", "show", "1"]) == 0
    assert f"Note: {NOT_RETRIED}" in capsys.readouterr().out
    assert main(["--data-dir", state, "history", "--json", "show", "1"]) == 0
    [note] = json.loads(capsys.readouterr().out)["notes"]
    assert note.startswith(NOT_RETRIED)
    har, curl = tmp_path / "h.har", tmp_path / "h.sh"
    assert main(["--data-dir", state, "history", "export", "--format", "har", str(har)]) == 0
    assert main(["--data-dir", state, "history", "export", "--format", "curl", str(curl)]) == 0
    [entry] = json.loads(har.read_text())["log"]["entries"]
    assert entry["_eventComposer"]["notes"] == [note]
    assert f"# note: {NOT_RETRIED}" in curl.read_text()

    # the HAR brings them into another history; another tool's HAR says nothing of notes
    other = str(tmp_path / "other")
    assert main(["--data-dir", other, "history", "import", str(har)]) == 0
    del entry["_eventComposer"]
    foreign = tmp_path / "foreign.har"
    foreign.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    assert main(["--data-dir", other, "history", "import", str(foreign)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", other, "history", "--json", "show", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == [note]
    assert main(["--data-dir", other, "history", "--json", "show", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] is None  # not known, not "none"


def test_the_wait_a_429_asked_for_is_shown_again_from_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = str(tmp_path / "state")
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.THROTTLED,))
    with run_in_thread(config) as url:
        code = main(["--data-dir", state, "send", "--attempts", "1", "--target", url, str(EXAMPLE)])
    assert code == 1
    said = [line for line in capsys.readouterr().out.splitlines() if "rate limit:" in line]
    assert said == ["rate limit: the server asks to wait 1 s"]
    assert main(["--data-dir", state, "history", "show", "1"]) == 0
    assert "Rate limit: the server asks to wait 1 s" in capsys.readouterr().out
