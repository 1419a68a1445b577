"""The window stays responsive while File > Replay a file… sends 10,000 events: how long the
event loop went without running a 10 ms timer (the longest gap, and the 99th percentile),
beside the same timer in the same window at rest. BULK=1 sends the file in Bulk Create Events
jobs instead (at revision 2026-07-15, converted on the fly). STALLS=1 prints where the UI thread was
during each gap over 100 ms, and each garbage collection over 20 ms.

The events go to the in-process sandbox (the window's default target, which runs on the UI
thread's event loop too, so its work counts) with the rate limits raised, so that the
replay's own work is what is measured, not the wait for Klaviyo's limits.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

EVENTS = 10_000
ROOT = Path(__file__).resolve().parents[2]


def _write_events(path: Path, count: int) -> None:
    example = json.loads(
        (ROOT / "resources" / "examples" / "viewed-product.event.json").read_text()
    )
    with path.open("w") as out:
        for i in range(count):
            doc = json.loads(json.dumps(example))
            doc["data"]["attributes"].pop("unique_id", None)
            doc["data"]["attributes"]["profile"]["$email"] = f"p{i}@example.com"
            out.write(json.dumps(doc) + "\n")


class GapMeter:
    """Records the time between ticks of a 10 ms timer."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return list(self.gaps)


def _watchdog(meter: GapMeter) -> None:
    """With STALLS=1: print where the UI thread is when the loop has not ticked for 100 ms."""
    import threading
    import traceback

    main = threading.main_thread().ident

    def watch() -> None:
        while True:
            time.sleep(0.05)
            if time.perf_counter() - meter._last > 0.1 and meter.timer.isActive():
                frame = sys._current_frames().get(main or 0)
                if frame is not None:
                    print("".join(traceback.format_stack(frame)[-12:]), flush=True)
                time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()


def _figures(gaps: list[float]) -> str:
    ordered = sorted(gaps)
    p99 = ordered[int(len(ordered) * 0.99)] if ordered else float("nan")
    return (
        f"longest {max(gaps) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"median {statistics.median(gaps) * 1000:.1f} ms over {len(gaps)} ticks"
    )


async def _run(folder: Path) -> None:
    from composer.client import ClientSettings, RateLimits, Window
    from composer.sandbox import SandboxConfig
    from composer.services.send_gateway import ServiceGateway
    from composer.storage import open_storage
    from composer.ui.main_window import MainWindow

    events = folder / "events.ndjson"
    _write_events(events, EVENTS)
    storage = open_storage(folder / "data")
    fast = ClientSettings(limits=RateLimits(burst=Window(100_000, 1.0), steady=Window(10**7, 60.0)))
    sandbox = SandboxConfig(burst_limit=100_000, steady_limit=10**7)
    gateway = ServiceGateway(storage, sandbox=sandbox, client_settings=lambda: fast)
    window = MainWindow(storage, gateway)
    window.start()
    window.show()
    meter = GapMeter()
    if os.environ.get("STALLS"):
        _watchdog(meter)
        import gc

        gc_started: list[float] = []

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                gc_started.append(time.perf_counter())
            elif gc_started:
                took = time.perf_counter() - gc_started.pop()
                if took > 0.02:
                    print(f"gc gen {info['generation']}: {took * 1000:.0f} ms", flush=True)

        gc.callbacks.append(on_gc)
    while not window.startup_done:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    meter.start()
    await asyncio.sleep(3.0)
    rest = meter.stop()
    if os.environ.get("STALLS"):
        import gc

        print(f"tracked objects at rest: {len(gc.get_objects()):,}")

    part = window.replay_part
    part.replay_path(events)
    while part.dialog is None or not part.dialog.start_button.isEnabled():
        await asyncio.sleep(0.05)
    done: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    def finish(summary: object) -> None:
        if not done.done():
            done.set_result(summary)

    part.finished.connect(finish)
    started = time.perf_counter()
    meter.start()
    if os.environ.get("BULK"):  # the same file in Bulk Create Events jobs
        part.dialog.set_revision("2026-07-15")
        part.dialog.bulk_radio.click()
    else:  # single creates send the events as written: in the flat layout of 2023-01-24
        part.dialog.set_revision("2023-01-24")
    part.dialog.start_button.click()
    summary = await done
    busy = meter.stop()
    took = time.perf_counter() - started
    counts = summary.delivery_counts()  # type: ignore[attr-defined]
    if os.environ.get("STALLS"):
        import gc
        from collections import Counter

        objs = gc.get_objects()
        print(f"tracked objects: {len(objs):,}")
        print(Counter(type(o).__name__ for o in objs).most_common(12))
    how = "in bulk jobs" if os.environ.get("BULK") else "one request each"
    print(f"replay of {EVENTS:,} events from the window, {how}: {took:.1f} s, {counts}")
    print(f"event loop at rest:      {_figures(rest)}")
    print(f"event loop during it:    {_figures(busy)}")
    print(f"longest gap, ratio to rest: {max(busy) / max(rest):.1f}x")
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closed.connect(on_closed)
    window.close()
    await closed
    storage.close()


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import importlib

    from PySide6.QtWidgets import QApplication

    qasync = importlib.import_module("qasync")  # after PySide6, so it binds to it
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory() as tmp:
        qasync.run(_run(Path(tmp)))
    del app


if __name__ == "__main__":
    main()
