"""`make test` does not run the benchmarks (tests/benchmarks: `make bench`), so a change of the
code they call would break them silently until the next `make bench`. `make lint` type-checks
them (mypy's files include tests/benchmarks, and the programs they start as processes are
modules there, not strings of code); this runs what is cheap of them, on tiny inputs: every
module imports, the builders of their inputs still build, and the programs they start still
start and answer. A few seconds in all."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "tests" / "benchmarks"
MODULES = sorted(f"tests.benchmarks.{p.stem}" for p in BENCHMARKS.glob("bench_*.py")) + sorted(
    f"tests.benchmarks.programs.{p.stem}" for p in (BENCHMARKS / "programs").glob("*.py")
)
NEEDS_QT = {  # import Qt at their top: tests/ui/test_benchmark_programs_gui.py runs them
    "tests.benchmarks.programs.bare_window",
    "tests.benchmarks.programs.floor_window",
    "tests.benchmarks.programs.visible_widgets",
}


@pytest.mark.parametrize("name", MODULES)
def test_every_benchmark_module_imports(name):
    try:
        importlib.import_module(name)
    except ImportError as exc:
        if name in NEEDS_QT and "blocked" in str(exc):
            pytest.skip("imports Qt, which this pass blocks")
        raise


def test_the_input_builders_of_the_benchmarks_still_build(tmp_path):
    from tests.benchmarks import (
        bench_bulk_replay,
        bench_bulk_sandbox,
        bench_delivery,
        bench_history,
        bench_replay,
        bench_replay_gui,
        bench_replay_memory,
        bench_tree,
    )

    assert len(bench_replay.make_items(3)) == 3
    assert len(bench_tree.event_with_items(3)["data"]["attributes"]["properties"]["Items"]) == 3
    assert json.loads(bench_delivery.body(1, 2))["data"]["attributes"]["unique_id"]
    assert json.loads(bench_bulk_sandbox._job("t"))["data"]["type"]
    assert json.loads(bench_bulk_sandbox._single(1))["data"]["type"] == "event"
    assert len(list(bench_history._entries(3, int(time.time() * 1000)))) == 3
    bench_bulk_replay.write_file(tmp_path / "b.ndjson", 3)
    bench_replay_memory.write_file(tmp_path / "m.ndjson", 3)
    bench_replay_gui._write_events(tmp_path / "g.ndjson", 3)
    for name in ("b.ndjson", "m.ndjson", "g.ndjson"):
        assert (tmp_path / name).read_text().strip()


def test_the_replay_benchmark_replays_through_its_own_sandbox_process():
    """bench_replay and bench_shared_quota: the sandbox program, its URL, a few events."""
    from composer.client import ClientSettings
    from tests.benchmarks import bench_replay

    sandbox = bench_replay.SandboxProcess(1.0, 50, 600)
    try:
        summary, _ = asyncio.run(
            bench_replay.replay(sandbox.url, bench_replay.make_items(3), ClientSettings())
        )
        stats = sandbox.get("/sandbox/stats")
    finally:
        sandbox.stop()
    assert summary.progress.done == 3 and stats["requests"] == 3


def test_the_bulk_benchmarks_sandbox_process_starts_and_answers():
    from tests.benchmarks import bench_bulk_replay

    sandbox = bench_bulk_replay.Sandbox(10, 150, 100)
    try:
        assert sandbox.stats()["requests"] == 0
    finally:
        sandbox.stop()


def test_the_bare_baseline_server_answers_202():
    """bench_sandbox measures the sandbox against this server."""
    from tests.benchmarks import bench_sandbox

    program = [sys.executable, "-m", "tests.benchmarks.programs.bare_server"]
    with bench_sandbox._server(program) as (host, port):
        answer = httpx.post(f"http://{host}:{port}/api/events/", content=b"{}", timeout=10)
    assert answer.status_code == 202


def test_the_memory_wrapper_reports_status_time_and_peak():
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.programs.peak_rss", sys.executable, "-c", "0"],
        capture_output=True, text=True, cwd=ROOT, check=True, timeout=60,
    ).stdout  # fmt: skip
    code, took, peak = out.split()
    assert code == "0" and float(took) >= 0 and int(peak) > 0
