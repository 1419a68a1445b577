"""A send whose account's key sits in a keyring that cannot be read now (locked, its unlock
prompt dismissed) says so, instead of "no API key is stored": a real gnome-keyring in a D-Bus
session of its own, locked for real."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "pk_" + "7c" * 15

SCRIPT = """
import asyncio, json, sys
from pathlib import Path

import secretstorage

from composer.client import parse_target
from composer.services.keys import KeyUnavailable
from composer.services.send_gateway import ServiceGateway
from composer.storage import open_storage

storage = open_storage(Path(sys.argv[1]))
storage.settings.update(accounts=["Staging"])
stored = storage.secrets.set_key("Staging", sys.argv[2])
secretstorage.get_default_collection(secretstorage.dbus_init()).lock()


async def send():
    gateway = ServiceGateway(storage)
    try:
        await gateway.send_event(b"{}", target=parse_target("http://127.0.0.1:9"),
                                 account="Staging", revision="2026-07-15")
    except KeyUnavailable as exc:
        return str(exc)
    finally:
        await gateway.aclose()
    return "sent"


print(json.dumps({"stored": stored, "message": asyncio.run(send())}))
"""


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (make system-deps)",
)
def test_a_key_in_a_locked_keyring_is_not_called_missing(tmp_path: Path) -> None:
    script = tmp_path / "locked_send.py"
    script.write_text(SCRIPT)
    run = subprocess.run(  # noqa: PLW1510 (the return code is asserted)
        ["bash", str(ROOT / ".ci" / "keyring-session"), sys.executable, str(script),
         str(tmp_path / "data"), KEY],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["stored"] == "keyring"
    message = out["message"]
    assert "could not be read" in message and "the keyring is locked" in message
    assert "Unlock the system keyring" in message
    assert "No API key is stored" not in message
    assert KEY not in run.stdout + run.stderr
