"""The window program bench_replay_memory starts (tests/benchmarks/programs/
replay_dialog_memory.py) still opens the window and the Replay dialog on a file and reports
its figures: the benchmarks are not run by `make test`, so a change of the start-up path or the
dialog must fail here rather than on the next `make bench`. About five seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.benchmarks.bench_replay_memory import write_file

ROOT = Path(__file__).resolve().parents[2]


def test_the_replay_dialog_memory_program_opens_the_dialog_and_reports(tmp_path):
    events = tmp_path / "events.ndjson"
    write_file(events, 5)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.programs.replay_dialog_memory",
         str(tmp_path / "gui"), str(events)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    figures, shown = done.stdout.strip().split(" |", 1)
    took, before, peak, gap, rest = map(float, figures.split())
    assert took >= 0 and peak >= before > 0 and gap >= 0 and rest >= 0
    assert "5 events" in shown, shown


def _run(args: list[str], tmp_path: Path) -> str:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=90,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_start_up_programs_show_their_windows_and_report(tmp_path):
    """bench_gui's programs: the bare window and the plain-widget reference print when they
    are first painted; the widget list names what the window shows; the memory probe reports
    once the history is loaded."""
    assert _run(["tests/benchmarks/programs/bare_window.py"], tmp_path).startswith("window-shown ")
    dump = tmp_path / "widgets.json"
    _run(["-m", "tests.benchmarks.programs.visible_widgets", str(tmp_path / "app"), str(dump)],
         tmp_path)  # fmt: skip
    found = json.loads(dump.read_text())
    classes = {entry["cls"] for entry in found}
    assert {"QMainWindow", "QLineEdit", "QComboBox", "QTreeView", "QLabel"} <= classes
    assert any(entry.get("text") == "ann.lee@example.com" for entry in found)
    assert any("ProductName" in row for entry in found for row in entry.get("rows", []))
    shown = _run(["-m", "tests.benchmarks.programs.floor_window", str(dump)], tmp_path)
    assert shown.startswith("window-shown ")
    figures = _run(["-m", "tests.benchmarks.programs.startup_rss", str(tmp_path / "app")], tmp_path)
    assert figures.startswith("rss-mb ") and figures.split()[-1] == "0", figures


def test_the_class_building_program_counts_what_each_window_builds(tmp_path):
    """bench_gui's count of the enum classes and dataclasses built before the first paint:
    the bare window builds PySide6's enums only, the app its own classes besides."""
    bare = json.loads(_run(["-m", "tests.benchmarks.programs.class_building", "bare"],
                           tmp_path).splitlines()[-1])  # fmt: skip
    app = json.loads(_run(["-m", "tests.benchmarks.programs.class_building", "app",
                           str(tmp_path / "app")], tmp_path).splitlines()[-1])  # fmt: skip
    assert bare["dataclasses"] == 0 and 0 < bare["qt_enums"] <= bare["enums"]
    assert app["enums"] > app["qt_enums"] > bare["qt_enums"]
    assert app["dataclasses"] > 0 and app["dataclass_ms"] > 0 and app["enum_ms"] > 0
