"""What the CLI prints to a terminal cannot act on it: an escape sequence, a carriage return or a
bidi override held by a history entry (a server's answer, an imported file) is shown as an escape.
The CLI runs as its own process on a real pseudo-terminal; piped, it keeps the exact text."""

from __future__ import annotations

import dataclasses
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from composer.storage.history import HistoryStore
from tests.storage import factories as f

RETITLE = "\x1b]0;owned\x07"
CLEAR = "\x1b[2J"
HIDE = "visible\rHIDDEN"
REVERSED = "\u202egnp.exe"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """One entry whose metric, profile and answer hold terminal commands."""
    metric = f"Viewed {RETITLE}Product"
    profile = f"ann{CLEAR}@example.com"
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        req = f.request(f.body(email=profile, metric=metric, Note=REVERSED))
        answer = dataclasses.replace(
            f.server_error(req), response_body=f"upstream said: {HIDE} {RETITLE}".encode()
        )
        store.complete(store.begin(req, f.context("sandbox", metric, profile)), answer)
    return tmp_path


def _cli(data_dir: Path, *argv: str) -> list[str]:
    return [sys.executable, "-m", "composer", "--data-dir", str(data_dir), "history", *argv]


def _on_a_terminal(argv: list[str]) -> str:
    """Runs ``argv`` with stdout and stderr on a pseudo-terminal; all it wrote."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm"}
    proc = subprocess.Popen(
        argv, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL, env=env
    )
    os.close(follower)
    out = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(leader)
    return out.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.mark.parametrize("command", [[], ["show", "1"], ["--json"]])
def test_nothing_in_an_entry_reaches_the_terminal_as_a_command(
    data_dir: Path, command: list[str]
) -> None:
    shown = _on_a_terminal(_cli(data_dir, *command))
    assert "Traceback" not in shown
    for raw in ("\x1b", "\x07", "\r", "\u202e"):
        assert raw not in shown, (command, repr(raw), shown)
    if command == []:  # the entry is there, its escapes visible
        assert "Viewed \\x1b]0;owned" in shown
    elif command == ["show", "1"]:
        assert "upstream said: visible\\rHIDDEN \\x1b]0;owned\\x07" in shown
        assert "\\u202egnp.exe" in shown
    else:
        assert "Viewed \\u001b]0;owned" in shown


def test_a_pipe_gets_the_exact_text(data_dir: Path) -> None:
    piped = subprocess.run(
        _cli(data_dir, "show", "1"), capture_output=True, timeout=60, check=False
    )
    assert piped.returncode == 0
    assert b"visible\rHIDDEN" in piped.stdout
