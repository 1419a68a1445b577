"""Cancel (Esc) says exactly what the window knows: "not sent" when the request never left
(as the history entry says), "may or may not have received it" once it had. Real window,
real SQLite, the sandbox over loopback (uvicorn) or in-process."""

from __future__ import annotations

from typing import Any

import pytest

from composer.client import parse_target
from composer.sandbox import FaultKind, SandboxApp, SandboxConfig, run_in_thread
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
    assert "after the request left and before an answer came" in explanation  # the reason
    rows = window.storage.history.page()
    assert [r.delivery for r in rows] == ["unknown"]


class CountingSandbox(SandboxApp):
    """The in-process sandbox, counting the event requests it has answered; a 429 it answers
    asks for ``retry_after`` seconds (so a test can act well inside the wait)."""

    answered = 0
    retry_after = b"1"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def asking_to_wait(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        (name, self.retry_after if name == b"retry-after" else value)
                        for name, value in message.get("headers", [])
                    ],
                }
            await send(message)

        await super().__call__(scope, receive, asking_to_wait)
        if scope["type"] == "http" and scope["path"].startswith("/api/events"):
            self.answered += 1


def test_a_send_cancelled_between_refused_tries_says_it_was_not_accepted(
    qtbot: Any, make_window: Any
) -> None:
    # every answer is 429 with Retry-After: 4, so the send waits four seconds before its next
    # try; served on a port of its own, so the slower pace it teaches this process's rate
    # limiter stays with this target
    sandbox = CountingSandbox(SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.THROTTLED,)))
    sandbox.retry_after = b"4"
    window = make_window()
    view = window.response_view
    with run_in_thread(sandbox) as url:
        window.target_bar.set_target(parse_target(url))
        window.request_send()
        qtbot.waitUntil(lambda: sandbox.answered == 1, timeout=5000)
        # the sandbox counts an answer once it has written it; the client reads it a moment
        # later (on a busy machine, well after a poll of this test): cancel a second later,
        # well inside the 4 s wait that follows, not while the first answer is on its way
        qtbot.wait(1000)
        window.cancel_send()
        qtbot.waitUntil(lambda: not window.is_sending(), timeout=5000)
    assert sandbox.answered == 1
    assert "not accepted" in view.status_label.text()
    explanation = view.explanation.text()
    assert "429" in explanation and "definitely not recorded" in explanation
    assert "may or may not" not in explanation
    rows = window.storage.history.page()
    assert [r.delivery for r in rows] == ["not_accepted"]
