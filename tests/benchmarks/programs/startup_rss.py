"""Event Composer's memory once started: ``python -m tests.benchmarks.programs.startup_rss
DATA_DIR`` runs the app over DATA_DIR and, once its history's first page has loaded (and the
table was scrolled to its end, so that several pages are really read), prints
``rss-mb <resident MB> rows-loaded <rows> total <entries>`` and closes the window."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import composer.app as app_module

if TYPE_CHECKING:  # (Qt loads as the app starts it)
    from composer.ui.main_window import MainWindow, WindowStorage


def rss_mb() -> float:
    """This process's resident memory in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report_when_loaded(window: MainWindow) -> None:
    """Print the figures once the history's rows are loaded, then close ``window``."""
    from PySide6.QtCore import QTimer

    pane = window.history_pane

    def loaded() -> None:
        # the history opens after the first paint: its model comes with it
        model = getattr(pane, "model", None)
        if model is None or model.is_loading():
            QTimer.singleShot(50, loaded)
            return
        pane.table.scrollToBottom()
        QTimer.singleShot(500, finish)

    def finish() -> None:
        model = pane.model
        rows = f"rows-loaded {model.rowCount()} total {model.total()}"
        print(f"rss-mb {rss_mb():.1f} {rows}", flush=True)
        window.close()

    QTimer.singleShot(300, loaded)


def main(data_dir: Path) -> int:
    os.environ.pop(app_module.STARTUP_PROBE_ENV, None)
    build = app_module.build_window

    def build_and_watch(storage: WindowStorage, file: Path | None = None) -> MainWindow:
        window = build(storage, file)
        report_when_loaded(window)
        return window

    app_module.build_window = build_and_watch
    return app_module.run_gui(data_dir)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
