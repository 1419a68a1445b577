"""Settings that are wrong or unreadable: a wrong value falls back to its field's default with a
sentence naming the field and what would be right; a file that cannot be used is never written
over, and the app runs with the defaults for this run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composer.storage.settings import RateLimits, Retention, Settings, SettingsStore

ROOT = Path(__file__).resolve().parents[2]


def store_with(tmp_path: Path, content: Any) -> SettingsStore:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(content))
    return SettingsStore(path)


@pytest.mark.parametrize(
    ("field", "written", "expected", "named", "right"),
    [
        ("theme", 5, "system", "theme", "expected one of system, light, dark"),
        ("theme", "purple", "system", "theme", "expected one of system, light, dark"),
        ("auto_unique_id", "yes", True, "auto_unique_id", "expected true or false"),
        ("retention", 5, Retention(), "retention", "expected an object"),
        (
            "retention",
            {"keep_last": -1, "keep_days": 30},
            Retention(None, 30),
            "retention.keep_last",
            "0 or more",
        ),
        ("rate_limits", [50], RateLimits(), "rate_limits", "expected an object"),
        (
            "rate_limits",
            {"burst_per_second": "50", "steady_per_minute": 600},
            RateLimits(350, 600),
            "rate_limits.burst_per_second",
            "whole number of 1 or more",
        ),
        ("accounts", "Staging", (), "accounts", "expected a list"),
        ("accounts", ["Staging", 5, "Prod"], ("Staging", "Prod"), "accounts[1]", "expected text"),
        (
            "targets",
            [{"name": 1, "base_url": "http://127.0.0.1:9"}],
            (),
            "targets[0]",
            "expected text",
        ),
        ("targets", ["http://127.0.0.1:9"], (), "targets[0]", '{"name": "Local"'),
        (
            "default_revision",
            20230124,
            Settings().default_revision,
            "default_revision",
            "a revision this app knows",
        ),
        (
            "default_revision",
            "1999-01-01",
            Settings().default_revision,
            "default_revision",
            "a revision this app knows",
        ),
        ("default_account", ["a"], None, "default_account", "expected text"),
        # a target that is not one used to be dropped without a word (the app opened on the
        # sandbox as if the user had asked for it)
        ("default_target", "stagingserver", "sandbox", "default_target", "a base URL such as"),
        ("default_target", "ftp://127.0.0.1", "sandbox", "default_target", "sandbox, production"),
        ("default_target", 8787, "sandbox", "default_target", "expected text"),
        ("recent_files", {"a": 1}, (), "recent_files", "expected a list"),
        ("window_layout", 12, None, "window_layout", "expected text"),
    ],
)
def test_a_wrong_value_falls_back_to_its_default_naming_the_field(
    tmp_path: Path, field: str, written: Any, expected: Any, named: str, right: str
) -> None:
    store = store_with(tmp_path, {"theme": "dark", "accounts": ["Kept"], field: written})
    assert getattr(store.settings, field) == expected
    others = {"theme": "dark", "accounts": ("Kept",)}
    for name, value in others.items():
        if name != field:
            assert getattr(store.settings, name) == value  # the rest is kept
    assert store.problem is not None and store.writable
    assert f"{named} is not valid" in store.problem and right in store.problem
    assert str(store.path) in store.problem


def test_values_it_cannot_use_or_does_not_know_are_written_back_as_they_were(
    tmp_path: Path,
) -> None:
    future = {"colour": "teal", "nested": [1, 2]}
    store = store_with(
        tmp_path,
        {"theme": 5, "rate_limits": {"burst_per_second": "50"}, "from_a_newer_version": future},
    )
    store.modify(lambda s: s.with_account("Staging"))
    on_disk = json.loads(store.path.read_text())
    assert on_disk["accounts"] == ["Staging"]
    assert on_disk["theme"] == 5 and on_disk["rate_limits"] == {"burst_per_second": "50"}
    assert on_disk["from_a_newer_version"] == future
    # a value set on purpose replaces the unusable one
    store.update(theme="dark", rate_limits=RateLimits(50, 600))
    on_disk = json.loads(store.path.read_text())
    assert on_disk["theme"] == "dark" and on_disk["rate_limits"]["burst_per_second"] == 50
    assert on_disk["from_a_newer_version"] == future
    again = SettingsStore(store.path)
    assert again.problem is None and again.settings.accounts == ("Staging",)


DAMAGED = {
    "invalid JSON": b'{"accounts": ["Staging", "Production"], "theme": "dark", ',
    "invalid UTF-8": b'{"accounts": ["Staging\xff\xfe"], "theme": "dark"}',
    "not an object": b'["Staging", "Production"]',
    "empty": b"",
    "nested too deeply": b"[" * 100_000,
}


@pytest.mark.parametrize("name", list(DAMAGED))
def test_an_unusable_file_is_never_written_over(tmp_path: Path, name: str) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(DAMAGED[name])
    store = SettingsStore(path)
    assert store.settings == Settings()
    assert not store.writable
    assert store.problem is not None
    assert str(path) in store.problem and "default settings" in store.problem
    # changes made during the run stay in memory; the file and its folder are untouched
    store.modify(lambda s: s.with_account("New"))
    store.update(theme="light")
    store.save(store.settings.with_recent_file("/tmp/a.json"))
    assert store.settings.accounts == ("New",) and store.settings.theme == "light"
    assert path.read_bytes() == DAMAGED[name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_a_folder_in_place_of_the_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.mkdir()
    (path / "inside").write_text("x")
    store = SettingsStore(path)
    assert store.settings == Settings() and not store.writable
    assert "folder" in (store.problem or "")
    store.update(theme="dark")
    assert path.is_dir() and (path / "inside").read_text() == "x"


def test_once_the_file_is_repaired_changes_are_written_again(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(DAMAGED["invalid JSON"])
    store = SettingsStore(path)
    store.update(theme="light")
    assert path.read_bytes() == DAMAGED["invalid JSON"]
    path.write_text(json.dumps({"accounts": ["Staging", "Production"]}))
    store.modify(lambda s: s.with_account("New"))
    assert store.writable
    assert json.loads(path.read_text())["accounts"] == ["Staging", "Production", "New"]


def test_a_file_it_may_not_read_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    path = folder / "settings.json"
    content = b'{"accounts": ["Staging"]}'
    path.write_bytes(content)
    path.chmod(0o000)
    script = (
        "import sys; from composer.storage.settings import SettingsStore\n"
        "s = SettingsStore(sys.argv[1]); s.update(theme='dark')\n"
        "print(s.writable, s.settings.theme); print(s.problem)"
    )
    command = [sys.executable, "-c", script, str(path)]
    if os.geteuid() == 0:  # root reads any file: run as nobody, as a user would
        tmp_path.chmod(0o711)
        os.chown(folder, 65534, 65534)
        os.chown(path, 65534, 65534)
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    path.chmod(0o600)
    assert done.returncode == 0, done.stderr
    first, problem = done.stdout.splitlines()[:2]
    assert first == "False dark"
    assert "Permission denied" in problem and "default settings" in problem
    assert path.read_bytes() == content
