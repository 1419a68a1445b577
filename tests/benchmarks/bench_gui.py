"""GUI figures: time from process start to the main window shown, beside a bare PySide6
QMainWindow measured the same way in the same run; memory (RSS) after start and with 100,000
history entries.

A reference beside them (tests/benchmarks/gui_floor.py): the widgets the window shows at its
first paint, rebuilt as plain Qt widgets: what Qt alone needs to show that much.

Each start is a fresh process (`event-composer` with EVENT_COMPOSER_STARTUP_PROBE=1, which
prints ``window-shown <unix time>`` on the window's first paint and quits). Medians of a few
runs, the two kinds interleaved so that machine noise hits both alike.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.bench_package import time_to_window
from tests.benchmarks.gui_floor import PAINT_PROBE, dump_visible_widgets, floor_argv

RUNS = 5
ENTRIES = 100_000

BARE_WINDOW = (
    r"""
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1280, 860)
"""
    + PAINT_PROBE
)

RSS_PROBE = r"""
import os, sys
os.environ["EVENT_COMPOSER_STARTUP_PROBE"] = ""
from pathlib import Path
from composer.app import run_gui
import composer.app as app_module

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")

original = app_module.build_window
def build(storage, file=None):
    window = original(storage, file)
    from PySide6.QtCore import QTimer
    def report():
        # the history opens after the first paint: its model comes with it
        model = getattr(window.history_pane, "model", None)
        if model is None or model.is_loading():
            QTimer.singleShot(50, report)
            return
        # scroll the table to the end so that several pages are really loaded
        window.history_pane.table.scrollToBottom()
        QTimer.singleShot(500, finish)
    def finish():
        model = window.history_pane.model
        print(f"rss-mb {rss_mb():.1f} rows-loaded {model.rowCount()} total {model.total()}",
              flush=True)
        window.close()
    QTimer.singleShot(300, report)
    return window
app_module.build_window = build
sys.exit(run_gui(Path(sys.argv[1])))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # An installed app starts from compiled bytecode (pip and the bundle both ship it): let the
    # warm-up run write it, as the bare window's PySide6 already has it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


def _app_argv(data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "composer", "--data-dir", str(data_dir)]


def _fill_history(data_dir: Path, count: int) -> float:
    from composer.domain.draft import sample_event
    from composer.domain.outcome import RequestRecord, SendOutcome
    from composer.storage import open_storage
    from composer.storage.records import PlainContext

    started = time.perf_counter()
    now_ms = int(time.time() * 1000)
    with open_storage(data_dir) as storage:
        body = json.dumps(sample_event()).encode()
        request = RequestRecord("POST", "http://sandbox/api/events/", (), body)
        items = []
        for i in range(count):
            status = 202 if i % 10 else 400
            ctx = PlainContext("sandbox", None, "2023-01-24", "Viewed Product", f"u{i}@ex.com")
            items.append((request, ctx, SendOutcome(request=request, status=status), now_ms - i))
        storage.history.add_many(items)
    return time.perf_counter() - started


def main() -> None:
    env = _env()
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        app_times, bare_times, floor_times = [], [], []
        time_to_window(_app_argv(empty), dict(env, EVENT_COMPOSER_STARTUP_PROBE="1"))  # warm
        dump = Path(tmp) / "visible-widgets.json"
        widgets = dump_visible_widgets(empty, dump, env)
        for _ in range(RUNS):
            bare_times.append(time_to_window([sys.executable, "-c", BARE_WINDOW], env))
            app_times.append(
                time_to_window(_app_argv(empty), dict(env, EVENT_COMPOSER_STARTUP_PROBE="1"))
            )
            if widgets:
                floor_times.append(time_to_window(floor_argv(dump), env))
        app_s, bare_s = statistics.median(app_times), statistics.median(bare_times)
        print(f"start to window shown, median of {RUNS}:")
        print(f"  bare PySide6 QMainWindow  {bare_s * 1000:7.0f} ms")
        print(f"  Event Composer            {app_s * 1000:7.0f} ms")
        print(f"  ratio app / bare          {app_s / bare_s:7.2f}x   (target <= 1.5x)")
        if floor_times:
            floor_s = statistics.median(floor_times)
            print(
                f"  reference: its {widgets} visible widgets as plain Qt widgets (no layouts,"
                f" no behaviour) {floor_s * 1000:.0f} ms, {floor_s / bare_s:.2f}x the bare"
                f" window; the app is {app_s / floor_s:.2f}x that"
            )

        rss_env = dict(env)
        out = subprocess.run(
            [sys.executable, "-c", RSS_PROBE, str(empty)],
            capture_output=True,
            text=True,
            env=rss_env,
            timeout=120,
            check=False,
        ).stdout
        print(f"memory after start (empty history):      {_rss(out)}")

        full = Path(tmp) / "full"
        took = _fill_history(full, ENTRIES)
        print(f"(filled {ENTRIES:,} history entries in {took:.1f} s)")
        out = subprocess.run(
            [sys.executable, "-c", RSS_PROBE, str(full)],
            capture_output=True,
            text=True,
            env=rss_env,
            timeout=120,
            check=False,
        ).stdout
        print(f"memory with {ENTRIES:,} history entries:  {_rss(out)}")
        full_times = [
            time_to_window(_app_argv(full), dict(env, EVENT_COMPOSER_STARTUP_PROBE="1"))
            for _ in range(3)
        ]
        full_s = statistics.median(full_times)
        print(
            f"start to window shown with {ENTRIES:,} entries, median of 3: "
            f"{full_s * 1000:.0f} ms, {full_s / bare_s:.2f}x the bare window "
            f"(the history's damage check runs after the first paint)"
        )


def _rss(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("rss-mb "):
            parts = line.split()
            return f"{parts[1]} MB RSS ({parts[3]} rows loaded of {int(parts[5]):,})"
    return "not measured (the probe printed nothing)"


if __name__ == "__main__":
    main()
