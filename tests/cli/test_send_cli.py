"""`event-composer send`: exit codes, output, keys and history, against real sandboxes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from composer.cli import main
from composer.client import SANDBOX_KEY
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "placed-order.event.json"
INVALID = json.dumps({"data": {"type": "event", "attributes": {"properties": {}}}})
KEY = "pk_" + "f6" * 17

real_keyring = pytest.mark.skipif(
    os.environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1",
    reason="needs a real Secret Service: run inside `bash .ci/keyring-session` (make test does)",
)


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def send(tmp_path, *args):
    return main(["--data-dir", str(tmp_path / "state"), "send", *args])


def history_entries(tmp_path):
    from composer.storage.history import HistoryStore

    with HistoryStore(tmp_path / "state" / "history.sqlite3") as store:
        return [store.get(row.id) for row in store.page()]


def test_default_target_is_the_sandbox_and_202_exits_0(tmp_path, capsys):
    assert send(tmp_path, str(EXAMPLE)) == 0
    out = capsys.readouterr().out
    assert "202 Accepted" in out
    assert "built-in sandbox" in out and "not Klaviyo" in out
    [entry] = history_entries(tmp_path)
    assert entry.to_outcome().status == 202


def test_json_output_is_one_object_without_the_key(tmp_path, capsys):
    assert send(tmp_path, "--json", str(EXAMPLE)) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert doc["status"] == 202 and doc["accepted"] and doc["target"] == "sandbox"
    assert doc["attempts"][0]["status"] == 202
    assert SANDBOX_KEY not in out


def test_an_invalid_event_is_refused_with_exit_2_and_nothing_is_sent(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(INVALID)
    assert send(tmp_path, str(path)) == 2
    out = capsys.readouterr().out
    assert "NOT SENT" in out and "--force" in out
    assert history_entries(tmp_path) == []


def test_force_sends_it_and_the_400_exits_1(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(INVALID)
    assert send(tmp_path, "--force", str(path)) == 1
    out = capsys.readouterr().out
    assert "400 Bad request" in out
    assert "[server-invalid]" in out


def test_stdin_is_read_with_a_dash(tmp_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(EXAMPLE.read_bytes())))
    assert send(tmp_path, "-") == 0


@pytest.mark.parametrize(
    "args,words",
    [
        (["missing.json"], "no such file"),
        (["--target", "ftp://x", str(EXAMPLE)], "--target"),
        (["--target", "http://a.klaviyo.com", str(EXAMPLE)], "https"),
        (["--account", KEY, str(EXAMPLE)], "looks like an API key"),
        (["--attempts", "0", str(EXAMPLE)], "--attempts"),
    ],
)
def test_bad_input_exits_2_with_a_reason(tmp_path, capsys, args, words):
    assert send(tmp_path, *args) == 2
    err = capsys.readouterr().err
    assert words in err
    assert KEY not in err


def test_production_without_a_key_says_how_to_give_one(tmp_path, capsys):
    assert send(tmp_path, "--target", "production", str(EXAMPLE)) == 2
    err = capsys.readouterr().err
    assert "KLAVIYO_API_KEY" in err and "--account" in err


def test_account_without_keyring_support_says_so(tmp_path, capsys):
    assert send(tmp_path, "--account", "Shop", "--target", "production", str(EXAMPLE)) == 2
    err = capsys.readouterr().err
    assert "'Shop'" in err and "keyring" in err


def test_loopback_sandbox_202_and_recorded(tmp_path, capsys):
    import httpx

    with run_in_thread(SandboxConfig()) as url:
        assert send(tmp_path, "--target", url, str(EXAMPLE)) == 0
        events = httpx.get(f"{url}/sandbox/events").json()
    assert events["count"] == 1
    assert "on this machine (not Klaviyo)" in capsys.readouterr().out


def test_the_environment_key_is_the_one_sent(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    config = SandboxConfig(scope_denied_keys=frozenset({KEY}))
    with run_in_thread(config) as url:
        assert send(tmp_path, "--target", url, str(EXAMPLE)) == 1
    out = capsys.readouterr().out
    assert "403" in out and "KLAVIYO_API_KEY" in out
    assert KEY not in out


def test_server_errors_exit_1_and_show_attempts(tmp_path, capsys):
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SERVER_ERROR,))
    with run_in_thread(config) as url:
        assert send(tmp_path, "--target", url, str(EXAMPLE)) == 1
    assert "500 Server error" in capsys.readouterr().out


def test_no_connection_exits_2_with_advice(tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert (
        send(tmp_path, "--attempts", "1", "--target", f"http://127.0.0.1:{port}", str(EXAMPLE)) == 2
    )
    out = capsys.readouterr().out
    assert "No response: not recorded" in out and "delivery: not accepted" in out
    assert "is the server running" in out
    [entry] = history_entries(tmp_path)
    assert entry.to_outcome().error.kind.value == "refused"


def test_no_history_records_nothing(tmp_path):
    assert send(tmp_path, "--no-history", str(EXAMPLE)) == 0
    assert history_entries(tmp_path) == []


@real_keyring
def test_the_keyring_key_of_an_account_is_the_one_sent(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    account = f"send-test-{uuid.uuid4().hex[:8]}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KLAVIYO_API_KEY", "PYTHON_KEYRING_BACKEND")
    }
    cli = [sys.executable, "-m", "composer", "--data-dir", str(tmp_path / "state")]
    stored = subprocess.run(
        [*cli, "key", "set", "--account", account],
        input=KEY + "\n",
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=60,
    )
    assert stored.returncode == 0, stored.stderr
    try:
        config = SandboxConfig(scope_denied_keys=frozenset({KEY}))
        with run_in_thread(config) as url:
            done = subprocess.run(
                [*cli, "send", "--account", account, "--target", url, str(EXAMPLE)],
                capture_output=True,
                check=False,
                text=True,
                env=env,
                timeout=60,
            )
        assert done.returncode == 1, done.stderr
        assert "403" in done.stdout and f"keyring account '{account}'" in done.stdout
        assert KEY not in done.stdout + done.stderr
    finally:
        subprocess.run(
            [*cli, "key", "delete", "--account", account],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
