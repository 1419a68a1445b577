"""`send` and `replay` with a history that cannot be opened still use the settings' default
account (the settings and the keyring do not depend on the history), while warning that the
sends are not recorded. Real keyring (Secret Service), real damaged SQLite files."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.cli.test_damaged_state_cli import KEY, real_keyring, run
from tests.storage.damage import damage_page, make_history

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "placed-order.event.json"
# Not Klaviyo, https: the default account's key may not go there by itself, so the send stops
# before any connection, naming the account it would have used (.test never resolves).
ELSEWHERE = "https://hooks.example.test"


@real_keyring
@pytest.mark.parametrize("kind", ["one damaged page", "not a database"])
@pytest.mark.parametrize("command", ["send", "replay"])
def test_send_and_replay_use_the_default_account_when_the_history_cannot_be_opened(
    tmp_path: Path, kind: str, command: str
) -> None:
    history = tmp_path / "history.sqlite3"
    if kind == "not a database":
        history.write_bytes(b"this is not a database" * 200)
    else:
        make_history(history, entries=300)
        damage_page(history, "entry")
    account = f"Default-{uuid.uuid4().hex[:6]}"
    stored = run(tmp_path, "key", "set", "--account", account, stdin=KEY + "\n")
    assert stored.returncode == 0, stored.stderr
    assert json.loads((tmp_path / "settings.json").read_text())["default_account"] == account
    events = tmp_path / "events.ndjson"
    events.write_text(json.dumps(json.loads(EXAMPLE.read_text())) + "\n")
    path = EXAMPLE if command == "send" else events
    try:
        done = run(tmp_path, command, str(path), "--target", ELSEWHERE)
    finally:
        run(tmp_path, "key", "delete", account)

    assert "Traceback" not in done.stderr
    assert "the history cannot be opened" in done.stderr  # still said
    assert "Sending without it" in done.stderr
    # the default account from the settings, not "no key at all"
    assert f"the key of account {account!r}" in done.stderr, done.stderr
    assert f"--account {account}" in done.stderr
    assert "needs a private API key" not in done.stderr
    assert done.returncode == 2
