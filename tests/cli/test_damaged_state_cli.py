"""The command line with a damaged history or settings file: it says which file and what to
do, changes nothing in the damaged file, and the `key` commands keep working."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.storage.damage import damage_page, digest, make_history

ROOT = Path(__file__).resolve().parents[2]
KEY = "pk_" + "damagedstate0123456789abcdef"

real_keyring = pytest.mark.skipif(
    os.environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1",
    reason="needs a real Secret Service: run inside `bash .ci/keyring-session` (make test does)",
)


def run(
    data_dir: Path, *argv: str, stdin: str = "", keyring: bool = True
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if not keyring:
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return subprocess.run(
        [sys.executable, "-m", "composer", "--data-dir", str(data_dir), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
        env=env,
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("pristine") / "history.sqlite3"
    make_history(path, entries=1200)
    return path.read_bytes()


@pytest.fixture
def damaged(tmp_path: Path, pristine: bytes) -> Path:
    """A state folder whose history has one damaged page among its entries."""
    history = tmp_path / "history.sqlite3"
    history.write_bytes(pristine)
    damage_page(history, "entry")
    return tmp_path


def test_export_of_a_damaged_history_stops_before_writing_and_says_what_to_do(
    damaged: Path,
) -> None:
    history = damaged / "history.sqlite3"
    before = digest(history)
    out = damaged / "export.ndjson"

    done = run(damaged, "history", "export", "--format", "ndjson", str(out))

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(history) in done.stderr and "damaged" in done.stderr
    assert f"event-composer --data-dir {damaged} history move-aside" in done.stderr
    assert not out.exists()  # not a file of 0 lines that looks like an empty history
    assert digest(history) == before


def test_move_aside_keeps_the_damaged_file_and_a_new_history_starts(damaged: Path) -> None:
    history = damaged / "history.sqlite3"
    before = digest(history)

    moved = run(damaged, "history", "move-aside")

    assert moved.returncode == 0, moved.stderr
    kept = list(damaged.glob("history.sqlite3.unreadable-*"))
    assert len(kept) == 1 and digest(kept[0]) == before
    assert str(kept[0]) in moved.stdout
    listed = run(damaged, "history", "--json")
    assert listed.returncode == 0 and listed.stdout == ""
    again = run(damaged, "history", "move-aside")  # the new history is sound and empty
    assert again.returncode == 0


def test_move_aside_without_a_history_says_so(tmp_path: Path) -> None:
    done = run(tmp_path, "history", "move-aside")
    assert done.returncode == 2 and "no history file" in done.stderr


@pytest.mark.parametrize("kind", ["one damaged page", "not a database"])
def test_key_list_works_when_the_history_cannot_be_opened(
    tmp_path: Path, pristine: bytes, kind: str
) -> None:
    history = tmp_path / "history.sqlite3"
    if kind == "not a database":
        history.write_bytes(b"this is not a database" * 200)
    else:
        history.write_bytes(pristine)
        damage_page(history, "entry")
    (tmp_path / "settings.json").write_text(json.dumps({"accounts": ["Staging"]}))
    before = digest(history)

    listed = run(tmp_path, "key", "list", "--json", keyring=False)

    assert listed.returncode == 0, listed.stderr
    assert [a["account"] for a in json.loads(listed.stdout)["accounts"]] == ["Staging"]
    assert digest(history) == before


@real_keyring
@pytest.mark.parametrize("kind", ["one damaged page", "not a database"])
def test_key_set_and_delete_work_when_the_history_cannot_be_opened(
    tmp_path: Path, pristine: bytes, kind: str
) -> None:
    history = tmp_path / "history.sqlite3"
    if kind == "not a database":
        history.write_bytes(b"this is not a database" * 200)
    else:
        history.write_bytes(pristine)
        damage_page(history, "entry")
    account = f"Staging-{uuid.uuid4().hex[:6]}"
    stored = run(tmp_path, "key", "set", "--account", account, stdin=KEY + "\n")
    assert stored.returncode == 0, stored.stderr
    assert json.loads((tmp_path / "settings.json").read_text())["accounts"] == [account]
    deleted = run(tmp_path, "key", "delete", account)
    assert deleted.returncode == 0, deleted.stderr
    assert "Deleted the key" in deleted.stdout


def test_an_unusable_settings_file_is_reported_on_stderr_and_left_as_it_is(
    tmp_path: Path,
) -> None:
    settings = tmp_path / "settings.json"
    content = b'{"accounts": ["Staging", "Production"], "default_account": "Staging",'
    settings.write_bytes(content)

    listed = run(tmp_path, "key", "list", keyring=False)
    history = run(tmp_path, "history", "--json")

    for done in (listed, history):
        assert done.returncode == 0, done.stderr
        assert str(settings) in done.stderr and "default settings" in done.stderr
        assert "Traceback" not in done.stderr
    assert settings.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir() if "settings" in p.name) == ["settings.json"]


@real_keyring
def test_key_set_with_an_unusable_settings_file_saves_the_key_and_says_what_was_not_saved(
    tmp_path: Path,
) -> None:
    settings = tmp_path / "settings.json"
    content = b'{"accounts": ["Staging"], "theme": "dark"'
    settings.write_bytes(content)
    account = f"Prod-{uuid.uuid4().hex[:6]}"

    stored = run(tmp_path, "key", "set", "--account", account, stdin=KEY + "\n")

    assert stored.returncode == 0, stored.stderr
    assert "Saved the key" in stored.stdout
    assert f"account {account!r} is not added" in stored.stderr
    assert settings.read_bytes() == content  # the accounts in it are kept
    listed = run(tmp_path, "key", "list", "--account", account, "--json")
    assert json.loads(listed.stdout)["accounts"][0]["has_key"] is True
    assert run(tmp_path, "key", "delete", account).returncode == 0
