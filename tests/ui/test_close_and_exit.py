"""Closing with unsaved changes, choosing Save and leaving the file dialog open for a while
(long enough for the history poll and other timers to fire) saves the file and ends the
process: no task re-enters another, nothing hangs.

The app runs as a real process (`python -m composer`'s own start-up path, composer.app.run_gui)
on the offscreen platform; a script inside it plays the user with Qt timers: type a name into
the Form, close the window, click Save, wait with the save dialog open, type a file name and
press Save."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOLD_DIALOG_S = 4.0  # longer than the history poll (3 s)

USER = r"""
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox

import composer.app as app_module

data_dir, target, hold = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
original = app_module.build_window


def later(ms, step):
    QTimer.singleShot(int(ms), step)


def visible(kind, name=None):
    for widget in QApplication.topLevelWidgets() + QApplication.allWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            if name is None or widget.objectName() == name:
                return widget
    return None


def when(find, then, tries=200):
    found = find()
    if found is not None:
        then(found)
    elif tries:
        later(50, lambda: when(find, then, tries - 1))
    else:
        print("script: gave up waiting", flush=True)


def build(storage, file=None):
    window = original(storage, file)

    def type_name():
        field = next(
            e for e in window.findChildren(QLineEdit) if "last name" in e.accessibleName()
        )
        field.setFocus()
        QTest.keyClicks(field, "Typed-by-hand")
        later(300, window.close)
        when(lambda: visible(QMessageBox, "confirmDiscard"), click_save)

    def click_save(box):
        save = next(b for b in box.buttons() if b.text().replace("&", "") == "Save")
        save.click()
        when(lambda: visible(QFileDialog), hold_then_save)

    def hold_then_save(dialog):
        print("script: save dialog open", flush=True)

        def save():
            edit = dialog.findChild(QLineEdit, "fileNameEdit")
            edit.setText(target)
            dialog.accept()
            print("script: save dialog accepted", flush=True)

        later(hold * 1000, save)

    later(500, type_name)
    return window


app_module.build_window = build
status = app_module.run_gui(data_dir)
print(f"script: run_gui returned {status}", flush=True)
sys.exit(status)
"""


def test_save_on_close_with_a_slow_file_dialog_saves_and_the_process_exits(tmp_path: Path):
    data_dir = tmp_path / "data"
    target = tmp_path / "kept.json"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "HOME": str(tmp_path),
    }
    try:
        result = subprocess.run(
            [sys.executable, "-c", USER, str(data_dir), str(target), str(HOLD_DIALOG_S)],
            capture_output=True,
            text=True,
            env=env,
            timeout=40,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
        err = (exc.stderr or b"").decode() if isinstance(exc.stderr, bytes) else exc.stderr
        raise AssertionError(f"the app did not exit after closing:\n{out}\n{err}") from None
    assert "script: save dialog accepted" in result.stdout, result.stdout + result.stderr
    assert "Cannot enter into task" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    assert "script: run_gui returned 0" in result.stdout
    assert "Typed-by-hand" in target.read_text(encoding="utf-8")
