"""GUI figures: time from process start to the main window shown, beside a bare PySide6
QMainWindow measured the same way in the same run; memory (RSS) after start and with 100,000
history entries.

A reference beside them (tests/benchmarks/programs/floor_window.py): the widgets the window
shows at its first paint, rebuilt as plain Qt widgets: what Qt alone needs to show that much.
And the Python classes built before the first paint (tests/benchmarks/programs/
class_building.py): PySide6's enum classes, the app's own, and dataclasses, in number and time.

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

RUNS = 5
ENTRIES = 100_000

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "benchmarks" / "programs"
BARE_WINDOW = [sys.executable, str(PROGRAMS / "bare_window.py")]
"""The baseline, run by its path: it imports nothing but PySide6."""


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
        widgets = _dump_visible_widgets(empty, dump, env)
        for _ in range(RUNS):
            bare_times.append(time_to_window(BARE_WINDOW, env))
            app_times.append(
                time_to_window(_app_argv(empty), dict(env, EVENT_COMPOSER_STARTUP_PROBE="1"))
            )
            if widgets:
                floor_times.append(
                    time_to_window(_program("floor_window", str(dump)), _with_programs(env))
                )
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

        print(_class_building(empty, env))

        rss_env = _with_programs(env)
        out = subprocess.run(
            _program("startup_rss", str(empty)),
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
            _program("startup_rss", str(full)),
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


def _program(name: str, *args: str) -> list[str]:
    return [sys.executable, "-m", f"tests.benchmarks.programs.{name}", *args]


def _with_programs(env: dict[str, str]) -> dict[str, str]:
    """``env`` where ``python -m tests.benchmarks.programs...`` finds the programs."""
    return dict(env, PYTHONPATH=str(ROOT))


def _dump_visible_widgets(data_dir: Path, out: Path, env: dict[str, str]) -> int:
    """Write the window's visible widgets to ``out``; their number (0 when it failed)."""
    subprocess.run(
        _program("visible_widgets", str(data_dir), str(out)),
        env=_with_programs(env),
        capture_output=True,
        timeout=120,
        check=False,
    )
    return len(json.loads(out.read_text())) if out.exists() else 0


def _class_building(data_dir: Path, env: dict[str, str]) -> str:
    """What Python's building of enum classes and dataclasses takes before the first paint,
    the app's against the bare window's (programs/class_building.py; medians of 3 runs)."""
    figures: dict[str, list[dict[str, float]]] = {"app": [], "bare": []}
    for _ in range(3):
        for kind, args in (("bare", ["bare"]), ("app", ["app", str(data_dir)])):
            out = subprocess.run(
                _program("class_building", *args),
                capture_output=True,
                text=True,
                env=_with_programs(env),
                timeout=120,
                check=False,
            ).stdout
            lines = [line for line in out.splitlines() if line.startswith("{")]
            if lines:
                figures[kind].append(json.loads(lines[-1]))
    if not figures["app"] or not figures["bare"]:
        return "Python classes built before the first paint: not measured (no answer)"

    def median(kind: str, key: str) -> float:
        return statistics.median(run[key] for run in figures[kind])

    def line(kind: str) -> str:
        name = "the app" if kind == "app" else "bare"
        text = (
            f"  {name:<9} {median(kind, 'enums'):4.0f} enum classes ({median(kind, 'qt_enums'):.0f}"
            f" of them PySide6's) {median(kind, 'enum_ms'):5.1f} ms"
        )
        if median(kind, "dataclasses"):
            count, took = median(kind, "dataclasses"), median(kind, "dataclass_ms")
            text += f", {count:.0f} dataclasses {took:.1f} ms"
        return text

    return "Python classes built before the first paint (medians of 3):\n" + "\n".join(
        line(kind) for kind in ("app", "bare")
    )


def _rss(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("rss-mb "):
            parts = line.split()
            return f"{parts[1]} MB RSS ({parts[3]} rows loaded of {int(parts[5]):,})"
    return "not measured (the probe printed nothing)"


if __name__ == "__main__":
    main()
