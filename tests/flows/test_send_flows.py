"""End-to-end paths through the real window: Ctrl+Enter to the in-process sandbox, the answers
a user must understand (202, 400 with findings, 429 with the wait), confirmations, history."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from composer.domain.draft import sample_event
from composer.sandbox import SandboxConfig
from tests.ui.window_fixtures import click_button, message_box

pytestmark = pytest.mark.usefixtures("qloop")


def press_send(qtbot: Any, window: Any) -> None:
    """Ctrl+Enter, as a user presses it, with the focus in the composer."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def send_and_wait(qtbot: Any, window: Any) -> Any:
    with qtbot.waitSignal(window.sendFinished, timeout=10_000) as blocker:
        press_send(qtbot, window)
    return blocker.args[0]


def history_statuses(window: Any) -> list[str]:
    model = window.history_pane.model
    return [model.row_at(i).status_text for i in range(model.rowCount())]


def invalid_event() -> dict[str, Any]:
    event = sample_event()
    event["data"]["attributes"]["metric"]["name"] = ""
    return event


def test_first_ctrl_enter_gets_202_from_the_sandbox_and_a_history_row(qtbot, make_window):
    window = make_window()
    # the badge may be elided on a small screen; its tooltip and the status bar say it all
    assert "Sandbox: nothing leaves this computer" in window.target_bar.badge.toolTip()
    assert "Sandbox: nothing leaves this computer" in window.status_target.text()
    # a fresh start: the newest revision, its sample in its layout, no retired notice
    assert window.target_bar.revision() == "2026-07-15" and not window.banner.isVisible()
    metric = json.loads(window.controller.text())["data"]["attributes"]["metric"]
    assert metric["data"]["attributes"]["name"] == "Viewed Product"

    outcome = send_and_wait(qtbot, window)

    assert outcome.status == 202
    assert "202 Accepted: queued for processing" in (window.response_view.status_label.text())
    assert "left this minute" in window.response_view.timing_label.text()
    qtbot.waitUntil(lambda: history_statuses(window) == ["202"], timeout=5000)
    assert window.history_pane.model.row_at(0).metric == "Viewed Product"
    assert "left this minute" in window.status_rate.text()
    assert len(window.gateway.sandbox.events()) == 1


def test_invalid_event_asks_send_anyway_and_a_400_maps_its_pointer_to_the_field(qtbot, make_window):
    window = make_window(revision="2023-01-24")  # invalid_event() is in its flat layout
    window.controller.load_payload(invalid_event())

    press_send(qtbot, window)
    qtbot.waitUntil(lambda: message_box(window, "confirmSendAnyway") is not None)
    box = message_box(window, "confirmSendAnyway")
    assert "metric" in box.text()
    click_button(box, "Don't send")
    qtbot.waitUntil(lambda: not window.is_sending())
    assert window.gateway.sandbox.events() == []
    assert window.history_pane.model.rowCount() == 0

    press_send(qtbot, window)
    qtbot.waitUntil(lambda: message_box(window, "confirmSendAnyway") is not None)
    with qtbot.waitSignal(window.sendFinished, timeout=10_000) as blocker:
        click_button(message_box(window, "confirmSendAnyway"), "Send anyway")
    outcome = blocker.args[0]

    assert outcome.status == 400
    assert "400 Bad request" in window.response_view.status_label.text()
    server = [f for f in window.controller.findings() if f.source == "server"]
    assert server, "the 400's findings reach the composer's Problems list"
    pointer = "/data/attributes/metric/name"
    assert any(f.pointer == pointer for f in server)
    finding = next(f for f in server if f.pointer == pointer)
    span = window.controller.span_of(finding)
    assert span is not None
    assert span.exact
    assert window.controller.text()[span.value_start : span.value_end] == '""'
    qtbot.waitUntil(lambda: history_statuses(window) == ["400"], timeout=5000)


def test_429_says_how_long_to_wait(qtbot, make_window, data_dir):
    from composer.client import ClientSettings, RetryPolicy
    from composer.storage.settings import SettingsStore

    SettingsStore(data_dir / "settings.json").update(auto_unique_id=False)
    one_try = ClientSettings(retry=RetryPolicy(max_attempts=1))  # a 429 is final, shown as is
    # one event a second: the next send is refused, unless this machine is so slow that it
    # starts a new one-second window (then it is accepted, and the one after it is refused)
    window = make_window(
        revision="2023-01-24",  # sample_event() is in its flat layout
        sandbox=SandboxConfig(burst_limit=1, steady_limit=100),
        client_settings=lambda: one_try,
    )
    event = sample_event()
    del event["data"]["attributes"]["unique_id"]
    window.controller.load_payload(event)

    statuses = [send_and_wait(qtbot, window).status]
    while statuses[-1] == 202 and len(statuses) < 3:
        outcome = send_and_wait(qtbot, window)
        statuses.append(outcome.status)

    assert statuses[-1] == 429, statuses
    assert "429 Rate limited" in window.response_view.status_label.text()
    [asked] = [float(v) for k, v in outcome.response_headers if k.lower() == "retry-after"]
    whole = round(asked)
    assert f"Try again in {whole} second{'s' * (whole != 1)}." in (
        window.response_view.explanation.text()
    )
    expected = [str(s) for s in reversed(statuses)]
    qtbot.waitUntil(lambda: history_statuses(window) == expected, timeout=5000)


def test_production_asks_once_per_session(qtbot, make_window):
    from composer.client import parse_target
    from composer.sandbox import create_app, in_process_transport

    # Klaviyo's role is played by a second in-process sandbox: nothing leaves this machine.
    stand_in = create_app(SandboxConfig())
    window = make_window(
        revision="2023-01-24", transports={"production": in_process_transport(stand_in)}
    )
    window.storage.secrets.set_key("Staging", "pk_" + "a1" * 17)
    window.target_bar.set_accounts(["Staging"], "Staging")
    window.target_bar.set_target(parse_target("production"))
    assert "PRODUCTION" in window.target_bar.badge.text()
    assert "production" in window.target_bar.send_button.text()

    press_send(qtbot, window)
    qtbot.waitUntil(lambda: message_box(window, "confirmProduction") is not None)
    click_button(message_box(window, "confirmProduction"), "Cancel")
    qtbot.waitUntil(lambda: not window.is_sending())
    assert stand_in.events() == []

    press_send(qtbot, window)
    qtbot.waitUntil(lambda: message_box(window, "confirmProduction") is not None)
    click_button(message_box(window, "confirmProduction"), "Send to production")
    # 2023-01-24 is retired: how to send it is asked every time (the stand-in serves it)
    qtbot.waitUntil(lambda: message_box(window, "retiredRevision") is not None)
    with qtbot.waitSignal(window.sendFinished, timeout=10_000) as blocker:
        click_button(message_box(window, "retiredRevision"), "Send as it is")
    assert blocker.args[0].status == 202

    window.controller.load_payload(sample_event())
    press_send(qtbot, window)  # no second production question this session
    qtbot.waitUntil(lambda: message_box(window, "retiredRevision") is not None)
    assert message_box(window, "confirmProduction") is None
    with qtbot.waitSignal(window.sendFinished, timeout=10_000) as blocker:
        click_button(message_box(window, "retiredRevision"), "Send as it is")
    outcome = blocker.args[0]
    assert outcome.status == 202
    assert len(stand_in.events()) == 2
    assert window.history_pane.model.row_at(0) is not None
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 2, timeout=5000)
    assert window.history_pane.model.row_at(0).target == "production"


def test_double_click_in_history_reloads_the_request(qtbot, make_window):
    window = make_window()
    sent = json.loads(send_and_wait(qtbot, window).request.body)  # with its new unique_id
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)

    window.controller.load_payload({"data": {"type": "event", "attributes": {}}})
    table = window.history_pane.table
    index = window.history_pane.model.index(0, 2)
    rect = table.visualRect(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    qtbot.waitUntil(lambda: json.loads(window.controller.text()) == sent, timeout=5000)
    assert "202" in window.response_view.status_label.text()


def test_no_keyring_keeps_keys_in_memory_and_says_so(qtbot, make_window, no_keyring):
    window = make_window()
    qtbot.waitUntil(lambda: "memory" in window.status_keyring.text(), timeout=5000)

    assert window.storage.secrets.set_key("Staging", "pk_" + "b2" * 17) == "memory"
    window.target_bar.set_accounts(["Staging"], "Staging")
    outcome = send_and_wait(qtbot, window)
    assert outcome.status == 202
    sent_auth = dict(outcome.request.headers).get("Authorization", "")
    assert "b2b2" not in sent_auth  # the recorded request is redacted

    window.open_settings(accounts=True)
    from composer.ui.settings_dialog import SettingsDialog

    dialog = window.findChild(SettingsDialog, "settingsDialog")
    qtbot.waitUntil(lambda: "memory" in dialog.keyring_label.text(), timeout=5000)
    assert "for this run only" in dialog.keyring_label.text()
    dialog.reject()


@pytest.mark.keyring
@pytest.mark.skipif(
    __import__("os").environ.get("EVENT_COMPOSER_TEST_SECRET_SERVICE") != "1",
    reason="needs the private Secret Service of `make test` (bash .ci/keyring-session)",
)
def test_a_key_in_the_real_keyring_signs_the_send(qtbot, make_window):
    window = make_window()
    qtbot.waitUntil(lambda: "Secret Service" in window.status_keyring.text(), timeout=10_000)
    assert window.storage.secrets.set_key("Staging", "pk_" + "c3" * 17) == "keyring"
    window.target_bar.set_accounts(["Staging"], "Staging")
    outcome = send_and_wait(qtbot, window)
    assert outcome.status == 202
    assert "c3c3" not in json.dumps(dict(outcome.request.headers))
    window.storage.secrets.delete_key("Staging")


def _production_window(qtbot: Any, make_window: Any, policy: Any) -> tuple[Any, Any]:
    from composer.client import parse_target
    from composer.sandbox import create_app, in_process_transport

    stand_in = create_app(SandboxConfig(retired_revisions=policy))
    window = make_window(
        revision="2023-01-24", transports={"production": in_process_transport(stand_in)}
    )
    window.storage.secrets.set_key("Staging", "pk_" + "a1" * 17)
    window.target_bar.set_accounts(["Staging"], "Staging")
    window.target_bar.set_target(parse_target("production"))
    window.target_bar.set_revision("2023-01-24")
    press_send(qtbot, window)
    qtbot.waitUntil(lambda: message_box(window, "confirmProduction") is not None)
    click_button(message_box(window, "confirmProduction"), "Send to production")
    qtbot.waitUntil(lambda: message_box(window, "retiredRevision") is not None)
    return window, stand_in


def test_retired_revision_to_production_converts_by_default(qtbot, make_window):
    from composer.sandbox import RetiredRevisionPolicy

    # the stand-in behaves as production does today: retired revisions fall forward
    window, stand_in = _production_window(qtbot, make_window, RetiredRevisionPolicy.FALL_FORWARD)
    box = message_box(window, "retiredRevision")
    assert "400" in box.text() and "410" in box.text()
    assert box.defaultButton().text().replace("&", "").startswith("Convert to 2026-07-15")
    with qtbot.waitSignal(window.sendFinished, timeout=10_000) as blocker:
        box.defaultButton().click()
    assert blocker.args[0].status == 202
    (recorded,) = stand_in.events()
    assert recorded.revision == "2026-07-15"
    assert blocker.args[0].request.url.endswith("/api/events")
    assert "Sent as 2026-07-15" in window.statusBar().currentMessage()
    # the composer keeps what the user wrote
    assert json.loads(window.controller.text())["data"]["attributes"]["profile"].get("$email")


def test_retired_revision_opt_out_gets_410_and_cancel_sends_nothing(qtbot, make_window):
    from composer.sandbox import RetiredRevisionPolicy

    window, stand_in = _production_window(qtbot, make_window, RetiredRevisionPolicy.FALL_FORWARD)
    with qtbot.waitSignal(window.sendFinished, timeout=10_000) as blocker:
        click_button(message_box(window, "retiredRevision"), "Send with opt-out header")
    outcome = blocker.args[0]
    assert outcome.status == 410
    sent = {k.lower(): v for k, v in outcome.request.headers}
    assert sent["x-klaviyo-revision-fall-forward-opt-out"] == "1"

    press_send(qtbot, window)
    qtbot.waitUntil(lambda: message_box(window, "retiredRevision") is not None)
    click_button(message_box(window, "retiredRevision"), "Cancel")
    qtbot.waitUntil(lambda: not window.is_sending())
    assert "Not sent" in window.statusBar().currentMessage()
    assert stand_in.events() == []
