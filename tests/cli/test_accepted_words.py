"""A 202 says the event was taken for processing, not that it was recorded: after a 202 that
the sandbox then dropped (as Klaviyo sometimes does), `history show` must not say the event
is recorded while its read-back says it was not seen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composer.cli import main
from composer.sandbox import SandboxConfig, run_in_thread

KEY = "pk_" + "e7" * 17


def test_history_show_never_calls_a_dropped_202_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    event = tmp_path / "event.json"
    attributes = {
        "profile": {"$email": "dropped@example.com"},
        "metric": {"name": "Dropped Order"},
        "properties": {"Sku": "A-1"},
        "unique_id": "dropped-1",
    }
    event.write_text(json.dumps({"data": {"type": "event", "attributes": attributes}}))
    state = str(tmp_path / "state")
    with run_in_thread(SandboxConfig(drop_rate=1.0, drop_seed=1)) as url:
        code = main(["--data-dir", state, "send", "--target", url, "--verify",
                     "--verify-timeout", "0.5", str(event)])  # fmt: skip
    assert code == 3  # accepted, then not seen: the sandbox dropped it
    capsys.readouterr()
    assert main(["--data-dir", state, "history", "show", "1"]) == 0
    shown = capsys.readouterr().out
    delivery = next(line for line in shown.splitlines() if line.startswith("Delivery:"))
    assert "Not seen" in shown
    assert "recorded once" not in delivery and "it is recorded" not in delivery
    assert "read-back" in delivery
