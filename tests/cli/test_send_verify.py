"""`event-composer send FILE --verify`: after a 202 the event is read back from a sandbox over
loopback (uvicorn) and the verdict is landed (exit 0), not_seen (exit 3, with the cause),
cannot_check (the missing scope named) or skipped."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from composer.cli import main
from composer.sandbox import SandboxConfig, run_in_thread

KEY = "pk_" + "e7" * 17


@pytest.fixture(autouse=True)
def _env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def event_file(tmp_path: Path, unique_id: str | None = None, **attrs: Any) -> Path:
    attributes: dict[str, Any] = {
        "profile": {"$email": "verify@example.com"},
        "metric": {"name": "Verified Order"},
        "properties": {"Sku": "A-1", "Amount": 3},
        **attrs,
    }
    if unique_id is not None:
        attributes["unique_id"] = unique_id
    path = tmp_path / f"event-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps({"data": {"type": "event", "attributes": attributes}}))
    return path


def send(tmp_path: Path, url: str, path: Path, *args: str) -> int:
    return main(
        [
            "--data-dir",
            str(tmp_path / "state"),
            "send",
            "--target",
            url,
            "--json",
            "--verify",
            *args,
            str(path),
        ]
    )


def verdict(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    doc = json.loads(capsys.readouterr().out)
    result: dict[str, Any] = doc["verification"]
    return result


def test_landed_with_event_id_and_a_truncated_time(tmp_path, capsys) -> None:
    with run_in_thread(SandboxConfig()) as url:
        path = event_file(tmp_path, "v-1", time="2026-11-30T03:00:00.250Z")
        assert send(tmp_path, url, path) == 0
        stored = url.app.store.events
    v = verdict(capsys)
    assert v["outcome"] == "landed"
    assert v["event_id"] == stored[0].id
    assert v["datetime"] == "2026-11-30T03:00:00+00:00"
    assert any("time" in d for d in v["differences"])


def test_landed_arrives_soon_after_a_processing_delay(tmp_path, capsys) -> None:
    with run_in_thread(SandboxConfig(processing_delay=1.0)) as url:
        started = time.monotonic()
        assert send(tmp_path, url, event_file(tmp_path, "v-2")) == 0
        took = time.monotonic() - started
    v = verdict(capsys)
    assert v["outcome"] == "landed"
    assert 1.0 <= took < 3.5  # readable after 1 s; the verdict about 0.5 s later (+ load)
    assert v["reads"] >= 3  # it had to poll


def test_a_dropped_event_is_not_seen_exit_3(tmp_path, capsys) -> None:
    with run_in_thread(SandboxConfig(drop_rate=1.0)) as url:
        assert send(tmp_path, url, event_file(tmp_path, "v-3"), "--verify-timeout", "1") == 3
    v = verdict(capsys)
    assert v["outcome"] == "not_seen"
    assert any("dropped" in c for c in v["likely_causes"])


def test_a_duplicate_unique_id_is_not_seen_with_that_cause(tmp_path, capsys) -> None:
    with run_in_thread(SandboxConfig()) as url:
        first = event_file(tmp_path, "dup-1", properties={"Sku": "A-1"})
        assert send(tmp_path, url, first) == 0
        assert verdict(capsys)["outcome"] == "landed"
        second = event_file(tmp_path, "dup-1", properties={"Sku": "B-2"})
        assert send(tmp_path, url, second, "--verify-timeout", "2") == 3
    v = verdict(capsys)
    assert v["outcome"] == "not_seen"
    assert "duplicate unique_id" in v["likely_causes"][0]
    assert v["earlier_event"]["id"]


def test_a_missing_scope_cannot_be_checked_and_is_named(tmp_path, capsys) -> None:
    config = SandboxConfig(denied_scopes=frozenset({"metrics:read"}))
    with run_in_thread(config) as url:
        assert send(tmp_path, url, event_file(tmp_path, "v-4")) == 0
    v = verdict(capsys)
    assert v["outcome"] == "cannot_check"
    assert v["missing_scope"] == "metrics:read"


def test_a_refused_send_is_not_checked(tmp_path, capsys) -> None:
    config = SandboxConfig(scope_denied_keys=frozenset({KEY}))
    with run_in_thread(config) as url:
        assert send(tmp_path, url, event_file(tmp_path, "v-5")) == 1
    assert verdict(capsys)["outcome"] == "skipped"


def test_text_output_says_where_it_landed(tmp_path, capsys) -> None:
    with run_in_thread(SandboxConfig()) as url:
        path = event_file(tmp_path, "v-6")
        code = main(
            ["--data-dir", str(tmp_path / "state"), "send", "--target", url, "--verify", str(path)]
        )
    out = capsys.readouterr().out
    assert code == 0
    # the target is the sandbox: the verdict says so, never that Klaviyo recorded it
    assert "Verification: Landed: the sandbox recorded it as event" in out
    assert "Klaviyo recorded" not in out


def history_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "state"), "history", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_the_verdict_is_kept_in_the_history_entry(tmp_path, capsys) -> None:
    with run_in_thread(SandboxConfig(denied_scopes=frozenset({"profiles:read"}))) as url:
        assert send(tmp_path, url, event_file(tmp_path, "v-7")) == 0
        sent = verdict(capsys)
    with run_in_thread(SandboxConfig()) as url:
        assert send(tmp_path, url, event_file(tmp_path, "v-8")) == 0
        landed = verdict(capsys)
        # without --verify the entry stays unchecked
        plain = str(event_file(tmp_path, "v-9"))
        code = main(["--data-dir", str(tmp_path / "state"), "send", "--target", url, plain])
        assert code == 0
    newest, second, first = history_json(tmp_path, capsys)
    assert newest["verification"] is None
    assert second["verification"]["outcome"] == "landed"
    assert second["verification"]["event_id"] == landed["event_id"]
    assert first["verification"]["outcome"] == "cannot_check"
    assert first["verification"]["missing_scope"] == sent["missing_scope"] == "profiles:read"
    assert main(["--data-dir", str(tmp_path / "state"), "history", "show", str(first["id"])]) == 0
    shown = capsys.readouterr().out
    assert "Verification: " in shown and "(cannot_check, checked " in shown
    assert "profiles:read" in shown
    assert main(["--data-dir", str(tmp_path / "state"), "history", "--verification", "landed"]) == 0
    listed = capsys.readouterr().out
    assert str(second["id"]) in listed and f"\n{first['id']:>6} " not in listed
