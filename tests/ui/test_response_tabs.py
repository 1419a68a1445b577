"""The Response view shows only the send it speaks of: the exact bytes sent, and nothing of an
earlier send under "Cancelled", "Not sent" or while a send is in flight."""

from __future__ import annotations

from typing import Any

import pytest

from composer.sandbox import FaultKind, SandboxConfig

pytestmark = pytest.mark.usefixtures("qloop")

HAND_WRITTEN = """{"data": {"type": "event", "attributes": {
  "profile": {"$email": "caf\\u00e9@example.com"},
  "metric": {"name": "Placed Order"},
  "properties": {"Total": 10.50, "Points": 1e3},
  "value": 10.50, "unique_id": "0b6c2f7e-1d2a-4b8e-9a51-7d2c1f0e9a11"}}}"""


def _send(qtbot: Any, window: Any) -> Any:
    with qtbot.waitSignal(window.sendFinished, timeout=10_000) as blocker:
        window.request_send()
    return blocker.args[0]


def _details(view: Any) -> list[str]:
    """What the tabs under the status show (empty when hidden)."""
    if view.tabs.isHidden():
        return []
    shown = [view.body_view.toPlainText(), view.headers_view.toPlainText()]
    shown.append(view.request_view.toPlainText())
    shown.append(str(view.attempts_table.rowCount()))
    return shown


def test_the_request_tab_shows_the_exact_bytes_sent(qtbot: Any, make_window: Any) -> None:
    window = make_window(revision="2023-01-24")  # HAND_WRITTEN is in its flat layout
    window.controller.load_text(HAND_WRITTEN)
    fresh = window.next_unique_id()  # each Send is a new event: only its unique_id changes
    outcome = _send(qtbot, window)
    assert outcome.status == 202
    sent = HAND_WRITTEN.replace("0b6c2f7e-1d2a-4b8e-9a51-7d2c1f0e9a11", fresh)
    assert outcome.request.body == sent.encode()
    shown = window.response_view.request_view.toPlainText()
    assert shown.endswith(sent)  # 10.50, 1e3 and \\u00e9 as typed, same layout


def test_no_details_of_an_earlier_send_under_not_sent(qtbot: Any, make_window: Any) -> None:
    from composer.client import parse_target

    window = make_window()
    assert _send(qtbot, window).status == 202
    view = window.response_view
    assert _details(view)
    window.target_bar.set_accounts(["Nobody"], "Nobody")
    window.target_bar.set_target(parse_target("http://127.0.0.1:9"))
    window.request_send()
    qtbot.waitUntil(lambda: not window.is_sending(), timeout=5000)
    assert "202" not in view.status_label.text()
    assert _details(view) == []


def test_no_details_of_an_earlier_send_while_sending_and_after_cancel(
    qtbot: Any, make_window: Any
) -> None:
    # Every answer takes 1.5 s: long enough to look at a send in flight and to cancel it.
    window = make_window(
        sandbox=SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=1.5)
    )
    view = window.response_view
    assert _send(qtbot, window).status == 202
    assert _details(view)
    window.request_send()
    qtbot.waitUntil(lambda: "Sending" in view.status_label.text(), timeout=3000)
    assert _details(view) == []  # in flight: nothing of the last send
    window.cancel_send()
    qtbot.waitUntil(lambda: not window.is_sending(), timeout=5000)
    assert "Cancelled" in view.status_label.text()
    assert _details(view) == []
