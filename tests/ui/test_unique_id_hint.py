"""The Unique ID field says which unique_id Send puts in its place: each Send gets a new one
(the default setting), so the field alone showed a value that was never sent."""

from __future__ import annotations

import json

import pytest

from composer.storage.settings import SettingsStore

pytestmark = pytest.mark.usefixtures("qloop")


def _hint(window) -> str:
    row = window.composer.form.rows["unique_id"]
    return row.hint.text() if row.hint.isVisible() else ""


def test_the_unique_id_field_says_what_the_next_send_carries(qtbot, make_window):
    window = make_window(revision="2023-01-24")
    own = window.composer.form.unique_edit.text()
    next_id = window.next_unique_id()
    assert next_id and next_id != own
    qtbot.waitUntil(lambda: next_id[:8] in _hint(window), timeout=3000)
    assert "Each Send uses a new one" in _hint(window)
    with qtbot.waitSignal(window.sendFinished, timeout=10_000) as sent:
        window.request_send()
    body = json.loads(sent.args[0].request.body)
    assert body["data"]["attributes"]["unique_id"] == next_id  # what the field's note said
    following = window.next_unique_id()
    assert following != next_id and following[:8] in _hint(window)


def test_without_a_new_unique_id_per_send_the_field_says_nothing_more(qtbot, make_window, data_dir):
    SettingsStore(data_dir / "settings.json").update(fresh_unique_id=False)
    window = make_window(revision="2023-01-24")
    assert window.next_unique_id() is None
    assert _hint(window) == ""
