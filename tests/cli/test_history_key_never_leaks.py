"""The key never reaches a file, a log, the history, an export or the settings.

Sends through the CLI with a key (from the OS keyring, and from KLAVIYO_API_KEY), exports every
format, then searches the whole data folder, everything the commands printed (their logs, at
--verbose) and the settings for the key, and finds it nowhere."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytest.importorskip("composer.cli.send", reason="`event-composer send` is not built yet")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "added-to-cart.event.json"

real_keyring = pytest.mark.skipif(
    os.environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1",
    reason="needs a real Secret Service: run inside `bash .ci/keyring-session` (make test does)",
)


class Session:
    """Runs `event-composer` commands on one data folder and keeps everything they print."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env
        self.printed: list[str] = []

    def __call__(self, *argv: str, stdin: str = "", expect: int = 0) -> str:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "composer",
                "--verbose",
                "--data-dir",
                str(self.data_dir),
                *argv,
            ],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            check=False,
            env=self.env,
        )
        self.printed += [done.stdout, done.stderr]
        assert done.returncode == expect, (argv, done.returncode, done.stderr[-3000:])
        return done.stdout


def _bad_event(tmp_path: Path) -> Path:
    body = json.loads(EXAMPLE.read_text())
    del body["data"]["attributes"]["metric"]  # Klaviyo (and the sandbox) answer 400
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(body))
    return path


def _send_export_and_search(run: Session, key: str, account: list[str], tmp_path: Path) -> None:
    run("send", str(EXAMPLE), *account)  # 202
    run("send", str(EXAMPLE), *account, "--json")  # 202 again, as JSON
    run("send", str(_bad_event(tmp_path)), *account, "--force", expect=1)  # the server's 400
    listing = [json.loads(x) for x in run("history", "--json").splitlines()]
    assert [r["status"] for r in listing] == [400, 202, 202]
    exports = run.data_dir / "exports"
    exports.mkdir()
    for fmt in ("har", "ndjson", "curl"):
        run("history", "export", "--format", fmt, str(exports / f"all.{fmt}"))
    assert len(json.loads((exports / "all.har").read_text())["log"]["entries"]) == 3
    assert len((exports / "all.ndjson").read_text().splitlines()) == 3
    assert "$KLAVIYO_API_KEY" in (exports / "all.curl").read_text()
    shown = run("history", "show", str(listing[0]["id"]))
    assert "authorization: klaviyo-api-key ***" in shown.lower()
    run("history", "show", str(listing[-1]["id"]), "--json")

    needles = [
        key.encode(),
        base64.b64encode(key.encode()),
        base64.urlsafe_b64encode(key.encode()),
        key.encode("utf-16-le"),
    ]
    files = [p for p in run.data_dir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"history.sqlite3", "all.har", "all.ndjson", "all.curl"} <= names
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"the key is in {path}"
    for text in run.printed:
        assert key not in text, "the key was printed or logged"


@real_keyring
def test_a_key_from_the_keyring_is_found_nowhere(tmp_path: Path) -> None:
    key = "pk_" + uuid.uuid4().hex + "Leak"
    account = f"QA-{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if k != "KLAVIYO_API_KEY"}
    run = Session(tmp_path / "state", env)
    run("key", "set", "--account", account, stdin=key + "\n")
    assert "pk_…Leak" in run("key", "list")
    _send_export_and_search(run, key, ["--account", account], tmp_path)
    settings = json.loads((run.data_dir / "settings.json").read_text())
    assert account in settings["accounts"]
    run("key", "delete", "--account", account)


def test_a_key_from_the_environment_is_found_nowhere(tmp_path: Path) -> None:
    key = "pk_" + uuid.uuid4().hex + "Envy"
    env = {
        **os.environ,
        "KLAVIYO_API_KEY": key,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    run = Session(tmp_path / "state", env)
    _send_export_and_search(run, key, [], tmp_path)
