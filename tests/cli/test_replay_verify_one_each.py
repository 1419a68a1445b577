"""One recorded event is the read-back of one send: a replay whose file holds the same event
twice (the same unique_id, or no unique_id and the same time) gets it recorded once, and its
read-back must count one landed and one not seen, never two landed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from composer.cli import main
from composer.sandbox import SandboxConfig, run_in_thread

KEY = "pk_" + "b5" * 17


@pytest.mark.parametrize(
    ("extra", "options"),
    [
        ({"unique_id": "order-1"}, []),
        ({}, ["--no-unique-id"]),  # Klaviyo keeps one event per profile, metric and second
    ],
    ids=["same-unique-id", "no-unique-id-same-second"],
)
def test_the_same_event_twice_lands_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: dict[str, Any],
    options: list[str],
) -> None:
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    attributes = {
        "profile": {"$email": "twice@example.com"},
        "metric": {"name": "Twice Placed"},
        "properties": {"Sku": "A-1"},
        "time": "2026-01-02T10:00:00Z",
        **extra,
    }
    line = json.dumps({"data": {"type": "event", "attributes": attributes}})
    path = tmp_path / "twice.ndjson"
    path.write_text(f"{line}\n{line}\n")
    state = str(tmp_path / "state")
    with run_in_thread(SandboxConfig()) as url:
        main(["--data-dir", state, "replay", "--target", url, *options, "--verify",
              "--verify-timeout", "1", "--json", str(path)])  # fmt: skip
        stats = url.app.stats_json()
    verification = json.loads(capsys.readouterr().out)["verification"]
    assert (stats["recorded"], stats["duplicates"]) == (1, 1)
    assert (verification["landed"], verification["not_seen"]) == (1, 1)
    (event,) = verification["events"]
    assert "another event sent here" in " ".join(event["likely_causes"])
