"""`event-composer key set|delete|list`: the key comes from a hidden prompt or stdin, never argv,
and is shown masked."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "pk_" + "clitest0123456789abcdefghijkl"

real_keyring = pytest.mark.skipif(
    os.environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1",
    reason="needs a real Secret Service: run inside `bash .ci/keyring-session` (make test does)",
)


def cli(
    data_dir: Path, *argv: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composer", "--data-dir", str(data_dir), "key", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
        env=env,
    )


def _no_keyring_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "HOME": str(tmp_path / "home"),
    }


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


@real_keyring
def test_set_list_delete_with_the_key_on_stdin(tmp_path: Path) -> None:
    account = f"Staging-{uuid.uuid4().hex[:6]}"
    done = cli(tmp_path, "set", "--account", account, stdin=KEY + "\n")
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip() == f"Saved the key for account {account!r} (pk_…ijkl) in "
        "Secret Service."
    )
    listed = cli(tmp_path, "list")
    assert "Keyring: Secret Service (unlocked)" in listed.stdout
    assert f"{account} (default): pk_…ijkl" in listed.stdout
    as_json = json.loads(cli(tmp_path, "list", "--json").stdout)
    assert as_json["accounts"] == [{"account": account, "key": "pk_…ijkl", "has_key": True}]
    assert KEY not in listed.stdout + listed.stderr
    assert KEY.encode() not in _all_bytes(tmp_path)  # not in the settings, not anywhere
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["accounts"] == [account] and settings["default_account"] == account

    gone = cli(tmp_path, "delete", account)  # the account as a positional name works too
    assert gone.returncode == 0 and "Deleted the key" in gone.stdout
    assert "No accounts yet" in cli(tmp_path, "list").stdout


@real_keyring
def test_set_reads_the_key_from_a_hidden_prompt_on_a_terminal(tmp_path: Path) -> None:
    account = f"Prod-{uuid.uuid4().hex[:6]}"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, with a terminal as stdin
        os.chdir(ROOT)
        os.execv(
            sys.executable,
            [
                sys.executable,
                "-m",
                "composer",
                "--data-dir",
                str(tmp_path),
                "key",
                "set",
                "--account",
                account,
            ],
        )
    seen = b""
    deadline = time.monotonic() + 60
    sent = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if not sent and b"(input hidden)" in seen:
            os.write(fd, KEY.encode() + b"\n")
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert b"Private API key for account" in seen
    assert KEY.encode() not in seen  # the terminal never echoed it
    assert b"pk_\xe2\x80\xa6ijkl" in seen
    cli(tmp_path, "delete", account)


def test_without_a_keyring_set_refuses_to_pretend_and_writes_nothing(tmp_path: Path) -> None:
    done = cli(
        tmp_path / "state", "set", "--account", "Staging", stdin=KEY, env=_no_keyring_env(tmp_path)
    )
    assert done.returncode == 1
    assert "no working keyring (no keyring service was found" in done.stderr
    assert "The key was NOT saved" in done.stderr and "KLAVIYO_API_KEY" in done.stderr
    assert KEY not in done.stdout + done.stderr
    assert KEY.encode() not in _all_bytes(tmp_path)
    listed = cli(tmp_path / "state", "list", env=_no_keyring_env(tmp_path))
    assert "Keyring: no working keyring" in listed.stdout
    assert "No accounts yet" in listed.stdout


def test_a_key_typed_as_the_account_name_is_refused_and_not_kept(tmp_path: Path) -> None:
    done = cli(tmp_path, "set", KEY, stdin="", env=_no_keyring_env(tmp_path))
    assert done.returncode == 2
    assert "NAME looks like an API key" in done.stderr
    assert KEY not in done.stderr + done.stdout
    assert KEY.encode() not in _all_bytes(tmp_path)


def test_an_empty_or_broken_key_is_refused_in_words(tmp_path: Path) -> None:
    env = _no_keyring_env(tmp_path)
    empty = cli(tmp_path, "set", "--account", "Staging", stdin="\n", env=env)
    assert empty.returncode == 2 and "key: nothing was entered" in empty.stderr
    spaced = cli(tmp_path, "set", "--account", "Staging", stdin="pk_abc def\n", env=env)
    assert spaced.returncode == 2 and "contains spaces" in spaced.stderr


def test_deleting_an_unknown_account_says_so(tmp_path: Path) -> None:
    done = cli(tmp_path, "delete", "--account", "Nope", env=_no_keyring_env(tmp_path))
    assert done.returncode == 2 and "there is no account 'Nope'" in done.stderr
