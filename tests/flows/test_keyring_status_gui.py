"""The status bar's keyring line follows the keyring through the run: the real Secret Service
of the test session is locked (a key the user gives is refused and kept in memory, the line
says so) and unlocked again with its master password (the line says it works again)."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

pytestmark = [
    pytest.mark.usefixtures("qloop"),
    pytest.mark.skipif(
        os.environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1",
        reason="needs a real Secret Service: run inside `bash .ci/keyring-session`",
    ),
]
ACCOUNT = "Status line test"
KEY = "pk_" + "9e" * 15


def in_a_thread(call: Any) -> None:
    """As the window does: keyring calls run off the UI thread."""
    worker = threading.Thread(target=call)
    worker.start()
    worker.join(30)


def unlock(bus: Any) -> None:
    """Unlock the session's keyring without a prompt: the daemon's own call with its master
    password (the one .ci/keyring-session gives it)."""
    from jeepney import DBusAddress, new_method_call
    from secretstorage.util import format_secret, open_session

    service = DBusAddress(
        "/org/freedesktop/secrets",
        bus_name="org.freedesktop.secrets",
        interface="org.freedesktop.Secret.Service",
    )
    path = bus.send_and_get_reply(new_method_call(service, "ReadAlias", "s", ("default",))).body[0]
    internal = DBusAddress(
        "/org/freedesktop/secrets",
        bus_name="org.freedesktop.secrets",
        interface="org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
    )
    secret = format_secret(open_session(bus), b"event-composer-tests", "text/plain")
    call = new_method_call(internal, "UnlockWithMasterPassword", "o(oayays)", (path, secret))
    bus.send_and_get_reply(call)


def test_the_keyring_line_follows_the_keyring(qtbot: Any, make_window: Any) -> None:
    import secretstorage

    window = make_window()
    label, secrets = window.status_keyring, window.storage.secrets
    qtbot.waitUntil(lambda: label.text() == "Keys: Secret Service (unlocked)", timeout=5000)
    bus = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(bus)
    collection.lock()
    try:
        where: list[str] = []
        in_a_thread(lambda: where.append(secrets.set_key(ACCOUNT, KEY)))
        assert where == ["memory"]
        qtbot.waitUntil(lambda: "no working keyring" in label.text(), timeout=5000)
        assert "the keyring is locked" in label.toolTip()
        unlock(bus)
        in_a_thread(secrets.probe)
        qtbot.waitUntil(lambda: label.text() == "Keys: Secret Service (unlocked)", timeout=5000)
        assert secretstorage.get_default_collection(bus).is_locked() is False
    finally:
        if collection.is_locked():
            unlock(bus)
        in_a_thread(lambda: secrets.delete_key(ACCOUNT))
