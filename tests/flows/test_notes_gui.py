"""The window says what a send said besides its status (here: a 500 not retried because the
event has no unique_id), and says it again when that send's history entry is opened in a later
start of the app. Real window, real SQLite, the sandbox over loopback (uvicorn)."""

from __future__ import annotations

from typing import Any

import pytest

from composer.client import parse_target
from composer.domain.draft import sample_event
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from tests.flows.test_send_flows import send_and_wait

pytestmark = pytest.mark.usefixtures("qloop")


def shown(window: Any) -> str:
    """Every text the response view shows in words (its labels on screen)."""
    from PySide6.QtWidgets import QLabel

    view = window.response_view
    return "\n".join(w.text() for w in view.findChildren(QLabel) if w.isVisibleTo(view))


def test_a_sends_notes_are_shown_again_when_its_entry_is_opened(
    qtbot: Any, make_window: Any, data_dir: Any
) -> None:
    from composer.storage.settings import SettingsStore

    # the user sends events as they are: no unique_id is filled in
    SettingsStore(data_dir / "settings.json").update(fresh_unique_id=False, auto_unique_id=False)
    window = make_window(revision="2023-01-24")
    event = sample_event()
    event["data"]["attributes"].pop("unique_id", None)
    window.controller.load_payload(event)
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SERVER_ERROR,))
    with run_in_thread(config) as url:
        window.target_bar.set_target(parse_target(url))
        outcome = send_and_wait(qtbot, window)
    assert outcome.status == 500 and b"unique_id" not in outcome.request.body
    said = shown(window)
    assert "• Not retried: the event has no unique_id" in said
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)
    with qtbot.waitSignal(window.closed, timeout=5000):
        window.close()

    later = make_window(revision="2023-01-24")  # the next start, over the same files
    assert "not retried" not in shown(later)
    entry = later.storage.history.get(later.history_pane.model.row_at(0).id)
    later.history_part.load_entry(entry)
    qtbot.waitUntil(lambda: "500" in shown(later), timeout=5000)
    assert "• Not retried: the event has no unique_id" in shown(later)
    assert shown(later) == said  # the same words as when it was sent
