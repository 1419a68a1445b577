"""Start-up paints first: the window is built from the settings and painted before the event
loop (asyncio, qasync), the history (SQLite) and the parts that act on it exist; the network
stack and the validator's libraries load on a worker thread after that."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("httpx", "jsonschema", "phonenumbers", "email_validator", "starlette", "uvicorn")
ENUMS_AFTER_PAINT = ("PixelMetric", "StandardPixmap", "LineWrapMode")
"""Enum classes of Qt classes the first paint does not use (QStyle's, the text editor's):
built before it, they cost ~5 ms of the start (bench_gui counts them)."""
AFTER_PAINT = (
    "asyncio",
    "qasync",
    "sqlite3",
    "composer.storage.history",
    "composer.ui.send_flow",
    "composer.ui.history_part",
    "composer.ui.dialogs",
    "composer.domain.validator",
)

# The app's own start (python -m composer's run_gui) with its start-up probe; at the first
# paint the script notes what is loaded and whether the history file exists yet.
AT_FIRST_PAINT = r"""
import builtins, enum, json, os, sys
from pathlib import Path

built_enums = []
build_enum = enum.EnumType._create_

def note_enum(cls, class_name, names, *, module=None, qualname=None, **kwargs):
    built_enums.append(qualname or class_name)
    return build_enum(cls, class_name, names, module=module, qualname=qualname, **kwargs)

enum.EnumType._create_ = note_enum  # PySide6 builds a Qt class's enums on its first use

data_dir = Path(sys.argv[1])
file = Path(sys.argv[2]) if len(sys.argv) > 2 else None
seen = {}
plain_print = builtins.print

def note_paint(*args, **kwargs):
    if args and str(args[0]).startswith("window-shown") and not seen:
        seen["modules"] = sorted(sys.modules)
        seen["enums"] = sorted(built_enums)
        seen["history_exists"] = (data_dir / "history.sqlite3").exists()
        from PySide6.QtWidgets import QApplication
        from composer.ui.main_window import MainWindow

        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        seen["title"] = window.windowTitle()
        seen["text"] = window.controller.text()
        seen["problems"] = window.composer.problems.header.text()
    return plain_print(*args, **kwargs)

builtins.print = note_paint
os.environ["EVENT_COMPOSER_STARTUP_PROBE"] = "1"
from composer.app import run_gui

status = run_gui(data_dir, file)
seen["status"] = status
seen["history_exists_after"] = (data_dir / "history.sqlite3").exists()
plain_print("SEEN " + json.dumps(seen), flush=True)
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_main_window_module_leaves_heavy_libraries_for_later() -> None:
    code = (
        "import json, sys; import composer.app, composer.ui.main_window; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_window_paints_before_the_event_loop_and_the_history_open(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = _run(AT_FIRST_PAINT, str(data_dir))
    line = next((x for x in result.stdout.splitlines() if x.startswith("SEEN ")), None)
    assert line is not None, result.stdout + result.stderr
    seen = json.loads(line[len("SEEN ") :])
    loaded = set(seen["modules"])
    assert [m for m in AFTER_PAINT if m in loaded] == []
    assert [m for m in HEAVY if m in loaded] == []
    built = {name.rsplit(".", 1)[-1] for name in seen["enums"]}
    assert [e for e in ENUMS_AFTER_PAINT if e in built] == []
    assert not seen["history_exists"]  # a first start: the history is created after the paint
    assert seen["history_exists_after"]
    assert seen["status"] == 0
    # the sample event, not yet checked: "checking", never "valid" before a check said so
    assert "checking" in seen["problems"] and "valid" not in seen["problems"]


def test_a_file_named_at_start_is_in_the_first_paint(tmp_path: Path) -> None:
    # the file is read before the window paints: the first paint shows it, never an empty
    # composer or the sample that the file then replaces
    event = tmp_path / "order.json"
    text = '{\n  "data": {"type": "event", "attributes": {"metric": {"name": "Ordered"}}}\n}\n'
    event.write_text(text, encoding="utf-8")
    result = _run(AT_FIRST_PAINT, str(tmp_path / "data"), str(event))
    line = next((x for x in result.stdout.splitlines() if x.startswith("SEEN ")), None)
    assert line is not None, result.stdout + result.stderr
    seen = json.loads(line[len("SEEN ") :])
    assert seen["text"] == text
    assert seen["title"].startswith("order.json")
    assert not seen["history_exists"]
