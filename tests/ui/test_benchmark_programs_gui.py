"""The window program bench_replay_memory starts (tests/benchmarks/programs/
replay_dialog_memory.py) still opens the window and the Replay dialog on a file and reports
its figures: the benchmarks are not run by `make test`, so a change of the start-up path or the
dialog must fail here rather than on the next `make bench`. About five seconds."""

from __future__ import annotations

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
