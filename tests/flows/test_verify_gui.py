"""After a 202 the window reads the event back from the in-process sandbox and says, in the
response view, whether it was recorded: landed with its event id and time, not seen (a dropped
event) with the likely causes, cannot check naming the missing scope, and nothing when the
setting is off (until Check now). The check runs in the background and never blocks the UI."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from composer.sandbox import SandboxConfig
from composer.services.verify import VerifyOutcome
from tests.flows.test_send_flows import send_and_wait

pytestmark = pytest.mark.usefixtures("qloop")


def send_and_verify(qtbot: Any, window: Any, timeout_ms: int = 10_000) -> Any:
    """Ctrl+Enter, the 202, then the verdict the response view shows."""
    verify = window.send_part.verify
    with qtbot.waitSignal(verify.verified, timeout=timeout_ms) as blocker:
        outcome = send_and_wait(qtbot, window)
        assert outcome.status == 202
    return blocker.args[0]


def shown(window: Any) -> str:
    view = window.response_view
    return f"{view.verify_status.text()}\n{view.verify_details.text()}"


def test_an_accepted_event_is_checked_and_shown_as_landed(qtbot, make_window):
    window = make_window(sandbox=SandboxConfig(processing_delay=0.5), verify_timeout=10)
    view = window.response_view
    with qtbot.waitSignal(window.send_part.verify.verified, timeout=10_000) as blocker:
        send_and_wait(qtbot, window)
        # the 202 is on show while the check runs, and the UI is not blocked
        assert view.verify_box.isVisible()
        assert "Checking whether the sandbox recorded it…" in view.verify_status.text()
        assert not view.check_button.isVisible()
        assert window.send_action.isEnabled()
    verdict = blocker.args[0]
    assert verdict.outcome is VerifyOutcome.LANDED
    event_id = verdict.evidence["event_id"]
    assert "Landed: the sandbox recorded it" in view.verify_status.text()
    # the status line above it never contradicts the read-back (a 202 alone does not say)
    assert "not yet recorded" not in view.status_label.text()
    assert "202 Accepted" in view.status_label.text()
    assert event_id in view.verify_details.text()
    assert str(verdict.evidence["datetime"]) in view.verify_details.text()
    assert "202" in view.status_label.text()  # the send's own answer stays on show
    # the verdict is kept in the send's history entry
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)
    entry = window.storage.history.get(window.history_pane.model.row_at(0).id)
    assert entry.row.verification == "landed"
    assert entry.row.verification_json["event_id"] == event_id
    # Check again reads it back once more and finds the same event
    with qtbot.waitSignal(window.send_part.verify.verified, timeout=10_000) as again:
        view.check_button.click()
    assert again.args[0].outcome is VerifyOutcome.LANDED
    assert again.args[0].evidence["event_id"] == event_id


def test_a_dropped_event_is_not_seen_and_says_it_is_inconclusive(qtbot, make_window):
    window = make_window(sandbox=SandboxConfig(drop_rate=1.0), verify_timeout=1.0)
    verdict = send_and_verify(qtbot, window)
    assert verdict.outcome is VerifyOutcome.NOT_SEEN
    text = shown(window)
    assert "Not seen yet (inconclusive)" in text
    assert "it may still appear" in text
    assert "dropped after the 202" in text  # the likely cause, in words
    assert window.response_view.check_button.isVisible()


def test_a_key_without_a_read_scope_cannot_check_and_names_the_scope(qtbot, make_window):
    window = make_window(
        sandbox=SandboxConfig(denied_scopes=frozenset({"events:read"})), verify_timeout=5
    )
    verdict = send_and_verify(qtbot, window)
    assert verdict.outcome is VerifyOutcome.CANNOT_CHECK
    text = shown(window)
    assert "Cannot check: the key lacks the events:read scope" in text
    assert "Add events:read" in text
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)
    entry = window.storage.history.get(window.history_pane.model.row_at(0).id)
    assert entry.row.verification == "cannot_check"


def _checks_off(data_dir: Path) -> None:
    from composer.storage import open_storage

    storage = open_storage(data_dir)
    storage.settings.modify(lambda s: dataclasses.replace(s, verify_sandbox=False))
    storage.close()


def test_with_the_setting_off_nothing_is_read_back_until_check_now(qtbot, make_window, data_dir):
    _checks_off(data_dir)
    window = make_window(verify_timeout=5)
    verify = window.send_part.verify
    got: list[Any] = []
    verify.verified.connect(got.append)
    send_and_wait(qtbot, window)
    qtbot.wait(500)
    view = window.response_view
    assert got == [] and not verify.is_checking()
    assert "automatic checks are off for the sandbox" in shown(window)
    assert view.check_button.text() == "Check now"
    with qtbot.waitSignal(verify.verified, timeout=10_000) as blocker:
        view.check_button.click()
    assert blocker.args[0].outcome is VerifyOutcome.LANDED
    assert "Landed" in view.verify_status.text()


def test_a_new_send_or_closing_cancels_the_check(qtbot, make_window):
    window = make_window(sandbox=SandboxConfig(drop_rate=1.0), verify_timeout=30)
    verify = window.send_part.verify
    send_and_wait(qtbot, window)
    qtbot.waitUntil(verify.is_checking, timeout=3000)
    first = verify._task
    send_and_wait(qtbot, window)
    assert first is not None and first.cancelled()
    qtbot.waitUntil(verify.is_checking, timeout=3000)
    second = verify._task
    with qtbot.waitSignal(window.closed, timeout=5000):
        window.close()  # does not wait the 30 s out
    qtbot.waitUntil(lambda: second is not None and second.done(), timeout=3000)
    assert second.cancelled()


def test_an_older_accepted_entry_can_be_checked_from_the_history(qtbot, make_window):
    window = make_window(verify_timeout=5)
    verify = window.send_part.verify
    first = send_and_verify(qtbot, window)
    assert first.outcome is VerifyOutcome.LANDED
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)
    entry = window.storage.history.get(window.history_pane.model.row_at(0).id)
    window.history_part.load_entry(entry)
    view = window.response_view
    qtbot.waitUntil(lambda: view.check_button.text() == "Check now", timeout=5000)
    assert view.check_button.isVisible()
    assert "Press Check now to see whether the sandbox recorded this event." in shown(window)
    with qtbot.waitSignal(verify.verified, timeout=10_000) as blocker:
        view.check_button.click()
    assert blocker.args[0].outcome is VerifyOutcome.LANDED
    assert blocker.args[0].evidence["event_id"] == first.evidence["event_id"]


def verdict_cells(window: Any) -> list[str]:
    """The history's read-back column, newest first."""
    from composer.ui.history_model import VERDICT_COLUMN

    model = window.history_pane.model
    return [model.data(model.index(r, VERDICT_COLUMN)) for r in range(model.rowCount())]


def test_the_history_column_follows_each_check(qtbot, make_window, data_dir):
    _checks_off(data_dir)
    window = make_window(verify_timeout=5)
    verify = window.send_part.verify
    send_and_wait(qtbot, window)
    send_and_wait(qtbot, window)
    qtbot.waitUntil(lambda: verdict_cells(window) == ["• Not checked"] * 2, timeout=5000)
    # Check now on the older entry: its row says landed, the newer one is still unchecked
    older = window.history_pane.model.row_at(1)
    window.history_part.load_entry(window.storage.history.get(older.id))
    view = window.response_view
    qtbot.waitUntil(lambda: "Press Check now to see whether" in shown(window), timeout=5000)
    with qtbot.waitSignal(verify.verified, timeout=10_000):
        view.check_button.click()
    qtbot.waitUntil(lambda: verdict_cells(window) == ["• Not checked", "✓ Landed"], timeout=5000)
    # an automatic check keeps the new entry's row in step too
    window.storage.settings.modify(lambda s: dataclasses.replace(s, verify_sandbox=True))
    verify.set_settings(window.storage.settings.settings)
    send_and_verify(qtbot, window)
    qtbot.waitUntil(lambda: verdict_cells(window)[0] == "✓ Landed", timeout=5000)


def test_a_second_event_with_the_same_unique_id_is_not_seen_naming_the_duplicate(
    qtbot, make_window, data_dir
):
    from PySide6.QtCore import Qt

    from composer.domain.draft import sample_event
    from composer.storage.settings import SettingsStore
    from composer.ui.history_model import VERDICT_COLUMN

    # each Send keeps the event's own unique_id (by default every Send is a new event)
    SettingsStore(data_dir / "settings.json").update(fresh_unique_id=False)
    window = make_window(verify_timeout=2, revision="2023-01-24")  # sample_event()'s layout
    event = sample_event()
    event["data"]["attributes"]["unique_id"] = "order-1001"
    window.controller.load_payload(event)
    assert send_and_verify(qtbot, window).outcome is VerifyOutcome.LANDED
    event["data"]["attributes"]["properties"]["ProductID"] = "2222"  # another event, same id
    window.controller.load_payload(event)
    verdict = send_and_verify(qtbot, window)
    assert verdict.outcome is VerifyOutcome.NOT_SEEN
    text = shown(window)
    assert "Not seen yet (inconclusive)" in text
    assert "duplicate unique_id" in text and "'order-1001'" in text
    model = window.history_pane.model
    qtbot.waitUntil(lambda: verdict_cells(window) == ["⚠ Not seen", "✓ Landed"], timeout=5000)
    tip = model.data(model.index(0, VERDICT_COLUMN), Qt.ItemDataRole.ToolTipRole)
    assert "duplicate unique_id" in tip
