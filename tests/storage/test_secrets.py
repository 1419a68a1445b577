"""API keys in the OS keyring: a real Secret Service, no keyring at all, and a locked one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import chainer, fail, null

from composer.storage.secrets import SecretStore, mask_key

ROOT = Path(__file__).resolve().parents[2]
KEY = "pk_" + "0123456789abcdefghijklmnopqrstuv"

real_keyring = pytest.mark.skipif(
    os.environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1",
    reason="needs a real Secret Service: run inside `bash .ci/keyring-session` (make test does)",
)


def _service() -> str:
    """A service name of its own per test, so tests never see each other's keys."""
    return f"event-composer-test-{uuid.uuid4().hex[:8]}"


def test_mask_key_shows_the_prefix_and_the_last_four() -> None:
    assert mask_key("pk_" + "0123456789abcdefa1b2") == "pk_…a1b2"
    assert mask_key("abcdefghijklmnop") == "…mnop"
    assert mask_key("pk_short") == "pk_…"  # too short to show any of it
    assert mask_key(None) == mask_key("") == "(none)"


@real_keyring
def test_keys_live_in_the_secret_service(tmp_path: Path) -> None:
    service = _service()
    store = SecretStore(service, known_accounts=lambda: ["Staging", "Production", "Nothing"])
    assert store.status.available
    assert store.status.message == "Secret Service (unlocked)"
    assert store.set_key("Staging", f"  {KEY}\n") == "keyring"  # pasted with whitespace
    assert store.set_key("Production", KEY[::-1]) == "keyring"
    # Another store (another run of the app) reads them from the keyring, not from memory.
    other = SecretStore(service, known_accounts=lambda: ["Staging", "Production"])
    assert other.get_key("Staging") == KEY
    assert keyring.get_password(service, "Production") == KEY[::-1]
    assert store.list_accounts() == ["Staging", "Production"]
    assert other.delete_key("Staging") is True
    assert store.get_key("Staging") is None
    assert store.delete_key("Staging") is False
    assert store.list_accounts() == ["Production"]
    store.delete_key("Production")


@real_keyring
def test_keyring_calls_work_from_a_worker_thread() -> None:
    service = _service()
    store = SecretStore(service)
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert pool.submit(lambda: store.status.available).result(timeout=30)
        assert pool.submit(store.set_key, "Staging", KEY).result(timeout=30) == "keyring"
        keys = list(pool.map(store.get_key, ["Staging"] * 4, timeout=30))
    assert keys == [KEY] * 4
    store.delete_key("Staging")


@real_keyring
def test_another_process_reads_the_key_set_here() -> None:
    service = _service()
    SecretStore(service).set_key("Staging", KEY)
    code = (
        "import sys; from composer.storage.secrets import SecretStore; "
        f"sys.exit(0 if SecretStore({service!r}).get_key('Staging') == {KEY!r} else 3)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0
    SecretStore(service).delete_key("Staging")


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        (fail.Keyring(), "no keyring service was found"),
        (null.Keyring(), "switched off"),
    ],
)
def test_without_a_working_keyring_keys_stay_in_memory_for_this_run(
    backend: object, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path))
    store = SecretStore(_service(), backend=backend)
    status = store.status
    assert not status.available and status.backend == "memory"
    assert words in status.message
    assert status.message.endswith("keys are kept in memory for this run only")
    assert store.set_key("Staging", KEY) == "memory"
    assert store.get_key("Staging") == KEY
    assert store.list_accounts() == ["Staging"]
    assert SecretStore(store.service, backend=backend).get_key("Staging") is None
    assert list(tmp_path.rglob("*")) == []  # never a file as a fallback
    assert store.delete_key("Staging") is True and store.get_key("Staging") is None


def test_the_keyring_chosen_by_environment_is_honoured_and_probed(tmp_path: Path) -> None:
    """PYTHON_KEYRING_BACKEND selects keyring's fail backend in a fresh process, and a chainer
    with nothing to chain (no Secret Service on the bus) counts as no keyring too."""
    code = (
        "import json; from composer.storage.secrets import SecretStore; s = SecretStore(); "
        "print(json.dumps([s.status.available, s.status.message, s.set_key('a', 'pk_x1')]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    for backend in ("keyring.backends.fail.Keyring", "keyring.backends.chainer.ChainerBackend"):
        env.update(
            PYTHON_KEYRING_BACKEND=backend,
            HOME=str(tmp_path),
            XDG_DATA_HOME=str(tmp_path),
            XDG_CONFIG_HOME=str(tmp_path),
            DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus",
        )
        run = subprocess.run(  # noqa: PLW1510 (the return code is asserted)
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        available, message, where = json.loads(run.stdout)
        assert (available, where) == (False, "memory"), (backend, message)
        assert "no keyring service was found" in message
    assert list(tmp_path.rglob("*")) == []


def test_an_empty_chainer_counts_as_no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    store = SecretStore(_service(), backend=chainer.ChainerBackend())
    assert not store.status.available and "chain is empty" in store.status.message


def test_an_empty_key_or_account_is_refused_in_words() -> None:
    store = SecretStore(_service(), backend=fail.Keyring())
    with pytest.raises(ValueError, match="key: the API key is empty"):
        store.set_key("Staging", "  \n")
    with pytest.raises(ValueError, match="account: the account name is empty"):
        store.set_key(" ", KEY)


LOCKED_SCRIPT = f"""
import json, secretstorage
from composer.storage.secrets import SecretStore
store = SecretStore("event-composer-locked-test")
store.set_key("Staging", {KEY!r})
bus = secretstorage.dbus_init()
secretstorage.get_default_collection(bus).lock()
later = SecretStore("event-composer-locked-test")
status = later.status
print(json.dumps({{"before": store.status.message, "available": status.available,
                  "message": status.message, "where": later.set_key("Prod", "pk_other123456"),
                  "prod": later.get_key("Prod"), "staging": later.get_key("Staging")}}))
"""


def _in_own_keyring(
    tmp_path: Path, source: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], Any]:
    """Run ``source`` as a script in a Secret Service of its own (so what it does to the
    keyring cannot disturb other tests); the run and the JSON of its last line."""
    script = tmp_path / "script.py"
    script.write_text(source)
    run = subprocess.run(  # noqa: PLW1510 (the return code is asserted)
        ["bash", str(ROOT / ".ci" / "keyring-session"), sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run, json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (make system-deps)",
)
def test_a_locked_keyring_is_unavailable_and_says_so(tmp_path: Path) -> None:
    """A Secret Service of its own (so locking it cannot disturb other tests), locked for
    real: its unlock prompt cannot be shown here, as on a headless machine."""
    run, out = _in_own_keyring(tmp_path, LOCKED_SCRIPT)
    assert out["before"] == "Secret Service (unlocked)"
    assert out["available"] is False
    assert "the keyring is locked" in out["message"]
    assert out["message"].endswith("keys are kept in memory for this run only")
    assert (out["where"], out["prod"]) == ("memory", "pk_other123456")
    assert out["staging"] is None  # the locked keyring's key is not readable, and not guessed
    assert KEY not in run.stdout and KEY not in run.stderr


def test_each_store_honours_the_backend_variable_as_it_is_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring.get_keyring()  # keyring has chosen its backend for this process already
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    store = SecretStore(_service())
    assert not store.status.available and "switched off" in store.status.message


RECOVERY_SCRIPT = r"""
import io, json, logging, os, signal, sys, time
from pathlib import Path

import secretstorage
from jeepney import DBusAddress, new_method_call
from secretstorage.util import format_secret, open_session

from composer.storage.secrets import SecretStore

OLD, NEW, PROD, OTHER, MODE = sys.argv[1:6]
NAMES = {OLD: "old", NEW: "new", PROD: "prod", OTHER: "other", None: None}
log = io.StringIO()
logging.basicConfig(stream=log, level=logging.DEBUG)
bus = secretstorage.dbus_init()
collection = secretstorage.get_default_collection(bus)


def unlock():
    # the daemon's own way to unlock without a prompt: its master password (the session's)
    service = DBusAddress("/org/freedesktop/secrets", bus_name="org.freedesktop.secrets",
                          interface="org.freedesktop.Secret.Service")
    path = bus.send_and_get_reply(new_method_call(service, "ReadAlias", "s", ("default",))).body[0]
    internal = DBusAddress("/org/freedesktop/secrets", bus_name="org.freedesktop.secrets",
                           interface="org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface")
    secret = format_secret(open_session(bus), b"event-composer-tests", "text/plain")
    bus.send_and_get_reply(new_method_call(internal, "UnlockWithMasterPassword", "o(oayays)",
                                           (path, secret)))


def stop_daemon():
    # SIGTERM to this session's own daemon (the owner of the Secret Service name on this bus);
    # the bus starts a new one on the next call, whose keyring is locked until unlocked
    dbus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                       interface="org.freedesktop.DBus")
    pid = bus.send_and_get_reply(new_method_call(
        dbus, "GetConnectionUnixProcessID", "s", ("org.freedesktop.secrets",))).body[0]
    os.kill(pid, signal.SIGTERM)
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


RETRY = 0.3  # seconds before a keyring that refused is tried again (5 in the app)
store = SecretStore(
    "event-composer-recovery", known_accounts=lambda: ["Staging", "Prod"], retry_delay=RETRY
)
out = {"first": [store.set_key("Staging", OLD), store.set_key("Prod", PROD)]}
if MODE == "stop-daemon":
    stop_daemon()
else:
    collection.lock()
out["refused"] = store.set_key("Staging", NEW)  # the user replaces the key: the keyring is locked
out["while_locked"] = NAMES[store.get_key("Staging")]
out["prod_while_locked"] = NAMES[store.get_key("Prod")]
unlock()
out["prod_at_once"] = NAMES[store.get_key("Prod")]  # refused a moment ago: not asked again yet
time.sleep(RETRY)
out["unlocked"] = not secretstorage.get_default_collection(bus).is_locked()
if MODE == "probe":
    store.probe()  # the app asks the keyring how it is again (the window does not, yet)
out["staging"] = NAMES[store.get_key("Staging")]
# the app may need no other key: reading this one is enough for the keyring to get it
out["stored"] = NAMES[SecretStore("event-composer-recovery").get_key("Staging")]
out["prod"] = NAMES[store.get_key("Prod")]
out["other"] = store.set_key("Other", OTHER)
out["status"] = store.status.message
later = SecretStore("event-composer-recovery")  # the next run of the app
out["next_run"] = {a: NAMES[later.get_key(a)] for a in ("Staging", "Prod", "Other")}
found = [str(p) for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")
         for p in Path(os.environ[var]).rglob("*")
         if p.is_file() and any(k.encode() in p.read_bytes() for k in (OLD, NEW, PROD, OTHER))]
out["files_with_a_key"] = found
out["log_has_a_key"] = any(k in log.getvalue() for k in (OLD, NEW, PROD, OTHER))
print(json.dumps(out))
"""


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (make system-deps)",
)
@pytest.mark.parametrize("mode", ["lock", "probe", "stop-daemon"])
def test_a_key_the_keyring_refused_is_the_one_used_and_stored_once_it_works_again(
    tmp_path: Path, mode: str
) -> None:
    """A Secret Service of its own, locked for real (or its daemon stopped with SIGTERM, and the
    one the bus starts instead locked) while the user replaces a key (the write is refused: the
    new key is kept in memory), then unlocked with its master password. The key
    the user gave is the one used (never the stale one the keyring still holds), the keyring
    serves its other keys again, takes new ones, and holds the user's key for the next run."""
    keys = ["pk_" + c * 30 for c in "abcd"]  # old, new, prod, other
    run, out = _in_own_keyring(tmp_path, RECOVERY_SCRIPT, *keys, mode)
    assert out["first"] == ["keyring", "keyring"]
    assert (out["refused"], out["while_locked"]) == ("memory", "new")
    assert out["prod_while_locked"] is None and out["unlocked"]
    assert out["prod_at_once"] is None
    assert out["staging"] == "new"  # the key the user gave, not the keyring's stale one
    assert out["stored"] == "new"
    assert out["prod"] == "prod"  # the keyring's other keys are read again
    assert out["other"] == "keyring"  # and it takes new ones again
    assert out["status"] == "Secret Service (unlocked)"
    assert out["next_run"] == {"Staging": "new", "Prod": "prod", "Other": "other"}
    assert out["files_with_a_key"] == [] and out["log_has_a_key"] is False
    assert not any(k in run.stdout + run.stderr for k in keys)
