"""The window around the composer: the history table at scale, Cancel,
themes, the layout restored on restart, files, About, snippets and the gui command."""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from composer.domain.draft import sample_event
from composer.domain.outcome import (
    RequestRecord,
    SendOutcome,
)
from composer.sandbox import FaultKind, SandboxConfig

REQUEST = RequestRecord(
    "POST",
    "http://sandbox/api/events/",
    (("Authorization", "Klaviyo-API-Key ***"), ("revision", "2023-01-24")),
    json.dumps(sample_event()).encode(),
)


def test_copy_as_python_is_valid_python_without_a_key():
    from composer.services.snippets import as_python

    code = as_python(REQUEST)
    ast.parse(code)
    assert "KLAVIYO_API_KEY" in code and "***" not in code
    assert "klaviyo.Events.create_event(body)" in code


# -- history at scale ------------------------------------------------------------------------


def _fill(data_dir: Path, count: int) -> None:
    from composer.storage import open_storage
    from composer.storage.records import PlainContext

    now = int(time.time() * 1000)
    with open_storage(data_dir) as storage:
        items = []
        for i in range(count):
            status = 400 if i % 4 == 0 else 202
            metric = "Placed Order" if i % 2 else "Viewed Product"
            ctx = PlainContext("sandbox", None, "2023-01-24", metric, f"user{i}@example.com")
            items.append((REQUEST, ctx, SendOutcome(REQUEST, status=status), now - i * 1000))
        storage.history.add_many(items)


def test_history_pages_in_as_the_table_scrolls_and_filters(qtbot, make_window, data_dir):
    from composer.ui.history_model import PAGE_SIZE

    _fill(data_dir, 1000)
    window = make_window()
    pane = window.history_pane
    model = pane.model
    assert model.total() == 1000
    assert model.rowCount() == PAGE_SIZE  # only the first page is loaded
    assert pane.count_label.text() == "1,000 entries"

    pane.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > PAGE_SIZE, timeout=5000)

    pane.status_filter.setCurrentIndex(pane.status_filter.findText("4xx rejected"))
    qtbot.waitUntil(lambda: model.total() == 250, timeout=5000)
    assert {model.row_at(i).status for i in range(model.rowCount())} == {400}
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ForegroundRole) is not None

    pane.status_filter.setCurrentIndex(0)
    qtbot.keyClicks(pane.search, "user999@")
    qtbot.waitUntil(lambda: model.total() == 1, timeout=5000)
    assert model.row_at(0).profile == "user999@example.com"


def test_delete_and_export_selected_entries(qtbot, make_window, data_dir, tmp_path):
    _fill(data_dir, 3)
    window = make_window()
    pane = window.history_pane
    pane.select_row(0)
    out = tmp_path / "one.ndjson"
    with qtbot.waitSignal(pane.message, timeout=5000):
        pane.export_selected_to(out, "ndjson")
    lines = out.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["data"]["type"] == "event"

    with qtbot.waitSignal(pane.model.totalChanged, timeout=5000):
        pane.delete_selected_now()
    assert pane.model.total() == 2


# -- send, cancel ----------------------------------------------------------------------------


def test_escape_cancels_a_slow_send(qtbot, make_window):
    window = make_window(
        sandbox=SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.SLOW,), slow_seconds=30)
    )
    window.request_send()
    qtbot.waitUntil(window.target_bar.cancel_button.isVisible, timeout=3000)
    assert not window.target_bar.send_button.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.is_sending(), timeout=5000)
    assert "Cancelled" in window.response_view.status_label.text()
    assert window.target_bar.send_button.isEnabled()
    qtbot.waitUntil(lambda: window.history_pane.model.rowCount() == 1, timeout=5000)
    assert "cancelled" in window.history_pane.model.row_at(0).status_text


def test_a_send_that_cannot_start_is_shown_in_the_window(qtbot, make_window):
    from composer.client import parse_target

    window = make_window()
    window.target_bar.set_accounts(["Nobody"], "Nobody")  # an account without a key
    window.target_bar.set_target(parse_target("http://127.0.0.1:9"))
    window.request_send()
    # Wait for what the user sees, not for the flag: under load the check can run before the
    # send flow has started.
    qtbot.waitUntil(lambda: "failed" in window.response_view.status_label.text(), timeout=5000)
    assert "Nobody" in window.response_view.explanation.text()
    qtbot.waitUntil(lambda: not window.is_sending(), timeout=5000)


# -- look and layout ---------------------------------------------------------------------------


def test_dark_theme_is_really_dark_and_layout_comes_back(qtbot, make_window, data_dir):
    window = make_window()
    window.set_theme("dark")
    qtbot.waitUntil(lambda: window.storage.settings.load().theme == "dark", timeout=5000)
    window_color = QApplication.instance().palette().color(QPalette.ColorRole.Window)
    assert window_color.lightness() < 50
    window.resize(760, 540)  # within the offscreen screen (800 x 600)
    size = (window.size().width(), window.size().height())  # no narrower than its toolbar
    window.top_splitter.setSizes([640, 110])  # the form keeps its narrowest layout whole
    sizes = window.top_splitter.sizes()
    with qtbot.waitSignal(window.closed, timeout=5000):
        window.close()

    again = make_window()
    assert (again.size().width(), again.size().height()) == size
    assert again.top_splitter.sizes() == sizes
    assert again.theme_actions["dark"].isChecked()
    again.set_theme("system")


def test_opening_a_file_and_templates(qtbot, make_window, tmp_path):
    event = sample_event()
    event["data"]["attributes"]["metric"]["name"] = "Placed Order"
    path = tmp_path / "order.json"
    path.write_text(json.dumps(event))
    window = make_window(file=path)
    qtbot.waitUntil(lambda: "Placed Order" in window.controller.text(), timeout=5000)
    qtbot.waitUntil(lambda: "order.json" in window.windowTitle(), timeout=5000)
    titles = [a.text() for a in window.templates_menu.actions()]
    assert "Added to cart" in titles

    from tests.ui.window_fixtures import message_box

    window.open_path(tmp_path / "missing.json")
    qtbot.waitUntil(lambda: message_box(window, "warning") is not None, timeout=5000)
    assert "missing.json: no such file" in message_box(window, "warning").text()
    message_box(window, "warning").close()
    assert "Placed Order" in window.controller.text()  # nothing was thrown away


def test_about_names_every_version():
    from PySide6.QtCore import qVersion

    from composer.ui.about import about_lines

    names = dict(about_lines())
    assert names["Qt"] == qVersion()
    assert names["Python"].count(".") == 2
    assert names["Klaviyo API revision"].startswith("2026-07-15 by default")  # the newest


def test_controls_have_accessible_names(make_window):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit

    window = make_window()
    nameless = [
        w
        for w in window.findChildren(QComboBox)
        + window.findChildren(QLineEdit)
        + window.target_bar.findChildren(QAbstractButton)
        if w.isVisible()
        and not w.accessibleName()
        and not (isinstance(w, QAbstractButton) and w.text())
        and not isinstance(w.parent(), QComboBox | QAbstractSpinBox)
    ]
    assert nameless == []


def test_gui_command_and_the_default_command_open_the_app():
    from composer.cli import build_parser

    args = build_parser().parse_args(["--data-dir", "/tmp/x", "gui", "event.json"])
    assert args.file == Path("event.json")
    assert args.handler.__module__ == "composer.cli.gui"


@pytest.fixture(autouse=True)
def _system_theme_after():
    yield
    from composer.ui import theme

    app = QApplication.instance()
    if isinstance(app, QApplication):
        theme.apply_theme(app, "system")
