"""`replay FILE --bulk` against a sandbox over loopback at Klaviyo's real Bulk Create Events limits
(10 requests/s burst, 150/min steady, real seconds), as a user runs it (the CLI in a process of
its own, with its history):

1. 100,000 events, each with a unique_id: wall time (the target is <= 60 s), every event recorded
   exactly once (the sandbox's count, no duplicates), and the fraction of the rate the limits
   allow. The limits allow at most 10 jobs in any second and 150 in any minute, so N jobs take
   at least ``fastest_seconds(N)``: the fraction is that over the time the jobs took.
2. The same file through single creates is bounded by Create Event's 3,500/min steady limit:
   at least 100,000 / 3,500 min. A run of the first 3,500 events shows where it stands.
3. Peak memory (ru_maxrss of the replay process) for a 1,000,000-line file (target < 150 MB),
   with the limits raised on both sides so it finishes in minutes, not 7 (the pacing does not
   change what is held in memory).

Run it alone: ``python -m tests.benchmarks bulk_replay`` (``BULK_BENCH_PARTS=1,3`` for some;
``BULK_BENCH_EVENTS=20000`` runs part 1 on fewer events, to iterate on the client's speed).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
EVENTS = int(os.environ.get("BULK_BENCH_EVENTS", "100000"))
BIG = 1_000_000
BURST, STEADY = 10, 150
SINGLE_STEADY = 3500


class Sandbox:
    """The sandbox in a process of its own (the replay gets the other core)."""

    def __init__(self, burst: int, steady: int, keep: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.programs.sandbox_server",
                f"--bulk-burst={burst}",
                f"--bulk-steady={steady}",
                f"--keep={keep}",
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().strip()
        if not first.startswith("Sandbox listening on "):
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {first!r}")
        self.url = first.rsplit(" ", 1)[1]

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/sandbox/stats", timeout=60).json())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def write_file(path: Path, n: int) -> Path:
    """``n`` events, each with its own unique_id, 10 to a profile, 2026-07-15 shape."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            doc = {
                "data": {
                    "type": "event",
                    "attributes": {
                        "profile": {"data": {"type": "profile", "attributes": {
                            "email": f"buyer{i // 10}@shop.test"}}},
                        "metric": {"data": {"type": "metric", "attributes": {
                            "name": "Placed Order"}}},
                        "properties": {"OrderId": f"ORD-{i:07d}", "Items": ["Book"],
                                       "Value": 9.99},
                        "value": 9.99,
                        "unique_id": f"order-{i:07d}",
                    },
                }
            }  # fmt: skip
            out.write(json.dumps(doc) + "\n")
    return path


def fastest_seconds(jobs: int, burst: int = BURST, steady: int = STEADY) -> float:
    """The least time, first send to last send, in which fixed windows of ``burst`` per second
    and ``steady`` per minute let ``jobs`` requests through."""
    if jobs <= 0:
        return 0.0
    seconds = 0.0
    sent_in_minute = 0
    left = jobs
    while left > 0:
        take = min(burst, left, steady - sent_in_minute)
        left -= take
        sent_in_minute += take
        if left <= 0:
            break
        if sent_in_minute >= steady:
            seconds = (int(seconds // 60) + 1) * 60.0
            sent_in_minute = 0
        else:
            seconds += 1.0
    return seconds


def replay(path: Path, url: str, data_dir: Path, *extra: str) -> tuple[float, int, str, float]:
    """Run the CLI; (wall seconds, its own peak RSS in kB, stdout, its own CPU seconds)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("KLAVIYO_API_KEY", None)
    data_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = data_dir / "stdout.json", data_dir / "stderr.txt"
    started = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "composer", "--data-dir", str(data_dir), "replay",
             str(path), "--target", url, "--json", *extra],
            stdout=out, stderr=err, env=env, cwd=ROOT,
        )  # fmt: skip
        # wait4: the rusage of this process alone (not of every child waited for so far)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"replay exited {proc.returncode}: {err_path.read_text()[-2000:]}")
    return wall, int(usage.ru_maxrss), out_path.read_text(), usage.ru_utime + usage.ru_stime


def part_100k(work: Path) -> None:
    path = work / "events-100k.ndjson"
    sandbox = Sandbox(BURST, STEADY, EVENTS * 2)
    try:
        wall, _, out, cpu = replay(path, sandbox.url, work / "state-100k", "--bulk")
        stats = sandbox.stats()
    finally:
        sandbox.stop()
    summary = json.loads(out)
    jobs = summary["jobs"]
    sending = summary["elapsed_s"]
    floor = fastest_seconds(jobs)
    once = stats["recorded"] == EVENTS and stats["duplicates"] == 0
    steady_rate = STEADY * 1000 / 60
    print(f"{EVENTS:,} events with --bulk at {BURST}/s and {STEADY}/min (real limits):")
    print(f"  wall time (process start to exit)   {wall:8.1f} s   (target <= 60 s)")
    print(f"  sending (first read to last answer) {sending:8.1f} s in {jobs} jobs, "
          f"{summary['throttled']} answers 429")  # fmt: skip
    accepted = summary["delivery"]["accepted"]
    print(f"  recorded exactly once               {once} (recorded {stats['recorded']:,}, "
          f"duplicates {stats['duplicates']}, accepted {accepted:,})")  # fmt: skip
    print(f"  rate                                {EVENTS / sending:8,.0f} events/s")
    print(f"  the replay process's CPU            {cpu:8.1f} s = {cpu / EVENTS * 1e6:.0f} us "
          f"an event (start-up included); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"  fraction of the rate the limits allow for {jobs} jobs (their first and last "
          f"request at least {floor:.0f} s apart): {floor / sending:.2f}")  # fmt: skip
    print(f"  fraction of the sustained rate ({STEADY}/min x 1,000 = {steady_rate:,.0f} "
          f"events/s): {EVENTS / sending / steady_rate:.2f}")  # fmt: skip


def part_single(work: Path) -> None:
    bound_min = EVENTS / SINGLE_STEADY
    print(f"The same file through single creates: at most {SINGLE_STEADY:,}/min, so at least "
          f"{bound_min:.1f} min ({bound_min * 60:,.0f} s) for {EVENTS:,} events")  # fmt: skip
    path = work / "events-3500.ndjson"
    with open(work / "events-100k.ndjson", encoding="utf-8") as src, open(path, "w") as dest:
        for _ in range(SINGLE_STEADY):
            dest.write(src.readline())
    sandbox = Sandbox(BURST, STEADY, EVENTS)
    try:
        _, _, out, _ = replay(
            path,
            sandbox.url,
            work / "state-single",
            "--concurrency",
            "64",
            "--revision",
            "2026-07-15",
        )
    finally:
        sandbox.stop()
    summary = json.loads(out)
    print(f"  measured: the first {SINGLE_STEADY:,} events (one minute's steady budget) one by "
          f"one in {summary['elapsed_s']:.1f} s ({summary['throttled']} answers 429); the next "
          f"{SINGLE_STEADY:,} could only start a "
          "minute after the first")  # fmt: skip


def part_memory(work: Path) -> None:
    path = write_file(work / "events-1m.ndjson", BIG)
    size_mb = path.stat().st_size / 1e6
    sandbox = Sandbox(200, 100_000, 1000)
    try:
        wall, peak_kb, out, _ = replay(
            path, sandbox.url, work / "state-1m", "--bulk", "--burst-limit", "200",
            "--steady-limit", "100000",
        )  # fmt: skip
    finally:
        sandbox.stop()
    summary = json.loads(out)
    print(f"1,000,000 lines ({size_mb:,.0f} MB) with --bulk (limits raised to 200/s): "
          f"{summary['delivery']['accepted']:,} accepted in {summary['jobs']} jobs, "
          f"{wall:.0f} s")  # fmt: skip
    print(f"  peak memory of the replay process   {peak_kb / 1024:8.1f} MB   (target < 150 MB)")


def main() -> None:
    parts = os.environ.get("BULK_BENCH_PARTS", "1,2,3").split(",")
    work = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    try:
        if "1" in parts or "2" in parts:
            write_file(work / "events-100k.ndjson", EVENTS)
        if "1" in parts:
            part_100k(work)
        if "2" in parts:
            part_single(work)
        if "3" in parts:
            part_memory(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
