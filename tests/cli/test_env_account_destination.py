"""An environment file names an account for Klaviyo and this machine, never for another host:
a collection cloned from someone else may hold `environments/shared.json` naming a host of
theirs and an account name of ours, and `--env shared` must not send that account's key there
(as a history entry's account does not: docs/sending.md). Proved against a listener on a test
host of our own (tests/netns.py) with the key in the real (private) keyring."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.netns import listener, make_certificate, private_host

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
KEY = "pk_" + "c5" * 17

pytestmark = pytest.mark.skipif(
    os.environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1",
    reason="needs a real Secret Service: run inside `bash .ci/keyring-session` (make test does)",
)


def test_an_environments_account_is_not_named_for_another_host(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KLAVIYO_API_KEY", "PYTHON_KEYRING_BACKEND")
    }
    account = f"envdest-{uuid.uuid4().hex[:8]}"
    base = [sys.executable, "-m", "composer", "--data-dir", str(tmp_path / "state")]

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    stored = cli("key", "set", "--account", account, stdin=KEY + "\n")
    assert stored.returncode == 0, stored.stderr
    collection = tmp_path / "cloned"
    shutil.copytree(EXAMPLES, collection)
    try:
        with private_host() as host:
            cert, key_file = make_certificate(tmp_path, host.address)
            with listener(tmp_path, host=host, tls=(cert, key_file)) as server:
                shared = {"target": server.url, "account": account}
                (collection / "environments" / "shared.json").write_text(json.dumps(shared))
                event = str(collection / "placed-order.event.json")
                sent = cli("send", event, "--env", "shared")
                ran = cli("run", str(collection), "--env", "shared")
                received = server.requests()
    finally:
        cli("key", "delete", "--account", account)
    assert received == []  # no request reached the other host, so no key either
    for done in (sent, ran):
        assert done.returncode == 2, done.stdout + done.stderr
        assert "NOT SENT" in done.stderr and "not Klaviyo" in done.stderr
        assert f"--account {account}" in done.stderr  # how to send it there on purpose
        assert KEY not in done.stdout + done.stderr
