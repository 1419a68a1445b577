"""Variables through the real window: every Send resolves the event afresh, the history keeps
the template and the exact bytes sent, loading an entry brings the template back, Resend
exactly sends the recorded bytes, and an unknown variable asks before anything is sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from composer.domain.rule_ids import VARIABLE_UNKNOWN
from tests.flows.test_send_flows import press_send, send_and_wait
from tests.ui.window_fixtures import click_button, message_box

pytestmark = pytest.mark.usefixtures("qloop")

TEMPLATE = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {"$email": "{{$randomEmail}}"},
            "metric": {"name": "Placed Order"},
            "properties": {"OrderId": "{{$uuid}}", "At": "{{$now-1h}}"},
            "unique_id": "{{$uuid}}",
        },
    }
}


def load(qtbot: Any, window: Any, event: dict[str, Any]) -> str:
    window.controller.load_text(json.dumps(event, indent=2))
    qtbot.waitUntil(lambda: window.controller.resolution() is not None, timeout=3000)
    return str(window.controller.text())


def test_each_send_resolves_afresh_and_the_history_keeps_template_and_bytes(qtbot, make_window):
    window = make_window(revision="2023-01-24")  # TEMPLATE is in its flat layout
    template = load(qtbot, window, TEMPLATE)
    assert not window.controller.has_errors()

    assert send_and_wait(qtbot, window).status == 202
    assert send_and_wait(qtbot, window).status == 202

    store = window.storage.history
    qtbot.waitUntil(lambda: store.count() == 2, timeout=5000)
    second, first = (store.get(r.id) for r in store.page())
    assert first.template == second.template == template
    sent = [json.loads(e.request.body)["data"]["attributes"] for e in (first, second)]
    assert sent[0]["properties"]["OrderId"] != sent[1]["properties"]["OrderId"]
    assert all("{{" not in json.dumps(s) for s in sent)
    assert sent[0]["profile"]["$email"].endswith("@example.com")
    # the sandbox received the resolved event
    received = window.gateway.sandbox.events()
    assert len(received) == 2 and "{{" not in json.dumps(received[0].body)
    assert received[0].profile.endswith("@example.com")

    # load into the composer: the template; Resend exactly: the recorded bytes
    window.controller.load_text("{}")
    window.history_part.load_entry(first)
    qtbot.waitUntil(lambda: window.controller.text() == template, timeout=3000)
    with qtbot.waitSignal(window.sendFinished, timeout=10_000):
        window.history_part.resend_entry(first)
    qtbot.waitUntil(lambda: store.count() == 3, timeout=5000)
    resent = store.get(store.page()[0].id)
    assert resent is not None and resent.request.body == first.request.body
    assert resent.template == template  # loading the resend brings the template back too


def test_an_unknown_variable_is_an_error_and_send_asks_first(qtbot, make_window):
    window = make_window()
    event = json.loads(json.dumps(TEMPLATE))
    event["data"]["attributes"]["metric"]["name"] = "Order at {{store}}"
    load(qtbot, window, event)
    unknown = [f for f in window.controller.findings() if f.rule == VARIABLE_UNKNOWN]
    assert [f.pointer for f in unknown] == ["/data/attributes/metric/name"]
    assert "{{store}} has no value" in unknown[0].message

    press_send(qtbot, window)
    qtbot.waitUntil(lambda: message_box(window, "confirmSendAnyway") is not None)
    click_button(message_box(window, "confirmSendAnyway"), "Don't send")
    qtbot.waitUntil(lambda: not window.is_sending())
    assert window.gateway.sandbox.events() == []
