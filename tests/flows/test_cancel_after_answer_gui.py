"""A cancel that comes after the answer, while the history still records it, shows that
answer (as the history keeps it), not "may or may not have received it". Real window, real
SQLite, the in-process sandbox; another writer holds the history's lock meanwhile."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.test_replay_session import LockingSandbox

pytestmark = pytest.mark.usefixtures("qloop")


def test_a_cancel_after_the_answer_shows_the_answer(qtbot: Any, make_window: Any, data_dir: Any):
    sandbox = LockingSandbox(data_dir / "history.sqlite3", 1.0)
    window = make_window(sandbox=sandbox)
    window.request_send()
    qtbot.waitUntil(lambda: bool(sandbox.holders), timeout=5000)
    qtbot.wait(300)  # the 202 is back; its record waits for the lock
    window.cancel_send()
    qtbot.waitUntil(lambda: not window.is_sending(), timeout=10_000)
    for holder in sandbox.holders:
        holder.join()
    view = window.response_view
    assert "202" in view.status_label.text()
    assert "may or may not" not in view.explanation.text()
    qtbot.waitUntil(
        lambda: [r.delivery for r in window.storage.history.page()] == ["accepted"], timeout=5000
    )
