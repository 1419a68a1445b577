"""Saving an opened event file from the window: a read-only file is refused in words and the
typed text stays unsaved in the composer; a file opened through a link is saved through it."""

from __future__ import annotations

import json
import stat

import pytest

from composer.domain.draft import sample_event
from tests.ui.test_window_qa import type_last_name, wait_box
from tests.ui.window_fixtures import click_button

pytestmark = pytest.mark.usefixtures("qloop")


def test_saving_a_read_only_file_says_so_and_keeps_the_typing(qtbot, make_window, tmp_path):
    locked = tmp_path / "locked.json"
    locked.write_text(json.dumps(sample_event()))
    locked.chmod(0o444)
    real = tmp_path / "real.json"
    real.write_text(json.dumps(sample_event()))
    link = tmp_path / "link.json"
    link.symlink_to(real)
    window = make_window(revision="2023-01-24")

    window.open_path(locked)
    qtbot.waitUntil(lambda: window.document.file == locked, timeout=3000)
    type_last_name(qtbot, window, "Typed-by-hand")
    window.document.save()
    box = wait_box(qtbot, window, "warning")
    assert "read-only" in box.text() and "Save As" in box.text()
    click_button(box, "OK")
    assert window.controller.is_modified and "Typed-by-hand" in window.controller.text()
    assert "Typed-by-hand" not in locked.read_text()
    assert stat.S_IMODE(locked.stat().st_mode) == 0o444

    window.controller.mark_saved()
    window.open_path(link)
    qtbot.waitUntil(lambda: window.document.file == link, timeout=3000)
    type_last_name(qtbot, window, "Through-the-link")
    with qtbot.waitSignal(window.document.saved, timeout=3000):
        window.document.save()
    assert link.is_symlink() and "Through-the-link" in real.read_text()


def test_a_utf16_file_opens_and_saves_as_utf8(qtbot, make_window, tmp_path):
    """A file Notepad saved as "Unicode" (UTF-16 with its byte-order mark) opens, the status
    bar says Save writes it as UTF-8, and Save does (it used to be refused as not UTF-8)."""
    text = json.dumps(sample_event(), ensure_ascii=False).replace("Ann", "Zoë")
    path = tmp_path / "notepad.json"
    path.write_bytes(text.encode("utf-16"))
    window = make_window(revision="2023-01-24")
    window.open_path(path)
    # the status bar says so once the file is opened (and among the recent files)
    qtbot.waitUntil(lambda: "Opened" in window.statusBar().currentMessage(), timeout=3000)
    assert "UTF-16" in window.statusBar().currentMessage()
    assert window.document.file == path and window.controller.text() == text
    type_last_name(qtbot, window, "Ünal")
    with qtbot.waitSignal(window.document.saved, timeout=3000):
        window.document.save()
    saved = path.read_bytes().decode("utf-8")
    assert "Zoë" in saved and "Ünal" in saved
