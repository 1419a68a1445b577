"""Every command that reads an event file, fed what a hostile or unlucky user would: it exits
2 with a sentence naming the file, never a traceback (real subprocesses, real files)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVENT = (
    '{"data": {"type": "event", "attributes": {"profile": {"$email": "a@example.com"}, '
    '"metric": {"name": "M"}, "unique_id": "u1", "properties": {%s}}}}'
)
COMMANDS = [("validate",), ("send",), ("replay",), ("convert", "--to", "2024-10-15")]


def _drop_root_powers() -> list[str]:
    """A prefix that makes root obey file permissions (so "permission denied" is real)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--ambient-caps={caps}", f"--bounding-set={caps}"]


def run(
    tmp_path: Path, command: tuple[str, ...], path: str, prefix: list[str] | None = None
) -> tuple[int, str]:
    env = {**os.environ}
    env.pop("KLAVIYO_API_KEY", None)
    proc = subprocess.run(
        [
            *(prefix or []),
            sys.executable,
            "-m",
            "composer",
            "--data-dir",
            str(tmp_path / "state"),
            command[0],
            path,
            *command[1:],
        ],
        capture_output=True,
        timeout=120,
        check=False,
        env=env,
        cwd=ROOT,
    )
    out = (proc.stdout + proc.stderr).decode("utf-8", "backslashreplace")
    assert "Traceback" not in out, out
    return proc.returncode, out


def _binary(p: Path) -> str:
    p.write_bytes(bytes(range(256)) * 20)
    return str(p)


def _folder(p: Path) -> str:
    p.mkdir()
    return str(p)


def _invalid_utf8(p: Path) -> str:
    p.write_bytes((EVENT % '"s": "caf\xe9"').encode("latin-1"))
    return str(p)


def _huge(p: Path) -> str:
    with p.open("wb") as fh:  # sparse: huge to read, nothing on disk
        fh.truncate(600 * 1024 * 1024)
    return str(p)


CASES: list[tuple[str, Callable[[Path], str], str]] = [
    ("binary", _binary, "UTF-8"),
    ("folder", _folder, "folder"),
    ("invalid-utf8", _invalid_utf8, "UTF-8"),
    ("huge", _huge, "too large"),
    ("missing", str, "no such file"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
@pytest.mark.parametrize(("kind", "make", "words"), CASES, ids=[c[0] for c in CASES])
def test_unreadable_input_exits_2_with_a_sentence(
    tmp_path: Path, command: tuple[str, ...], kind: str, make: Callable[[Path], str], words: str
) -> None:
    path = make(tmp_path / "events.json")
    code, out = run(tmp_path, command, path)
    assert code == 2, out
    assert words in out, out
    assert "events.json" in out or kind in ("binary", "invalid-utf8"), out


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_permission_denied_exits_2_with_a_sentence(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    path = tmp_path / "secret.json"
    path.write_text(EVENT % "")
    path.chmod(0)
    (tmp_path / "state").mkdir(mode=0o777)
    code, out = run(tmp_path, command, str(path), _drop_root_powers())
    assert code == 2, out
    assert "permission denied" in out and "secret.json" in out, out


def test_an_endless_device_is_not_read_to_the_end(tmp_path: Path) -> None:
    code, out = run(tmp_path, ("validate",), "/dev/zero")
    assert code == 2
    assert "too large" in out


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
@pytest.mark.parametrize(
    "member",
    ['"n": ' + "9" * 5000, '"s": "\\ud800"', '"\\udfff": 1', '"f": 1e400'],
    ids=["long-integer", "lone-surrogate", "surrogate-key", "infinite-float"],
)
def test_json_that_cannot_be_carried_on_is_refused_not_crashed_on(
    tmp_path: Path, command: tuple[str, ...], member: str
) -> None:
    path = tmp_path / "event.json"
    path.write_text(EVENT % member)
    code, out = run(tmp_path, command, str(path))
    assert code in (1, 2), out
    assert "JSON syntax error" in out or "not valid JSON" in out or "syntax" in out, out
    if command[0] in ("validate", "convert"):
        assert code == 2


def test_a_terminal_that_cannot_show_a_character_gets_an_escape(tmp_path: Path) -> None:
    payload = json.loads(EVENT % '"x": 1')
    payload["data"]["attributes"]["properties"] = {"k" * 200: "x" * 100_001}  # message has "…"
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(
        [sys.executable, "-m", "composer", "validate", str(path)],
        capture_output=True,
        timeout=60,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    assert proc.returncode == 1
    assert b"string-size" in proc.stdout and b"\\u2026" in proc.stdout
