"""The window sends an account's key to a server that is neither Klaviyo nor this machine only
after asking, once per session and host; never over plain http. Proved against a listener on a
test host of our own (a network namespace, tests/netns.py)."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

from composer.client import parse_target
from tests.flows.test_send_flows import press_send, send_and_wait
from tests.netns import listener, make_certificate, private_host
from tests.ui.window_fixtures import click_button, message_box

pytestmark = pytest.mark.usefixtures("qloop")

KEY = "pk_" + "b8" * 17


def wait_box(qtbot: Any, window: Any, name: str) -> Any:
    qtbot.waitUntil(lambda: message_box(window, name) is not None, timeout=5000)
    return message_box(window, name)


def test_a_custom_https_host_gets_the_key_only_after_the_user_agrees(qtbot, make_window, tmp_path):
    with private_host() as host:
        cert, key_file = make_certificate(tmp_path, host.address)
        with listener(tmp_path, host=host, tls=(cert, key_file)) as server:
            trusting = ssl.create_default_context(cafile=str(cert))
            target = parse_target(server.url)
            window = make_window(
                transports={target.label: httpx.AsyncHTTPTransport(verify=trusting)}
            )
            window.storage.secrets.set_key("Staging", KEY)
            window.target_bar.set_accounts(["Staging"], "Staging")  # the default, preselected
            window.target_bar.set_target(target)

            # First Send: the window asks; Cancel keeps the key here.
            press_send(qtbot, window)
            box = wait_box(qtbot, window, "confirmKeyHost")
            assert host.address in box.text() and "Staging" in box.text()
            assert server.requests() == []
            click_button(box, "Cancel")
            qtbot.waitUntil(
                lambda: "Not sent" in window.response_view.status_label.text(), timeout=5000
            )
            assert "not Klaviyo" in window.response_view.explanation.text()
            assert server.requests() == []

            # Asked again, the user agrees: the key goes, and is not asked for again.
            press_send(qtbot, window)
            box = wait_box(qtbot, window, "confirmKeyHost")
            with qtbot.waitSignal(window.sendFinished, timeout=10_000) as sent:
                click_button(box, f"Send the key to {target.host}")
            assert sent.args[0].status == 202
            assert send_and_wait(qtbot, window).status == 202
            assert message_box(window, "confirmKeyHost") is None
            assert server.authorizations() == [f"Klaviyo-API-Key {KEY}"] * 2


def test_a_plain_http_host_never_gets_a_key_and_the_window_says_why(qtbot, make_window, tmp_path):
    with private_host() as host, listener(tmp_path, host=host) as server:
        window = make_window()
        window.storage.secrets.set_key("Staging", KEY)
        window.target_bar.set_accounts(["Staging"], "Staging")
        window.target_bar.set_target(parse_target(server.url))
        press_send(qtbot, window)
        qtbot.waitUntil(
            lambda: "plain http" in window.response_view.status_label.text(), timeout=5000
        )
        assert message_box(window, "confirmKeyHost") is None
        explanation = window.response_view.explanation.text()
        assert "unencrypted" in explanation and "https://" in explanation
        assert server.requests() == []


def test_a_key_the_server_echoes_is_shown_only_as_the_placeholder(qtbot, make_window, tmp_path):
    from PySide6.QtWidgets import QListWidget

    from composer.client.redact import KEY_PLACEHOLDER

    with listener(tmp_path) as server:  # loopback: the chosen account's key goes by itself
        window = make_window()
        window.storage.secrets.set_key("Staging", KEY)
        window.target_bar.set_accounts(["Staging"], "Staging")
        window.target_bar.set_target(parse_target(f"{server.url}/echo"))
        outcome = send_and_wait(qtbot, window)
        assert server.authorizations() == [f"Klaviyo-API-Key {KEY}"]
    assert outcome.status == 400
    view = window.response_view
    findings = view.findings_list
    assert isinstance(findings, QListWidget)
    shown = [
        view.status_label.text(),
        view.explanation.text(),
        view.body_view.toPlainText(),
        view.headers_view.toPlainText(),
        view.request_view.toPlainText(),
        *(findings.item(i).text() for i in range(findings.count())),
        *(f.message for f in outcome.findings),
    ]
    assert KEY_PLACEHOLDER in view.headers_view.toPlainText()
    assert KEY_PLACEHOLDER in view.body_view.toPlainText()
    assert not [text for text in shown if KEY in text]
