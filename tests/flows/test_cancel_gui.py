"""Cancel (Esc) says exactly what the window knows: "not sent" when the request never left
(as the history entry says), "may or may not have received it" once it had. Real window,
real SQLite, the sandbox over loopback (uvicorn) or in-process."""

from __future__ import annotations

from typing import Any

import pytest

from composer.client import parse_target
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from tests.flows.test_delivery_gui import hold_write_lock, recorded

pytestmark = pytest.mark.usefixtures("qloop")


def _cancel_while_sending(qtbot: Any, window: Any, after_ms: int = 0) -> None:
    view = window.response_view
    window.request_send()
    qtbot.waitUntil(lambda: "Sending" in view.status_label.text(), timeout=3000)
    qtbot.wait(after_ms)
    window.cancel_send()
    qtbot.waitUntil(lambda: not window.is_sending(), timeout=15_000)


def test_a_send_cancelled_before_the_request_left_is_said_not_sent(
    qtbot: Any, make_window: Any, data_dir: Any
) -> None:
    window = make_window()
    with run_in_thread(SandboxConfig()) as url:
        window.target_bar.set_target(parse_target(url))
        # another writer holds the history: the pending entry waits, and the request with it
        holder = hold_write_lock(data_dir / "history.sqlite3", 1.5)
        _cancel_while_sending(qtbot, window)
        holder.join()
        events = recorded(url)
    assert events == []  # indeed never sent
    view = window.response_view
    assert "not sent" in view.status_label.text()
    explanation = view.explanation.text()
    assert "did not receive it" in explanation
    assert "may or may not" not in explanation
    rows = window.storage.history.page()
    assert [r.delivery for r in rows] == ["not_sent"]  # the window agrees with the history


def test_a_send_cancelled_in_flight_may_or_may_not_have_arrived(
    qtbot: Any, make_window: Any
) -> None:
    # every answer takes 3 s: the request is at the server when the user cancels
    window = make_window(
        sandbox=SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=3.0)
    )
    _cancel_while_sending(qtbot, window, after_ms=1000)
    view = window.response_view
    assert "not sent" not in view.status_label.text()
    explanation = view.explanation.text()
    assert "may or may not have received it" in explanation
    assert "before an answer arrived" in explanation  # the reason
    rows = window.storage.history.page()
    assert [r.delivery for r in rows] == ["unknown"]
