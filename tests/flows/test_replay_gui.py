"""File > Replay a file…: the dialog replays a file beside the composer with progress in
events, pause and resume, cancel and resume of the interrupted run, the production question,
and bulk refused for an old revision with the reason. Real window, real SQLite, the sandbox
over loopback (uvicorn)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from composer.client import parse_target
from composer.sandbox import (
    FaultKind,
    SandboxApp,
    SandboxConfig,
    in_process_transport,
    run_in_thread,
)
from tests.flows.test_delivery_gui import recorded
from tests.ui.window_fixtures import choose_file, click_button, message_box

pytestmark = pytest.mark.usefixtures("qloop")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "resources" / "examples" / "viewed-product.event.json").read_text())


def event(i: int, **changes: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(EXAMPLE))
    attributes = doc["data"]["attributes"]
    attributes.pop("unique_id", None)
    attributes["profile"]["$email"] = f"p{i}@example.com"
    attributes.update(changes)
    return doc


def write_events(
    path: Path, count: int, *, invalid_at: tuple[int, ...] = (), revision: str | None = None
) -> Path:
    """``count`` events (in the shape of ``revision``, else 2023-01-24's), those at
    ``invalid_at`` without their metric."""
    from composer.domain.convert import convert

    lines = []
    for i in range(count):
        doc = event(i)
        if revision is not None:
            doc = convert(doc, revision).body
        if i in invalid_at:
            del doc["data"]["attributes"]["metric"]
        lines.append(json.dumps(doc))
    path.write_text("\n".join(lines) + "\n")
    return path


def open_dialog(qtbot: Any, window: Any, path: Path) -> Any:
    """File > Replay a file… as a user does it: the menu action, the file dialog, the path."""
    window.menus.replay_action.trigger()
    choose_file(qtbot, window, "replayFileDialog", path)
    qtbot.waitUntil(lambda: window.replay_part.dialog is not None, timeout=5000)
    dialog = window.replay_part.dialog
    read = lambda: not dialog.file_details.text().startswith("Reading")  # noqa: E731
    qtbot.waitUntil(lambda: "event" in dialog.file_details.text() and read(), timeout=5000)
    return dialog


def count(dialog: Any, key: str) -> int:
    return int(dialog.count_labels[key][1].text().replace(",", ""))


def start_and_wait(qtbot: Any, window: Any, dialog: Any, timeout: int = 20_000) -> Any:
    with qtbot.waitSignal(window.replay_part.finished, timeout=timeout) as done:
        dialog.start_button.click()
    return done.args[0]


def test_a_replay_from_the_dialog_records_its_events_and_counts_them(qtbot, make_window, tmp_path):
    path = write_events(tmp_path / "events.ndjson", 6, invalid_at=(3,))
    window = make_window(revision="2023-01-24")  # write_events() writes its flat layout
    with run_in_thread(SandboxConfig()) as url:
        window.target_bar.set_target(parse_target(url))
        dialog = open_dialog(qtbot, window, path)
        assert dialog.file_details.text().startswith("6 events")
        assert "nothing leaves this computer" in dialog.target_badge.text()
        summary = start_and_wait(qtbot, window, dialog)
        events = recorded(url)
    assert len(events) == 5 and len({e["unique_id"] for e in events}) == 5
    assert (count(dialog, "accepted"), count(dialog, "not_accepted")) == (5, 0)
    assert (count(dialog, "unknown"), count(dialog, "not_sent"), count(dialog, "invalid")) == (
        0,
        0,
        1,
    )
    assert dialog.bar.value() == dialog.bar.maximum() == 6
    assert "5 of 6 events accepted" in dialog.outcome_headline.text()
    assert dialog.problems.toPlainText().startswith("line 4: not sent:")  # the invalid line
    # "Replay again" shows whole at the dialog's size
    assert dialog.start_button.text() == "Replay again"
    button = dialog.start_button
    qtbot.waitUntil(lambda: button.width() >= button.sizeHint().width(), timeout=2000)
    # every send is in the history, tied to the run and the event's position
    rows = window.storage.history.page(limit=20)
    assert sorted(r.run_index for r in rows) == [0, 1, 2, 4, 5]
    assert {r.run_id for r in rows} == {summary.run_id}
    run = window.storage.history.runs.get(summary.run_id)
    assert run is not None and run.state == "finished" and run.path == str(path)
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 5, timeout=5000)
    # the composer was usable all along: the dialog is not modal
    assert not dialog.isModal()


def test_pause_holds_new_sends_and_resume_finishes_the_run(qtbot, make_window, tmp_path):
    path = write_events(tmp_path / "events.ndjson", 40)
    slow = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.3)
    window = make_window(revision="2023-01-24")  # write_events() writes its flat layout
    with run_in_thread(slow) as url:
        window.target_bar.set_target(parse_target(url))
        dialog = open_dialog(qtbot, window, path)
        dialog.start_button.click()
        qtbot.waitUntil(lambda: count(dialog, "accepted") > 0, timeout=10_000)
        dialog.pause_button.click()
        assert dialog.pause_button.text() == "Resume"
        assert "Paused" in dialog.progress_label.text()
        # the sends in flight finish; then nothing moves while paused
        qtbot.wait(800)
        held = count(dialog, "accepted")
        qtbot.wait(700)
        assert count(dialog, "accepted") == held < 40
        assert len(recorded(url)) == held
        with qtbot.waitSignal(window.replay_part.finished, timeout=20_000):
            dialog.pause_button.click()
        events = recorded(url)
    assert count(dialog, "accepted") == 40
    assert len({e["unique_id"] for e in events}) == len(events) == 40


def test_cancel_stops_and_the_dialog_resumes_the_run_without_recording_twice(
    qtbot, make_window, tmp_path
):
    path = write_events(tmp_path / "events.ndjson", 60)
    app = SandboxApp(SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.3))
    window = make_window(revision="2023-01-24")  # write_events() writes its flat layout
    with run_in_thread(app) as url:
        window.target_bar.set_target(parse_target(url))
        dialog = open_dialog(qtbot, window, path)
        dialog.start_button.click()
        qtbot.waitUntil(lambda: count(dialog, "accepted") >= 16, timeout=10_000)
        with qtbot.waitSignal(window.replay_part.finished, timeout=10_000) as done:
            dialog.cancel_button.click()
        stopped = done.args[0]
        assert stopped.interrupted
        assert "you cancelled it" in dialog.outcome_headline.text()
        assert count(dialog, "not_sent") > 0
        detail = dialog.outcome_detail.text()
        assert "Resume replay" in detail and "--resume" in detail
        # the dialog offers to continue the run it just stopped
        qtbot.waitUntil(dialog.resume_check.isVisible, timeout=5000)
        assert dialog.resume_check.isChecked()
        assert not dialog.bulk_radio.isEnabled()
        resumed = start_and_wait(qtbot, window, dialog)
        events = recorded(url)
    assert resumed.run_id == stopped.run_id and not resumed.interrupted
    assert count(dialog, "accepted") == 60
    by_id = Counter(e["unique_id"] for e in events)
    assert len(by_id) == 60  # every event recorded, none twice
    assert window.storage.history.runs.get(stopped.run_id).state == "finished"


def test_production_is_unmistakable_and_asked_before_anything_is_sent(qtbot, make_window, tmp_path):
    path = write_events(tmp_path / "events.ndjson", 3, revision="2026-07-15")
    stand_in = SandboxApp(SandboxConfig())  # production's address leads here, in-process
    window = make_window(transports={"production": in_process_transport(stand_in)})
    window.storage.secrets.set_key("Shop", "pk_" + "c4" * 17)
    window.target_bar.set_accounts(["Shop"], "Shop")
    window.target_bar.set_target(parse_target("production"))
    dialog = open_dialog(qtbot, window, path)
    assert "PRODUCTION" in dialog.target_badge.text()
    assert dialog.target_warning.isVisible()
    assert dialog.start_button.text() == "Start replay to production…"
    dialog.set_revision("2026-07-15")

    dialog.start_button.click()
    qtbot.waitUntil(
        lambda: message_box(window, "confirmReplayProduction") is not None, timeout=5000
    )
    box = message_box(window, "confirmReplayProduction")
    assert "3 events" in box.text() and "Shop" in box.text()
    click_button(box, "Cancel")
    qtbot.waitUntil(lambda: "not to replay" in dialog.outcome_detail.text(), timeout=5000)
    assert window.storage.history.page() == []

    dialog.start_button.click()
    qtbot.waitUntil(
        lambda: message_box(window, "confirmReplayProduction") is not None, timeout=5000
    )
    with qtbot.waitSignal(window.replay_part.finished, timeout=10_000):
        click_button(
            message_box(window, "confirmReplayProduction"), "Replay 3 events to production"
        )
    assert count(dialog, "accepted") == 3
    assert {r.target for r in window.storage.history.page()} == {"production"}


def test_bulk_for_an_old_revision_is_refused_with_the_reason(qtbot, make_window, tmp_path):
    path = write_events(tmp_path / "events.ndjson", 2)
    window = make_window()
    dialog = open_dialog(qtbot, window, path)
    dialog.set_revision("2023-01-24")
    assert not dialog.bulk_radio.isEnabled()
    reason = dialog.mode_reason.text()
    assert dialog.mode_reason.isVisible()
    assert "2024-05-15" in reason and "2023-01-24" in reason


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "NUL byte"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"[" * 100_000, "JSON array"),
        (b'[{"data": 1},\n {"data": ', "element 2 of the JSON array"),
    ],
)
def test_an_unreadable_or_hostile_file_is_said_in_words(
    qtbot, make_window, tmp_path, content, words
):
    path = tmp_path / "bad.ndjson"
    path.write_bytes(content)
    window = make_window()
    window.replay_part.replay_path(path)
    qtbot.waitUntil(lambda: window.replay_part.dialog is not None, timeout=5000)
    dialog = window.replay_part.dialog
    qtbot.waitUntil(lambda: "✕" in dialog.file_details.text(), timeout=5000)
    assert words in dialog.file_details.text()
    assert not dialog.start_button.isEnabled()
    assert window.last_error is None  # said in the dialog, not as a failure


@pytest.fixture
def app_loop_policy(qloop: Any) -> Any:
    """The event loop policy the app runs under: on Python 3.11 qasync.run installs a policy
    whose new loops are Qt's, so a worker thread's own loop must not come from the policy."""
    import asyncio

    import qasync

    policy_class = getattr(qasync, "DefaultQEventLoopPolicy", None)
    if policy_class is None:  # Python 3.12+: qasync.run passes a loop factory instead
        yield
        return
    before = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(policy_class())
    asyncio.set_event_loop(qloop)
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(before)
        asyncio.set_event_loop(qloop)


def test_bulk_jobs_from_the_dialog_record_every_event_once_and_the_history_lists_them(
    qtbot, make_window, tmp_path, app_loop_policy
):
    path = write_events(tmp_path / "events.ndjson", 30, invalid_at=(7,), revision="2026-07-15")
    window = make_window()
    with run_in_thread(SandboxConfig()) as url:
        window.target_bar.set_target(parse_target(url))
        dialog = open_dialog(qtbot, window, path)
        dialog.set_revision("2026-07-15")
        assert dialog.bulk_radio.isEnabled() and not dialog.mode_reason.isVisible()
        dialog.bulk_radio.click()
        summary = start_and_wait(qtbot, window, dialog)
        events = recorded(url)
    assert not summary.interrupted
    assert len(events) == 29 and len({e["unique_id"] for e in events}) == 29
    assert (count(dialog, "accepted"), count(dialog, "invalid"), count(dialog, "not_sent")) == (
        29,
        1,
        0,
    )
    assert "Bulk Create Events jobs" in dialog.outcome_detail.text()
    assert dialog.problems.toPlainText().startswith("line 8:")
    # one history entry per job, listing its events
    rows = window.storage.history.page(limit=10)
    assert len(rows) == 1 and rows[0].run_id == summary.run_id
    listed = window.storage.history.job_events(rows[0].id)
    assert sorted(e.line for e in listed) == [n for n in range(1, 31) if n != 8]
    run = window.storage.history.runs.get(summary.run_id)
    assert run is not None and run.bulk and run.state == "finished"


def test_the_dialog_says_when_the_files_layout_does_not_fit_the_revision(
    qtbot, make_window, tmp_path
):
    path = write_events(tmp_path / "events.ndjson", 2)  # the 2023-01-24 layout
    window = make_window()
    dialog = open_dialog(qtbot, window, path)
    assert "2023-01-24 layout" in dialog.file_details.text()
    dialog.set_revision("2023-01-24")
    assert not dialog.layout_note.isVisible()
    dialog.set_revision("2026-07-15")
    assert dialog.layout_note.isVisible()
    assert "fail validation" in dialog.layout_note.text()
    assert "bulk jobs, which convert them" in dialog.layout_note.text()
    dialog.bulk_radio.click()
    assert "bulk jobs convert each one to 2026-07-15" in dialog.layout_note.text()


def test_closing_the_window_stops_the_replay_and_keeps_it_resumable(qtbot, make_window, tmp_path):
    path = write_events(tmp_path / "events.ndjson", 60)
    slow = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.3)
    window = make_window(revision="2023-01-24")  # write_events() writes its flat layout
    with run_in_thread(slow) as url:
        window.target_bar.set_target(parse_target(url))
        dialog = open_dialog(qtbot, window, path)
        dialog.start_button.click()
        qtbot.waitUntil(lambda: count(dialog, "accepted") > 0, timeout=10_000)
        run_id = window.replay_part.session.run_id
        with qtbot.waitSignal(window.closed, timeout=15_000):
            window.close()
        history = window.storage.history
        run = history.runs.get(run_id)
        accepted = sum(1 for s in history.runs.event_states(run_id).values() if s.accepted)
    assert run is not None and run.state == "stopped"  # not left "running"
    assert 0 < accepted < 60


def test_a_large_file_is_read_with_its_progress_and_closing_the_dialog_stops_the_reading(
    qtbot, make_window, tmp_path, monkeypatch
):
    """The dialog counts the file on a worker thread and says how far it got; the window
    answers meanwhile, and closing the dialog stops the reading rather than finishing it."""
    import composer.services.replay_session as replay_session

    path = tmp_path / "large.ndjson"
    path.write_text("".join(f'{{"n": {i}}}\n' for i in range(400_000)))
    reads: list[Any] = []
    real = replay_session.read_replay_file

    class HeldProgress(replay_session.ReadProgress):
        """Holds the reading at 1 MB until the dialog cancels it, so the read cannot reach the
        end of the file before the dialog is closed, however fast the machine."""

        @property  # type: ignore[override]
        def read(self) -> int:
            return int(self.__dict__.get("_read", 0))

        @read.setter
        def read(self, value: int) -> None:
            self.__dict__["_read"] = value
            deadline = time.monotonic() + 20
            while value > 1_000_000 and not self.cancelled and time.monotonic() < deadline:
                time.sleep(0.01)

    def watched(file: Path, progress: Any = None) -> Any:
        progress.__class__ = HeldProgress
        reads.append(progress)
        try:
            return real(file, progress)
        except replay_session.ReplayFileError as exc:
            reads.append(str(exc))
            raise

    monkeypatch.setattr(replay_session, "read_replay_file", watched)
    window = make_window()
    window.replay_part.replay_path(path)
    qtbot.waitUntil(lambda: window.replay_part.dialog is not None, timeout=5000)
    dialog = window.replay_part.dialog
    qtbot.waitUntil(lambda: "% of " in dialog.file_details.text(), timeout=10_000)
    assert dialog.file_details.text().startswith("Reading the file…")
    assert not dialog.start_button.isEnabled()
    dialog.close_button.click()
    qtbot.waitUntil(lambda: window.replay_part.dialog is None, timeout=10_000)
    qtbot.waitUntil(lambda: len(reads) == 2, timeout=10_000)
    progress, problem = reads
    assert "cancelled" in problem
    assert progress.read < path.stat().st_size  # it stopped before the end of the file
