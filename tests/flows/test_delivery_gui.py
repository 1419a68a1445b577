"""The window tells what happened to each send: its delivery state, a new unique_id per Send,
Resend exactly with the same one, the sandbox's duplicate notice, the pending history entry
written before the request leaves, and history write failures. Real window, real SQLite, the
sandbox over loopback (uvicorn) or in-process."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import httpx
import pytest

from composer.client import parse_target
from composer.sandbox import FaultKind, SandboxApp, SandboxConfig, run_in_thread
from tests.flows.test_send_flows import send_and_wait

pytestmark = pytest.mark.usefixtures("qloop")


def recorded(url: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = httpx.get(f"{url}/sandbox/events").json()["events"]
    return events


def test_each_send_from_the_composer_is_a_new_event(qtbot, make_window):
    window = make_window()
    with run_in_thread(SandboxConfig()) as url:
        window.target_bar.set_target(parse_target(url))
        ids = []
        for _ in range(2):
            shown = window.next_unique_id()
            assert shown[:8] in window.next_id_label.text()
            outcome = send_and_wait(qtbot, window)
            assert outcome.status == 202
            assert f'"unique_id": "{shown}"'.encode() in outcome.request.body
            ids.append(shown)
        events = recorded(url)
    assert ids[0] != ids[1]
    assert sorted(e["unique_id"] for e in events) == sorted(ids)  # two events, not one
    assert "Delivery: ✓ accepted" in window.response_view.delivery_label.text()
    assert ids[1] in window.response_view.delivery_label.text()


def test_with_the_setting_off_a_repeat_is_a_duplicate_and_the_view_says_so(
    qtbot, make_window, data_dir
):
    from composer.storage.settings import SettingsStore

    SettingsStore(data_dir / "settings.json").update(fresh_unique_id=False)
    window = make_window()
    assert window.next_unique_id() is None
    assert "the event's own unique_id" in window.next_id_label.text()
    with run_in_thread(SandboxConfig()) as url:
        window.target_bar.set_target(parse_target(url))
        first = send_and_wait(qtbot, window)
        second = send_and_wait(qtbot, window)
        events = recorded(url)
    assert first.request.body == second.request.body
    assert len(events) == 1
    assert "not recorded again" in window.response_view.status_label.text()
    assert "as Klaviyo does without saying so" in window.response_view.explanation.text()


def test_resend_exactly_keeps_the_unique_id_and_says_it_is_recorded_once(qtbot, make_window):
    window = make_window()
    with run_in_thread(SandboxConfig()) as url:
        window.target_bar.set_target(parse_target(url))
        first = send_and_wait(qtbot, window)
        qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)
        entry = window.storage.history.get(window.history_pane.model.row_at(0).id)
        with qtbot.waitSignal(window.sendFinished, timeout=10_000) as resent:
            window.history_part.resend_entry(entry)
        events = recorded(url)
    assert resent.args[0].request.body == first.request.body
    assert len(events) == 1
    explanation = window.response_view.explanation.text()
    assert f"Resent history entry #{entry.id} exactly" in explanation
    assert "only once" in explanation
    assert "not recorded again" in window.response_view.status_label.text()
    assert window.history_pane.resend_action.text() == "Resend exactly"


def test_a_dropped_connection_shows_unknown_in_the_view_and_the_history(qtbot, make_window):
    window = make_window(sandbox=SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.DROP,)))
    outcome = send_and_wait(qtbot, window)
    assert outcome.status is None
    view = window.response_view
    assert "Outcome unknown" in view.status_label.text()
    assert "Delivery: ⚠ unknown" in view.delivery_label.text()
    assert "Resend exactly" in view.explanation.text()
    model = window.history_pane.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    cell = model.data(model.index(0, 2))
    assert cell == "⚠ unknown"


class WatchingSandbox(SandboxApp):
    """The sandbox, noting how many history entries exist when each event request arrives."""

    def __init__(self, history_path: Any) -> None:
        super().__init__(SandboxConfig())
        self.history_path = history_path
        self.entries_on_arrival: list[int] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/events"):
            with sqlite3.connect(self.history_path) as conn:  # readers pass a writer's lock
                self.entries_on_arrival.append(
                    conn.execute("SELECT COUNT(*) FROM entry").fetchone()[0]
                )
        await super().__call__(scope, receive, send)


def hold_write_lock(path: Any, seconds: float) -> threading.Thread:
    """Another writer (as a CLI replay would be) holding the history's write lock."""
    started = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        started.set()
        threading.Event().wait(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    started.wait(5)
    return thread


def test_the_pending_entry_is_written_before_the_request_leaves(qtbot, make_window, data_dir):
    window = make_window()
    path = data_dir / "history.sqlite3"
    sandbox = WatchingSandbox(path)
    with run_in_thread(sandbox) as url:
        window.target_bar.set_target(parse_target(url))
        holder = hold_write_lock(path, 1.0)  # the pending insert must wait for it
        outcome = send_and_wait(qtbot, window)
        holder.join()
    assert outcome.status == 202
    assert sandbox.entries_on_arrival == [1]


def test_a_history_that_cannot_be_written_is_said_in_the_window(
    qtbot, make_window, data_dir, monkeypatch
):
    from composer.storage import db

    window = make_window()
    path = data_dir / "history.sqlite3"
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)  # give up on the lock soon, not in 10 s
    with run_in_thread(SandboxConfig()) as url:
        window.target_bar.set_target(parse_target(url))
        holder = hold_write_lock(path, 4.0)
        outcome = send_and_wait(qtbot, window)
        events = recorded(url)
        holder.join()
    assert outcome.status == 202 and len(events) == 1  # the send itself went ahead
    warning = window.response_view.history_warning
    assert warning.isVisible()
    assert "Not in the history" in warning.text() and "busy" in warning.text()
    assert "Not in the history" in window.statusBar().currentMessage()
