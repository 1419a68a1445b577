"""The key goes only where it belongs, proved against a listener on a test host of our own (a
network namespace behind a private veth pair, see tests/netns.py): the default account's key
never reaches another host by itself, and no key ever travels over plain http to it."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.netns import listener, make_certificate, private_host

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "placed-order.event.json"
KEY = "pk_" + "d7" * 17

pytestmark = pytest.mark.skipif(
    os.environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1",
    reason="needs a real Secret Service: run inside `bash .ci/keyring-session` (make test does)",
)


@pytest.fixture
def cli(tmp_path):
    """Runs `event-composer` in a subprocess with a default account whose key is in the real
    (private) keyring; the key is deleted afterwards."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KLAVIYO_API_KEY", "PYTHON_KEYRING_BACKEND")
    }
    account = f"dest-{uuid.uuid4().hex[:8]}"
    base = [sys.executable, "-m", "composer", "--data-dir", str(tmp_path / "state")]

    def run(*args: str, stdin: str | None = None, extra_env: dict[str, str] | None = None):
        return subprocess.run(
            [*base, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**env, **(extra_env or {})},
            timeout=60,
            check=False,
        )

    stored = run("key", "set", "--account", account, stdin=KEY + "\n")
    assert stored.returncode == 0, stored.stderr
    listed = run("key", "list")
    assert f"{account} (default)" in listed.stdout, listed.stdout
    run.account = account  # type: ignore[attr-defined]
    yield run
    run("key", "delete", "--account", account)


def test_no_key_reaches_a_plain_http_host_with_or_without_account(tmp_path, cli):
    with private_host() as host, listener(tmp_path, host=host) as server:
        default = cli("send", str(EXAMPLE), "--target", server.url)
        named = cli("send", str(EXAMPLE), "--target", server.url, "--account", cli.account)
        from_env = cli(
            "send", str(EXAMPLE), "--target", server.url, extra_env={"KLAVIYO_API_KEY": KEY}
        )
        received = server.requests()
    assert received == []  # the listener saw no request at all, so no Authorization header
    for done in (default, named, from_env):
        assert done.returncode == 2, done.stdout + done.stderr
        assert "NOT SENT" in done.stderr and "plain http" in done.stderr
        assert "https://" in done.stderr and "loopback" in done.stderr  # how to proceed
        assert KEY not in done.stdout + done.stderr


def test_the_default_account_goes_to_another_https_host_only_when_named(tmp_path, cli):
    with private_host() as host:
        cert, key_file = make_certificate(tmp_path, host.address)
        with listener(tmp_path, host=host, tls=(cert, key_file)) as server:
            refused = cli("send", str(EXAMPLE), "--target", server.url)
            assert server.requests() == []
            assert refused.returncode == 2, refused.stdout + refused.stderr
            assert "not Klaviyo" in refused.stderr
            assert f"--account {cli.account}" in refused.stderr  # how to proceed
            assert KEY not in refused.stdout + refused.stderr

            # Named, the key goes. The CLI trusts only public CAs, so this send goes through the
            # same service with a transport that trusts the test's own certificate.
            import asyncio

            from composer.services.keys import KeyRefused
            from composer.services.send import Sender
            from composer.storage.secrets import SecretStore

            trusting = ssl.create_default_context(cafile=str(cert))

            async def send(named: bool) -> int | None:
                async with Sender.open(
                    server.url,
                    account=cli.account,
                    account_named=named,
                    keys=SecretStore(),
                    environ={},
                    transport=httpx.AsyncHTTPTransport(verify=trusting),
                    revision="2023-01-24",  # the example's flat layout
                ) as sender:
                    result = await sender.send(EXAMPLE.read_bytes())
                return result.outcome.status if result.outcome else None

            with pytest.raises(KeyRefused):
                asyncio.run(send(named=False))
            assert server.requests() == []
            assert asyncio.run(send(named=True)) == 202
            assert server.authorizations() == [f"Klaviyo-API-Key {KEY}"]


def test_replay_follows_the_same_rule(tmp_path, cli):
    events = tmp_path / "events.ndjson"
    events.write_text(EXAMPLE.read_text().replace("\n", "") + "\n")
    with private_host() as host, listener(tmp_path, host=host) as server:
        done = cli("replay", str(events), "--target", server.url)
        assert server.requests() == []
    assert done.returncode == 2 and "plain http" in done.stderr


def test_a_loopback_listener_gets_the_named_key(tmp_path, cli):
    with listener(tmp_path) as server:
        done = cli("send", str(EXAMPLE), "--target", server.url, "--account", cli.account)
        assert done.returncode == 0, done.stdout + done.stderr
        assert server.authorizations() == [f"Klaviyo-API-Key {KEY}"]


def test_resending_an_entry_does_not_count_as_naming_its_account(tmp_path, cli):
    """A history entry (here imported from a HAR file someone sent) records a target and an
    account; `history resend` must not send that account's key to another host by itself."""
    import json

    with private_host() as host:
        cert, key_file = make_certificate(tmp_path, host.address)
        with listener(tmp_path, host=host, tls=(cert, key_file)) as server:
            har = {
                "log": {
                    "entries": [
                        {
                            "startedDateTime": "2024-05-01T10:00:00Z",
                            "request": {
                                "method": "POST",
                                "url": f"{server.url}/api/events/",
                                "headers": [],
                                "postData": {"text": EXAMPLE.read_text()},
                            },
                            "response": {"status": 0},
                            "_eventComposer": {"target": server.url, "account": cli.account},
                        }
                    ]
                }
            }
            source = tmp_path / "shared.har"
            source.write_text(json.dumps(har))
            imported = cli("history", "import", str(source))
            assert imported.returncode == 0, imported.stderr
            done = cli("history", "resend", "1", "--allow-duplicate")
            assert server.requests() == []
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"--account {cli.account}" in done.stderr and KEY not in done.stdout + done.stderr
