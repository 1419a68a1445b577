"""Open the window, then the Replay dialog on a file, and print how long the dialog took to be
ready, the window's peak memory before and after (MB), the longest event-loop gap while it
read the file and at rest (ms), and the start of what the dialog says of the file:
``python -m tests.benchmarks.programs.replay_dialog_memory DATA_DIR EVENTS_FILE``
(bench_replay_memory)."""

from __future__ import annotations

import asyncio
import importlib
import os
import resource
import sys
import time
from pathlib import Path


async def run(folder: Path, events: Path) -> None:
    from composer.services.send_gateway import ServiceGateway
    from composer.storage import open_storage
    from composer.ui.main_window import MainWindow
    from tests.benchmarks.bench_replay_gui import GapMeter

    storage = open_storage(folder / "data")
    window = MainWindow(storage, ServiceGateway(storage))
    window.start()
    window.show()
    while not window.startup_done:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    meter = GapMeter()
    meter.start()
    await asyncio.sleep(2.0)
    rest = max(meter.stop())
    meter.start()
    started = time.perf_counter()
    part = window.replay_part
    part.replay_path(events)
    while part.dialog is None or not part.dialog.start_button.isEnabled():
        if part.dialog is not None and not part.dialog.file_details.text().startswith("Reading"):
            break  # read, or refused: say what it says
        await asyncio.sleep(0.01)
    took = time.perf_counter() - started
    gaps = meter.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dialog = part.dialog
    assert dialog is not None
    shown = dialog.file_details.text()[:90]
    print(f"{took:.2f} {before:.0f} {peak:.0f} {max(gaps) * 1000:.0f} {rest * 1000:.0f} |{shown}")
    dialog.done(0)
    window.close()
    await asyncio.sleep(0.5)
    storage.close()


def main(argv: list[str]) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    qasync = importlib.import_module("qasync")  # no type information: looked up by name
    app = QApplication(argv[:1])
    app.setQuitOnLastWindowClosed(False)
    qasync.run(run(Path(argv[1]), Path(argv[2])))


if __name__ == "__main__":
    main(sys.argv)
